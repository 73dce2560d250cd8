/**
 * Uncompressed frames (application/octet-stream, Explicit VR Little Endian 1.2.840.10008.1.2.1):
 * the body is the pixels, little-endian and interleaved; their size comes from the metadata.
 * Binary segmentations are 1 bit per pixel, packed (core/bits.ts unpacks them for display); the
 * view keeps the bytes as sent, which is what AHI's checksum covers.
 */
import type { Codec, DecodedView, FrameInfo } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';

export const uncompressedCodec: Codec = {
  name: 'uncompressed',
  contentTypes: ['application/octet-stream'],
  syntaxes: ['1.2.840.10008.1.2.1'],
  needsGeometry: true,
  load: () => Promise.resolve(),
  decode(bytes: Uint8Array, { geometry: g }: FrameInfo): DecodedView {
    const bits = g?.bitsAllocated ?? 16;
    const expected = g ? Math.ceil((g.width * g.height * g.samples * bits) / 8) : bytes.length;
    if (g && bytes.length < expected)
      throw new RetrieveError(
        'DecodeFailed',
        `Uncompressed frame of ${bytes.length} bytes, its metadata says ${g.width}×${g.height}×${g.samples} at ${bits} bits (${expected} bytes)`,
      );
    return {
      width: g?.width ?? 0,
      height: g?.height ?? 0,
      bitsPerSample: bits,
      signed: g?.signed ?? false,
      components: g?.samples ?? 1,
      // A body padded to an even length (as DICOM pads odd-length pixel data) ends at its pixels.
      pixels: bytes.subarray(0, expected),
    };
  },
};
