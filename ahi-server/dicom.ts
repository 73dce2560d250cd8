/**
 * Just enough DICOM Part 10 reading to pull the encapsulated codestream of a single-frame file:
 * find Pixel Data (7FE0,0010) with undefined length, skip the Basic Offset Table item and join the
 * fragments. Used to serve real classic-JPEG-2000 and HTJ2K fixtures as AHI would store them.
 */

const ITEM = 0xe000;
const SEQ_DELIM = 0xe0dd;

/** Returns the frame's codestream (all fragments joined) from an encapsulated, single-frame file. */
export function extractSingleFrameCodestream(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  // Search for the Pixel Data tag written as explicit VR little endian with undefined length.
  const marker = [0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff];
  let start = -1;
  for (let i = file.length - marker.length; i >= 0; i--) {
    if (marker.every((b, k) => file[i + k] === b)) {
      start = i + marker.length;
      break;
    }
  }
  if (start < 0) throw new Error('no encapsulated Pixel Data element found');
  const fragments: Uint8Array[] = [];
  let pos = start;
  let first = true;
  for (;;) {
    const group = view.getUint16(pos, true);
    const element = view.getUint16(pos + 2, true);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    if (group !== 0xfffe) throw new Error(`unexpected tag in Pixel Data at byte ${pos - 8}`);
    if (element === SEQ_DELIM) break;
    if (element !== ITEM) throw new Error(`unexpected item ${element.toString(16)}`);
    if (!first) fragments.push(file.subarray(pos, pos + length));
    first = false;
    pos += length;
  }
  const total = fragments.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const f of fragments) {
    out.set(f, offset);
    offset += f.length;
  }
  return out;
}
