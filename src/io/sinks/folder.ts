/**
 * A destination folder as a FrameSink (core/destination.ts): each verified frame is written as a
 * file of its own as it arrives (ahi-retrieve's frame file, or the frame's part for formats
 * assembled later) and its record, with the file's size and CRC-32 for a resume to check the file
 * against, is kept once the file is closed: in IndexedDB in the browser (nothing of the frame stays
 * in the browser's store), in the output folder's journal for the command-line runner. A full disk
 * or a withdrawn permission rejects the frame with an error that pauses the job (nothing written is
 * lost: each file is whole or absent).
 */
import { assembles, partPath } from '../../core/destination';
import { RetrieveError } from '../../core/errors';
import { crc32, loadCrc32 } from '../../core/crc32';
import type { FrameSink, StoredFrame } from '../../core/sink';
import { framePath } from '../exports/ahiRetrieve';
import { Folder, type Files } from '../folder';
import { RecordCommitter, type Db } from '../store';

/** Where a destination's frame records are kept (resolves once the record is durable). */
export interface RecordSink {
  add(record: StoredFrame, failedBefore: boolean): Promise<void>;
  /** makes every record taken durable (a keeper that takes them before they are) */
  close?(): Promise<void>;
}

/** A file system's refusal as an error that pauses the job, in words. */
export function folderError(e: unknown, folder: string): unknown {
  const name = (e as { name?: string } | undefined)?.name;
  if (name === 'QuotaExceededError')
    return new RetrieveError(
      'QuotaExceeded',
      `The disk holding the folder "${folder}" is full (or this site's storage quota is used up): the job paused. Everything written is kept; free some space and press Resume.`,
    );
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'NotFoundError')
    return new RetrieveError(
      'WriteRefused',
      `The browser no longer lets this page write to the folder "${folder}" (the permission was withdrawn, or the folder was moved or deleted): the job paused. Everything written is kept; press Resume to allow it again.`,
    );
  return e;
}

export class FolderSink implements FrameSink {
  pendingBytes = 0;

  private constructor(
    private readonly folder: Files,
    private readonly records: RecordSink,
    private readonly format: string,
  ) {}

  /** A picked folder's sink, its records in IndexedDB. */
  static open(db: Db, root: FileSystemDirectoryHandle, format: string): Promise<FolderSink> {
    return FolderSink.over(new Folder(root), new RecordCommitter(db), format);
  }

  /** A sink over any folder and record keeper (the runner's disk folder and journal). */
  static async over(folder: Files, records: RecordSink, format: string): Promise<FolderSink> {
    await loadCrc32();
    return new FolderSink(folder, records, format);
  }

  async put(frame: StoredFrame, bytes: Uint8Array, failedBefore = false): Promise<void> {
    const size = bytes.length;
    this.pendingBytes += size;
    // A copy: the caller reuses its buffer, and the file is written asynchronously.
    const data = bytes.slice();
    const file = assembles(this.format) ? partPath(frame) : framePath(frame);
    try {
      const fileCrc = crc32(data);
      await this.folder.write(file, data);
      await this.records.add(
        { ...frame, file, offset: 0, size, fileSize: size, fileCrc },
        failedBefore,
      );
    } catch (e) {
      // A file the write left empty or short (the disk full) goes: no file, no record.
      await this.folder.remove(file).catch(() => {});
      throw folderError(e, this.folder.name);
    } finally {
      this.pendingBytes -= size;
    }
  }

  async close(): Promise<void> {
    await this.records.close?.();
  }
}
