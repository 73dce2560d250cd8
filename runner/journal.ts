/**
 * The output folder's journal: the runner's stand-in for the app's IndexedDB records. Every frame
 * written to the folder gets a JSON line (its StoredFrame record: the file, its size and CRC-32)
 * once its file is in place, in a file of its own per thread and run under
 * `.ahi-web-retrieve/journal/`, so shards and threads never write to one file. Lines are appended in
 * groups (one write for what arrived meanwhile). A run reads every journal file first; the last
 * line for a frame wins, and a line torn by a kill is skipped (its frame is fetched again). The
 * journal stays after the run: it is what the next run checks the files against.
 */
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { WORK_DIR } from '../src/core/destination';
import type { StoredFrame } from '../src/core/sink';
import type { DestinationRecords } from '../src/io/destination/records';
import type { RecordSink } from '../src/io/sinks/folder';
import type { DiskFolder } from './diskFolder';
import { diskError } from './diskFolder';

export const JOURNAL_DIR = `${WORK_DIR}/journal`;

/** Appends records to one journal file, grouped; each resolves once its line is written. */
export class JournalWriter implements RecordSink {
  private handle: Promise<FileHandle> | undefined;
  private waiting: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly folder: DiskFolder,
    /** the journal file's name: unique per thread and run */
    private readonly name: string,
    /** told of each record once it is written (the main thread's copy) */
    private readonly written?: (record: StoredFrame) => void,
  ) {}

  private file(): Promise<FileHandle> {
    this.handle ??= (async () => {
      const dir = this.folder.path(JOURNAL_DIR);
      await mkdir(dir, { recursive: true });
      return open(join(dir, `${this.name}.jsonl`), 'a');
    })();
    this.handle.catch(() => (this.handle = undefined));
    return this.handle;
  }

  add(record: StoredFrame): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        line: `${JSON.stringify(record)}\n`,
        resolve: () => {
          this.written?.(record);
          resolve();
        },
        reject,
      });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await (await this.file()).appendFile(batch.map((e) => e.line).join(''));
        for (const e of batch) e.resolve();
      } catch (e) {
        const error = diskError(e, this.folder.dir);
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writing = false;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }
}

/** Every record the folder's journal holds, the last line per frame winning. */
export async function readJournal(folder: DiskFolder): Promise<Map<string, StoredFrame>> {
  const dir = folder.path(JOURNAL_DIR);
  const records = new Map<string, StoredFrame>();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return records;
  }
  const all: StoredFrame[] = [];
  for (const name of names) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as StoredFrame;
        if (typeof r.key === 'string' && (typeof r.file === 'string' || r.leftOut)) all.push(r);
      } catch {
        // a line torn by a kill: its frame is fetched again
      }
    }
  }
  // Latest last, whichever file a line is in.
  all.sort((a, b) => a.storedAt - b.storedAt);
  for (const r of all) records.set(r.key, r);
  return records;
}

/**
 * The run's records in memory, as the app's destination code reads them (src/io/destination):
 * what the journal held, what the threads write, and what assembling changes (appended to the
 * main thread's own journal file).
 */
export class JournalRecords implements DestinationRecords {
  constructor(
    readonly map: Map<string, StoredFrame>,
    private readonly writer: JournalWriter,
  ) {}

  get(keys: string[]): Promise<(StoredFrame | undefined)[]> {
    return Promise.resolve(keys.map((k) => this.map.get(k)));
  }

  async put(records: StoredFrame[]): Promise<void> {
    const now = Date.now();
    await Promise.all(
      records.map((r) => {
        const stamped = { ...r, storedAt: Math.max(now, r.storedAt + 1) };
        this.map.set(r.key, stamped);
        return this.writer.add(stamped);
      }),
    );
  }

  async *batches(size: number): AsyncIterable<StoredFrame[]> {
    const sorted = [...this.map.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    for (let i = 0; i < sorted.length; i += size) {
      yield sorted.slice(i, i + size);
      await Promise.resolve();
    }
  }
}
