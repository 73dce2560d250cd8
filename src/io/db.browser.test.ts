/**
 * The frame store in real Chromium IndexedDB: a commit's frames share chunk records, each frame
 * reads back byte for byte (alone, and in an export's key order), frames stored by version 1 (one
 * frameData record each) and chunks of buffer lists still read, put() copies (the caller's buffer
 * is overwritten at once), a version-1 database upgrades in place, storing a frame an
 * earlier run failed deletes that failure record (and no other), and deleting a job deletes its
 * chunks.
 */
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  FrameWriter,
  deleteJob,
  failureKeys,
  getStoredFrame,
  openDb,
  putFailures,
  storedFrameKeys,
  readStoredFrames,
  upgradeSchema,
  type Db,
  type StoredFrame,
} from './db';
import { storedFrame as frame } from './storedFrame.testing';

/** Bytes that differ from frame to frame and along each frame. */
const bytesFor = (seed: number, size: number) => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 255;
  return b;
};

const count = async (db: Db, store: 'chunks' | 'frames' | 'frameData', jobId: string) =>
  db.count(store, IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));

describe('frame storage', () => {
  it('puts the frames of one commit in one chunk and reads each back exactly', async () => {
    const jobId = `chunks-${crypto.randomUUID()}`;
    const db = await openDb();
    const writer = new FrameWriter(db);
    const sizes = [170_001, 5, 200_000, 1];
    const keys = ['s/3', 's/1', 's/4', 's/2'];
    // Each source is a view into a larger buffer (as a pooled body is), overwritten as soon as
    // put() returns: put copies.
    const sources = keys.map((_, i) => {
      const b = new Uint8Array(sizes[i]! + 64);
      b.set(bytesFor(i + 1, sizes[i]!), 32);
      return b.subarray(32, 32 + sizes[i]!);
    });
    const puts = keys.map((k, i) => writer.put(frame(jobId, k, sizes[i]), sources[i]!));
    for (const s of sources) new Uint8Array(s.buffer).fill(0xee);
    await Promise.all(puts);
    // The first put commits alone; the three that arrived meanwhile ride in one chunk.
    expect(await count(db, 'chunks', jobId)).toBe(2);
    // Each chunk holds exactly its frames' bytes, not the 2 MB its buffer may grow to.
    const stored = await db.getAll('chunks', IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));
    expect(stored.map((c) => (c.data as ArrayBuffer).byteLength).sort((a, b) => a - b)).toEqual([
      170_001, 200_006,
    ]);
    for (const [i, k] of keys.entries()) {
      const got = await getStoredFrame(jobId, k);
      // A copy of its range, usable anywhere (some APIs refuse the resizable chunk buffer).
      expect(got?.data.resizable).toBe(false);
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

    await deleteJob(jobId);
    expect(await count(db, 'chunks', jobId)).toBe(0);
    expect(await count(db, 'frames', jobId)).toBe(0);
  });

  it('starts a new chunk past CHUNK_BYTES; a frame larger than that has one of its own', async () => {
    const jobId = `big-${crypto.randomUUID()}`;
    const db = await openDb();
    const writer = new FrameWriter(db);
    const big = CHUNK_BYTES + 1;
    const third = Math.floor(CHUNK_BYTES / 3);
    const sizes = [10, third, third, third, big, 10];
    await Promise.all(
      sizes.map((n, i) => writer.put(frame(jobId, `k/${i}`, n), bytesFor(i + 7, n))),
    );
    // [10] alone, then [third, third, third | big | 10]: at most CHUNK_BYTES unless one frame is more.
    expect(await count(db, 'chunks', jobId)).toBe(4);
    for (const [i, n] of sizes.entries()) {
      const got = new Uint8Array((await getStoredFrame(jobId, `k/${i}`))!.data);
      const want = bytesFor(i + 7, n);
      // A loop, not toEqual: vitest's deep equality takes seconds over megabytes.
      expect(got.length).toBe(n);
      expect(got.findIndex((b, j) => b !== want[j])).toBe(-1);
    }
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
    const writer = new FrameWriter(await openDb());
    await Promise.all([
      writer.put(frame(jobId, 'a', 4), bytesFor(1, 4), true),
      writer.put(frame(jobId, 'c', 4), bytesFor(2, 4)),
    ]);
    expect(await storedFrameKeys(jobId)).toEqual(new Set(['a', 'c']));
    expect(await failureKeys(jobId)).toEqual(new Set(['b']));
    expect(await failureKeys(other)).toEqual(new Set(['a']));
    await deleteJob(jobId);
    await deleteJob(other);
    expect(await failureKeys(jobId)).toEqual(new Set());
    expect(await failureKeys(other)).toEqual(new Set());
  });

  it('reads frames stored by version 1 (frameData) and in buffer-list chunks beside Blob ones', async () => {
    const jobId = `legacy-${crypto.randomUUID()}`;
    const db = await openDb();
    const old = bytesFor(3, 1000);
    const listed = [bytesFor(5, 300), bytesFor(6, 7)];
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
    await tx.done;
    await new FrameWriter(db).put(frame(jobId, 'b', 10), bytesFor(4, 10));

    expect(new Uint8Array((await getStoredFrame(jobId, 'a'))!.data)).toEqual(old);
    expect(new Uint8Array((await getStoredFrame(jobId, 'd'))!.data)).toEqual(listed[1]);
    const all = [];
    for await (const f of readStoredFrames(jobId)) all.push([f.key, new Uint8Array(f.data)]);
    expect(all).toEqual([
      ['a', old],
      ['b', bytesFor(4, 10)],
      ['c', listed[0]],
      ['d', listed[1]],
    ]);
    await deleteJob(jobId);
    expect(await count(db, 'frameData', jobId)).toBe(0);
    expect(await count(db, 'chunks', jobId)).toBe(0);
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
