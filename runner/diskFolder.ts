/**
 * A folder on disk by path, as the app's destination code reads and writes a picked folder
 * (src/io/folder.ts `Files`): each file written to a temporary name beside it and renamed into
 * place, so a file is whole or absent (a kill or a crash mid-write leaves no short file under the
 * final name); folders on the way made once. A full disk and a refused write become the errors the
 * app pauses a job with, in the runner's words; nothing written before is touched.
 */
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { threadId } from 'node:worker_threads';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { RetrieveError } from '../src/core/errors';
import type { Files, FolderData } from '../src/io/folder';

/** An fs error as the error that stops the run (disk full, write refused), else as it is. */
export function diskError(e: unknown, dir: string): unknown {
  const code = (e as { code?: string } | undefined)?.code;
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

let tmpCount = 0;

export class DiskFolder implements Files {
  readonly dir: string;
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
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
    const tmp = `${file}.${process.pid}-${threadId}-${tmpCount++}.tmp`;
    try {
      await this.parent(file);
      if (data instanceof ReadableStream)
        await pipeline(
          Readable.fromWeb(data as NodeReadableStream<Uint8Array>),
          createWriteStream(tmp),
        );
      else if (data instanceof Blob) await writeFile(tmp, data.stream());
      else await writeFile(tmp, data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      throw diskError(e, this.dir);
    }
  }

  async read(path: string): Promise<Blob | undefined> {
    const file = this.path(path);
    try {
      // openAsBlob refuses a missing file with a bare ERR_INVALID_ARG_VALUE: ask first.
      if (!(await stat(file)).isFile()) return undefined;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
    return openAsBlob(file);
  }

  async remove(path: string): Promise<void> {
    const gone = this.path(path);
    await rm(gone, { recursive: true, force: true });
    for (const key of this.made.keys())
      if (key === gone || key.startsWith(`${gone}/`)) this.made.delete(key);
  }
}
