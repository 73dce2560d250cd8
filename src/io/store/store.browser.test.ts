/**
 * The frame store in real Chromium: IndexedDB records and OPFS frame files, the writer in a
 * dedicated worker as in the app. Each frame reads back byte for byte (alone, and in an export's
 * key order, also while its file is still being appended to), put() copies (the caller's buffer is
 * overwritten at once), frames stored by earlier versions (frameData records, chunks of buffer
 * lists, one-buffer chunks) still read, a record whose file is too short reads as missing (and
 * not stored, for a resume), a job's stored frames are found past the first batch of records, a
 * version-1 database upgrades in place, storing a frame an earlier run failed deletes that failure
 * record (and no other), deleting a job deletes its records and its files, and a frame file
 * that does not open in time is given up for another (frames fail with StorageFailed only when
 * none opens), and a job's sources larger than one record may be (a cohort's metadata) are kept
 * in several and read back whole.
 */
import { describe, expect, it } from 'vitest';
import {
  createJob,
  deleteJob,
  failureKeys,
  getJobSources,
  getStoredFrame,
  openDb,
  putFailures,
  storedFrameKeys,
  readStoredFrames,
  upgradeSchema,
  type Db,
} from '.';
import type { StoredFrame } from '../../core/sink';
import { testWriter } from '../../../test-support/frameWriter';
import { storedFrame as frame } from '../../../test-support/storedFrame';

/** Bytes that differ from frame to frame and along each frame. */
const bytesFor = (seed: number, size: number) => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 255;
  return b;
};

const count = async (db: Db, store: 'chunks' | 'frames' | 'frameData', jobId: string) =>
  db.count(store, IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));

/** The names of a job's frame files, [] when it has no folder. */
async function filesOf(jobId: string): Promise<string[]> {
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle('frames')).getDirectoryHandle(jobId);
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys())
      names.push(name);
    return names;
  } catch {
    return [];
  }
}

describe('job sources', () => {
  it('keeps sources too large for one record in several, reads them back whole, deletes them all', async () => {
    const id = `sources-${crypto.randomUUID()}`;
    // 150 M characters: more than one record holds in a private window (128 MiB): each large document in a record of its own, the small one too.
    const doc = (n: number) => ({
      name: `doc${n}.json`,
      content: String(n).repeat(50_000_000),
      role: 'manifest' as const,
    });
    const sources = [
      doc(1),
      doc(2),
      doc(3),
      { name: 'small.json', content: '{}', role: 'metadata' as const },
    ];
    const record = {
      id,
      name: 'big',
      createdAt: 0,
      updatedAt: 0,
      state: 'running' as const,
      settings: {
        endpoint: '',
        region: '',
        format: 'raw' as const,
        verify: true,
        workers: 1,
        inFlight: 1,
        autoTune: false,
      },
      totals: { frames: 0, verified: 0, stored: 0, failed: 0, bytes: 0 },
    };
    await createJob(record, sources);
    const db = await openDb();
    expect(await db.count('jobSources', IDBKeyRange.bound(id, `${id}#\uffff`))).toBe(4);
    const back = await getJobSources(id);
    expect(back?.map((s) => [s.name, s.content.length, s.content.slice(0, 1)])).toEqual(
      sources.map((s) => [s.name, s.content.length, s.content.slice(0, 1)]),
    );
    await deleteJob(id);
    expect(await db.count('jobSources', IDBKeyRange.bound(id, `${id}#\uffff`))).toBe(0);
    expect(await getJobSources(id)).toBeUndefined();
  });
});

describe('frame storage', () => {
  it('appends frames to a file of its own and reads each back exactly', async () => {
    const jobId = `files-${crypto.randomUUID()}`;
    const db = await openDb();
    const writer = testWriter();
    const sizes = [170_001, 5, 200_000, 1];
    const keys = ['s/3', 's/1', 's/4', 's/2'];
    // Each source is a view into a larger buffer (as a pooled body is); the worker overwrites it
    // as soon as put() returns: put copies.
    const entries = keys.map((k, i) => {
      const b = new Uint8Array(sizes[i]! + 64);
      b.set(bytesFor(i + 1, sizes[i]!), 32);
      return { frame: frame(jobId, k, sizes[i]), bytes: b.subarray(32, 32 + sizes[i]!) };
    });
    const { outcomes, pendingBytes } = await writer.putAll(entries);
    expect(outcomes).toEqual(['stored', 'stored', 'stored', 'stored']);
    expect(pendingBytes).toBe(0);
    // One file for the writer, the frames one after the other, each record naming its range.
    const files = await filesOf(jobId);
    expect(files).toHaveLength(1);
    const records = await db.getAll('frames', IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));
    expect(records.every((r) => r.file === files[0] && r.chunk === undefined)).toBe(true);
    expect(
      records
        .map((r) => r.offset! + r.size)
        .sort((a, b) => a - b)
        .at(-1),
    ).toBe(370_007);
    for (const [i, k] of keys.entries()) {
      const got = await getStoredFrame(jobId, k);
      expect(got?.size).toBe(sizes[i]);
      expect(new Uint8Array(got!.data)).toEqual(bytesFor(i + 1, sizes[i]!));
    }
    const exported: string[] = [];
    for await (const f of readStoredFrames(jobId, 3)) {
      const i = keys.indexOf(f.key);
      expect(new Uint8Array(f.data)).toEqual(bytesFor(i + 1, sizes[i]!));
      exported.push(f.key);
    }
    expect(exported).toEqual(['s/1', 's/2', 's/3', 's/4']);
    expect(await getStoredFrame(jobId, 's/9')).toBeUndefined();

    // The worker still holds its file open: the job's folder goes once the worker has ended.
    const deleting = deleteJob(jobId);
    writer.terminate();
    await deleting;
    expect(await count(db, 'frames', jobId)).toBe(0);
    expect(await filesOf(jobId)).toEqual([]);
  });

  it('reads frames while the writer goes on appending to their file', async () => {
    const jobId = `live-${crypto.randomUUID()}`;
    const writer = testWriter();
    const size = 100_000;
    const put = (key: string, seed: number) =>
      writer.putAll([{ frame: frame(jobId, key, size), bytes: bytesFor(seed, size) }]);
    await put('a', 1);
    await put('b', 2);
    // An export keeps the snapshot of a file it took for the frames before: a frame appended
    // since lies past that snapshot's end and is read from a fresh one, not reported missing.
    const reading = readStoredFrames(jobId, 1);
    const first = await reading.next();
    await put('c', 3);
    const rest: [string, Uint8Array][] = [];
    for await (const f of reading) rest.push([f.key, new Uint8Array(f.data)]);
    expect(first.done ? undefined : first.value.key).toBe('a');
    expect(rest).toEqual([
      ['b', bytesFor(2, size)],
      ['c', bytesFor(3, size)],
    ]);
    await writer.close();
    writer.terminate();
    await deleteJob(jobId);
  });

  it('gives up a frame file that does not open in time for a new one, and removes the late one', async () => {
    const jobId = `slow-${crypto.randomUUID()}`;
    const db = await openDb();
    const writer = testWriter();
    await writer.holdOpens(1, 150);
    const size = 50_000;
    const { outcomes } = await writer.putAll(
      ['a', 'b', 'c'].map((k, i) => ({ frame: frame(jobId, k, size), bytes: bytesFor(i, size) })),
    );
    expect(outcomes).toEqual(['stored', 'stored', 'stored']);
    // Both files exist, the frames in the second; once the first opens after all, it goes.
    const both = await filesOf(jobId);
    expect(both).toHaveLength(2);
    const records = await db.getAll('frames', IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));
    const file = records[0]!.file!;
    expect(records.map((r) => r.file)).toEqual([file, file, file]);
    await writer.releaseOpens();
    await expect.poll(() => filesOf(jobId)).toEqual([file]);
    for (const [i, k] of ['a', 'b', 'c'].entries())
      expect(new Uint8Array((await getStoredFrame(jobId, k))!.data)).toEqual(bytesFor(i, size));
    await writer.close();
    writer.terminate();
    await deleteJob(jobId);
  });

  it('fails frames with StorageFailed when no frame file opens, and tries again for the next', async () => {
    const jobId = `stuck-${crypto.randomUUID()}`;
    const writer = testWriter();
    await writer.holdOpens(3, 100);
    const size = 1000;
    const first = await writer.putAll([
      { frame: frame(jobId, 'a', size), bytes: bytesFor(1, size) },
      { frame: frame(jobId, 'b', size), bytes: bytesFor(2, size) },
    ]);
    expect(first).toEqual({ outcomes: ['StorageFailed', 'StorageFailed'], pendingBytes: 0 });
    expect(await getStoredFrame(jobId, 'a')).toBeUndefined();
    const again = await writer.putAll([
      { frame: frame(jobId, 'a', size), bytes: bytesFor(1, size) },
    ]);
    expect(again.outcomes).toEqual(['stored']);
    expect(new Uint8Array((await getStoredFrame(jobId, 'a'))!.data)).toEqual(bytesFor(1, size));
    writer.terminate();
    await deleteJob(jobId);
  });

  it('reports a frame whose file is too short as missing (and not stored), never as other bytes', async () => {
    const jobId = `short-${crypto.randomUUID()}`;
    const writer = testWriter();
    await writer.putAll([
      { frame: frame(jobId, 'a', 10), bytes: bytesFor(1, 10) },
      { frame: frame(jobId, 'b', 10), bytes: bytesFor(2, 10) },
    ]);
    await writer.close();
    writer.terminate();
    // As after an OS crash that lost the file's tail but not the records.
    const db = await openDb();
    const b = await db.get('frames', [jobId, 'b']);
    await db.put('frames', { ...b!, offset: 15 });
    expect(await getStoredFrame(jobId, 'b')).toBeUndefined();
    // Not stored either, for a resume: it fetches the frame again.
    expect(await storedFrameKeys(jobId)).toEqual(new Set(['a']));
    expect(new Uint8Array((await getStoredFrame(jobId, 'a'))!.data)).toEqual(bytesFor(1, 10));
    const all: string[] = [];
    for await (const f of readStoredFrames(jobId)) all.push(f.key);
    expect(all).toEqual(['a']);
    await deleteJob(jobId);
  });

  it('finds every stored frame of a job of thousands (records read in batches)', async () => {
    const jobId = `many-${crypto.randomUUID()}`;
    const writer = testWriter();
    const n = 2_500;
    const entries = Array.from({ length: n }, (_, i) => ({
      frame: frame(jobId, `k/${String(i).padStart(4, '0')}`, 3),
      bytes: bytesFor(i, 3),
    }));
    expect((await writer.putAll(entries)).outcomes.every((o) => o === 'stored')).toBe(true);
    await writer.close();
    writer.terminate();
    expect(await storedFrameKeys(jobId)).toEqual(new Set(entries.map((e) => e.frame.key)));
    await deleteJob(jobId);
  });

  it("deletes a frame's failure record when an earlier run left one, and no other", async () => {
    const jobId = `failed-${crypto.randomUUID()}`;
    const other = `other-${crypto.randomUUID()}`;
    const error = { code: 'Network' as const, message: 'connection reset' };
    await putFailures(
      [
        [jobId, 'a'],
        [jobId, 'b'],
        [other, 'a'],
      ].map(([j, key]) => ({ jobId: j!, key: key!, error, attempts: 3, at: 1 })),
    );
    expect(await failureKeys(jobId)).toEqual(new Set(['a', 'b']));
    const writer = testWriter();
    await writer.putAll([
      { frame: frame(jobId, 'a', 4), bytes: bytesFor(1, 4), failedBefore: true },
      { frame: frame(jobId, 'c', 4), bytes: bytesFor(2, 4) },
    ]);
    await writer.close();
    writer.terminate();
    expect(await storedFrameKeys(jobId)).toEqual(new Set(['a', 'c']));
    expect(await failureKeys(jobId)).toEqual(new Set(['b']));
    expect(await failureKeys(other)).toEqual(new Set(['a']));
    await deleteJob(jobId);
    await deleteJob(other);
    expect(await failureKeys(jobId)).toEqual(new Set());
    expect(await failureKeys(other)).toEqual(new Set());
  });

  it('reads frames stored by earlier versions beside those in files', async () => {
    const jobId = `legacy-${crypto.randomUUID()}`;
    const db = await openDb();
    const old = bytesFor(3, 1000);
    const listed = [bytesFor(5, 300), bytesFor(6, 7)];
    const packed = [bytesFor(8, 20), bytesFor(9, 30)];
    const tx = db.transaction(['frames', 'frameData', 'chunks'], 'readwrite');
    void tx.objectStore('frames').put(frame(jobId, 'a', old.length));
    void tx.objectStore('frameData').put({ jobId, key: 'a', data: old.slice().buffer });
    // A chunk as first written: one buffer per frame, frames naming their entry.
    for (const [index, key] of ['c', 'd'].entries())
      void tx
        .objectStore('frames')
        .put({ ...frame(jobId, key, listed[index]!.length), chunk: 'list', index });
    void tx
      .objectStore('chunks')
      .put({ jobId, id: 'list', data: listed.map((b) => b.slice().buffer) });
    // Version 3: one buffer per chunk, each frame at its offset.
    void tx.objectStore('frames').put({ ...frame(jobId, 'e', 20), chunk: 'one', offset: 0 });
    void tx.objectStore('frames').put({ ...frame(jobId, 'f', 30), chunk: 'one', offset: 20 });
    const one = new Uint8Array(50);
    one.set(packed[0]!, 0);
    one.set(packed[1]!, 20);
    void tx.objectStore('chunks').put({ jobId, id: 'one', data: one.buffer });
    await tx.done;
    const writer = testWriter();
    await writer.putAll([{ frame: frame(jobId, 'b', 10), bytes: bytesFor(4, 10) }]);
    await writer.close();
    writer.terminate();

    expect(new Uint8Array((await getStoredFrame(jobId, 'a'))!.data)).toEqual(old);
    expect(new Uint8Array((await getStoredFrame(jobId, 'd'))!.data)).toEqual(listed[1]);
    expect(new Uint8Array((await getStoredFrame(jobId, 'f'))!.data)).toEqual(packed[1]);
    const all = [];
    for await (const f of readStoredFrames(jobId)) all.push([f.key, new Uint8Array(f.data)]);
    expect(all).toEqual([
      ['a', old],
      ['b', bytesFor(4, 10)],
      ['c', listed[0]],
      ['d', listed[1]],
      ['e', packed[0]],
      ['f', packed[1]],
    ]);
    await deleteJob(jobId);
    expect(await count(db, 'frameData', jobId)).toBe(0);
    expect(await count(db, 'chunks', jobId)).toBe(0);
    expect(await filesOf(jobId)).toEqual([]);
  });

  it('upgrades a version-1 database in place, keeping what it holds', async () => {
    // Version 1 as it shipped, created with the bare API; then the upgrade opens it at version 3.
    const name = `upgrade-${crypto.randomUUID()}`;
    const open = (
      version: number,
      upgrade: (db: IDBDatabase, old: number, tx: IDBTransaction) => void,
    ) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(name, version);
        r.onupgradeneeded = (e) => upgrade(r.result, e.oldVersion, r.transaction!);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error ?? new Error('open failed'));
      });
    const v1 = await open(1, (db) => {
      db.createObjectStore('jobs', { keyPath: 'id' });
      db.createObjectStore('jobSources', { keyPath: 'id' });
      db.createObjectStore('frames', { keyPath: ['jobId', 'key'] }).createIndex('byJob', 'jobId');
      db.createObjectStore('frameData', { keyPath: ['jobId', 'key'] });
      db.createObjectStore('failures', { keyPath: ['jobId', 'key'] }).createIndex('byJob', 'jobId');
    });
    await new Promise((resolve) => {
      const tx = v1.transaction('frames', 'readwrite');
      tx.objectStore('frames').put(frame('j', 'a', 3));
      tx.oncomplete = resolve;
    });
    v1.close();
    const v3 = await open(3, (db, old, tx) =>
      upgradeSchema(db as unknown as Db, old, tx as unknown as Parameters<typeof upgradeSchema>[2]),
    );
    expect([...v3.objectStoreNames].sort()).toEqual([
      'chunks',
      'failures',
      'frameData',
      'frames',
      'jobSources',
      'jobs',
    ]);
    // Version 3 dropped the byJob indexes: a key range over the job's ID does their work.
    const tx = v3.transaction(['frames', 'failures']);
    expect([...tx.objectStore('frames').indexNames]).toEqual([]);
    expect([...tx.objectStore('failures').indexNames]).toEqual([]);
    const kept = await new Promise<StoredFrame | undefined>((resolve) => {
      const r = tx.objectStore('frames').get(['j', 'a']);
      r.onsuccess = () => resolve(r.result as StoredFrame | undefined);
    });
    expect(kept?.size).toBe(3);
    v3.close();
    indexedDB.deleteDatabase(name);
  });
});
