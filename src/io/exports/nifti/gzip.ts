/**
 * gzip for `.nii.gz`, written as a series of gzip members that each begin at a slice (RFC 1952
 * §2.2: a gzip file is a series of members; gunzip, zlib's gzread behind niftilib and ITK,
 * Python's gzip behind nibabel all read them as one stream). Whoever knows where a slice's member
 * starts (a destination folder's records) inflates that member alone to read the slice, instead
 * of the whole volume before it. A member holds whole slices, at least MEMBER_BYTES of them (the
 * last one less), so the cost over one stream is a few bytes a megabyte.
 *
 * The same bytes on every host: fflate's deflate (JavaScript) instead of the host's
 * CompressionStream, whose zlib builds differ (Chromium's and Node's chose different matches for
 * the same volume: the same pixels, 2.65 against 2.58 MB), so the app's export and the
 * command-line runner write one file byte for byte. Members are cut at input offsets fixed in
 * advance and no time is stamped in their headers, so neither how the input arrives nor when
 * changes a byte.
 */
import { gzipSync } from 'fflate';

/** input bytes a member holds at least (whole slices; the last member may hold less) */
export const MEMBER_BYTES = 1 << 20;

/**
 * Where members start in a volume's bytes (its header, then `slices` slices of `sliceBytes`):
 * 0, then the first slice boundary at which the member begun holds MEMBER_BYTES or more.
 */
export function memberCuts(headerBytes: number, sliceBytes: number, slices: number): number[] {
  const cuts = [0];
  for (let k = 1; k < slices; k++) {
    const at = headerBytes + k * sliceBytes;
    if (at - cuts.at(-1)! >= MEMBER_BYTES) cuts.push(at);
  }
  return cuts;
}

/** A gzip member: where its input begins, and where it begins in the gzip file. */
export interface Member {
  from: number;
  at: number;
}

/**
 * A stream that gzips its input as members starting at `cuts` (input offsets, the first 0), and
 * the members it has written so far (all of them once the stream is flushed).
 */
export function gzipMembers(cuts: readonly number[]): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  members: Member[];
} {
  const members: Member[] = [];
  let pending: Uint8Array[] = [];
  let held = 0;
  /** input bytes seen, and output bytes written */
  let read = 0;
  let written = 0;
  let next = 1;
  const emit = (out: TransformStreamDefaultController<Uint8Array>) => {
    const input = new Uint8Array(held);
    let o = 0;
    for (const p of pending) {
      input.set(p, o);
      o += p.length;
    }
    const member = gzipSync(input, { level: 6, mtime: 0 });
    members.push({ from: read - held, at: written });
    written += member.length;
    pending = [];
    held = 0;
    out.enqueue(member);
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      for (let at = 0; at < chunk.length;) {
        const cut = cuts[next] ?? Infinity;
        const n = Math.min(chunk.length - at, cut - read);
        pending.push(chunk.subarray(at, at + n));
        held += n;
        read += n;
        at += n;
        if (read === cut) {
          emit(out);
          next++;
        }
      }
    },
    flush(out) {
      if (held > 0 || members.length === 0) emit(out);
    },
  });
  return { stream, members };
}
