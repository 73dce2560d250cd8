/**
 * Turns decoded pixels into RGBA for a canvas: rescale slope/intercept, a linear VOI window,
 * MONOCHROME1 inversion, RGB pass-through. Pure, so it is tested against hand-computed values.
 */
import type { PixelDescription } from './plan';
import type { DecodedPixels } from './protocol';

export interface Window {
  center: number;
  width: number;
}

/** Typed view of decoded samples by their bit depth and signedness. */
export function sampleView(p: DecodedPixels): Uint8Array | Uint16Array | Int16Array {
  if (p.bitsPerSample <= 8) return new Uint8Array(p.data);
  return p.signed ? new Int16Array(p.data) : new Uint16Array(p.data);
}

/**
 * Runs the viewer's pixel code once on a blank 256×256 16-bit frame (the table path of toRgba),
 * so the first real frame does not pay for its first run (V8 compiles on use). About 3 ms.
 */
export function warmRendering(): void {
  const side = 256;
  const blank: DecodedPixels = {
    width: side,
    height: side,
    bitsPerSample: 16,
    signed: false,
    components: 1,
    data: new ArrayBuffer(side * side * 2),
  };
  const window = defaultWindow(blank, undefined, sampledRange(blank));
  toRgba(blank, undefined, window, new Uint8ClampedArray(side * side * 4));
}

/**
 * The smallest and largest stored value among at most `samples` pixels spread evenly over the frame
 * (first component): an estimate of the frame's range for a first window (`samples = Infinity`:
 * every pixel, the exact range). A full scan of a 512² frame by code the page has not run yet took
 * 12 ms of the first preview's 23 ms task.
 */
export function sampledRange(p: DecodedPixels, samples = 4096): { min: number; max: number } {
  const v = sampleView(p);
  const pixels = Math.floor(v.length / p.components);
  const step = Math.max(1, Math.floor(pixels / samples));
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pixels; i += step) {
    const x = v[i * p.components]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return pixels > 0 ? { min, max } : { min: 0, max: 0 };
}

/** A window covering every rescaled value in the frame. */
export function fullRangeWindow(
  p: DecodedPixels,
  desc?: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept'>,
): Window {
  return minMaxWindow(p, desc);
}

/**
 * Writes RGBA into `out` (width × height × 4). Greyscale uses the DICOM linear VOI function
 * (PS3.3 C.11.2.1.2) on rescaled values; MONOCHROME1 is inverted; RGB is copied.
 */
export function toRgba(
  p: DecodedPixels,
  desc: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept' | 'photometric'> | undefined,
  window: Window,
  out: Uint8ClampedArray,
): void {
  const n = p.width * p.height;
  const v = sampleView(p);
  if (p.components >= 3) {
    for (let i = 0, j = 0; i < n; i++, j += p.components) {
      out[i * 4] = v[j]!;
      out[i * 4 + 1] = v[j + 1]!;
      out[i * 4 + 2] = v[j + 2]!;
      out[i * 4 + 3] = 255;
    }
    return;
  }
  const voi = voiOf(desc, window);
  const offset = v instanceof Int16Array ? 32768 : 0;
  const size = v instanceof Uint8Array ? 256 : 65536;
  if (n >= size && out.byteOffset % 4 === 0) {
    // One lookup per pixel: every stored value's RGBA from a table built with the VOI function,
    // written with one 32-bit store. Per pixel arithmetic and four byte stores took 3 ms of the
    // first frame's main-thread task (512²).
    const lut = greyTable(size, offset, voi);
    const out32 = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) out32[i] = lut[v[i]! + offset]!;
    return;
  }
  // Fewer pixels than table entries (thumbnails), or an output not 4-byte aligned: per pixel.
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    out[o] = out[o + 1] = out[o + 2] = grey(v[i]!, voi);
    out[o + 3] = 255;
  }
}

interface Voi {
  slope: number;
  intercept: number;
  invert: boolean;
  c: number;
  w: number;
  lo: number;
  hi: number;
}

/** The DICOM linear VOI function's terms for a description and window. */
function voiOf(
  desc: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept' | 'photometric'> | undefined,
  window: Window,
): Voi {
  const c = window.center - 0.5;
  const w = Math.max(1, window.width) - 1;
  return {
    slope: desc?.rescaleSlope ?? 1,
    intercept: desc?.rescaleIntercept ?? 0,
    invert: desc?.photometric === 'MONOCHROME1',
    c,
    w,
    lo: c - w / 2,
    hi: c + w / 2,
  };
}

/** A stored value's grey, 0…255: rescaled, through the VOI window, MONOCHROME1 inverted. */
function grey(stored: number, f: Voi): number {
  const x = stored * f.slope + f.intercept;
  const y = x <= f.lo ? 0 : x > f.hi ? 255 : ((x - f.c) / f.w + 0.5) * 255;
  return f.invert ? 255 - y : y;
}

let table = new Uint32Array(0);

/** RGBA (as the platform's 32-bit words) of stored values -offset … size-1-offset. Reused. */
function greyTable(size: number, offset: number, voi: Voi): Uint32Array {
  if (table.length < size) table = new Uint32Array(size);
  const bytes = new Uint8ClampedArray(table.buffer, 0, size * 4);
  for (let k = 0; k < size; k++) {
    const o = k * 4;
    bytes[o] = bytes[o + 1] = bytes[o + 2] = grey(k - offset, voi);
    bytes[o + 3] = 255;
  }
  return table;
}

/** The data range (from the metadata's MinPixelValue/MaxPixelValue, else the pixels), rescaled. */
export function minMaxWindow(
  p: DecodedPixels,
  desc?: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept'>,
  range?: { min: number; max: number },
): Window {
  // Without the metadata's range: every pixel's.
  const { min, max } = range ?? sampledRange(p, Infinity);
  const slope = desc?.rescaleSlope ?? 1;
  const intercept = desc?.rescaleIntercept ?? 0;
  const a = min * slope + intercept;
  const b = max * slope + intercept;
  return { center: (a + b) / 2, width: Math.max(1, Math.abs(b - a)) };
}

/** The window used until the user picks one: the first DICOM preset, else min/max. */
export function defaultWindow(
  p: DecodedPixels,
  desc?: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept' | 'windows'>,
  range?: { min: number; max: number },
): Window {
  return desc?.windows[0] ?? minMaxWindow(p, desc, range);
}
