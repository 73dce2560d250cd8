/**
 * The one module that touches the HTJ2K codec (OpenJPH compiled to WASM with SIMD). It loads the
 * module once per worker from an explicit URL, reuses one decoder for every frame, and checks the
 * decoder's last error after every call (it never throws, and on bad input it leaves the previous
 * frame's pixels in place); a codestream cut short, which it decodes without complaint, is caught
 * before it. Decoded pixels are returned as a view into the WASM heap: the caller checksums it
 * there and copies out only what it keeps.
 */
import createOpenJph, { type HTJ2KDecoder, type OpenJphModule } from '@cornerstonejs/codec-openjph';
import wasmUrl from '@cornerstonejs/codec-openjph/wasm?url';
import type { Codec, DecodedView } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';
import { crc32, loadCrc32 } from '../../src/core/crc32';
import { j2kTruncation } from './checks';
import { WARMUP_CODESTREAM, WARMUP_CRC32 } from './warmup';

export type { DecodedView };

let codec: Promise<OpenJphModule> | undefined;
let decoder: HTJ2KDecoder | undefined;

/** Loads the codec once; later calls return the same module. */
export function loadCodec(): Promise<OpenJphModule> {
  codec ??= createOpenJph({
    locateFile: (path) => (path.endsWith('.wasm') ? wasmUrl : path),
    // The codec prints OpenJPH's warnings on stderr; errors are read with getLastErrorMessage().
    print: () => {},
    printErr: () => {},
  }).then((m) => {
    decoder = new m.HTJ2KDecoder();
    return m;
  });
  return codec;
}

/**
 * Decodes `codestream` at `decompositionLevel` (0 = full resolution).
 * @throws RetrieveError DecodeFailed with the decoder's own message.
 */
export function decode(codestream: Uint8Array, decompositionLevel = 0): DecodedView {
  if (!decoder) throw new Error('codec not loaded: call loadCodec first');
  // A low resolution of a cut-short codestream may be whole; the full one is not.
  const cut = decompositionLevel === 0 ? j2kTruncation(codestream) : undefined;
  if (cut) throw new RetrieveError('DecodeFailed', `HTJ2K decode failed: ${cut}`);
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  if (decompositionLevel === 0) decoder.decode();
  else decoder.decodeSubResolution(decompositionLevel);
  const error = decoder.getLastErrorMessage();
  if (error) throw new RetrieveError('DecodeFailed', `HTJ2K decode failed: ${error.trim()}`);
  const info = decoder.getFrameInfo();
  const size =
    decompositionLevel === 0
      ? { width: info.width, height: info.height }
      : decoder.calculateSizeAtDecompositionLevel(decompositionLevel);
  const pixels = decoder.getDecodedBuffer();
  const expected =
    size.width * size.height * info.componentCount * (info.bitsPerSample <= 8 ? 1 : 2);
  if (pixels.length !== expected) {
    throw new RetrieveError(
      'DecodeFailed',
      `HTJ2K decode produced ${pixels.length} bytes, expected ${expected}`,
    );
  }
  return {
    width: size.width,
    height: size.height,
    bitsPerSample: info.bitsPerSample,
    signed: info.isSigned,
    components: info.componentCount,
    pixels,
  };
}

/**
 * Loads the codec and the CRC-32 and decodes a small known codestream (see warmup.ts): its WASM
 * functions are compiled before a real frame waits for them.
 * @throws RetrieveError DecodeFailed when the known answer does not come out (a broken codec or
 * CRC-32 in this browser), before any frame is fetched.
 */
export async function warmUp(): Promise<OpenJphModule> {
  const [m] = await Promise.all([loadCodec(), loadCrc32()]);
  const bytes = Uint8Array.from(atob(WARMUP_CODESTREAM), (c) => c.charCodeAt(0));
  const got = crc32(decode(bytes).pixels);
  if (got !== WARMUP_CRC32)
    throw new RetrieveError(
      'DecodeFailed',
      `The HTJ2K codec's self-test failed in this browser (CRC-32 ${got}, expected ${WARMUP_CRC32})`,
    );
  return m;
}

/** Bytes the WASM heap holds now: tests watch it stay flat over thousands of decodes. */
export function heapBytes(): number {
  if (!decoder) return 0;
  return decoder.getDecodedBuffer().buffer.byteLength;
}

/**
 * Decodes the smallest resolution whose larger side is still at least `maxSize` (or the smallest
 * the codestream has): a thumbnail costs a fraction of a full decode, since HTJ2K stores
 * resolutions separately. Returns the same heap view as decode().
 */
export function decodeThumbnail(codestream: Uint8Array, maxSize: number): DecodedView {
  if (!decoder) throw new Error('codec not loaded: call loadCodec first');
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  decoder.readHeader();
  const error = decoder.getLastErrorMessage();
  if (error) throw new RetrieveError('DecodeFailed', `HTJ2K header unreadable: ${error.trim()}`);
  const info = decoder.getFrameInfo();
  let level = 0;
  const levels = decoder.getNumDecompositions();
  while (level < levels && Math.max(info.width, info.height) / 2 ** (level + 1) >= maxSize) level++;
  return decode(codestream, level);
}

/** HTJ2K (lossless .4.201/.4.202, RPCL-constrained .4.203) as a codec of the registry. */
export const htj2kCodec: Codec = {
  name: 'HTJ2K',
  contentTypes: ['image/jph', 'image/jphc'],
  syntaxes: ['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203'],
  needsGeometry: false,
  load: () => loadCodec().then(() => undefined),
  decode: (bytes) => decode(bytes),
  thumbnail: (bytes, _info, maxSize) => decodeThumbnail(bytes, maxSize),
  heapBytes,
};
