/**
 * The output folder's journal: the runner's stand-in for the app's IndexedDB records. Every frame
 * written to the folder gets a JSON line (its StoredFrame record: the file, its size and CRC-32)
 * once its file is in place, in a file of its own per thread and run under
 * `.ahi-web-retrieve/journal/`, so shards and threads never write to one file. Lines are appended in
 * groups (one write for what arrived meanwhile). A run reads every journal file first; the last
 * line for a frame wins, and a line torn by a kill is skipped (its frame is fetched again). The
 * journal stays after the run: it is what the next run checks the files against.
 *
 * On a folder that cannot append (Mountpoint for Amazon S3: DiskFolder `inPlace`) the journal is
 * written in segments instead: a new file of the lines gathered over SEGMENT_MS (or SEGMENT_LINES
 * of them), each written once. A record is then taken before its line is on disk (waiting up to
 * SEGMENT_MS per frame would hold every request slot that long); `close` writes what is left, and
 * a kill loses at most the last SEGMENT_MS of lines, whose frames the next run fetches again.
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

/** A journal segment holds the lines of at most this long (an in-place folder's journal)... */
export const SEGMENT_MS = 2000;
/** ...or this many of them, whichever comes first. */
export const SEGMENT_LINES = 5000;

/** Journal files read at once (on Mountpoint each read is an S3 request). */
const READ_AT_ONCE = 16;

interface Waiting {
  line: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Appends records to one journal file, grouped; each resolves once its line is written. */
export class JournalWriter implements RecordSink {
  private handle: Promise<FileHandle> | undefined;
  private waiting: Waiting[] = [];
  private writing = false;
  /** segments: the lines not written yet, when the next segment is due, how many were written */
  private lines: string[] = [];
  private due: ReturnType<typeof setTimeout> | undefined;
  private segments = 0;
  private segmentWrites: Promise<void> = Promise.resolve();
  /** a segment's write failed: every record after it is refused with this */
  private failed: Error | undefined;

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
    const line = `${JSON.stringify(record)}\n`;
    if (this.folder.inPlace) return this.addToSegment(record, line);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        line,
        resolve: () => {
          this.written?.(record);
          resolve();
        },
        reject,
      });
      if (!this.writing) void this.flush();
    });
  }

  private addToSegment(record: StoredFrame, line: string): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.lines.push(line);
    this.written?.(record);
    if (this.lines.length >= SEGMENT_LINES) this.writeSegment();
    else if (!this.due) {
      this.due = setTimeout(() => this.writeSegment(), SEGMENT_MS);
      this.due.unref();
    }
    return Promise.resolve();
  }

  /** Writes the lines gathered so far as the next segment (after the segments before it). */
  private writeSegment(): void {
    clearTimeout(this.due);
    this.due = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    const name = `${JOURNAL_DIR}/${this.name}-${String(++this.segments).padStart(6, '0')}.jsonl`;
    this.segmentWrites = this.segmentWrites.then(() =>
      this.folder.write(name, text).catch((e: unknown) => {
        this.failed ??= e instanceof Error ? e : new Error(String(e));
      }),
    );
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

  /** Writes what is left (a last segment) and closes the file; rejects if a write failed. */
  async close(): Promise<void> {
    this.writeSegment();
    await this.segmentWrites;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
    if (this.failed) throw this.failed;
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
  const parse = (text: string) => {
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as StoredFrame;
        if (typeof r.key === 'string' && (typeof r.file === 'string' || r.leftOut)) all.push(r);
      } catch {
        // a line torn by a kill: its frame is fetched again
      }
    }
  };
  for (let i = 0; i < names.length; i += READ_AT_ONCE)
    for (const text of await Promise.all(
      names.slice(i, i + READ_AT_ONCE).map((name) => readFile(join(dir, name), 'utf8')),
    ))
      parse(text);
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
