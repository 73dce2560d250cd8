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

/** A window covering every rescaled value in the frame. */
export function fullRangeWindow(
  p: DecodedPixels,
  desc?: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept'>,
): Window {
  const v = sampleView(p);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i += p.components) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const slope = desc?.rescaleSlope ?? 1;
  const intercept = desc?.rescaleIntercept ?? 0;
  const a = min * slope + intercept;
  const b = max * slope + intercept;
  return { center: (a + b) / 2, width: Math.max(1, Math.abs(b - a)) };
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
  const slope = desc?.rescaleSlope ?? 1;
  const intercept = desc?.rescaleIntercept ?? 0;
  const invert = desc?.photometric === 'MONOCHROME1';
  const c = window.center - 0.5;
  const w = Math.max(1, window.width) - 1;
  const lo = c - w / 2;
  const hi = c + w / 2;
  for (let i = 0; i < n; i++) {
    const x = v[i]! * slope + intercept;
    let y = x <= lo ? 0 : x > hi ? 255 : ((x - c) / w + 0.5) * 255;
    if (invert) y = 255 - y;
    const o = i * 4;
    out[o] = out[o + 1] = out[o + 2] = y;
    out[o + 3] = 255;
  }
}

/** The data range (from the metadata's MinPixelValue/MaxPixelValue, else the pixels), rescaled. */
export function minMaxWindow(
  p: DecodedPixels,
  desc?: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept'>,
  range?: { min: number; max: number },
): Window {
  if (!range) return fullRangeWindow(p, desc);
  const slope = desc?.rescaleSlope ?? 1;
  const intercept = desc?.rescaleIntercept ?? 0;
  const a = range.min * slope + intercept;
  const b = range.max * slope + intercept;
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
