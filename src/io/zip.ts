/**
 * Zip bundles, streamed by client-zip in store mode (HTJ2K is already compressed), plus two
 * things client-zip lacks:
 * - A ZIP64 end record when an archive has more than 65,535 entries but stays under 4 GiB:
 *   client-zip writes ZIP64 records only for large sizes and offsets, so such an archive's
 *   entry count is capped at 65,535 and `unzip -t` rejects it. We hold back the stream's tail,
 *   and, when that case arises, insert the ZIP64 end record and locator before the classic end
 *   record (whose count then reads 0xFFFF, "see ZIP64").
 * - Re-chunking into large writes: the stream otherwise alternates 30-byte headers and file
 *   bodies, and each write to a file on disk costs an IPC round trip.
 */
import { makeZip } from 'client-zip';

export interface ZipEntry {
  name: string;
  data: ArrayBuffer | Uint8Array | string;
  lastModified?: Date;
}

const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
/** A ZIP64 end record (56 bytes) + its locator (20) + the classic end record (22). */
const TAIL = 98;

/** Streams `entries` as a zip in store mode; valid for any count and size (ZIP64 as needed). */
export function zipStream(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
): ReadableStream<Uint8Array> {
  let count = 0;
  async function* counted() {
    for await (const e of entries) {
      count++;
      yield { name: e.name, input: e.data, lastModified: e.lastModified ?? new Date() };
    }
  }
  return makeZip(counted(), { buffersAreUTF8: true }).pipeThrough(zip64End(() => count));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Passes a zip stream through, adding the ZIP64 end records client-zip omits (see above). */
export function zip64End(entries: () => number): TransformStream<Uint8Array, Uint8Array> {
  let tail = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      if (chunk.length >= TAIL) {
        if (tail.length) controller.enqueue(tail);
        controller.enqueue(chunk.subarray(0, chunk.length - TAIL));
        tail = chunk.slice(chunk.length - TAIL);
        return;
      }
      const all = concat(tail, chunk);
      if (all.length > TAIL) controller.enqueue(all.subarray(0, all.length - TAIL));
      tail = all.slice(Math.max(0, all.length - TAIL));
    },
    flush(controller) {
      const n = tail.length;
      const view = new DataView(tail.buffer, tail.byteOffset, n);
      const hasEnd = n >= 22 && view.getUint32(n - 22, true) === END;
      const hasZip64 = n >= 42 && view.getUint32(n - 42, true) === ZIP64_LOCATOR;
      const total = entries();
      if (!hasEnd || hasZip64 || total <= 0xffff) {
        controller.enqueue(tail);
        return;
      }
      // Sizes and offsets fit in 32 bits here (client-zip writes ZIP64 itself otherwise).
      const cdSize = view.getUint32(n - 22 + 12, true);
      const cdOffset = view.getUint32(n - 22 + 16, true);
      const extra = new DataView(new ArrayBuffer(76));
      extra.setUint32(0, ZIP64_END, true);
      extra.setBigUint64(4, 44n, true); // size of the rest of this record
      extra.setUint16(12, 45, true); // version made by: 4.5 (ZIP64)
      extra.setUint16(14, 45, true); // version needed
      // disk numbers (16, 20) stay 0
      extra.setBigUint64(24, BigInt(total), true);
      extra.setBigUint64(32, BigInt(total), true);
      extra.setBigUint64(40, BigInt(cdSize), true);
      extra.setBigUint64(48, BigInt(cdOffset), true);
      extra.setUint32(56, ZIP64_LOCATOR, true);
      extra.setBigUint64(64, BigInt(cdOffset + cdSize), true); // where the ZIP64 end record is
      extra.setUint32(72, 1, true); // total disks
      const end = tail.slice(n - 22);
      const endView = new DataView(end.buffer);
      endView.setUint16(8, 0xffff, true);
      endView.setUint16(10, 0xffff, true);
      controller.enqueue(tail.subarray(0, n - 22));
      controller.enqueue(new Uint8Array(extra.buffer));
      controller.enqueue(end);
    },
  });
}

/** Regroups a byte stream into chunks of at least `size` bytes (the last may be smaller). */
export function rechunk(size = 1 << 20): TransformStream<Uint8Array, Uint8Array> {
  let buffer = new Uint8Array(size);
  let used = 0;
  return new TransformStream({
    transform(chunk, controller) {
      if (used === 0 && chunk.length >= size) {
        controller.enqueue(chunk);
        return;
      }
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(size - used, chunk.length - offset);
        buffer.set(chunk.subarray(offset, offset + n), used);
        used += n;
        offset += n;
        if (used === size) {
          controller.enqueue(buffer);
          buffer = new Uint8Array(size);
          used = 0;
        }
      }
    },
    flush(controller) {
      if (used > 0) controller.enqueue(buffer.subarray(0, used));
    },
  });
}
