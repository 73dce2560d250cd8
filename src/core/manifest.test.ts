import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RetrieveError } from './errors';
import { buildPlan, enrichPlan } from './manifest';

const fixture = (name: string) => readFileSync(`ahi-server/fixtures/manifests/${name}`, 'utf8');
const ID = (c: string) => c.repeat(32);
const doc = (frames: unknown[], extra: Record<string, unknown> = {}) => ({
  DatastoreID: ID('a'),
  ImageSetID: ID('b'),
  Study: { Series: { '1.2.3': { Instances: { '4.5': { ImageFrames: frames } } } } },
  ...extra,
});

function problem(content: unknown): string {
  try {
    buildPlan([{ name: 'm.json', content }]);
  } catch (e) {
    expect(e).toBeInstanceOf(RetrieveError);
    expect((e as RetrieveError).code).toBe('BadManifest');
    return (e as Error).message;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('AWS ahi-retrieve manifests', () => {
  it('one.json: one frame with its IDs and size hint', () => {
    const plan = buildPlan([{ name: 'one.json', content: fixture('one.json') }]);
    expect(plan.frames).toHaveLength(1);
    expect(plan.frames[0]).toMatchObject({
      datastoreId: '169224ef14db49839f628fb887d50291',
      imageSetId: 'd91be0830da6a8550ddef2491cf1f10b',
      frameId: '7a9d6d62177792250da227bd2815ef7c',
      seriesUid: '1.2.840.113704.1.111.672.1161866320.1',
      instanceUid: '1.2.840.113704.1.111.2864.1161866350.1420',
      sizeHint: 524288,
      frameIndex: 0,
    });
    expect(plan.imageSets).toEqual([
      {
        datastoreId: '169224ef14db49839f628fb887d50291',
        imageSetId: 'd91be0830da6a8550ddef2491cf1f10b',
        frames: 1,
        hasChecksums: false,
      },
    ]);
  });

  it('bad.json is well formed: its unknown frame ID is for the server to refuse (404)', () => {
    expect(buildPlan([{ name: 'bad.json', content: fixture('bad.json') }]).frames).toHaveLength(1);
  });

  it('minimal.json and ct2465.json: every frame, no duplicates', () => {
    expect(
      buildPlan([{ name: 'minimal.json', content: fixture('minimal.json') }]).frames,
    ).toHaveLength(244);
    const t0 = performance.now();
    const plan = buildPlan([{ name: 'ct2465.json', content: fixture('ct2465.json') }]);
    const ms = performance.now() - t0;
    expect(plan.frames).toHaveLength(2464);
    expect(plan.duplicates).toEqual([]);
    // Not an assertion on speed (benchmarks do that), just a record in the test output.
    console.warn(`ct2465.json parsed in ${ms.toFixed(1)} ms`);
  });

  it('512.json lists one frame 512 times: planned once, 511 duplicates reported', () => {
    const plan = buildPlan([{ name: '512.json', content: fixture('512.json') }]);
    expect(plan.frames).toHaveLength(1);
    expect(plan.duplicates).toEqual([
      { key: 'd91be0830da6a8550ddef2491cf1f10b/7a9d6d62177792250da227bd2815ef7c', extra: 511 },
    ]);
  });

  it('usdoppler.json (real AHI metadata): checksums, pixel descriptions, multi-frame indexes', () => {
    const plan = buildPlan([{ name: 'usdoppler.json', content: fixture('usdoppler.json') }]);
    expect(plan.frames).toHaveLength(22);
    expect(plan.imageSets[0]?.hasChecksums).toBe(true);
    const first = plan.frames.find((f) => f.frameId === '575f838ec9c7db93e731de407e1bed6c')!;
    expect(first.checksum).toBe(2095233973);
    expect(first.minPixel).toBe(0);
    expect(first.maxPixel).toBe(255);
    expect(first.pixel).toMatchObject({
      rows: 480,
      columns: 640,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      photometric: 'YBR_FULL',
      signed: false,
    });
    const multi = plan.frames.filter((f) => f.pixel?.rows === 240);
    expect(multi).toHaveLength(14);
    expect(multi.map((f) => f.frameIndex)).toEqual([...Array(14).keys()]);
  });

  it('several files in one job merge, and frames repeated across files are planned once', () => {
    const plan = buildPlan([
      { name: 'one.json', content: fixture('one.json') },
      { name: 'minimal.json', content: fixture('minimal.json') },
      { name: 'again.json', content: fixture('one.json') },
    ]);
    // one.json's frame is also in minimal.json (same image set): listed three times, planned once.
    expect(plan.frames).toHaveLength(244);
    expect(plan.duplicates).toEqual([
      { key: 'd91be0830da6a8550ddef2491cf1f10b/7a9d6d62177792250da227bd2815ef7c', extra: 2 },
    ]);
    expect(plan.imageSets).toEqual([
      expect.objectContaining({ imageSetId: 'd91be0830da6a8550ddef2491cf1f10b', frames: 244 }),
    ]);
    expect(plan.sources).toEqual(['one.json', 'minimal.json', 'again.json']);
  });

  it('metadata enriches a manifest with checksums and pixel descriptions', () => {
    const manifest = buildPlan([{ name: 'm', content: doc([{ ID: ID('c') }, { ID: ID('d') }]) }]);
    const metadata = buildPlan([
      {
        name: 'meta',
        content: {
          ...doc([
            {
              ID: ID('c'),
              PixelDataChecksumFromBaseToFullResolution: [
                { Width: 2, Height: 2, Checksum: 5 },
                { Width: 4, Height: 4, Checksum: 4294967295 },
              ],
            },
          ]),
          Study: {
            Series: {
              '1.2.3': {
                Instances: {
                  '4.5': {
                    DICOM: {
                      Rows: 4,
                      Columns: 4,
                      RescaleIntercept: '-1024',
                      WindowCenter: '40\\-600',
                      WindowWidth: ['400', '1500'],
                    },
                    ImageFrames: [
                      {
                        ID: ID('c'),
                        PixelDataChecksumFromBaseToFullResolution: [
                          { Width: 2, Height: 2, Checksum: 5 },
                          { Width: 4, Height: 4, Checksum: 4294967295 },
                        ],
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    ]);
    const plan = enrichPlan(manifest, metadata);
    expect(plan.frames[0]?.checksum).toBe(4294967295);
    expect(plan.frames[0]?.pixel).toMatchObject({
      rows: 4,
      rescaleIntercept: -1024,
      windows: [
        { center: 40, width: 400 },
        { center: -600, width: 1500 },
      ],
    });
    expect(plan.frames[1]?.checksum).toBeUndefined();
    expect(plan.imageSets[0]?.hasChecksums).toBe(true);
  });

  it("takes an enhanced image's window and rescale from its functional groups", () => {
    const manifest = buildPlan([{ name: 'm', content: doc([{ ID: ID('c') }]) }]);
    const dicom = {
      Rows: 4,
      Columns: 4,
      WindowCenter: null,
      SharedFunctionalGroupsSequence: [
        {
          FrameVOILUTSequence: [{ WindowCenter: '49', WindowWidth: '102' }],
          PixelValueTransformationSequence: [{ RescaleIntercept: '-1024', RescaleSlope: '1' }],
        },
      ],
      PerFrameFunctionalGroupsSequence: [
        { PixelValueTransformationSequence: [{ RescaleIntercept: '-1000', RescaleSlope: '2' }] },
      ],
    };
    const metadata = buildPlan([
      {
        name: 'meta',
        content: {
          ...doc([]),
          Study: {
            Series: {
              '1.2.3': {
                Instances: { '4.5': { DICOM: dicom, ImageFrames: [{ ID: ID('c') }] } },
              },
            },
          },
        },
      },
    ]);
    expect(enrichPlan(manifest, metadata).frames[0]?.pixel).toMatchObject({
      rescaleIntercept: -1000,
      rescaleSlope: 2,
      windows: [{ center: 49, width: 102 }],
    });
  });
});

describe('malformed manifests: each problem named by JSON path and rule', () => {
  const cases: [string, unknown, string][] = [
    ['empty file', '', 'm.json: the file is empty'],
    ['whitespace only', '  \n', 'm.json: the file is empty'],
    ['not JSON', '{"DatastoreID": ', 'm.json: not valid JSON'],
    [
      'a JSON array',
      [],
      '(top level): expected a JSON object with DatastoreID, ImageSetID and Study, got an array',
    ],
    [
      'a JSON string',
      '"hello"',
      '(top level): expected a JSON object with DatastoreID, ImageSetID and Study, got "hello"',
    ],
    [
      'null',
      'null',
      '(top level): expected a JSON object with DatastoreID, ImageSetID and Study, got null',
    ],
    [
      'missing DatastoreID',
      { ...doc([{ ID: ID('c') }]), DatastoreID: undefined },
      'DatastoreID: missing (expected the 32-character datastore ID)',
    ],
    [
      'short ImageSetID',
      { ...doc([{ ID: ID('c') }]), ImageSetID: 'abc' },
      'ImageSetID: expected 32 lowercase letters or digits, got 3 characters',
    ],
    [
      'uppercase ImageSetID',
      { ...doc([{ ID: ID('c') }]), ImageSetID: 'B'.repeat(32) },
      "ImageSetID: expected 32 lowercase letters or digits, found 'B'",
    ],
    [
      'numeric DatastoreID',
      { ...doc([{ ID: ID('c') }]), DatastoreID: 42 },
      'DatastoreID: expected a string of 32 lowercase letters or digits, got number 42',
    ],
    [
      'missing Study',
      { DatastoreID: ID('a'), ImageSetID: ID('b') },
      'Study: missing (expected {"Series": {...}})',
    ],
    [
      'Study is a list',
      { DatastoreID: ID('a'), ImageSetID: ID('b'), Study: [] },
      'Study: expected an object, got an array',
    ],
    [
      'missing Series',
      { DatastoreID: ID('a'), ImageSetID: ID('b'), Study: {} },
      'Study.Series: missing (expected an object keyed by series UID)',
    ],
    [
      'Series is a string',
      { DatastoreID: ID('a'), ImageSetID: ID('b'), Study: { Series: 'x' } },
      'Study.Series: expected an object keyed by series UID, got "x"',
    ],
    [
      'series without Instances',
      { DatastoreID: ID('a'), ImageSetID: ID('b'), Study: { Series: { '1.2': {} } } },
      'Study.Series["1.2"].Instances: missing (expected an object keyed by SOP instance UID)',
    ],
    [
      'instance is null',
      {
        DatastoreID: ID('a'),
        ImageSetID: ID('b'),
        Study: { Series: { '1.2': { Instances: { '3.4': null } } } },
      },
      'Study.Series["1.2"].Instances["3.4"]: expected an object with ImageFrames, got null',
    ],
    [
      'ImageFrames missing',
      {
        DatastoreID: ID('a'),
        ImageSetID: ID('b'),
        Study: { Series: { '1.2': { Instances: { '3.4': {} } } } },
      },
      'Study.Series["1.2"].Instances["3.4"].ImageFrames: missing (expected an array of {"ID": ...})',
    ],
    [
      'ImageFrames an object',
      {
        DatastoreID: ID('a'),
        ImageSetID: ID('b'),
        Study: { Series: { '1.2': { Instances: { '3.4': { ImageFrames: {} } } } } },
      },
      'Study.Series["1.2"].Instances["3.4"].ImageFrames: expected an array, got an object',
    ],
    [
      'frame without ID',
      doc([{ FrameSizeInBytes: 10 }]),
      'Study.Series["1.2.3"].Instances["4.5"].ImageFrames[0].ID: missing (expected the 32-character image frame ID)',
    ],
    [
      'frame ID too long',
      doc([{ ID: ID('c') }, { ID: ID('c') + 'd' }]),
      'Study.Series["1.2.3"].Instances["4.5"].ImageFrames[1].ID: expected 32 lowercase letters or digits, got 33 characters',
    ],
    [
      'frame ID with a dash',
      doc([{ ID: `${'c'.repeat(31)}-` }]),
      "ImageFrames[0].ID: expected 32 lowercase letters or digits, found '-'",
    ],
    [
      'frame is a string',
      doc([ID('c')]),
      `ImageFrames[0]: expected an object with an ID, got "${ID('c')}"`,
    ],
    [
      'negative size',
      doc([{ ID: ID('c'), FrameSizeInBytes: -1 }]),
      'ImageFrames[0].FrameSizeInBytes: expected a whole number of bytes, got number -1',
    ],
    [
      'size as text',
      doc([{ ID: ID('c'), FrameSizeInBytes: '10' }]),
      'ImageFrames[0].FrameSizeInBytes: expected a whole number of bytes, got "10"',
    ],
    ['no frames at all', doc([]), 'the manifest lists no image frames'],
    [
      'no series at all',
      { DatastoreID: ID('a'), ImageSetID: ID('b'), Study: { Series: {} } },
      'the manifest lists no image frames',
    ],
  ];

  it.each(cases)('%s', (_, content, message) => {
    expect(problem(content)).toContain(message);
  });

  it('reports several problems at once, then how many more', () => {
    const frames = Array.from({ length: 12 }, (_, i) => ({ ID: `bad${i}` }));
    const message = problem(doc(frames));
    expect(message.split('\n')).toHaveLength(9);
    expect(message).toContain('ImageFrames[7].ID');
    expect(message).toMatch(/…and 4 more problems$/);
  });

  it('names the file when a job has several', () => {
    expect(() =>
      buildPlan([
        { name: 'good.json', content: doc([{ ID: ID('c') }]) },
        { name: 'broken.json', content: '[1' },
      ]),
    ).toThrow('broken.json: not valid JSON');
    expect(() => buildPlan([])).toThrow(/No manifest given/);
  });
});
