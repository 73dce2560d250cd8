/**
 * The browser's store as a FrameSink: put() appends a frame's bytes to this writer's file for the
 * job (a file no other writer touches) and resolves when the frame's record has committed to
 * IndexedDB (a group commit: records.ts). Runs in a dedicated worker (synchronous access handles
 * exist nowhere else).
 */
import type { FrameSink, StoredFrame } from '../../core/sink';
import { openFrameFile, type OpenFile } from './frameFiles';
import { RecordCommitter } from './records';
import type { Db } from './schema';

/** A job's frame file as this writer appends to it. */
interface FrameFile {
  opening: Promise<OpenFile>;
  /** set once the file is open */
  open?: OpenFile;
  size: number;
}

/**
 * Stores frames. A QuotaExceededError from the file rejects that frame; from IndexedDB, every
 * frame of that transaction.
 */
export class FrameWriter implements FrameSink {
  private files = new Map<string, FrameFile>();
  private readonly records: RecordCommitter;
  /** bytes whose record has not committed yet: the worker stops fetching past a bound */
  pendingBytes = 0;

  constructor(db: Db) {
    this.records = new RecordCommitter(db);
  }

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
        this.records
          .add({ ...frame, file: file.open!.name, offset, size }, failedBefore)
          .then(resolve, reject);
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

  /** Closes the files (a worker that ends closes them too). */
  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    for (const f of files) (await f.opening.catch(() => undefined))?.handle.close();
  }
}
