/**
 * A folder by paths: files written whole (a file is on disk complete or not at all), read, removed.
 * `Files` is what a destination folder's sink, assembler and resume check need of one; `Folder` is
 * the browser's, over a folder the user picked (File System Access: written through the browser's
 * swap file, replaced when closed), with the subfolders on the way made once and remembered. The
 * command-line runner has its own over node:fs (runner/diskFolder.ts). Used by folder exports and
 * by a job's destination folder.
 */

const notFound = (e: unknown) =>
  (e as { name?: string } | undefined)?.name === 'NotFoundError' ||
  (e as { name?: string } | undefined)?.name === 'TypeMismatchError';

export type FolderData = ArrayBuffer | Uint8Array | string | Blob;

export interface Files {
  /** the folder's name, for messages */
  readonly name: string;
  /** Writes a whole file (replacing one of that name), making the folders on the way. */
  write(path: string, data: FolderData | ReadableStream<Uint8Array>): Promise<void>;
  /** A file's contents, or undefined when there is no such file. */
  read(path: string): Promise<Blob | undefined>;
  /** Removes a file or a folder with what it holds; nothing there is not an error. */
  remove(path: string): Promise<void>;
}

export class Folder implements Files {
  private readonly dirs = new Map<string, Promise<FileSystemDirectoryHandle>>();

  constructor(readonly root: FileSystemDirectoryHandle) {}

  get name(): string {
    return this.root.name;
  }

  /** The folder at `parts` below the root, made when missing. */
  dir(parts: readonly string[]): Promise<FileSystemDirectoryHandle> {
    if (parts.length === 0) return Promise.resolve(this.root);
    const key = parts.join('/');
    let d = this.dirs.get(key);
    if (!d) {
      d = this.dir(parts.slice(0, -1)).then((parent) =>
        parent.getDirectoryHandle(parts[parts.length - 1]!, { create: true }),
      );
      // A failure (permission withdrawn, disk gone) is not remembered: the next call tries again.
      d.catch(() => this.dirs.delete(key));
      this.dirs.set(key, d);
    }
    return d;
  }

  private async handle(path: string, create: boolean): Promise<FileSystemFileHandle> {
    const parts = path.split('/');
    const name = parts.pop()!;
    const dir = await this.dir(parts);
    return dir.getFileHandle(name, { create });
  }

  /** Writes a whole file (replacing one of that name). */
  async write(path: string, data: FolderData | ReadableStream<Uint8Array>): Promise<void> {
    const w = await (await this.handle(path, true)).createWritable();
    try {
      if (data instanceof ReadableStream) await data.pipeTo(w);
      else {
        await w.write(data as FileSystemWriteChunkType);
        await w.close();
      }
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  }

  /** A file's contents, or undefined when there is no such file. */
  async read(path: string): Promise<File | undefined> {
    try {
      const parts = path.split('/');
      const name = parts.pop()!;
      let dir = this.root;
      for (const p of parts) dir = await dir.getDirectoryHandle(p);
      return await (await dir.getFileHandle(name)).getFile();
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** Removes a file or a folder with what it holds; nothing there is not an error. */
  async remove(path: string): Promise<void> {
    const parts = path.split('/');
    const name = parts.pop()!;
    try {
      let dir = this.root;
      for (const p of parts) dir = await dir.getDirectoryHandle(p);
      await dir.removeEntry(name, { recursive: true });
      for (const key of this.dirs.keys())
        if (key === path || key.startsWith(`${path}/`)) this.dirs.delete(key);
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }
}
