/**
 * JPEG baseline, 8 bits (.4.50, `image/jpeg`), greyscale and colour: libjpeg-turbo compiled to
 * WASM (@cornerstonejs/codec-libjpeg-turbo-8bit, its decoder-only build). Loaded once per worker,
 * one decoder reused. Colour frames come out RGB, interleaved: libjpeg-turbo converts the
 * YCbCr a YBR_FULL_422 (or YBR_FULL) frame is coded in, as DICOM PS3.5 8.2.1 expects of a JPEG
 * decoder; an RGB-coded frame (Adobe marker) stays RGB. On bad input decode() throws a bare number.
 */
import createLibJpegTurbo, {
  type JPEGDecoder,
  type LibJpegTurboModule,
} from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
import wasmUrl from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import type { Codec, DecodedView } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';
import { checkedView } from './checks';

let loading: Promise<LibJpegTurboModule> | undefined;
let decoder: JPEGDecoder | undefined;

function load(): Promise<void> {
  loading ??= createLibJpegTurbo({
    locateFile: (path) => (path.endsWith('.wasm') ? wasmUrl : path),
    print: () => {},
    printErr: () => {},
  }).then((m) => {
    decoder = new m.JPEGDecoder();
    return m;
  });
  return loading.then(() => undefined);
}

/** @throws RetrieveError DecodeFailed */
export function decodeJpeg(bytes: Uint8Array): DecodedView {
  if (!decoder) throw new Error('JPEG codec not loaded: call load first');
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
  } catch (e) {
    throw new RetrieveError(
      'DecodeFailed',
      `JPEG decode failed: libjpeg-turbo refused the data (${typeof e === 'number' ? `error ${e}` : String(e)})`,
    );
  }
  return checkedView('JPEG', decoder.getFrameInfo(), decoder.getDecodedBuffer());
}

export const jpegCodec: Codec = {
  name: 'JPEG baseline',
  contentTypes: ['image/jpeg'],
  syntaxes: ['1.2.840.10008.1.2.4.50'],
  needsGeometry: false,
  load,
  decode: (bytes) => decodeJpeg(bytes),
  heapBytes: () => decoder?.getDecodedBuffer().buffer.byteLength ?? 0,
};
