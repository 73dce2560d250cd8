/**
 * The one module that opens IndexedDB. Jobs (settings without secrets, manifest sources, state,
 * totals), stored frames keyed by [jobId, frameKey], and failures with their reasons. Frame writes
 * go through FrameWriter's group commit: one transaction in flight, everything that arrives
 * meanwhile rides in the next one, so IndexedDB keeps up without adding latency when idle.
 *
 * The bytes of the frames of one commit go into one chunk record (one buffer of up to
 * CHUNK_BYTES), each frame's record saying which chunk and where in it: Chromium writes every large
 * value as a blob of its own, and a blob per frame cost the browser process 1-2 ms of CPU per frame
 * more (measured by the bench: 4.2-4.5 vs 2.6-3.2 ms per frame). put() copies the frame's bytes
 * into the open chunk at once, so the caller reuses its buffer (bodies come from a BufferPool), and
 * the chunk's buffer is reused once IndexedDB has serialised it: no buffer per frame is left for
 * the garbage collector. The buffer is resizable so that it is stored at exactly its length; it
 * also reads back resizable, which some APIs refuse (TextDecoder, crypto.subtle): readers here
 * hand out copies of ranges. Tried: a Blob per chunk cost 0.4 ms less renderer CPU per frame, but
 * Chromium keeps a Blob's bytes in the browser process until the page's Blob object is collected
 * (+110 MB at the peak of a 10,000-frame job); an exact-size copy of each chunk leaves as much
 * garbage as the bodies did.
 *
 * A commit writes only what it must: a frame's failure record is deleted only when an earlier run
 * left one, and no store has an index (every key starts with the job's ID, so a key range finds a
 * job's records; version 2's byJob indexes cost 0.4 ms of renderer CPU per frame, and the
 * per-frame delete of a failure record that was not there 0.9 ms of renderer and browser CPU
 * together). Frames stored by version 1 keep their bytes in frameData, and chunks first written
 * in version 2 hold a list of buffers (one per frame); both are read.
 */
import {
  openDB,
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  type StoreNames,
} from 'idb';
import type { ErrorInfo } from '../core/errors';
import type { JobSettings } from '../core/protocol';

export const DB_NAME = 'ahi-web-retrieve';
const DB_VERSION = 3;
/** A chunk holds the frames of one commit up to about this many bytes (one frame may be more). */
export const CHUNK_BYTES = 2 * 1024 * 1024;

export type JobState = 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/** Settings a job keeps. An explicit allowlist: never credentials. */
export type PersistedSettings = JobSettings;

export interface JobRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  state: JobState;
  settings: PersistedSettings;
  totals: { frames: number; verified: number; stored: number; failed: number; bytes: number };
  lastError?: ErrorInfo;
}

/** A stored frame's description (cheap to scan: no pixel data). */
export interface StoredFrame {
  jobId: string;
  key: string;
  datastoreId: string;
  imageSetId: string;
  frameId: string;
  /** what `data` holds: the codestream as received, or decoded pixels */
  kind: 'codestream' | 'pixels';
  contentType: string;
  size: number;
  /** CRC-32 of the decoded pixels, when decoded */
  checksum?: number;
  verified: boolean;
  /** the chunk holding the bytes, and their entry in it (absent: in frameData, version 1) */
  chunk?: string;
  index?: number;
  /** where the bytes start in a one-buffer chunk */
  offset?: number;
  /** decoded geometry, for pixels */
  width?: number;
  height?: number;
  bitsPerSample?: number;
  signed?: boolean;
  components?: number;
  storedAt: number;
}

export interface FailureRecord {
  jobId: string;
  key: string;
  error: ErrorInfo;
  attempts: number;
  at: number;
}

/**
 * The bytes of the frames of one commit, one record: one buffer (each frame at its offset; it
 * reads back resizable, so copy a range before handing it to an API), or, as first written, one
 * buffer per frame.
 */
export interface StoredChunk {
  jobId: string;
  id: string;
  data: ArrayBuffer | ArrayBuffer[];
}

/** A stored frame's bytes, kept apart from its description (version 1; read, no longer written). */
export interface StoredFrameData {
  jobId: string;
  key: string;
  data: ArrayBuffer;
}

/** A manifest or metadata document a job was planned from. */
export interface JobSource {
  name: string;
  content: string;
  /** metadata documents only add checksums and pixel descriptions to the manifests' frames */
  role: 'manifest' | 'metadata';
}

interface Schema extends DBSchema {
  jobs: { key: string; value: JobRecord };
  /** written once per job, apart from the record that is saved every few seconds */
  jobSources: { key: string; value: { id: string; sources: JobSource[] } };
  frames: { key: [string, string]; value: StoredFrame };
  frameData: { key: [string, string]; value: StoredFrameData };
  chunks: { key: [string, string]; value: StoredChunk };
  failures: { key: [string, string]; value: FailureRecord };
}

export type Db = IDBPDatabase<Schema>;

/**
 * Creates what each version added and drops what it removed, from the version the database had,
 * inside the upgrade's own transaction.
 */
export function upgradeSchema(
  db: Db,
  oldVersion: number,
  tx: IDBPTransaction<Schema, StoreNames<Schema>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    db.createObjectStore('jobs', { keyPath: 'id' });
    db.createObjectStore('jobSources', { keyPath: 'id' });
    db.createObjectStore('frames', { keyPath: ['jobId', 'key'] });
    db.createObjectStore('frameData', { keyPath: ['jobId', 'key'] });
    db.createObjectStore('failures', { keyPath: ['jobId', 'key'] });
  }
  if (oldVersion < 2) db.createObjectStore('chunks', { keyPath: ['jobId', 'id'] });
  // Versions 1 and 2 had a byJob index on frames and failures.
  if (oldVersion >= 1 && oldVersion < 3) {
    for (const store of ['frames', 'failures'] as const) {
      const s = tx.objectStore(store) as unknown as IDBObjectStore;
      if (s.indexNames.contains('byJob')) s.deleteIndex('byJob');
    }
  }
}

let opening: Promise<Db> | undefined;

/** Opens (once per realm) the database. */
export function openDb(): Promise<Db> {
  opening ??= openDB<Schema>(DB_NAME, DB_VERSION, {
    upgrade: (db, oldVersion, _newVersion, tx) => upgradeSchema(db, oldVersion, tx),
    blocking() {
      // Another tab wants a newer schema: let it.
      void opening?.then((db) => db.close());
      opening = undefined;
    },
  });
  return opening;
}

const jobRange = (jobId: string) => IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']);

/** A chunk being filled: the frames' bytes copied one after the other into one buffer. */
interface OpenChunk {
  jobId: string;
  id: string;
  /** resizable (its maximum is only reserved): IndexedDB serialises exactly its length */
  buffer: ArrayBuffer;
  used: number;
  entries: {
    frame: StoredFrame;
    offset: number;
    size: number;
    failedBefore: boolean;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[];
}

/**
 * Group commit for frame records: put() copies the frame's bytes into the open chunk and resolves
 * when the transaction holding the frame has committed. A QuotaExceededError rejects every frame
 * of that transaction with it. A chunk holds one job's frames, up to CHUNK_BYTES (a larger frame
 * has one of its own). Its buffer is reused for a later chunk once IndexedDB has serialised it.
 */
export class FrameWriter {
  private open: OpenChunk | undefined;
  private sealed: OpenChunk[] = [];
  private spare: ArrayBuffer[] = [];
  private committing = false;
  /** bytes waiting or committing: the worker stops fetching past a bound */
  pendingBytes = 0;

  constructor(private readonly db: Db) {}

  /**
   * Copies `bytes` before it returns (the caller may reuse them). `failedBefore`: an earlier run
   * left a failure record for this frame, deleted with the put.
   */
  put(frame: StoredFrame, bytes: Uint8Array, failedBefore = false): Promise<void> {
    const size = bytes.length;
    let c = this.open;
    if (c && (c.jobId !== frame.jobId || (c.used > 0 && c.used + size > c.buffer.maxByteLength))) {
      this.sealed.push(c);
      c = undefined;
    }
    if (!c) {
      const buffer =
        (size <= CHUNK_BYTES ? this.spare.pop() : undefined) ??
        new ArrayBuffer(0, { maxByteLength: Math.max(CHUNK_BYTES, size) });
      c = this.open = { jobId: frame.jobId, id: crypto.randomUUID(), buffer, used: 0, entries: [] };
    }
    const offset = c.used;
    // A reused buffer keeps its last length: it grows only past that (pages stay mapped).
    if (c.buffer.byteLength < offset + size) c.buffer.resize(offset + size);
    new Uint8Array(c.buffer, offset, size).set(bytes);
    c.used += size;
    this.pendingBytes += size;
    const chunk = c;
    return new Promise((resolve, reject) => {
      chunk.entries.push({ frame, offset, size, failedBefore, resolve, reject });
      if (!this.committing) void this.commit();
    });
  }

  private async commit(): Promise<void> {
    this.committing = true;
    while (this.open || this.sealed.length > 0) {
      if (this.open) this.sealed.push(this.open);
      this.open = undefined;
      const batch = this.sealed;
      this.sealed = [];
      const entries = batch.flatMap((c) => c.entries);
      try {
        const clear = entries.filter((e) => e.failedBefore);
        const tx = this.db.transaction(
          clear.length ? ['frames', 'chunks', 'failures'] : ['frames', 'chunks'],
          'readwrite',
          // No flush to disk per commit: a frame lost to an OS crash or power cut is simply missing,
          // and a resume fetches what is missing. (Bench: browser CPU 2.7 -> 2.5 ms per frame.)
          { durability: 'relaxed' },
        );
        const frames = tx.objectStore('frames');
        const chunks = tx.objectStore('chunks');
        for (const c of batch) {
          for (const [index, e] of c.entries.entries())
            void frames.put({ ...e.frame, chunk: c.id, index, offset: e.offset, size: e.size });
          // put() serialises the buffer at once, exactly its length: then it is free again.
          c.buffer.resize(c.used);
          void chunks.put({ jobId: c.jobId, id: c.id, data: c.buffer });
        }
        if (clear.length) {
          const failures = tx.objectStore('failures');
          for (const { frame } of clear) void failures.delete([frame.jobId, frame.key]);
        }
        await tx.done;
        for (const e of entries) e.resolve();
      } catch (e) {
        for (const entry of entries) entry.reject(e);
      }
      for (const c of batch)
        if (c.buffer.maxByteLength === CHUNK_BYTES && this.spare.length < 2)
          this.spare.push(c.buffer);
      for (const e of entries) this.pendingBytes -= e.size;
    }
    this.committing = false;
  }
}

export async function saveJob(job: JobRecord): Promise<void> {
  const db = await openDb();
  await db.put('jobs', { ...job, updatedAt: Date.now() });
}

/** Saves a new job with its sources, in one transaction. */
export async function createJob(job: JobRecord, sources: JobSource[]): Promise<void> {
  const tx = (await openDb()).transaction(['jobs', 'jobSources'], 'readwrite');
  void tx.objectStore('jobs').put(job);
  void tx.objectStore('jobSources').put({ id: job.id, sources });
  await tx.done;
}

export async function getJobSources(id: string): Promise<JobSource[] | undefined> {
  return (await (await openDb()).get('jobSources', id))?.sources;
}

export async function getJob(id: string): Promise<JobRecord | undefined> {
  return (await openDb()).get('jobs', id);
}

export async function listJobs(): Promise<JobRecord[]> {
  const jobs = await (await openDb()).getAll('jobs');
  return jobs.sort((a, b) => b.createdAt - a.createdAt);
}

/** Deletes a job and everything stored for it. */
export async function deleteJob(id: string): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(
    ['jobs', 'jobSources', 'frames', 'frameData', 'chunks', 'failures'],
    'readwrite',
  );
  void tx.objectStore('jobs').delete(id);
  void tx.objectStore('jobSources').delete(id);
  void tx.objectStore('frames').delete(jobRange(id));
  void tx.objectStore('frameData').delete(jobRange(id));
  void tx.objectStore('chunks').delete(jobRange(id));
  void tx.objectStore('failures').delete(jobRange(id));
  await tx.done;
}

/** The frame keys a job has records for in a store keyed by [jobId, frameKey]. */
async function frameKeysIn(store: 'frames' | 'failures', jobId: string): Promise<Set<string>> {
  const keys = await (await openDb()).getAllKeys(store, jobRange(jobId));
  return new Set(keys.map((k) => k[1]));
}

/** Keys of the frames a job has stored: what a resume must not fetch again. */
export const storedFrameKeys = (jobId: string) => frameKeysIn('frames', jobId);

/** A stored frame with its bytes. */
export async function getStoredFrame(
  jobId: string,
  key: string,
): Promise<(StoredFrame & { data: ArrayBuffer }) | undefined> {
  const db = await openDb();
  const tx = db.transaction(['frames', 'frameData', 'chunks']);
  const frame = await tx.objectStore('frames').get([jobId, key]);
  if (!frame) return undefined;
  if (frame.chunk === undefined) {
    const legacy = await tx.objectStore('frameData').get([jobId, key]);
    return legacy ? { ...frame, data: legacy.data } : undefined;
  }
  const chunk = await tx.objectStore('chunks').get([jobId, frame.chunk]);
  const data = chunk && bytesIn(chunk.data, frame);
  return data ? { ...frame, data } : undefined;
}

/**
 * A frame's bytes from its chunk: a copy of its range of a one-buffer chunk (the chunk may stay
 * cached for the frames after it), or its entry in a list.
 */
function bytesIn(chunk: StoredChunk['data'], frame: StoredFrame): ArrayBuffer | undefined {
  if (Array.isArray(chunk)) return chunk[frame.index ?? -1];
  return frame.offset === undefined
    ? undefined
    : chunk.slice(frame.offset, frame.offset + frame.size);
}

export async function putFailures(failures: FailureRecord[]): Promise<void> {
  if (failures.length === 0) return;
  const tx = (await openDb()).transaction('failures', 'readwrite');
  for (const f of failures) void tx.store.put(f);
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
  let after: string | undefined;
  let chunks = new Map<string, StoredChunk['data']>();
  for (;;) {
    const range =
      after === undefined
        ? jobRange(jobId)
        : IDBKeyRange.bound([jobId, after], [jobId, '\uffff'], true, false);
    const tx = db.transaction(['frames', 'frameData', 'chunks']);
    const frames = await tx.objectStore('frames').getAll(range, batchSize);
    if (frames.length === 0) return;
    const last = frames[frames.length - 1]!.key;
    const legacy = frames.some((f) => f.chunk === undefined)
      ? await tx
          .objectStore('frameData')
          .getAll(IDBKeyRange.bound([jobId, frames[0]!.key], [jobId, last]))
      : [];
    const bytes = new Map(legacy.map((d) => [d.key, d.data]));
    // The chunks this batch needs: kept from the batch before when it read them already.
    const wanted = new Set(frames.flatMap((f) => (f.chunk === undefined ? [] : [f.chunk])));
    const next = new Map<string, StoredChunk['data']>();
    for (const id of wanted) {
      const c = chunks.get(id) ?? (await tx.objectStore('chunks').get([jobId, id]))?.data;
      if (c) next.set(id, c);
    }
    chunks = next;
    for (const f of frames) {
      const c = f.chunk === undefined ? undefined : chunks.get(f.chunk);
      const d = c ? bytesIn(c, f) : bytes.get(f.key);
      if (d) yield { ...f, data: d };
    }
    after = last;
  }
}

/** Keys of the frames a job has failure records for (an earlier run's). */
export const failureKeys = (jobId: string) => frameKeysIn('failures', jobId);

/** A job's failures with their reasons. */
export async function getFailures(jobId: string): Promise<FailureRecord[]> {
  return (await openDb()).getAll('failures', jobRange(jobId));
}
