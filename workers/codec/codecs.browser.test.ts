/**
 * Golden decode tests in real Chromium for every syntax besides HTJ2K, through the registry the
 * workers use: each fixture (made by Debian's independent encoders, see
 * ahi-server/syntax-fixtures.ts) decodes to the independent decoder's pixels. Lossless: byte for
 * byte. Lossy: within a tolerance, and the test says how far and how often it differs (a lossy
 * frame whose pixels differ is what the app stores as "not verifiable"). Bad input gives
 * DecodeFailed, never the previous frame's pixels; the WASM heaps stay flat.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedView } from '../../src/core/codec';
import { unpackBits } from '../../src/core/bits';
import { crc32, loadCrc32 } from '../../src/core/crc32';
import { RetrieveError } from '../../src/core/errors';
import type { SyntaxFixture } from '../../ahi-server/syntax-fixtures';
import index from '../../ahi-server/fixtures/syntaxes/index.json';
import { codecFor } from './registry';

const urls = import.meta.glob('../../ahi-server/fixtures/syntaxes/*.{j2c,jpg,jxl,bin,raw}', {
  query: '?url',
  import: 'default',
  eager: true,
});
const ALL = index as SyntaxFixture[];
/** the fixtures the decoders here read (the others are kept as received, see the last test) */
const FIXTURES = ALL.filter((f) => !f.unsupported);

async function bytesOf(name: string): Promise<Uint8Array> {
  const url = urls[`../../ahi-server/fixtures/syntaxes/${name}`];
  if (!url) throw new Error(`no fixture ${name}`);
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

const info = (f: SyntaxFixture) => ({
  geometry: {
    width: f.width,
    height: f.height,
    bitsAllocated: f.bitsAllocated,
    signed: f.signed,
    samples: f.samples,
  },
  syntax: f.syntax,
});

/**
 * The largest difference between two sample arrays and how many samples differ. Lossy decoders
 * may round differently (float wavelets, colour conversion); a difference of a few grey levels is
 * a different decoder, not a damaged frame, which would differ by far more over many samples.
 */
function compare(a: Uint8Array, b: Uint8Array, bits: number) {
  let maxDiff = 0;
  let differing = 0;
  const step = bits > 8 ? 2 : 1;
  for (let i = 0; i < a.length; i += step) {
    const x = step === 2 ? a[i]! | (a[i + 1]! << 8) : a[i]!;
    const y = step === 2 ? b[i]! | (b[i + 1]! << 8) : b[i]!;
    const d = Math.abs(x - y);
    if (d > 0) differing++;
    if (d > maxDiff) maxDiff = d;
  }
  return { maxDiff, differing: differing / (a.length / step) };
}

/**
 * Lossy decoders may differ by this many levels (8-bit samples), in at most this share of samples.
 * Measured: OpenJPEG and libjpeg-turbo in WASM give Debian's pixels exactly (JPEG 2000 9/7, JPEG
 * 4:2:2); the WASM libjxl, newer than Debian's 0.7, differs by up to 11 levels in 0.67 % of the
 * samples of a lossy (-d 1) frame. Damage, or a wrong colour conversion, differs far more, in far
 * more samples.
 */
const LOSSY_TOLERANCE = { maxDiff: 16, differing: 0.02 };

beforeAll(async () => {
  await loadCrc32();
  for (const f of FIXTURES) await codecFor(f.contentType)!.load();
});

describe('every syntax decodes to the independent decoder’s pixels', () => {
  for (const f of FIXTURES) {
    it(`${f.file} (${f.syntax}, ${f.madeWith})`, async () => {
      const codec = codecFor(f.contentType);
      expect(codec, `a codec for ${f.contentType}`).toBeDefined();
      const view: DecodedView = codec!.decode(await bytesOf(f.file), info(f));
      expect([view.width, view.height, view.components]).toEqual([f.width, f.height, f.samples]);
      const reference = await bytesOf(f.reference);
      const pixels = view.pixels.slice();
      expect(pixels.length).toBe(reference.length);
      if (!f.lossy) {
        expect(crc32(pixels)).toBe(f.crc32);
        expect(pixels).toEqual(reference);
        return;
      }
      const d = compare(pixels, reference, f.bitsAllocated);
      // What the lossy decode gave, for the record (the closing note and README quote it).
      console.warn(
        `${f.file}: ${crc32(pixels) === f.crc32 ? 'identical to' : 'differs from'} the reference; max difference ${d.maxDiff}, ${(d.differing * 100).toFixed(2)} % of samples`,
      );
      expect(d.maxDiff).toBeLessThanOrEqual(LOSSY_TOLERANCE.maxDiff);
      expect(d.differing).toBeLessThanOrEqual(LOSSY_TOLERANCE.differing);
    });
  }

  for (const f of ALL.filter((x) => x.unsupported)) {
    it(`${f.file}: refused with UnsupportedSyntax (${f.unsupported}), never rounded`, async () => {
      const codec = codecFor(f.contentType)!;
      expect(() => codec.decode(new Uint8Array(8), info(f))).toThrow(RetrieveError);
      try {
        codec.decode(await bytesOf(f.file), info(f));
        expect.unreachable();
      } catch (e) {
        expect((e as RetrieveError).code).toBe('UnsupportedSyntax');
      }
    });
  }

  it('unpacks the 1-bit segmentation for display, 0 or 1 per pixel', async () => {
    const f = FIXTURES.find((x) => x.bitsAllocated === 1)!;
    const view = unpackBits(codecFor(f.contentType)!.decode(await bytesOf(f.file), info(f)));
    expect(view.pixels.length).toBe(f.width * f.height);
    const ones = view.pixels.reduce((n, v) => n + v, 0);
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(f.width * f.height);
  });
});

describe('bad input', () => {
  const compressed = FIXTURES.filter((f) => f.contentType !== 'application/octet-stream');
  for (const f of compressed) {
    it(`${f.contentType}: a truncated or foreign codestream fails with DecodeFailed, never the last frame's pixels`, async () => {
      const codec = codecFor(f.contentType)!;
      const good = await bytesOf(f.file);
      codec.decode(good, info(f));
      for (const bad of [
        good.subarray(0, good.length >> 2),
        new TextEncoder().encode('<html>not a frame</html>'),
      ]) {
        let error: unknown;
        let view: DecodedView | undefined;
        try {
          view = codec.decode(bad, info(f));
        } catch (e) {
          error = e;
        }
        expect(view, 'no pixels from a damaged codestream').toBeUndefined();
        expect(error).toBeInstanceOf(RetrieveError);
        expect((error as RetrieveError).code).toBe('DecodeFailed');
      }
      // And the codec still decodes a good frame after bad ones.
      const again = codec.decode(good, info(f)).pixels;
      if (!f.lossy) expect(crc32(again)).toBe(f.crc32);
    });
  }

  it('an uncompressed frame shorter than its metadata says fails with DecodeFailed', async () => {
    const f = FIXTURES.find((x) => x.contentType === 'application/octet-stream')!;
    const bytes = await bytesOf(f.file);
    expect(() => codecFor(f.contentType)!.decode(bytes.subarray(0, 100), info(f))).toThrow(
      /metadata says 512×512×1 at 1 bits/,
    );
  });
});

describe('memory', () => {
  for (const f of FIXTURES.filter((x) => x.contentType !== 'application/octet-stream')) {
    it(`${f.contentType}: the WASM heap stays flat over 100 decodes`, async () => {
      const codec = codecFor(f.contentType)!;
      const bytes = await bytesOf(f.file);
      for (let i = 0; i < 20; i++) codec.decode(bytes, info(f));
      const warm = codec.heapBytes?.() ?? 0;
      expect(warm, 'the codec reports its WASM memory').toBeGreaterThan(0);
      for (let i = 0; i < 100; i++) codec.decode(bytes, info(f));
      // The WASM memory does not grow once warm (a decoder per frame, never freed, would).
      expect(codec.heapBytes!()).toBe(warm);
    });
  }
});
