/**
 * The one module that opens IndexedDB. Jobs (settings without secrets, manifest sources, state,
 * totals), stored frames keyed by [jobId, frameKey], and failures with their reasons. Frame writes
 * go through FrameWriter's group commit: one transaction in flight, everything that arrives
 * meanwhile rides in the next one, so IndexedDB keeps up without adding latency when idle. The
 * bytes of the frames of one commit go into one chunk record (a list of their buffers, up to
 * CHUNK_BYTES), each frame's record saying which chunk and which entry: Chromium writes every large
 * value as a blob of its own, and a blob per frame cost the browser process 1-2 ms of CPU per
 * frame more (measured by the bench: 4.2-4.5 vs 2.6-3.2 ms per frame). A commit writes only what it
 * must: a frame's failure record is deleted only when an earlier run left one, and no store has an
 * index (every key starts with the job's ID, so a key range finds a job's records; version 2's
 * byJob indexes cost 0.4 ms of renderer CPU per frame, and the per-frame delete of a failure
 * record that was not there 0.9 ms of renderer and browser CPU together).
 * Frames stored by version 1 keep their bytes in frameData and are read from there.
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

/** The bytes of the frames of one commit: one buffer per frame, one record (and one blob) in all. */
export interface StoredChunk {
  jobId: string;
  id: string;
  data: ArrayBuffer[];
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

/**
 * Group commit for frame records: put() resolves when the transaction holding the frame has
 * committed. A QuotaExceededError rejects every frame of that transaction with it. The buffers of a
 * commit's frames go into chunk records of up to CHUNK_BYTES (no copy: IndexedDB clones them).
 */
export class FrameWriter {
  private pending: {
    frame: StoredFrame;
    data: ArrayBuffer;
    failedBefore: boolean;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  private committing = false;
  /** bytes waiting or committing: the worker stops fetching past a bound */
  pendingBytes = 0;

  constructor(private readonly db: Db) {}

  /** `failedBefore`: an earlier run left a failure record for this frame, deleted with the put. */
  put(frame: StoredFrame, data: ArrayBuffer, failedBefore = false): Promise<void> {
    this.pendingBytes += frame.size;
    return new Promise((resolve, reject) => {
      this.pending.push({ frame, data, failedBefore, resolve, reject });
      if (!this.committing) void this.commit();
    });
  }

  private async commit(): Promise<void> {
    this.committing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const clear = batch.filter((b) => b.failedBefore);
        const tx = this.db.transaction(
          clear.length ? ['frames', 'chunks', 'failures'] : ['frames', 'chunks'],
          'readwrite',
          // No flush to disk per commit: a frame lost to an OS crash or power cut is simply missing,
          // and a resume fetches what is missing. (Bench: browser CPU 2.7 -> 2.5 ms per frame.)
          { durability: 'relaxed' },
        );
        const frames = tx.objectStore('frames');
        const chunks = tx.objectStore('chunks');
        for (const group of chunked(batch)) {
          const jobId = group[0]!.frame.jobId;
          const id = crypto.randomUUID();
          for (const [index, { frame, data }] of group.entries())
            void frames.put({ ...frame, chunk: id, index, size: data.byteLength });
          void chunks.put({ jobId, id, data: group.map((g) => g.data) });
        }
        if (clear.length) {
          const failures = tx.objectStore('failures');
          for (const { frame } of clear) void failures.delete([frame.jobId, frame.key]);
        }
        await tx.done;
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
      for (const { frame } of batch) this.pendingBytes -= frame.size;
    }
    this.committing = false;
  }
}

/** Splits a commit into runs of one job's frames of up to CHUNK_BYTES (at least one frame each). */
function chunked<T extends { frame: StoredFrame; data: ArrayBuffer }>(batch: T[]): T[][] {
  const out: T[][] = [];
  let bytes = 0;
  for (const b of batch) {
    const last = out.at(-1);
    if (
      last &&
      last[0]!.frame.jobId === b.frame.jobId &&
      bytes + b.data.byteLength <= CHUNK_BYTES
    ) {
      last.push(b);
      bytes += b.data.byteLength;
    } else {
      out.push([b]);
      bytes = b.data.byteLength;
    }
  }
  return out;
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

/** Keys of the frames a job has stored: what a resume must not fetch again. */
export async function storedFrameKeys(jobId: string): Promise<Set<string>> {
  const keys = await (await openDb()).getAllKeys('frames', jobRange(jobId));
  return new Set(keys.map((k) => k[1]));
}

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
  const data = chunk && bytesIn(chunk, frame);
  return data ? { ...frame, data } : undefined;
}

/** A frame's bytes in its chunk. */
function bytesIn(chunk: StoredChunk, frame: StoredFrame): ArrayBuffer | undefined {
  return chunk.data[frame.index ?? -1];
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
  let chunks = new Map<string, StoredChunk>();
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
    const next = new Map<string, StoredChunk>();
    for (const id of wanted) {
      const c = chunks.get(id) ?? (await tx.objectStore('chunks').get([jobId, id]));
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
export async function failureKeys(jobId: string): Promise<Set<string>> {
  const keys = await (await openDb()).getAllKeys('failures', jobRange(jobId));
  return new Set(keys.map((k) => k[1]));
}

/** A job's failures with their reasons. */
export async function getFailures(jobId: string): Promise<FailureRecord[]> {
  return (await openDb()).getAll('failures', jobRange(jobId));
}
