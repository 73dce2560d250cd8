import { describe, expect, it } from 'vitest';
import {
  parseShard,
  shardCut,
  shardFromEnvironment,
  shardIndices,
  shardOf,
  shardOfCut,
} from './shard';
import { mulberry32 } from './random';

const frames = (set: string, n: number, instance = (i: number) => String(i)) =>
  Array.from({ length: n }, (_, i) => ({ set, id: `${set}${i}`, instance: instance(i) }));

describe('shards', () => {
  it('cuts the job into runs of about equal length by image set, whatever the input order', () => {
    const job = [...frames('c', 4), ...frames('a', 6), ...frames('b', 2)];
    const ofShard = (k: number, items = job) =>
      shardOf(items, { index: k, count: 3 }, (f) => f.set).map((f) => f.id);
    expect([1, 2, 3].map((k) => ofShard(k))).toEqual([
      ['a0', 'a1', 'a2', 'a3'],
      ['a4', 'a5', 'b0', 'b1'],
      ['c0', 'c1', 'c2', 'c3'],
    ]);
    // Image sets in another order, each one's frames in their document order.
    const shuffled = [...frames('b', 2), ...frames('a', 6), ...frames('c', 4)];
    expect([1, 2, 3].map((k) => ofShard(k, shuffled).sort())).toEqual(
      [1, 2, 3].map((k) => ofShard(k).sort()),
    );
    // Every frame in exactly one shard.
    const all = [1, 2, 3].flatMap((k) => ofShard(k));
    expect(all.sort()).toEqual(job.map((f) => f.id).sort());
  });

  it('keeps a group (a multi-frame instance) whole, in the shard of its first frame', () => {
    const job = frames('a', 8, (i) => (i < 3 ? 'x' : 'y'));
    const parts = shardIndices(
      job,
      4,
      (f) => f.set,
      (f) => f.instance,
    );
    expect(parts).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('reads K/N and the batch engines’ indices, refusing what is not a shard', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(() => parseShard('0/4')).toThrow(/K\/N with 1 ≤ K ≤ N/);
    expect(() => parseShard('5/4')).toThrow(/K\/N/);
    expect(() => parseShard('two')).toThrow(/"two" is not a shard/);
    expect(shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '0' }, 4)).toEqual({
      index: 1,
      count: 4,
    });
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '3' }, 4)).toEqual({ index: 4, count: 4 });
    expect(shardFromEnvironment({}, 4)).toBeUndefined();
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '4' }, 4)).toThrow(
      /JOB_COMPLETION_INDEX=4 is not a shard index below --shards 4/,
    );
    expect(() => shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '1' }, undefined)).toThrow(
      /--shards N/,
    );
  });

  it('chooses from frame counts alone the image sets a shard needs, and cuts them as the whole job would be cut', () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 200; trial++) {
      // Image sets of 1 to 40 frames in random order; groups of 1 to 5 frames, or none.
      const sets = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, s) => ({
        id: `s${String(Math.floor(random() * 1000)).padStart(3, '0')}-${s}`,
        n: 1 + Math.floor(random() * 40),
        groupSize: 1 + Math.floor(random() * 5),
      }));
      const job = sets.flatMap((s) =>
        frames(s.id, s.n, (i) => String(Math.floor(i / s.groupSize))),
      );
      const grouped = random() < 0.5;
      const count = 1 + Math.floor(random() * 8);
      const groupOf = grouped ? (f: (typeof job)[number]) => f.instance : undefined;
      const counts = sets.map((s) => ({ imageSetId: s.id, frames: s.n }));
      for (let k = 1; k <= count; k++) {
        const shard = { index: k, count };
        const cut = shardCut(counts, shard);
        // Only the chosen image sets' frames are given, as a shard plans only those.
        const planned = job.filter((f) => cut.firstPosition.has(f.set));
        const mine = shardOfCut(planned, shard, cut, (f) => f.set, groupOf).map((f) => f.id);
        expect(mine, `trial ${trial}, shard ${k}/${count}`).toEqual(
          shardOf(job, shard, (f) => f.set, groupOf).map((f) => f.id),
        );
      }
    }
  });

  it('reads few image sets for a shard of many', () => {
    const counts = Array.from({ length: 1000 }, (_, i) => ({
      imageSetId: `set${String(i).padStart(4, '0')}`,
      frames: 100,
    }));
    const cut = shardCut(counts, { index: 3, count: 16 });
    expect(cut.total).toBe(100_000);
    // 62 or 63 image sets of 1000 (a sixteenth), and not one more than its range meets.
    expect(cut.firstPosition.size).toBeLessThanOrEqual(64);
    expect(cut.firstPosition.get('set0125')).toBe(12_500);
  });
});
