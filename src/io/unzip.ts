/**
 * Reads the files of a zip (a saved selection's manifests, say): its central directory, then each
 * entry stored or deflated (undone with the browser's DecompressionStream). Enough for the
 * archives people make of JSON files; encrypted entries and multi-disk archives are refused.
 */
import { RetrieveError } from '../core/errors';

const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const LOCAL = 0x04034b50;

export const isZip = (head: Uint8Array) =>
  head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;

/** Every file of the archive (folders left out) with its bytes. */
export async function unzip(
  blob: Blob,
  name: string,
): Promise<{ name: string; data: Uint8Array }[]> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--)
    if (view.getUint32(i, true) === END) {
      end = i;
      break;
    }
  if (end < 0) throw new RetrieveError('BadManifest', `${name}: not a complete zip archive`);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const out: { name: string; data: Uint8Array }[] = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== CENTRAL)
      throw new RetrieveError('BadManifest', `${name}: damaged zip directory`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const entry = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (entry.endsWith('/')) continue;
    if (flags & 1) throw new RetrieveError('BadManifest', `${name}: ${entry} is encrypted`);
    if (view.getUint32(local, true) !== LOCAL)
      throw new RetrieveError('BadManifest', `${name}: damaged entry ${entry}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(start, start + size);
    if (method === 0) out.push({ name: entry, data: raw });
    else if (method === 8)
      out.push({
        name: entry,
        data: new Uint8Array(
          await new Response(
            new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw')),
          ).arrayBuffer(),
        ),
      });
    else
      throw new RetrieveError(
        'BadManifest',
        `${name}: ${entry} uses compression method ${method}, which this reader lacks`,
      );
  }
  return out;
}
