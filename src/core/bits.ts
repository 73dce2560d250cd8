/**
 * 1-bit frames (binary segmentations, stored uncompressed): DICOM packs 8 pixels per byte, the
 * first pixel in the lowest bit (PS3.5 8.1.1). Verification and raw exports use the bytes as AHI
 * sent them; the viewer needs one sample per pixel.
 */
import type { DecodedView } from './codec';

/** One 8-bit sample (0 or 1) per pixel of a 1-bit view; other views as they are. */
export function unpackBits(view: DecodedView): DecodedView {
  if (view.bitsPerSample !== 1) return view;
  const n = view.width * view.height * view.components;
  const out = new Uint8Array(n);
  const packed = view.pixels;
  for (let i = 0; i < n; i++) out[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  return { ...view, bitsPerSample: 8, pixels: out };
}
