import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPlan } from './manifest';
import {
  frameCount,
  manifestFiles,
  mergeManifests,
  splitManifests,
  toAhiRetrieveManifest,
  type AhiRetrieveManifest,
} from './manifestParts';

// A real AHI metadata document (AWS's ahi-retrieve test data).
const usdoppler = JSON.parse(
  readFileSync('ahi-server/fixtures/manifests/usdoppler.json', 'utf8'),
) as unknown;
const ids = (ms: AhiRetrieveManifest[]) =>
  ms.flatMap((m) =>
    Object.values(m.Study.Series).flatMap((s) =>
      Object.values(s.Instances).flatMap((i) =>
        i.ImageFrames.map((f) => `${m.ImageSetID}/${f.ID}`),
      ),
    ),
  );

function synthetic(imageSetId: string, frames: number): AhiRetrieveManifest {
  return {
    DatastoreID: 'd'.repeat(32),
    ImageSetID: imageSetId,
    Study: {
      Series: {
        '1.2.3': {
          Instances: Object.fromEntries(
            Array.from({ length: frames }, (_, i) => [
              `1.2.3.${i}`,
              {
                ImageFrames: [
                  {
                    ID: `${imageSetId.slice(0, 28)}${String(i).padStart(4, '0')}`,
                    FrameSizeInBytes: 10,
                  },
                ],
              },
            ]),
          ),
        },
      },
    },
  };
}

describe('ahi-retrieve manifests out', () => {
  it('reduces a metadata document to what ahi-retrieve reads, planning the same frames', () => {
    const m = toAhiRetrieveManifest(usdoppler);
    const text = JSON.stringify(m);
    expect(text).not.toMatch(/PixelDataChecksum|DICOM/);
    const fromDoc = buildPlan([{ name: 'doc', content: usdoppler }]).frames.map((f) => [
      f.key,
      f.sizeHint,
    ]);
    const fromManifest = buildPlan([{ name: 'manifest', content: text }]).frames.map((f) => [
      f.key,
      f.sizeHint,
    ]);
    expect(fromManifest).toEqual(fromDoc);
    expect(frameCount(m)).toBe(fromDoc.length);
  });

  it('splits by image set, then by frame, as --shard does, and merging the parts gives the whole', () => {
    const whole = [synthetic('b'.repeat(32), 3), synthetic('a'.repeat(32), 5)];
    const parts = splitManifests(whole, 3);
    // Frames ordered a0..a4, b0..b2 (by image set ID, whatever the input order), cut in three
    // runs: a0-a2, a3-a4 b0, b1-b2.
    expect(parts.map((p) => ids(p).map((k) => `${k[0]}${k.slice(-1)}`))).toEqual([
      ['a0', 'a1', 'a2'],
      ['b0', 'a3', 'a4'],
      ['b1', 'b2'],
    ]);
    const merged = mergeManifests(parts.flat());
    expect(ids(merged).sort()).toEqual(ids(whole).sort());
    expect(merged).toHaveLength(2);
    // More parts than frames: the empty parts list nothing.
    expect(splitManifests([synthetic('c'.repeat(32), 2)], 4).map((p) => p.length)).toEqual([
      1, 0, 1, 0,
    ]);
    expect(() => splitManifests(whole, 0)).toThrow(/whole number of parts/);
  });

  it('names the files: one per image set, in part folders when split', () => {
    const whole = [synthetic('a'.repeat(32), 4), synthetic('b'.repeat(32), 1)];
    expect(manifestFiles(whole, 1).map((f) => f.name)).toEqual([
      `${'a'.repeat(32)}.json`,
      `${'b'.repeat(32)}.json`,
    ]);
    expect(manifestFiles(whole, 2).map((f) => f.name)).toEqual([
      `part-1-of-2/${'a'.repeat(32)}.json`,
      `part-2-of-2/${'a'.repeat(32)}.json`,
      `part-2-of-2/${'b'.repeat(32)}.json`,
    ]);
    const back = manifestFiles(whole, 2).map((f) => JSON.parse(f.content) as AhiRetrieveManifest);
    expect(ids(mergeManifests(back)).sort()).toEqual(ids(whole).sort());
  });
});
