/** What every codec checks of a decoder's output before anyone reads it. */
import type { DecodedView } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';

interface DecoderFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

/**
 * The decoder's pixels as a view, after checking that they are the size its frame info says (a
 * decoder that failed half-way can leave either stale).
 * @throws RetrieveError DecodeFailed
 */
export function checkedView(name: string, info: DecoderFrameInfo, pixels: Uint8Array): DecodedView {
  const expected =
    info.width * info.height * info.componentCount * (info.bitsPerSample <= 8 ? 1 : 2);
  if (expected === 0 || pixels.length !== expected)
    throw new RetrieveError(
      'DecodeFailed',
      `${name} decode produced ${pixels.length} bytes, expected ${expected} (${info.width}×${info.height}×${info.componentCount})`,
    );
  return {
    // OpenJPEG hands back a Uint8ClampedArray: the same bytes, seen as a plain Uint8Array.
    width: info.width,
    height: info.height,
    bitsPerSample: info.bitsPerSample,
    signed: info.isSigned,
    components: info.componentCount,
    pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length),
  };
}
