/**
 * The journal on a folder that cannot append (Mountpoint for Amazon S3): its records written in
 * segments, each file once, read back as the append-only journal's are.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredFrame } from '../src/core/sink';
import { DiskFolder } from './diskFolder';
import { JOURNAL_DIR, JournalWriter, readJournal, SEGMENT_LINES } from './journal';

const dirs: string[] = [];
const folder = async (inPlace: boolean) => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  dirs.push(dir);
  return new DiskFolder(dir, inPlace);
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const record = (i: number, storedAt = i): StoredFrame =>
  ({
    key: `set/frame${i}`,
    file: `f/${i}.jph`,
    size: 10,
    fileSize: 10,
    fileCrc: i,
    storedAt,
  }) as unknown as StoredFrame;

describe('the journal in segments', () => {
  it('writes what it took in new files, each line once, read back like an appended journal', async () => {
    const f = await folder(true);
    const told: string[] = [];
    const writer = new JournalWriter(f, 'run-t1', (r) => told.push(r.key));
    const n = SEGMENT_LINES + 7;
    for (let i = 0; i < n; i++) await writer.add(record(i));
    // Taken before written (no wait per frame), and told at once.
    expect(told.length).toBe(n);
    await writer.close();
    const names = (await readdir(f.path(JOURNAL_DIR))).sort();
    expect(names).toEqual(['run-t1-000001.jsonl', 'run-t1-000002.jsonl']);
    const first = await readFile(join(f.path(JOURNAL_DIR), names[0]!), 'utf8');
    expect(first.trim().split('\n').length).toBe(SEGMENT_LINES);
    const read = await readJournal(f);
    expect(read.size).toBe(n);
    expect(read.get(`set/frame${n - 1}`)?.fileCrc).toBe(n - 1);
  });

  it('the last line for a frame wins across segments and appended files; a torn line is skipped', async () => {
    const f = await folder(true);
    const a = new JournalWriter(f, 'run-a');
    await a.add(record(1, 100));
    await a.close();
    const b = new JournalWriter(f, 'run-b');
    await b.add({ ...record(1, 200), fileCrc: 77 });
    await b.close();
    await writeFile(
      join(f.path(JOURNAL_DIR), 'old.jsonl'),
      `${JSON.stringify(record(2))}\n{"key":"torn`,
    );
    const read = await readJournal(f);
    expect(read.get('set/frame1')?.fileCrc).toBe(77);
    expect([...read.keys()].sort()).toEqual(['set/frame1', 'set/frame2']);
  });

  it('a segment that cannot be written refuses the records after it, and close says so', async () => {
    const f = await folder(true);
    const writer = new JournalWriter(f, 'run-full');
    await writer.add(record(1));
    // The journal's folder made a file: the segment cannot be written under it.
    await writeFile(f.path('.ahi-web-retrieve'), 'in the way');
    await expect(writer.close()).rejects.toThrow();
    await expect(writer.add(record(2))).rejects.toThrow();
  });

  it('an appending folder keeps one file per writer', async () => {
    const f = await folder(false);
    const writer = new JournalWriter(f, 'run-t2');
    for (let i = 0; i < 3; i++) await writer.add(record(i));
    await writer.close();
    expect(await readdir(f.path(JOURNAL_DIR))).toEqual(['run-t2.jsonl']);
  });
});
