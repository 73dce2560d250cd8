/**
 * Classic JPEG 2000 (lossless .4.90, lossy .4.91; `image/j2c`): OpenJPEG compiled to WASM
 * (@cornerstonejs/codec-openjpeg, its decoder-only build). Loaded once per worker from an explicit
 * URL, one decoder reused for every frame. OpenJPEG never throws on bad input: it prints
 * "[ERROR] …" and leaves the previous frame's info and pixels in place, so every decode collects
 * what it printed and fails on an error line, never handing back stale pixels.
 */
import createOpenJpeg, {
  type J2KDecoder,
  type OpenJpegModule,
} from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import wasmUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import type { Codec, DecodedView } from '../../src/core/codec';
import { RetrieveError } from '../../src/core/errors';
import { checkedView } from './checks';

let loading: Promise<OpenJpegModule> | undefined;
let decoder: J2KDecoder | undefined;
/** what the decoder printed during the current call */
const printed: string[] = [];

function load(): Promise<void> {
  loading ??= createOpenJpeg({
    locateFile: (path) => (path.endsWith('.wasm') ? wasmUrl : path),
    print: (line) => printed.push(line),
    printErr: (line) => printed.push(line),
  }).then((m) => {
    decoder = new m.J2KDecoder();
    return m;
  });
  return loading.then(() => undefined);
}

/** @throws RetrieveError DecodeFailed with OpenJPEG's own message */
export function decodeJpeg2000(codestream: Uint8Array): DecodedView {
  if (!decoder) throw new Error('JPEG 2000 codec not loaded: call load first');
  printed.length = 0;
  try {
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
  } catch (e) {
    throw new RetrieveError(
      'DecodeFailed',
      `JPEG 2000 decode failed (OpenJPEG aborted: ${String(e)})`,
    );
  }
  const error = printed.find((l) => l.startsWith('[ERROR]'));
  if (error)
    throw new RetrieveError(
      'DecodeFailed',
      `JPEG 2000 decode failed: ${error.replace('[ERROR]', '').trim()}`,
    );
  const info = decoder.getFrameInfo();
  return checkedView('JPEG 2000', info, decoder.getDecodedBuffer());
}

export const jpeg2000Codec: Codec = {
  name: 'JPEG 2000',
  contentTypes: ['image/j2c'],
  syntaxes: ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91'],
  needsGeometry: false,
  load,
  decode: (bytes) => decodeJpeg2000(bytes),
  heapBytes: () => decoder?.getDecodedBuffer().buffer.byteLength ?? 0,
};
