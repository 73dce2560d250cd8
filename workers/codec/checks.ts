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

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => u16(b, i) * 0x10000 + u16(b, i + 2);

/**
 * Why a JPEG 2000 family codestream (HTJ2K included) is cut short, or undefined when its tile-parts
 * add up: each SOT marker's Psot says how long its tile-part is, and the last one ends at the EOC
 * marker. OpenJPH decodes a truncated codestream without an error (what is missing comes out as
 * zeros), so the HTJ2K codec asks this before it believes the pixels. A layout it does not follow
 * is left to the decoder.
 */
export function j2kTruncation(b: Uint8Array): string | undefined {
  const len = b.length;
  const endsWithEoc = len >= 2 && u16(b, len - 2) === 0xffd9;
  const noEoc = `the codestream (${len} bytes) has no end-of-codestream marker: it was cut short`;
  // The main header's marker segments, after SOC, up to the first SOT.
  let i = 2;
  while (i + 4 <= len && u16(b, i) !== 0xff90) {
    if (b[i] !== 0xff) return undefined;
    i += 2 + u16(b, i + 2);
  }
  if (i + 12 > len) return `the codestream (${len} bytes) ends inside its main header`;
  while (i + 12 <= len && u16(b, i) === 0xff90) {
    const psot = u32(b, i + 6);
    if (psot === 0) return endsWithEoc ? undefined : noEoc;
    if (i + psot > len)
      return `a tile-part of ${psot} bytes starts at byte ${i}, but the codestream ends at ${len}: it was cut short`;
    i += psot;
  }
  if (i + 2 <= len && u16(b, i) === 0xffd9) return undefined;
  return i >= len ? noEoc : undefined;
}
