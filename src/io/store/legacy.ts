/**
 * Frames stored by earlier versions (before frame bytes moved to OPFS files): their bytes stay in
 * IndexedDB where those versions put them, and still read. Version 1 kept one frameData record per
 * frame; versions 2-3 kept the bytes of one commit in one chunk record, as a list of buffers (one
 * per frame) or as one buffer with each frame at its offset. Nothing writes these any more.
 *
 * Kept, not deleted: anyone who ran a build from before the OPFS change may still hold such jobs,
 * and the app has no way to know; a job's frames go only when the user deletes the job.
 */
import type { StoredFrame } from '../../core/sink';
import type { Db } from './schema';

/** What a frame record of an earlier version adds: the chunk holding its bytes, and its entry. */
export interface LegacyFrameFields {
  chunk?: string;
  index?: number;
}

/** The bytes of the frames of one commit (versions 2-3). A one-buffer chunk reads back resizable. */
export interface StoredChunk {
  jobId: string;
  id: string;
  data: ArrayBuffer | ArrayBuffer[];
}

/** A stored frame's bytes, kept apart from its description (version 1). */
export interface StoredFrameData {
  jobId: string;
  key: string;
  data: ArrayBuffer;
}

/** A frame record as the frames store holds it, earlier versions' fields included. */
export type FrameRecord = StoredFrame & LegacyFrameFields;

/** True for a record whose bytes live in IndexedDB (no frame file). */
export const inDatabase = (frame: StoredFrame): boolean => frame.file === undefined;

/**
 * A frame's bytes from its chunk: a copy of its range of a one-buffer chunk (the chunk may stay
 * cached for the frames after it), or its entry in a list.
 */
function bytesIn(chunk: StoredChunk['data'], frame: FrameRecord): ArrayBuffer | undefined {
  if (Array.isArray(chunk)) return chunk[frame.index ?? -1];
  return frame.offset === undefined
    ? undefined
    : chunk.slice(frame.offset, frame.offset + frame.size);
}

/** An earlier version's frame's bytes; undefined when they are gone. */
export async function legacyFrameBytes(
  db: Db,
  frame: FrameRecord,
): Promise<ArrayBuffer | undefined> {
  const tx = db.transaction(['frameData', 'chunks']);
  if (frame.chunk === undefined)
    return (await tx.objectStore('frameData').get([frame.jobId, frame.key]))?.data;
  const chunk = await tx.objectStore('chunks').get([frame.jobId, frame.chunk]);
  return chunk && bytesIn(chunk.data, frame);
}

/**
 * Reads the bytes of earlier versions' frames batch after batch (an export, in key order), keeping
 * the chunks one batch read for the next (a chunk holds the frames of one commit).
 */
export class LegacyBatchReader {
  private chunks = new Map<string, StoredChunk['data']>();

  constructor(
    private readonly db: Db,
    private readonly jobId: string,
  ) {}

  /** The bytes of `frames` (all in the database, in key order), by key; gone ones are absent. */
  async read(frames: FrameRecord[]): Promise<Map<string, ArrayBuffer>> {
    const bytes = new Map<string, ArrayBuffer>();
    if (frames.length === 0) return bytes;
    const { jobId } = this;
    const tx = this.db.transaction(['frameData', 'chunks']);
    const perFrame = frames.some((f) => f.chunk === undefined)
      ? await tx
          .objectStore('frameData')
          .getAll(
            IDBKeyRange.bound([jobId, frames[0]!.key], [jobId, frames[frames.length - 1]!.key]),
          )
      : [];
    for (const d of perFrame) bytes.set(d.key, d.data);
    const wanted = new Set(frames.flatMap((f) => (f.chunk === undefined ? [] : [f.chunk])));
    const next = new Map<string, StoredChunk['data']>();
    for (const id of wanted) {
      const c = this.chunks.get(id) ?? (await tx.objectStore('chunks').get([jobId, id]))?.data;
      if (c) next.set(id, c);
    }
    this.chunks = next;
    for (const f of frames) {
      const c = f.chunk === undefined ? undefined : next.get(f.chunk);
      const d = c ? bytesIn(c, f) : undefined;
      if (d) bytes.set(f.key, d);
    }
    return bytes;
  }
}
