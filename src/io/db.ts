/**
 * The one module that opens IndexedDB and the frame files. Jobs (settings without secrets,
 * manifest sources, state, totals), stored frames keyed by [jobId, frameKey], and failures with
 * their reasons live in IndexedDB. A frame's bytes live in the origin private file system (OPFS):
 * each FrameWriter appends them to a file of its own, `frames/<jobId>/<file>`, with a synchronous
 * access handle (dedicated workers only), and its frame record names the file and the range.
 * Records go through FrameWriter's group commit: one transaction in flight, everything that
 * arrives meanwhile rides in the next one, so IndexedDB keeps up without adding latency when idle.
 *
 * Why files, not IndexedDB values: Chromium writes every IndexedDB value over 64 KB as a blob,
 * serialised and copied in the renderer and handed to the browser process, and those copies are
 * freed only when the worker's collector gets to them. Storing the bytes in IndexedDB (one chunk
 * record of up to 2 MB per commit, versions 2-3) kept the app's renderer 60-100 MB above a run
 * that stores nothing, and rising through a 10,000-frame job; a bare fetch loop that also put
 * chunks peaked 37 MB higher per worker, one that appended to an OPFS file no higher than storing
 * nothing (bench page, 10,000 frames, 2 runs each). A write copies the bytes into the file at
 * once (170 KB: about 0.2 ms), so the caller reuses its buffer.
 *
 * After an OS crash or power cut (nothing is flushed to disk per commit, as with IndexedDB's
 * relaxed durability) a record may name bytes that never reached the disk: a reader finds the
 * file too short and reports the frame's bytes missing, never other bytes, and the frame does not
 * count as stored, so a resume fetches it again.
 *
 * A commit writes only what it must: a frame's failure record is deleted only when an earlier run
 * left one, and no store has an index (every key starts with the job's ID, so a key range finds a
 * job's records). Frames stored by earlier versions keep their bytes where those put them and
 * still read: in frameData (version 1), in chunk records holding a list of buffers (version 2) or
 * one buffer with each frame at its offset (version 3).
 */
import {
  openDB,
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  type StoreNames,
} from 'idb';
import { RetrieveError, type ErrorInfo } from '../core/errors';
import type { JobRecord, JobSource } from '../core/job';

export const DB_NAME = 'ahi-web-retrieve';
const DB_VERSION = 3;
/** The OPFS directory holding each job's frame files, in a directory named by the job's ID. */
const FRAMES_DIR = 'frames';

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
  /** the OPFS file holding the bytes (frames/<jobId>/<file>), from `offset` */
  file?: string;
  /** earlier versions: the chunk record holding the bytes, and their entry in it */
  chunk?: string;
  index?: number;
  /** where the bytes start in the file, or in a one-buffer chunk */
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
 * Earlier versions: the bytes of the frames of one commit, one record: one buffer (each frame at
 * its offset; it reads back resizable, so copy a range before handing it to an API), or, as first
 * written, one buffer per frame. Read, no longer written.
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

interface Pending {
  frame: StoredFrame;
  failedBefore: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * What is used of a FileSystemSyncAccessHandle (declared here: it exists in dedicated workers only,
 * and this module also compiles for the window, whose DOM lib lacks it).
 */
interface SyncAccessHandle {
  write(data: Uint8Array, options: { at: number }): number;
  close(): void;
}

/** A frame file open for appending. */
interface OpenFile {
  name: string;
  handle: SyncAccessHandle;
}

/** A job's frame file as this writer appends to it. */
interface FrameFile {
  opening: Promise<OpenFile>;
  /** set once the file is open */
  open?: OpenFile;
  size: number;
}

/** How long a frame file may take to open before another one is tried, and how many are tried. */
export const FRAME_FILE_OPEN = { timeoutMs: 3000, attempts: 3 };

/**
 * Creates and opens a new frame file in the job's folder. Chromium now and then never settles
 * createSyncAccessHandle() for a worker started just after another was terminated: 6 times in
 * about 640 kills in a loop of 2,000-frame jobs here. The file was created and not locked (another
 * worker opened it at once), and the next call in the same worker worked, so an open that takes
 * longer than FRAME_FILE_OPEN.timeoutMs is given up for a new file; the late one, if it ever
 * opens, is closed and removed. After FRAME_FILE_OPEN.attempts files the job's storage counts as
 * failed (StorageFailed pauses the job; everything stored stays).
 */
async function openFrameFile(jobId: string): Promise<OpenFile> {
  const { timeoutMs, attempts } = FRAME_FILE_OPEN;
  for (let attempt = 1; ; attempt++) {
    const name = `${crypto.randomUUID()}.bin`;
    let dir: FileSystemDirectoryHandle | undefined;
    const opening = jobDir(jobId, true)
      .then((d) => (dir = d).getFileHandle(name, { create: true }))
      .then((h) =>
        (
          h as FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> }
        ).createSyncAccessHandle(),
      );
    const timedOut = new Promise<undefined>((r) => setTimeout(r, timeoutMs, undefined));
    const handle = await Promise.race([opening, timedOut]);
    if (handle) return { name, handle };
    console.warn(
      `ahi-web-retrieve: frame file ${name} did not open in ${timeoutMs} ms (try ${attempt} of ${attempts})`,
    );
    void opening
      .then((late) => {
        late.close();
        return dir?.removeEntry(name);
      })
      .catch(() => undefined);
    if (attempt >= attempts)
      throw new RetrieveError(
        'StorageFailed',
        `The browser did not open a file to store frames in (${attempts} tries, ${timeoutMs / 1000} s each)`,
      );
  }
}

async function jobDir(jobId: string, create: boolean): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const frames = await root.getDirectoryHandle(FRAMES_DIR, { create });
  return frames.getDirectoryHandle(jobId, { create });
}

/**
 * Stores frames: put() writes the bytes at the end of this writer's file for the job (a file no
 * other writer touches) and resolves when the frame's record has committed. A QuotaExceededError
 * from the file rejects that frame; from IndexedDB, every frame of that transaction. Runs in a
 * dedicated worker (synchronous access handles exist nowhere else).
 */
export class FrameWriter {
  private files = new Map<string, FrameFile>();
  private waiting: Pending[] = [];
  private committing = false;
  /** bytes whose record has not committed yet: the worker stops fetching past a bound */
  pendingBytes = 0;

  constructor(private readonly db: Db) {}

  private fileFor(jobId: string): FrameFile {
    let f = this.files.get(jobId);
    if (!f) {
      const file: FrameFile = { opening: openFrameFile(jobId), size: 0 };
      void file.opening.then(
        (open) => (file.open = open),
        // The next frame tries again.
        () => this.files.delete(jobId),
      );
      this.files.set(jobId, (f = file));
    }
    return f;
  }

  /**
   * Copies `bytes` before it returns (the caller may reuse them). `failedBefore`: an earlier run
   * left a failure record for this frame, deleted with the put.
   */
  put(frame: StoredFrame, bytes: Uint8Array, failedBefore = false): Promise<void> {
    const file = this.fileFor(frame.jobId);
    const size = bytes.length;
    this.pendingBytes += size;
    const done = new Promise<void>((resolve, reject) => {
      const store = (data: Uint8Array) => {
        const offset = file.size;
        const written = file.open!.handle.write(data, { at: offset });
        if (written !== size)
          throw new DOMException(`Wrote ${written} of ${size} bytes`, 'QuotaExceededError');
        file.size += size;
        this.waiting.push({
          frame: { ...frame, file: file.open!.name, offset, size },
          failedBefore,
          resolve,
          reject,
        });
        if (!this.committing) void this.commit();
      };
      if (file.open) {
        try {
          store(bytes);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      } else {
        // The file is still opening (the job's first frames): keep a copy until it is.
        const copy = bytes.slice();
        file.opening.then(() => store(copy)).catch(reject);
      }
    });
    return done.finally(() => (this.pendingBytes -= size));
  }

  private async commit(): Promise<void> {
    this.committing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const clear = batch.filter((e) => e.failedBefore);
        const tx = this.db.transaction(
          clear.length ? ['frames', 'failures'] : ['frames'],
          'readwrite',
          // No flush to disk per commit: a frame lost to an OS crash or power cut is simply missing,
          // and a resume fetches what is missing. (Bench: browser CPU 2.7 -> 2.5 ms per frame.)
          { durability: 'relaxed' },
        );
        const frames = tx.objectStore('frames');
        for (const e of batch) void frames.put(e.frame);
        if (clear.length) {
          const failures = tx.objectStore('failures');
          for (const { frame } of clear) void failures.delete([frame.jobId, frame.key]);
        }
        await tx.done;
        for (const e of batch) e.resolve();
      } catch (e) {
        for (const entry of batch) entry.reject(e);
      }
    }
    this.committing = false;
  }

  /** Closes the files (a worker that ends closes them too). */
  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    for (const f of files) (await f.opening.catch(() => undefined))?.handle.close();
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
  await deleteFrameFiles(id);
}

/**
 * Removes a job's frame files. A worker that wrote them may still be ending (its files stay locked
 * until it has): try again for a few seconds.
 */
async function deleteFrameFiles(jobId: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  for (let attempt = 0; ; attempt++) {
    try {
      const frames = await root.getDirectoryHandle(FRAMES_DIR);
      await frames.removeEntry(jobId, { recursive: true });
      return;
    } catch (e) {
      const name = (e as DOMException).name;
      if (name === 'NotFoundError') return;
      if (name !== 'NoModificationAllowedError' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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
      if (f.file !== undefined && (f.offset ?? 0) + f.size > (await files.length(f.file))) continue;
      keys.add(f.key);
    }
  }
  return keys;
}

/** A job's frame records in key order, `size` at a time (one request, one task, each). */
async function* frameBatches(jobId: string, size: number): AsyncGenerator<StoredFrame[]> {
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

/**
 * Reads frames' bytes from a job's files. A File is a snapshot: once its writer appends again,
 * reading it fails (NotReadableError), so a stale one is replaced by a fresh one and the read tried
 * again.
 */
class FrameFiles {
  private dir: Promise<FileSystemDirectoryHandle | undefined> | undefined;
  /** the latest snapshot of each file looked at; undefined: the file is missing */
  private files = new Map<string, File | undefined>();

  constructor(private readonly jobId: string) {}

  private async file(name: string, fresh: boolean): Promise<File | undefined> {
    if (!fresh && this.files.has(name)) return this.files.get(name);
    this.dir ??= jobDir(this.jobId, false).catch(() => undefined);
    const dir = await this.dir;
    let file: File | undefined;
    try {
      file = await (await dir?.getFileHandle(name))?.getFile();
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw e;
    }
    this.files.set(name, file);
    return file;
  }

  /** A file's length as first looked at (0 when it is missing). */
  async length(name: string): Promise<number> {
    return (await this.file(name, false))?.size ?? 0;
  }

  /** The frame's bytes; undefined when its file is missing or too short (never other bytes). */
  async read(frame: StoredFrame): Promise<ArrayBuffer | undefined> {
    const { file: name, offset = 0, size } = frame;
    if (name === undefined) return undefined;
    for (let attempt = 0; ; attempt++) {
      const file = await this.file(name, attempt > 0);
      if (!file || file.size < offset + size) {
        // A snapshot from before the frame was appended: look again once.
        if (attempt === 0 && file) continue;
        return undefined;
      }
      try {
        return await file.slice(offset, offset + size).arrayBuffer();
      } catch (e) {
        if ((e as DOMException).name !== 'NotReadableError' || attempt >= 20) throw e;
      }
    }
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
  if (frame.file !== undefined) {
    const data = await new FrameFiles(jobId).read(frame);
    return data ? { ...frame, data } : undefined;
  }
  const tx = db.transaction(['frameData', 'chunks']);
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
  const files = new FrameFiles(jobId);
  let chunks = new Map<string, StoredChunk['data']>();
  for await (const frames of frameBatches(jobId, batchSize)) {
    const last = frames[frames.length - 1]!.key;
    // Frames stored by earlier versions: their bytes in IndexedDB.
    const inDb = frames.filter((f) => f.file === undefined);
    const bytes = new Map<string, ArrayBuffer>();
    if (inDb.length > 0) {
      const tx = db.transaction(['frameData', 'chunks']);
      const legacy = inDb.some((f) => f.chunk === undefined)
        ? await tx
            .objectStore('frameData')
            .getAll(IDBKeyRange.bound([jobId, frames[0]!.key], [jobId, last]))
        : [];
      for (const d of legacy) bytes.set(d.key, d.data);
      // The chunks this batch needs: kept from the batch before when it read them already.
      const wanted = new Set(inDb.flatMap((f) => (f.chunk === undefined ? [] : [f.chunk])));
      const next = new Map<string, StoredChunk['data']>();
      for (const id of wanted) {
        const c = chunks.get(id) ?? (await tx.objectStore('chunks').get([jobId, id]))?.data;
        if (c) next.set(id, c);
      }
      chunks = next;
      for (const f of inDb) {
        const c = f.chunk === undefined ? undefined : chunks.get(f.chunk);
        const d = c ? bytesIn(c, f) : undefined;
        if (d) bytes.set(f.key, d);
      }
    }
    for (const f of frames) {
      const d = f.file === undefined ? bytes.get(f.key) : await files.read(f);
      if (d) yield { ...f, data: d };
    }
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
