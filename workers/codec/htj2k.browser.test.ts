/**
 * Golden decode test in real Chromium: every real HTJ2K fixture decodes, through the app's own
 * codec module (WASM, SIMD), to exactly its reference pixels: byte for byte where a .RAW reference
 * exists, by CRC-32 (computed independently from the reference decoder, see fixtures/README.md)
 * otherwise. Also: bad input is reported, not silently decoded; the heap stays flat.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32, loadCrc32 } from '../../src/core/crc32';
import { decode, decodeThumbnail, heapBytes, loadCodec, warmUp } from './htj2k';
import { WARMUP_CODESTREAM, WARMUP_CRC32 } from './warmup';

const fixtures = import.meta.glob('../../ahi-server/fixtures/htj2k/*', {
  query: '?url',
  import: 'default',
  eager: true,
});

async function fixture(name: string): Promise<Uint8Array> {
  const url = fixtures[`../../ahi-server/fixtures/htj2k/${name}`];
  if (!url) throw new Error(`no fixture ${name}`);
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

// name, width, height, components, bits, signed, CRC-32 of the decoded pixels, has a .RAW reference
const GOLDEN: [string, number, number, number, number, boolean, number, boolean][] = [
  ['CT1', 512, 512, 1, 16, true, 1052635650, true],
  ['CT2', 512, 512, 1, 16, true, 2786021262, true],
  ['MR1', 512, 512, 1, 16, true, 1848501786, true],
  ['MR2', 1024, 1024, 1, 16, false, 3637549151, true],
  ['MR3', 512, 512, 1, 16, true, 1818224219, true],
  ['MR4', 512, 512, 1, 16, false, 3332155034, true],
  ['NM1', 256, 1024, 1, 16, true, 2311178399, true],
  ['US1', 640, 480, 3, 8, false, 355729053, true],
  ['VL1', 756, 486, 3, 8, false, 3634689670, true],
  ['XA1', 1024, 1024, 1, 16, false, 2383826467, true],
  ['RG2', 1760, 2140, 1, 16, false, 4095870615, false],
  ['RG3', 1760, 1760, 1, 16, false, 2084517428, false],
  ['SC1', 2048, 2487, 1, 16, false, 2742091639, false],
];

describe('HTJ2K codec in the browser', () => {
  beforeAll(() => loadCrc32());

  it('loads the WASM build with SIMD', async () => {
    const m = await loadCodec();
    expect(m.getSIMDLevel()).toBeGreaterThan(0);
  });

  it('warms up on its known 32×32 12-bit codestream, whose pixels match their CRC-32', async () => {
    await warmUp();
    const view = decode(Uint8Array.from(atob(WARMUP_CODESTREAM), (c) => c.charCodeAt(0)));
    expect([view.width, view.height, view.bitsPerSample, view.components]).toEqual([32, 32, 12, 1]);
    expect(crc32(view.pixels)).toBe(WARMUP_CRC32);
  });

  it.each(GOLDEN)(
    '%s decodes to its reference pixels',
    async (name, width, height, components, bits, signed, checksum, hasRaw) => {
      await loadCodec();
      const view = decode(await fixture(`${name}.j2c`));
      expect({
        width: view.width,
        height: view.height,
        components: view.components,
        bits: view.bitsPerSample,
        signed: view.signed,
      }).toEqual({
        width,
        height,
        components,
        bits,
        signed,
      });
      expect(crc32(view.pixels)).toBe(checksum);
      if (hasRaw) {
        const raw = await fixture(`${name}.RAW`);
        const pixels = view.pixels.slice();
        expect(pixels.length).toBe(raw.length);
        let firstDiff = -1;
        for (let i = 0; i < raw.length; i++) {
          if (raw[i] !== pixels[i]) {
            firstDiff = i;
            break;
          }
        }
        expect(firstDiff).toBe(-1);
      }
    },
  );

  it('decodes sub-resolutions (thumbnails) to the documented CRC-32s', async () => {
    await loadCodec();
    const ct1 = await fixture('CT1.j2c');
    const small = decode(ct1, 3);
    expect([small.width, small.height]).toEqual([64, 64]);
    expect(crc32(small.pixels)).toBe(2235891031);
    const vl1 = decode(await fixture('VL1.j2c'), 2);
    expect([vl1.width, vl1.height]).toEqual([189, 122]);
    expect(crc32(vl1.pixels)).toBe(3214984182);
  });

  it('decodes thumbnails at the smallest resolution that still fills the requested size', async () => {
    await loadCodec();
    const ct1 = decodeThumbnail(await fixture('CT1.j2c'), 128);
    expect([ct1.width, ct1.height]).toEqual([128, 128]);
    expect(crc32(ct1.pixels)).toBe(2361158747);
    const rg2 = decodeThumbnail(await fixture('RG2.j2c'), 100);
    expect([rg2.width, rg2.height]).toEqual([110, 134]);
    expect(crc32(rg2.pixels)).toBe(1316411075);
    // Smaller than the coarsest level: the coarsest level.
    const tiny = decodeThumbnail(await fixture('NM1.j2c'), 4);
    expect([tiny.width, tiny.height]).toEqual([8, 32]);
  });

  it('reports garbage and a header-less stream as DecodeFailed instead of returning stale pixels', async () => {
    await loadCodec();
    decode(await fixture('CT1.j2c'));
    expect(() => decode(new Uint8Array(100).fill(7))).toThrow(/HTJ2K decode failed/);
    let caught: unknown;
    try {
      decode(new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 1]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'RetrieveError', code: 'DecodeFailed' });
  });

  it('a codestream cut short fails with DecodeFailed (OpenJPH alone would fill the rest with zeros)', async () => {
    await loadCodec();
    for (const [name] of GOLDEN) {
      const whole = await fixture(`${name}.j2c`);
      for (const cut of [whole.length >> 2, whole.length >> 1, whole.length - 2]) {
        expect(() => decode(whole.subarray(0, cut)), `${name} cut to ${cut} bytes`).toThrow(
          /HTJ2K decode failed: .*cut short/,
        );
      }
      // The whole codestream still decodes.
      expect(() => decode(whole)).not.toThrow();
    }
  });

  it('keeps the WASM heap flat over 3,000 decodes', async () => {
    await loadCodec();
    const frames = [await fixture('CT1.j2c'), await fixture('MR4.j2c'), await fixture('US1.j2c')];
    for (let i = 0; i < 30; i++) decode(frames[i % 3]!);
    const before = heapBytes();
    for (let i = 0; i < 3000; i++) decode(frames[i % 3]!);
    expect(heapBytes()).toBe(before);
  });
});
