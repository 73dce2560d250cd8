/**
 * Uncompressed frames (application/octet-stream, Explicit VR Little Endian 1.2.840.10008.1.2.1):
 * the body is the pixels, little-endian and interleaved; their size comes from the metadata.
 */
import type { Codec, DecodedView, FrameInfo } from '../../src/core/codec';

export const uncompressedCodec: Codec = {
  name: 'uncompressed',
  contentTypes: ['application/octet-stream'],
  syntaxes: ['1.2.840.10008.1.2.1'],
  needsGeometry: true,
  load: () => Promise.resolve(),
  decode(bytes: Uint8Array, { geometry: g }: FrameInfo): DecodedView {
    return {
      width: g?.width ?? 0,
      height: g?.height ?? 0,
      bitsPerSample: g?.bitsAllocated ?? 16,
      signed: g?.signed ?? false,
      components: g?.samples ?? 1,
      pixels: bytes,
    };
  },
};
