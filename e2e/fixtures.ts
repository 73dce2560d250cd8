/**
 * A persistent Chromium profile per test (real on-disk IndexedDB and OPFS with a real quota, and it
 * survives reloads), plus readers of what the app stored, straight from IndexedDB and OPFS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { APP_URL } from '../playwright.config';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium on a profile directory: launching it again on the same directory is a browser restart. */
export function launchProfile(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: ['--disable-gpu', '--disable-quic'],
    ignoreHTTPSErrors: true,
    baseURL: APP_URL,
    viewport: { width: 1280, height: 720 },
  });
}

export const newProfileDir = () => mkdtemp(join(tmpdir(), 'ahi-e2e-'));

export const test = base.extend<{ persistent: { context: BrowserContext; page: Page } }>({
  // eslint-disable-next-line no-empty-pattern
  persistent: async ({}, use) => {
    const dir = await newProfileDir();
    const context = await launchProfile(dir);
    const page = context.pages()[0] ?? (await context.newPage());
    await use({ context, page });
    await context.close();
    await rm(dir, { recursive: true, force: true });
  },
});

export { expect };

export interface FrameMeta {
  jobId: string;
  key: string;
  frameId: string;
  kind: string;
  contentType: string;
  size: number;
  verified: boolean;
  checksum?: number;
  /** why a frame kept as received is not verifiable */
  note?: string;
}

/**
 * Runs in the page: the app's IndexedDB read straight, not through the app's code. Every frame's
 * description, every job and every failure record's key; with `digests`, SHA-256 (hex) of each
 * stored frame's bytes by frame ID (its range of its OPFS file, frames/<jobId>/<file>; from
 * earlier versions, its range of its chunk's buffer, its entry in a chunk's buffer list, or its
 * own frameData record); with `only`, just that frame (by its full key), and its bytes.
 */
async function readInPage({ digests, only }: { digests: boolean; only: string | null }): Promise<{
  frames: FrameMeta[];
  jobs: { id: string; state: string }[];
  failures: { jobId: string; key: string }[];
  digests: Record<string, string>;
  /** the one frame's bytes, base64 (an array of numbers for a 7.5 MB frame took 25-100 s) */
  bytes?: string;
}> {
  const settled = <T>(r: IDBRequest) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result as T);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
    });
  const db = await settled<IDBDatabase>(indexedDB.open('ahi-web-retrieve'));
  const all = <T>(store: string) => settled<T[]>(db.transaction(store).objectStore(store).getAll());
  type Frame = FrameMeta & {
    jobId: string;
    file?: string;
    chunk?: string;
    index?: number;
    offset?: number;
  };
  const jobs = await all<{ id: string; state: string; createdAt: number }>('jobs');
  let frames = await all<Frame>('frames');
  if (only !== null) {
    // The copy of the frame in the newest job that has it.
    const created = new Map(jobs.map((j) => [j.id, j.createdAt]));
    const copies = frames.filter((f) => f.key === only);
    copies.sort((a, b) => (created.get(a.jobId) ?? 0) - (created.get(b.jobId) ?? 0));
    frames = copies.slice(-1);
  }
  const failures = (await all<{ jobId: string; key: string }>('failures')).map(
    ({ jobId, key }) => ({ jobId, key }),
  );
  const out: Record<string, string> = {};
  let bytes: string | undefined;
  if (digests) {
    // One frame: only its chunk or file (the profile may hold other tests' jobs, hundreds of MB).
    const get = <T>(store: string, key: IDBValidKey) =>
      settled<T | undefined>(db.transaction(store).objectStore(store).get(key));
    type Chunk = { jobId: string; id: string; data: ArrayBuffer[] | ArrayBuffer };
    type Legacy = { jobId: string; key: string; data: ArrayBuffer };
    const one = only === null ? undefined : frames[0];
    const chunkList = one
      ? [one.chunk === undefined ? undefined : await get<Chunk>('chunks', [one.jobId, one.chunk])]
      : await all<Chunk>('chunks');
    const legacyList = one
      ? [await get<Legacy>('frameData', [one.jobId, one.key])]
      : await all<Legacy>('frameData');
    const chunks = new Map(
      chunkList.flatMap((c) => (c ? [[`${c.jobId}/${c.id}`, c.data] as const] : [])),
    );
    const legacy = new Map(
      legacyList.flatMap((d) => (d ? [[`${d.jobId}/${d.key}`, d.data] as const] : [])),
    );
    // The job's frame files, one snapshot each (read after the job, nothing appends to them).
    const opfs = await navigator.storage.getDirectory();
    const files = new Map<string, Promise<File>>();
    const fileOf = (jobId: string, name: string) => {
      const path = `${jobId}/${name}`;
      if (!files.has(path))
        files.set(
          path,
          opfs
            .getDirectoryHandle('frames')
            .then((d) => d.getDirectoryHandle(jobId))
            .then((d) => d.getFileHandle(name))
            .then((h) => h.getFile()),
        );
      return files.get(path)!;
    };
    for (const f of frames) {
      let data: ArrayBuffer | undefined;
      if (f.file !== undefined) {
        const start = f.offset ?? 0;
        data = await (await fileOf(f.jobId, f.file)).slice(start, start + f.size).arrayBuffer();
      } else {
        const chunk = f.chunk === undefined ? undefined : chunks.get(`${f.jobId}/${f.chunk}`);
        data = chunk
          ? Array.isArray(chunk)
            ? chunk[f.index ?? -1]
            : f.offset !== undefined
              ? chunk.slice(f.offset, f.offset + f.size)
              : undefined
          : legacy.get(`${f.jobId}/${f.key}`);
      }
      const bytesOf = new Uint8Array(data ?? new ArrayBuffer(0));
      const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf));
      out[f.key.split('/')[1]!] = [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (only !== null) {
        let binary = '';
        for (let i = 0; i < bytesOf.length; i += 0x8000)
          binary += String.fromCharCode(...bytesOf.subarray(i, i + 0x8000));
        bytes = btoa(binary);
      }
    }
  }
  db.close();
  return { frames, jobs, failures, digests: out, ...(bytes !== undefined ? { bytes } : {}) };
}

/** Every stored frame's description, every job and every failure record's key, from IndexedDB. */
export async function readDb(page: Page): Promise<{
  frames: FrameMeta[];
  jobs: { id: string; state: string }[];
  failures: { jobId: string; key: string }[];
}> {
  const { frames, jobs, failures } = await page.evaluate(readInPage, {
    digests: false,
    only: null,
  });
  return { frames, jobs, failures };
}

/**
 * Frames stored once a paused job has settled: requests in flight when it paused still land, and
 * the status line catches up within a sampling period. Returns the count once both agree.
 */
export async function settledCount(page: Page): Promise<number> {
  let count = -1;
  await expect
    .poll(async () => {
      const shown = Number(
        /^Paused: (\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1],
      );
      count = (await readDb(page)).frames.length;
      return shown === count;
    })
    .toBe(true);
  return count;
}

/** SHA-256 (hex) of each stored frame's bytes, by frame ID. */
export async function storedDigests(page: Page): Promise<Record<string, string>> {
  return (await page.evaluate(readInPage, { digests: true, only: null })).digests;
}

/** One stored frame's bytes (by its full key), straight from the browser's storage. */
export async function storedBytes(page: Page, key: string): Promise<Uint8Array> {
  const { bytes } = await page.evaluate(readInPage, { digests: true, only: key });
  if (bytes === undefined) throw new Error(`frame ${key} is not stored`);
  return new Uint8Array(Buffer.from(bytes, 'base64'));
}

/**
 * Waits for "Done: n of n frames, … verified" (with `kept` frames stored by an earlier run of the
 * job, after a restart), then checks the stored records: every frame stored once, every one verified.
 */
export async function expectAllStoredAndVerified(
  page: Page,
  n: number,
  { kept = 0, timeout }: { kept?: number; timeout: number },
): Promise<void> {
  await expect(page.getByRole('status')).toHaveText(
    new RegExp(
      `^Done: ${n} of ${n} frames, ${n - kept} verified${kept ? `, ${kept} already stored` : ''}`,
    ),
    { timeout },
  );
  const { frames } = await readDb(page);
  expect(frames).toHaveLength(n);
  expect(new Set(frames.map((f) => f.key)).size).toBe(n);
  expect(frames.every((f) => f.verified)).toBe(true);
}
