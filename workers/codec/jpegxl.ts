/**
 * JPEG XL (.4.112, `image/jxl`): libjxl's decoder compiled to WASM by Squoosh, as packaged by
 * @jsquash/jxl. Loaded once per worker from an explicit URL. Its decoder hands back 8-bit RGBA
 * (an ImageData) whatever the codestream holds, so frames of more than 8 bits per sample cannot
 * be decoded faithfully here: they fail with UnsupportedSyntax, never with rounded pixels.
 * Greyscale frames keep one sample per pixel (R of the RGBA), colour frames three (RGB).
 */
import { init } from '@jsquash/jxl/decode';
import type { JXLModule } from '@jsquash/jxl/codec/dec/jxl_dec';
import wasmUrl from '@jsquash/jxl/codec/dec/jxl_dec.wasm?url';
import type { Codec, DecodedView, FrameInfo } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';

let loading: Promise<JXLModule> | undefined;
let module: JXLModule | undefined;
/** reused output buffer (the decoder allocates a fresh ImageData per frame) */
let out = new Uint8Array(0);

function load(): Promise<void> {
  loading ??= init({
    locateFile: (path: string) => (path.endsWith('.wasm') ? wasmUrl : path),
  }).then((m) => (module = m));
  return loading.then(() => undefined);
}

/**
 * @param samples samples per pixel the metadata gives (1 greyscale, 3 colour); default 1
 * @throws RetrieveError DecodeFailed, or UnsupportedSyntax for more than 8 bits per sample
 */
export function decodeJpegXl(bytes: Uint8Array, { geometry }: FrameInfo = {}): DecodedView {
  if (!module) throw new Error('JPEG XL codec not loaded: call load first');
  if ((geometry?.bitsAllocated ?? 8) > 8)
    throw new RetrieveError(
      'UnsupportedSyntax',
      `This JPEG XL decoder gives 8 bits per sample; the frame has ${geometry?.bitsAllocated}: it is kept as received in the jph format`,
    );
  let image: ImageData | null;
  try {
    image = module.decode(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new RetrieveError('DecodeFailed', `JPEG XL decode failed (${String(e)})`);
  }
  if (!image)
    throw new RetrieveError('DecodeFailed', 'JPEG XL decode failed: libjxl refused the data');
  const samples = geometry?.samples === 3 ? 3 : 1;
  const n = image.width * image.height;
  if (out.length < n * samples) out = new Uint8Array(n * samples);
  const rgba = image.data;
  const pixels = out.subarray(0, n * samples);
  if (samples === 1) for (let i = 0; i < n; i++) pixels[i] = rgba[i * 4]!;
  else
    for (let i = 0; i < n; i++) {
      pixels[i * 3] = rgba[i * 4]!;
      pixels[i * 3 + 1] = rgba[i * 4 + 1]!;
      pixels[i * 3 + 2] = rgba[i * 4 + 2]!;
    }
  return {
    width: image.width,
    height: image.height,
    bitsPerSample: 8,
    signed: false,
    components: samples,
    pixels,
  };
}

export const jpegXlCodec: Codec = {
  name: 'JPEG XL',
  contentTypes: ['image/jxl'],
  syntaxes: ['1.2.840.10008.1.2.4.110', '1.2.840.10008.1.2.4.111', '1.2.840.10008.1.2.4.112'],
  needsGeometry: false,
  load,
  decode: decodeJpegXl,
  heapBytes: () => (module as { HEAPU8?: Uint8Array } | undefined)?.HEAPU8?.buffer.byteLength ?? 0,
};
