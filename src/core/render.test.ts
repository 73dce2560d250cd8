import { describe, expect, it } from 'vitest';
import type { DecodedPixels } from './protocol';
import { defaultWindow, fullRangeWindow, minMaxWindow, sampledRange, toRgba } from './render';

const grey16 = (values: number[], signed = false): DecodedPixels => ({
  width: values.length,
  height: 1,
  bitsPerSample: 16,
  signed,
  components: 1,
  data: (signed ? Int16Array.from(values) : Uint16Array.from(values)).buffer,
});

const reds = (
  p: DecodedPixels,
  desc: Parameters<typeof toRgba>[1],
  w: { center: number; width: number },
) => {
  const out = new Uint8ClampedArray(p.width * p.height * 4);
  toRgba(p, desc, w, out);
  return [...out].filter((_, i) => i % 4 === 0);
};

describe('rendering decoded pixels', () => {
  it('applies rescale then the DICOM linear window (CT soft tissue: 40 / 400)', () => {
    const p = grey16([0, 824, 1064, 1264, 4095]); // HU -1024, -200, 40, 240, 3071
    expect(
      reds(
        p,
        { rescaleSlope: 1, rescaleIntercept: -1024, photometric: 'MONOCHROME2' },
        { center: 40, width: 400 },
      ),
    ).toEqual([0, 0, 128, 255, 255]);
  });

  it('inverts MONOCHROME1', () => {
    const p = grey16([0, 1000]);
    expect(
      reds(
        p,
        { rescaleSlope: 1, rescaleIntercept: 0, photometric: 'MONOCHROME1' },
        { center: 500, width: 1000 },
      ),
    ).toEqual([255, 0]);
  });

  it('reads signed samples', () => {
    const p = grey16([-2000, 0, 2000], true);
    expect(reds(p, undefined, { center: 0, width: 4000 })).toEqual([0, 128, 255]);
  });

  it('copies RGB', () => {
    const p: DecodedPixels = {
      width: 2,
      height: 1,
      bitsPerSample: 8,
      signed: false,
      components: 3,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]).buffer,
    };
    const out = new Uint8ClampedArray(8);
    toRgba(p, undefined, { center: 0, width: 1 }, out);
    expect([...out]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('gives every stored value the grey of the DICOM linear VOI function, at any offset in memory', () => {
    // The per-pixel formula, written out, against the table toRgba looks values up in.
    const voi = (x: number, slope: number, icpt: number, w: { center: number; width: number }) => {
      const c = w.center - 0.5;
      const ww = Math.max(1, w.width) - 1;
      const v = x * slope + icpt;
      // stored as ImageData stores it: clamped, rounded half to even
      return Uint8ClampedArray.of(
        v <= c - ww / 2 ? 0 : v > c + ww / 2 ? 255 : ((v - c) / ww + 0.5) * 255,
      )[0];
    };
    const cases = [
      { values: Array.from({ length: 65536 }, (_, i) => i), signed: false, bits: 16 },
      { values: Array.from({ length: 65536 }, (_, i) => i - 32768), signed: true, bits: 16 },
      { values: Array.from({ length: 256 }, (_, i) => i), signed: false, bits: 8 },
    ];
    const w = { center: 37.5, width: 301 };
    for (const { values, signed, bits } of cases) {
      const data =
        bits === 8
          ? Uint8Array.from(values).buffer
          : (signed ? Int16Array.from(values) : Uint16Array.from(values)).buffer;
      const p = {
        width: values.length,
        height: 1,
        bitsPerSample: bits,
        signed,
        components: 1,
        data,
      };
      const want = values.map((x) => voi(x, 0.5, -20, w));
      for (const shift of [0, 1]) {
        const out = new Uint8ClampedArray(values.length * 4 + shift).subarray(shift);
        toRgba(p, { rescaleSlope: 0.5, rescaleIntercept: -20, photometric: 'MONOCHROME2' }, w, out);
        const got = values.map((_, i) => out[i * 4]);
        const mismatch = got.findIndex((g, i) => g !== want[i]);
        expect(mismatch, `${bits}-bit ${signed ? 'signed' : 'unsigned'}, shift ${shift}`).toBe(-1);
        expect(out[1]).toBe(out[0]);
        expect(out[2]).toBe(out[0]);
        expect(out[values.length * 4 - 1]).toBe(255);
      }
    }
  });

  it('finds the full-range window in rescaled units', () => {
    expect(
      fullRangeWindow(grey16([100, 300]), { rescaleSlope: 2, rescaleIntercept: -100 }),
    ).toEqual({ center: 300, width: 400 });
  });
});

describe('default windows', () => {
  const pixels = {
    width: 2,
    height: 1,
    bitsPerSample: 16,
    signed: false,
    components: 1,
    data: new Uint16Array([100, 300]).buffer,
  };
  const desc = { rescaleSlope: 2, rescaleIntercept: -1000, windows: [] };

  it('prefers the first DICOM preset', () => {
    expect(defaultWindow(pixels, { ...desc, windows: [{ center: 40, width: 400 }] })).toEqual({
      center: 40,
      width: 400,
    });
  });

  it('falls back to the metadata range, rescaled, then to the pixels', () => {
    // MinPixelValue 0, MaxPixelValue 1000 → -1000 … 1000
    expect(defaultWindow(pixels, desc, { min: 0, max: 1000 })).toEqual({ center: 0, width: 2000 });
    // pixels 100 … 300 → -800 … -400
    expect(minMaxWindow(pixels, desc)).toEqual({ center: -600, width: 400 });
  });
});

describe('sampled range', () => {
  it('is exact when the frame has no more pixels than samples, signed values included', () => {
    expect(sampledRange(grey16([5, -300, 7, 1200, 0], true), 8)).toEqual({ min: -300, max: 1200 });
  });

  it('reads evenly spaced pixels of a large frame, first component only', () => {
    // 1,000 pixels, 10 samples: every 100th pixel (0, 100, … 900) is read, the rest not.
    const values = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? 500 + i : 9999));
    expect(sampledRange(grey16(values), 10)).toEqual({ min: 500, max: 1400 });
    const rgb: DecodedPixels = {
      width: 2,
      height: 1,
      bitsPerSample: 8,
      signed: false,
      components: 3,
      data: Uint8Array.from([10, 255, 255, 20, 0, 0]).buffer,
    };
    expect(sampledRange(rgb)).toEqual({ min: 10, max: 20 });
  });
});
