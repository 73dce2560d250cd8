/**
 * Reading what a job stored: the keys a resume must not fetch again, one frame with its bytes (the
 * viewer), and every frame in key order a batch at a time (exports). Bytes come from the frame
 * files, or, for frames stored by earlier versions, from IndexedDB (legacy.ts).
 */
import type { StoredFrame } from '../../core/sink';
import { Folder } from '../folder';
import { FrameFiles } from './frameFiles';
import { inDatabase, LegacyBatchReader, legacyFrameBytes, type FrameRecord } from './legacy';
import { jobRange, openDb } from './schema';

/**
 * Keys of the frames a job has stored: what a resume must not fetch again. A frame whose file
 * ends before its bytes do (an OS crash lost them after the record committed) is not among them,
 * so a resume fetches it again. Reads every record and each file's length: 10,000 records took
 * 180-240 ms in Chromium here (their keys alone 50-70 ms), so they are read 1,000 at a time, each
 * batch its own task on the main thread.
 */
export async function storedFrameKeys(jobId: string): Promise<Set<string>> {
  const files = new FrameFiles(jobId);
  const keys = new Set<string>();
  for await (const frames of frameBatches(jobId, 1000)) {
    for (const f of frames) {
      // A destination folder's frames are checked by io/destination (size and CRC-32).
      const inOpfs = f.file !== undefined && f.fileSize === undefined;
      if (inOpfs && (f.offset ?? 0) + f.size > (await files.length(f.file!))) continue;
      keys.add(f.key);
    }
  }
  return keys;
}

/** A job's frame records in key order, `size` at a time (one request, one task, each). */
export async function* frameBatches(jobId: string, size: number): AsyncGenerator<FrameRecord[]> {
  const db = await openDb();
  for (let after: string | undefined; ;) {
    const range =
      after === undefined
        ? jobRange(jobId)
        : IDBKeyRange.bound([jobId, after], [jobId, '\uffff'], true, false);
    const frames = await db.getAll('frames', range, size);
    if (frames.length === 0) return;
    yield frames;
    after = frames[frames.length - 1]!.key;
  }
}

/** A stored frame with its bytes. */
export async function getStoredFrame(
  jobId: string,
  key: string,
): Promise<(StoredFrame & { data: ArrayBuffer }) | undefined> {
  const db = await openDb();
  const frame = await db.get('frames', [jobId, key]);
  if (!frame) return undefined;
  const data = inDatabase(frame)
    ? await legacyFrameBytes(db, frame)
    : frame.fileSize !== undefined
      ? await inFolder(jobId, frame)
      : await new FrameFiles(jobId).read(frame);
  return data ? { ...frame, data } : undefined;
}

/** A frame's bytes in its job's destination folder; undefined when not readable there. */
async function inFolder(jobId: string, frame: StoredFrame): Promise<ArrayBuffer | undefined> {
  const root = (await (await openDb()).get('jobs', jobId))?.destination?.root;
  if (!root || !frame.file || frame.packed) return undefined;
  try {
    const file = await new Folder(root).read(frame.file);
    const at = frame.offset ?? 0;
    if (frame.gzipLength !== undefined) {
      // A slice of a .nii.gz: its member alone, inflated.
      if (!file || file.size < at + frame.gzipLength) return undefined;
      const member = file.slice(at, at + frame.gzipLength).stream();
      const inflated = await new Response(
        member.pipeThrough(new DecompressionStream('gzip')),
      ).arrayBuffer();
      const from = frame.inflatedOffset ?? 0;
      if (inflated.byteLength < from + frame.size) return undefined;
      return inflated.slice(from, from + frame.size);
    }
    if (!file || file.size < at + frame.size) return undefined;
    return await file.slice(at, at + frame.size).arrayBuffer();
  } catch {
    return undefined; // no permission (yet): not readable now
  }
}

/** Frame records by key (undefined where there is none). */
export async function getFrameRecords(
  jobId: string,
  keys: string[],
): Promise<(StoredFrame | undefined)[]> {
  const tx = (await openDb()).transaction('frames');
  const store = tx.objectStore('frames');
  const out = await Promise.all(keys.map((k) => store.get([jobId, k])));
  await tx.done;
  return out;
}

/** Replaces frame records (a destination's files assembled from their parts). */
export async function putFrameRecords(frames: StoredFrame[]): Promise<void> {
  const tx = (await openDb()).transaction('frames', 'readwrite');
  for (const f of frames) void tx.objectStore('frames').put(f);
  await tx.done;
}

/**
 * A job's stored frames with their bytes, in key order, a batch per transaction: an export of
 * any size holds one batch in memory at a time.
 */
export async function* readStoredFrames(
  jobId: string,
  batchSize = 32,
): AsyncGenerator<StoredFrame & { data: ArrayBuffer }> {
  const db = await openDb();
  const files = new FrameFiles(jobId);
  const legacy = new LegacyBatchReader(db, jobId);
  for await (const frames of frameBatches(jobId, batchSize)) {
    const bytes = await legacy.read(frames.filter(inDatabase));
    for (const f of frames) {
      const d = inDatabase(f) ? bytes.get(f.key) : await files.read(f);
      if (d) yield { ...f, data: d };
    }
  }
}
