/**
 * Frame files in the origin private file system (OPFS): each job's folder `frames/<jobId>/` holds
 * the files its writers append frames' bytes to, one file per writer, through synchronous access
 * handles (dedicated workers only). Opening one (with its time-out), reading frames back, and
 * removing a job's files live here.
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
 * file too short and reports the frame's bytes missing, never other bytes.
 */
import { RetrieveError } from '../../core/errors';
import type { StoredFrame } from '../../core/sink';

/** The OPFS directory holding each job's frame files, in a directory named by the job's ID. */
const FRAMES_DIR = 'frames';

/**
 * What is used of a FileSystemSyncAccessHandle (declared here: it exists in dedicated workers only,
 * and this module also compiles for the window, whose DOM lib lacks it).
 */
export interface SyncAccessHandle {
  write(data: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  close(): void;
}

/** A frame file open for appending. */
export interface OpenFile {
  name: string;
  handle: SyncAccessHandle;
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
export async function openFrameFile(jobId: string): Promise<OpenFile> {
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
 * Removes a job's frame files. A worker that wrote them may still be ending (its files stay locked
 * until it has): try again for a few seconds.
 */
export async function deleteFrameFiles(jobId: string): Promise<void> {
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
 * Reads frames' bytes from a job's files. A File is a snapshot: once its writer appends again,
 * reading it fails (NotReadableError), so a stale one is replaced by a fresh one and the read tried
 * again.
 */
export class FrameFiles {
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
