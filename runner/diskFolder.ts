/**
 * A folder on disk by path, as the app's destination code reads and writes a picked folder
 * (src/io/folder.ts `Files`): each file written to a temporary name beside it and renamed into
 * place, so a file is whole or absent (a kill or a crash mid-write leaves no short file under the
 * final name); folders on the way made once. A full disk and a refused write become the errors the
 * app pauses a job with, in the runner's words; nothing written before is touched.
 *
 * `inPlace` is for a file system that renames nothing (Mountpoint for Amazon S3: an object is
 * uploaded whole when its file is closed, and a rename or an append is refused): each file is
 * written once under its final name, opened with O_TRUNC so an existing object is replaced. A
 * kill mid-write leaves no short object there either (Mountpoint uploads on close only), and the
 * journal, not the file's presence, says what is intact. A write refused at its open (a file the
 * mount may not replace) leaves that file as it was; one that fails later removes what it wrote.
 */
import { openAsBlob } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { RetrieveError } from '../src/core/errors';
import type { Files, FolderData } from '../src/io/folder';

/** An fs error's code (`ENOSPC`, `EPERM`, …), if it has one. */
const codeOf = (e: unknown) => (e as { code?: string } | undefined)?.code;

/** An fs error as the error that stops the run (disk full, write refused), else as it is. */
export function diskError(e: unknown, dir: string): unknown {
  const code = codeOf(e);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new RetrieveError(
      'QuotaExceeded',
      `The disk holding ${dir} is full: the run stopped. Everything written is kept; free some space and run the same command again to fetch the rest.`,
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new RetrieveError(
      'WriteRefused',
      `Writing to ${dir} was refused (${code}): the run stopped. Everything written is kept; fix the folder's permissions and run the same command again.`,
    );
  return e;
}

/** A rename the file system does not do (Mountpoint for Amazon S3), as the error that says so. */
function renameError(e: unknown, dir: string): RetrieveError | undefined {
  const code = codeOf(e);
  if (
    (e as { syscall?: string } | undefined)?.syscall !== 'rename' ||
    (code !== 'ENOSYS' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV')
  )
    return undefined;
  return new RetrieveError(
    'WriteRefused',
    `The file system holding ${dir} does not rename files (${code}), as a Mountpoint for Amazon S3 folder does not: run again with --mountpoint to write each file in place. Everything written is kept.`,
  );
}

/** Writes `data` through `handle`, from the file's start (opened with O_TRUNC: never an append). */
async function writeTo(
  handle: FileHandle,
  data: FolderData | ReadableStream<Uint8Array>,
): Promise<void> {
  if (data instanceof Blob || data instanceof ReadableStream) {
    const reader = (data instanceof Blob ? data.stream() : data).getReader();
    try {
      // writeFile on an open handle writes from where the last write ended, all of it.
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        await handle.writeFile(chunk.value);
    } catch (e) {
      await reader.cancel(e).catch(() => {}); // the source is not left waiting
      throw e;
    }
  } else await handle.writeFile(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

let tmpCount = 0;

export class DiskFolder implements Files {
  readonly dir: string;
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(
    dir: string,
    /** write each file under its final name (no temporary file, no rename): see the header */
    readonly inPlace = false,
  ) {
    this.dir = resolve(dir);
  }

  get name(): string {
    return this.dir;
  }

  /** The absolute path of `path` inside the folder. */
  path(path: string): string {
    return join(this.dir, ...path.split('/'));
  }

  private parent(file: string): Promise<unknown> {
    const dir = dirname(file);
    let made = this.made.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      made.catch(() => this.made.delete(dir));
      this.made.set(dir, made);
    }
    return made;
  }

  async write(path: string, data: FolderData | ReadableStream<Uint8Array>): Promise<void> {
    const file = this.path(path);
    if (this.inPlace) return this.writeInPlace(file, data);
    const tmp = `${file}.${process.pid}-${threadId}-${tmpCount++}.tmp`;
    try {
      await this.parent(file);
      const handle = await open(tmp, 'w');
      try {
        await writeTo(handle, data);
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      throw renameError(e, this.dir) ?? diskError(e, this.dir);
    }
  }

  private async writeInPlace(
    file: string,
    data: FolderData | ReadableStream<Uint8Array>,
  ): Promise<void> {
    let handle: FileHandle;
    try {
      await this.parent(file);
      handle = await open(file, 'w');
    } catch (e) {
      // Refused before anything was written (a file Mountpoint may not replace): left as it is.
      const code = codeOf(e);
      if ((code === 'EPERM' || code === 'EACCES') && (await exists(file)))
        throw new RetrieveError(
          'WriteRefused',
          `${this.dir} refused to replace ${file} (${code}): a bucket mounted by Mountpoint for Amazon S3 replaces files only when mounted with --allow-overwrite. Everything written is kept; run the same command again once it may.`,
        );
      throw diskError(e, this.dir);
    }
    try {
      try {
        await writeTo(handle, data);
      } finally {
        await handle.close(); // where Mountpoint uploads the object, and says if it could not
      }
    } catch (e) {
      // A partial file is not left under the final name (on Mountpoint none was uploaded).
      await rm(file, { force: true }).catch(() => {});
      throw diskError(e, this.dir);
    }
  }

  /**
   * Says now, before any frame is fetched, what an in-place folder refuses that a run needs:
   * creating a file, replacing one (a frame fetched again), deleting one (a DICOM instance's or
   * a NIfTI volume's parts, once assembled). `name` is a probe file, removed again.
   */
  async checkInPlace(name: string): Promise<void> {
    const file = this.path(name);
    const step = async (what: string, flag: string, act: () => Promise<unknown>) => {
      try {
        await act();
      } catch (e) {
        const code = codeOf(e);
        if (code === 'EPERM' || code === 'EACCES' || code === 'ENOTSUP' || code === 'ENOSYS')
          throw new RetrieveError(
            'BadInput',
            `${this.dir} refuses to ${what} (${code})${flag}. Nothing was fetched.`,
          );
        throw diskError(e, this.dir);
      }
    };
    await step('create a file', '', async () => {
      await this.parent(file);
      await writeFile(file, 'probe\n', { flag: 'w' });
    });
    await step('replace a file', ': mount the bucket with --allow-overwrite', () =>
      writeFile(file, 'probe again\n', { flag: 'w' }),
    );
    // unlink, not rm: rm takes a refused unlink for a folder and says ENOTDIR instead.
    await step('delete a file', ': mount the bucket with --allow-delete', () => unlink(file));
  }

  async read(path: string): Promise<Blob | undefined> {
    const file = this.path(path);
    try {
      // openAsBlob refuses a missing file with a bare ERR_INVALID_ARG_VALUE: ask first.
      if (!(await stat(file)).isFile()) return undefined;
    } catch (e) {
      const code = codeOf(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
    return openAsBlob(file);
  }

  async remove(path: string): Promise<void> {
    const gone = this.path(path);
    try {
      // A file by unlink: rm takes a refused unlink (EPERM) for a folder's and says ENOTDIR.
      const folder = (await lstat(gone)).isDirectory();
      await (folder ? rm(gone, { recursive: true, force: true }) : unlink(gone));
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') throw diskError(e, this.dir);
    }
    for (const key of this.made.keys())
      if (key === gone || key.startsWith(`${gone}/`)) this.made.delete(key);
  }
}
