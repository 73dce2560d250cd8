/**
 * gzip for `.nii.gz`, the same bytes on every host: fflate's deflate (JavaScript) instead of the
 * host's CompressionStream, whose zlib builds differ (Chromium's and Node's chose different
 * matches for the same volume: the same pixels, 2.65 against 2.58 MB), so the app's export and the
 * command-line runner write one file byte for byte. The input is cut into fixed 1 MiB pieces
 * before deflating and no time is stamped in the header, so neither how the input arrives nor when
 * changes a byte.
 */
import { Gzip } from 'fflate';

const PIECE = 1 << 20;

export function gzipStream(): TransformStream<Uint8Array, Uint8Array> {
  let piece = new Uint8Array(PIECE);
  let filled = 0;
  let gzip: Gzip;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(out) {
      gzip = new Gzip({ level: 6, mtime: 0 }, (data) => out.enqueue(data));
    },
    transform(chunk) {
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(PIECE - filled, chunk.length - at);
        piece.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === PIECE) {
          gzip.push(piece);
          piece = new Uint8Array(PIECE);
          filled = 0;
        }
      }
    },
    flush() {
      gzip.push(piece.subarray(0, filled), true);
    },
  });
}
