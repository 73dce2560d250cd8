/**
 * Thumbnails of every decodable stored syntax, in real Chromium: each fixture of the "syntaxes"
 * set stored as received (OPFS, as a retrieval worker in jph format stores it) comes back from the
 * library worker as a thumbnail whose larger side is at most the size asked, whose samples are
 * Debian's decoder's reference pixels taken every n-th (1-bit masks unpacked to 0/1; lossy JPEG
 * XL within the golden tests' tolerance), and RGB where the frame is colour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SyntaxFixture } from '../ahi-server/syntax-fixtures';
import index from '../ahi-server/fixtures/syntaxes/index.json';
import { loadCrc32 } from '../src/core/crc32';
import { deleteJob } from '../src/io/store';
import { testWriter } from '../test-support/frameWriter';
import { storedFrame } from '../test-support/storedFrame';
import { library as api } from './library';

const urls = import.meta.glob('../ahi-server/fixtures/syntaxes/*.{j2c,jpg,jxl,bin,raw}', {
  query: '?url',
  import: 'default',
  eager: true,
});
const bytesOf = async (name: string) =>
  new Uint8Array(
    await (await fetch(urls[`../ahi-server/fixtures/syntaxes/${name}`] as string)).arrayBuffer(),
  );
const FIXTURES = (index as SyntaxFixture[]).filter((f) => !f.unsupported);
const JOB = 'thumbnail-job';
const SIZE = 128;

/** The reference's every `step`-th pixel in both directions (samples of `bytes` bytes). */
function everyNth(f: SyntaxFixture, ref: Uint8Array, step: number): Uint8Array {
  const samples =
    f.bitsAllocated === 1
      ? Uint8Array.from({ length: f.width * f.height }, (_, i) => (ref[i >> 3]! >> (i & 7)) & 1)
      : ref;
  const px = f.samples * (f.bitsAllocated > 8 ? 2 : 1);
  const tw = Math.ceil(f.width / step);
  const th = Math.ceil(f.height / step);
  const out = new Uint8Array(tw * th * px);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++)
      for (let b = 0; b < px; b++)
        out[(y * tw + x) * px + b] = samples[(y * step * f.width + x * step) * px + b]!;
  return out;
}

describe('thumbnails of every stored syntax', () => {
  beforeAll(async () => {
    await loadCrc32();
    await deleteJob(JOB);
    const writer = testWriter();
    const entries = await Promise.all(
      FIXTURES.map(async (f) => {
        const bytes = await bytesOf(f.file);
        return {
          frame: {
            ...storedFrame(JOB, f.file, bytes.length),
            contentType: f.contentType,
            width: f.width,
            height: f.height,
            bitsPerSample: f.bitsAllocated,
            signed: f.signed,
            components: f.samples,
          },
          bytes,
        };
      }),
    );
    expect((await writer.putAll(entries)).outcomes.every((o) => o === 'stored')).toBe(true);
  });

  for (const f of FIXTURES) {
    it(`${f.file} (${f.syntax})`, async () => {
      const thumb = await api.thumbnail(JOB, f.file, SIZE);
      expect(thumb, 'a thumbnail').toBeDefined();
      const step = Math.ceil(Math.max(f.width, f.height) / SIZE);
      expect([thumb!.width, thumb!.height]).toEqual([
        Math.ceil(f.width / step),
        Math.ceil(f.height / step),
      ]);
      expect(thumb!.components).toBe(f.samples);
      const got = new Uint8Array(thumb!.data);
      const want = everyNth(f, await bytesOf(f.reference), step);
      expect(got.length).toBe(want.length);
      if (f.lossy && f.contentType === 'image/jxl') {
        let differing = 0;
        let maxDiff = 0;
        for (let i = 0; i < got.length; i++) {
          const d = Math.abs(got[i]! - want[i]!);
          if (d) differing++;
          maxDiff = Math.max(maxDiff, d);
        }
        expect(maxDiff).toBeLessThanOrEqual(16);
        expect(differing / got.length).toBeLessThanOrEqual(0.02);
      } else expect(got).toEqual(want);
    });
  }
});
