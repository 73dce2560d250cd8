/** Sampled rates: steady input reads steady, and an end just after a tick makes no spike. */
import { describe, expect, it } from 'vitest';
import { bucketMeans, JobMetrics, Ring, SAMPLE_MS } from './metrics';

describe('JobMetrics', () => {
  it('samples frames and MB per second, and skips a sample too close to the last one', () => {
    const m = new JobMetrics(0);
    let t = 0;
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 25; k++) m.frameDone('verified', 200_000, true); // 100 frames/s
      t += SAMPLE_MS;
      m.sample(t, 20);
    }
    expect(m.series.frames.last()).toBeCloseTo(100);
    expect(m.series.mbps.last()).toBeCloseTo(20);
    expect(m.rate.framesPerSecond).toBeCloseTo(100);
    // the job ends 5 ms after a tick with 3 more frames: no 600 frames/s spike
    for (let k = 0; k < 3; k++) m.frameDone('verified', 200_000, true);
    m.sample(t + 5, 0);
    expect(m.series.t.length).toBe(8);
    expect(Math.max(...m.series.frames.toArray())).toBeLessThanOrEqual(101);
  });

  it('request latency percentiles, from a bounded sample when there are many', () => {
    const m = new JobMetrics(0);
    expect(m.latency().count).toBe(0);
    for (let i = 1; i <= 100; i++) m.requestTimed(i);
    expect(m.latency()).toEqual({ p50: 51, p95: 96, count: 100 });
    // 200,000 more, uniform 0..1000 ms: the sample is bounded but the percentiles hold.
    const big = new JobMetrics(0);
    for (let i = 0; i < 200_000; i++) big.requestTimed((i * 7919) % 1000);
    const l = big.latency();
    expect(l.count).toBe(200_000);
    expect(l.p50).toBeGreaterThan(470);
    expect(l.p50).toBeLessThan(530);
    expect(l.p95).toBeGreaterThan(930);
  });

  it('keeps the newest samples in a ring', () => {
    const r = new Ring(3);
    [1, 2, 3, 4].forEach((v) => r.push(v));
    expect(r.toArray()).toEqual([2, 3, 4]);
    expect(r.last()).toBe(4);
  });

  it('averages a long window into aligned buckets of at most so many points', () => {
    const t = new Ring(1200);
    const v = new Ring(1200);
    const push = (i: number) => {
      t.push(i / 4);
      v.push(i % 10);
    };
    // as many samples as points, or fewer: drawn as they are
    for (let i = 0; i < 80; i++) push(i);
    expect(bucketMeans([t, v], 80)).toEqual([t.toArray(), v.toArray()]);
    // 1,500 pushed into a ring of 1,200 (the first 300 dropped): buckets of 16 samples
    for (let i = 80; i < 1500; i++) push(i);
    const [bt = [], bv = []] = bucketMeans([t, v], 80);
    expect(bt.length).toBe(76); // 300..1499: from the bucket at 288 (partial) to the one at 1488
    expect(bv.length).toBe(bt.length);
    // a full bucket is its samples' mean: 304..319 has i % 10 = 4..9, 0..9
    expect(bv[1]).toBeCloseTo((4 + 5 + 6 + 7 + 8 + 9 + 45) / 16);
    expect(bt[1]).toBeCloseTo((304 + 319) / 2 / 4);
    // the partial first (300..303) and last (1488..1499) buckets average what they have
    expect(bv[0]).toBeCloseTo((0 + 1 + 2 + 3) / 4);
    expect(bt.at(-1)).toBeCloseTo((1488 + 1499) / 2 / 4);
    // the weighted means give back the whole window's mean
    const mean = v.toArray().reduce((a, b) => a + b, 0) / v.length;
    const sizes = [4, ...Array<number>(74).fill(16), 12];
    expect(bv.reduce((a, b, k) => a + b * sizes[k]!, 0) / v.length).toBeCloseTo(mean);
    // one more sample (and the oldest dropped) changes only the first and the last points
    push(1500);
    const [, next = []] = bucketMeans([t, v], 80);
    expect(next.slice(1, -1)).toEqual(bv.slice(1, -1));
    expect(next[0]).not.toBe(bv[0]);
    expect(next.at(-1)).not.toBe(bv.at(-1));
  });
});
