/**
 * The one module that opens IndexedDB. Jobs (settings without secrets, manifest sources, state,
 * totals), stored frames keyed by [jobId, frameKey], and failures with their reasons. Frame writes
 * go through FrameWriter's group commit: one transaction in flight, everything that arrives
 * meanwhile rides in the next one, so IndexedDB keeps up without adding latency when idle.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ErrorInfo } from '../core/errors';
import type { JobSettings } from '../core/protocol';

export const DB_NAME = 'ahi-web-retrieve';
const DB_VERSION = 1;

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

/** A stored frame's bytes, kept apart from its description. */
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
  frames: { key: [string, string]; value: StoredFrame; indexes: { byJob: string } };
  frameData: { key: [string, string]; value: StoredFrameData };
  failures: { key: [string, string]; value: FailureRecord; indexes: { byJob: string } };
}

export type Db = IDBPDatabase<Schema>;

let opening: Promise<Db> | undefined;

/** Opens (once per realm) the database. */
export function openDb(): Promise<Db> {
  opening ??= openDB<Schema>(DB_NAME, DB_VERSION, {
    upgrade(db) {
      db.createObjectStore('jobs', { keyPath: 'id' });
      db.createObjectStore('jobSources', { keyPath: 'id' });
      const frames = db.createObjectStore('frames', { keyPath: ['jobId', 'key'] });
      frames.createIndex('byJob', 'jobId');
      db.createObjectStore('frameData', { keyPath: ['jobId', 'key'] });
      const failures = db.createObjectStore('failures', { keyPath: ['jobId', 'key'] });
      failures.createIndex('byJob', 'jobId');
    },
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
 * committed. A QuotaExceededError rejects every frame of that transaction with it.
 */
export class FrameWriter {
  private pending: {
    frame: StoredFrame;
    data: ArrayBuffer;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  private committing = false;
  /** bytes waiting or committing: the worker stops fetching past a bound */
  pendingBytes = 0;

  constructor(private readonly db: Db) {}

  put(frame: StoredFrame, data: ArrayBuffer): Promise<void> {
    this.pendingBytes += frame.size;
    return new Promise((resolve, reject) => {
      this.pending.push({ frame, data, resolve, reject });
      if (!this.committing) void this.commit();
    });
  }

  private async commit(): Promise<void> {
    this.committing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const tx = this.db.transaction(['frames', 'frameData', 'failures'], 'readwrite');
        const frames = tx.objectStore('frames');
        const frameData = tx.objectStore('frameData');
        const failures = tx.objectStore('failures');
        for (const { frame, data } of batch) {
          void frameData.put({ jobId: frame.jobId, key: frame.key, data });
          void frames.put(frame);
          void failures.delete([frame.jobId, frame.key]);
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
  const tx = db.transaction(['jobs', 'jobSources', 'frames', 'frameData', 'failures'], 'readwrite');
  void tx.objectStore('jobs').delete(id);
  void tx.objectStore('jobSources').delete(id);
  void tx.objectStore('frames').delete(jobRange(id));
  void tx.objectStore('frameData').delete(jobRange(id));
  void tx.objectStore('failures').delete(jobRange(id));
  await tx.done;
}

/** Keys of the frames a job has stored: what a resume must not fetch again. */
export async function storedFrameKeys(jobId: string): Promise<Set<string>> {
  const keys = await (await openDb()).getAllKeysFromIndex('frames', 'byJob', jobId);
  return new Set(keys.map((k) => k[1]));
}

/** A stored frame with its bytes. */
export async function getStoredFrame(
  jobId: string,
  key: string,
): Promise<(StoredFrame & { data: ArrayBuffer }) | undefined> {
  const db = await openDb();
  const tx = db.transaction(['frames', 'frameData']);
  const [frame, data] = await Promise.all([
    tx.objectStore('frames').get([jobId, key]),
    tx.objectStore('frameData').get([jobId, key]),
  ]);
  return frame && data ? { ...frame, data: data.data } : undefined;
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
  for (;;) {
    const range =
      after === undefined
        ? jobRange(jobId)
        : IDBKeyRange.bound([jobId, after], [jobId, '\uffff'], true, false);
    const tx = db.transaction(['frames', 'frameData']);
    const frames = await tx.objectStore('frames').getAll(range, batchSize);
    if (frames.length === 0) return;
    const last = frames[frames.length - 1]!.key;
    const data = await tx
      .objectStore('frameData')
      .getAll(IDBKeyRange.bound([jobId, frames[0]!.key], [jobId, last]));
    const bytes = new Map(data.map((d) => [d.key, d.data]));
    for (const f of frames) {
      const d = bytes.get(f.key);
      if (d) yield { ...f, data: d };
    }
    after = last;
  }
}

/** A job's failures with their reasons. */
export async function getFailures(jobId: string): Promise<FailureRecord[]> {
  return (await openDb()).getAllFromIndex('failures', 'byJob', jobId);
}
