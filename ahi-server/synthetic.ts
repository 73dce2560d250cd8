/**
 * The synthetic CT series: thousands of 512×512 12-bit slices of the phantom, encoded losslessly
 * to HTJ2K on first start (in worker threads, one per core) and cached under .cache/ so later
 * starts take well under a second. The cache is written to a temporary name and renamed, so two
 * processes starting at once never read half a file.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface EncodeJob {
  from: number;
  to: number;
  count: number;
}

export interface EncodedSlice {
  index: number;
  codestream: Uint8Array;
  min: number;
  max: number;
  /** checksums from the smallest resolution to the full one, as AHI lists them */
  levels: { width: number; height: number; checksum: number }[];
}

interface CacheIndex {
  version: number;
  count: number;
  slices: (Omit<EncodedSlice, 'codestream'> & { offset: number; length: number })[];
}

const CACHE_VERSION = 1;

/** Loads the series from the cache, building it first if needed. */
export async function loadSyntheticSeries(
  count: number,
  cacheDir: string,
  log: (line: string) => void,
): Promise<EncodedSlice[]> {
  const base = join(cacheDir, `synthetic-ct-v${CACHE_VERSION}-${count}`);
  if (existsSync(`${base}.json`) && existsSync(`${base}.bin`)) {
    try {
      const index = JSON.parse(await readFile(`${base}.json`, 'utf8')) as CacheIndex;
      const blob = await readFile(`${base}.bin`);
      if (index.version === CACHE_VERSION && index.count === count) {
        return index.slices.map(({ offset, length, ...rest }) => ({
          ...rest,
          codestream: blob.subarray(offset, offset + length),
        }));
      }
    } catch {
      // fall through and rebuild a damaged cache
    }
  }
  const started = performance.now();
  log(`building the synthetic CT series (${count} slices, once; cached in ${cacheDir})…`);
  const slices = await encodeAll(count, log);
  await mkdir(dirname(base), { recursive: true });
  let offset = 0;
  const index: CacheIndex = { version: CACHE_VERSION, count, slices: [] };
  for (const s of slices) {
    index.slices.push({
      index: s.index,
      min: s.min,
      max: s.max,
      levels: s.levels,
      offset,
      length: s.codestream.length,
    });
    offset += s.codestream.length;
  }
  const tmp = `.${process.pid}.tmp`;
  await writeFile(`${base}.bin${tmp}`, Buffer.concat(slices.map((s) => s.codestream)));
  await writeFile(`${base}.json${tmp}`, JSON.stringify(index));
  await rename(`${base}.bin${tmp}`, `${base}.bin`);
  await rename(`${base}.json${tmp}`, `${base}.json`);
  const mb = offset / 1e6;
  log(
    `built ${count} slices, ${mb.toFixed(0)} MB, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return slices;
}

async function encodeAll(count: number, log: (line: string) => void): Promise<EncodedSlice[]> {
  const threads = Math.max(1, Math.min(availableParallelism(), 8));
  const out = new Array<EncodedSlice>(count);
  let done = 0;
  let lastLog = performance.now();
  const per = Math.ceil(count / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const job: EncodeJob = { from: t * per, to: Math.min(count, (t + 1) * per), count };
      if (job.from >= job.to) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./encode-worker-entry.mjs', import.meta.url), {
          workerData: job,
        });
        worker.on('message', (msg: EncodedSlice | 'done') => {
          if (msg === 'done') {
            void worker.terminate();
            resolve();
            return;
          }
          out[msg.index] = msg;
          done++;
          if (performance.now() - lastLog > 5000) {
            lastLog = performance.now();
            log(`  ${done} / ${count} slices encoded`);
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0) reject(new Error(`encoder thread exited with ${code}`));
        });
      });
    }),
  );
  return out;
}
