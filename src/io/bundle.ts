/**
 * Export bundles in ahi-retrieve's layout, so a pipeline built on ahi-retrieve opens them as they
 * are: `<DatastoreID>/<ImageSetID>/<ImageFrameID>.jph` (codestreams as received) or `.raw`
 * (decoded pixels, little-endian), plus the manifest or metadata documents the job was planned
 * from and `checksums.csv`. Frames are read from IndexedDB a batch at a time and written out as
 * they are read, to a zip stream or to a folder: memory stays flat whatever the job's size.
 */
import { bundleName } from '../core/bundleName';
import type { BundleSummary } from '../core/protocol';
import { getJob, getJobSources, readStoredFrames, type StoredFrame } from './db';
import { rechunk, zipStream, type ZipEntry } from './zip';

export const CHECKSUMS_FILE = 'checksums.csv';
const CHECKSUM_HEADER =
  'ImageFrameID,DatastoreID,ImageSetID,File,Format,Bytes,PixelCRC32,Verified\n';

/** The file extension for what a stored frame holds. */
export function extensionOf(frame: Pick<StoredFrame, 'kind' | 'contentType'>): string {
  if (frame.kind === 'pixels') return 'raw';
  switch (frame.contentType) {
    case 'image/jph':
    case 'image/jphc':
      return 'jph';
    case 'image/j2c':
      return 'j2c';
    case 'image/jpeg':
      return 'jpg';
    default:
      return 'raw';
  }
}

export const framePath = (f: StoredFrame) =>
  `${f.datastoreId}/${f.imageSetId}/${f.frameId}.${extensionOf(f)}`;

function checksumLine(f: StoredFrame): string {
  const format = f.kind === 'pixels' ? 'raw' : f.contentType;
  const crc = f.checksum === undefined ? '' : String(f.checksum);
  return `${f.frameId},${f.datastoreId},${f.imageSetId},${framePath(f)},${format},${f.size},${crc},${f.verified ? 'yes' : 'no'}\n`;
}

/** A source's name as a top-level file name (no folders, no spaces; .json unless it has one). */
export function sourceFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()!.trim().replace(/\s+/g, '-') || 'source';
  return /\.json(\.gz)?$/i.test(base) ? base.replace(/\.gz$/i, '') : `${base}.json`;
}

export interface BundleProgress {
  (frames: number, bytes: number): void;
}

/** Every entry of a job's bundle: frames first (streamed), then sources and checksums. */
async function* bundleEntries(
  jobId: string,
  summary: BundleSummary,
  progress: BundleProgress,
): AsyncGenerator<ZipEntry> {
  const lines: string[] = [CHECKSUM_HEADER];
  for await (const f of readStoredFrames(jobId)) {
    lines.push(checksumLine(f));
    summary.frames++;
    summary.bytes += f.data.byteLength;
    yield { name: framePath(f), data: f.data, lastModified: new Date(f.storedAt || Date.now()) };
    progress(summary.frames, summary.bytes);
  }
  for (const s of (await getJobSources(jobId)) ?? []) {
    yield { name: sourceFileName(s.name), data: s.content };
  }
  yield { name: CHECKSUMS_FILE, data: lines.join('') };
}

async function startSummary(jobId: string): Promise<BundleSummary> {
  const job = await getJob(jobId);
  if (!job) throw new Error(`No stored job ${jobId}: it may have been deleted.`);
  return {
    name: job.name,
    state: job.state,
    frames: 0,
    totalFrames: job.totals.frames,
    bytes: 0,
    ms: 0,
    partial: false,
  };
}

function finishSummary(s: BundleSummary, t0: number): BundleSummary {
  s.ms = performance.now() - t0;
  s.partial = s.frames < s.totalFrames;
  s.name = bundleName(s.name, s.frames, s.totalFrames);
  return s;
}

/**
 * Writes a job's bundle as a zip: to `target` (a file the user picked) in 1 MiB writes, or, with
 * no target, into a Blob returned for a plain download.
 */
export async function exportZip(
  jobId: string,
  target: FileSystemFileHandle | undefined,
  progress: BundleProgress,
): Promise<{ summary: BundleSummary; blob?: Blob }> {
  const t0 = performance.now();
  const summary = await startSummary(jobId);
  const stream = zipStream(bundleEntries(jobId, summary, progress)).pipeThrough(rechunk());
  if (target) {
    await stream.pipeTo(await target.createWritable());
    return { summary: finishSummary(summary, t0) };
  }
  const blob = await new Response(stream, {
    headers: { 'Content-Type': 'application/zip' },
  }).blob();
  return { summary: finishSummary(summary, t0), blob };
}

async function writeFile(
  dir: FileSystemDirectoryHandle,
  name: string,
  data: ArrayBuffer | string,
): Promise<void> {
  const file = await dir.getFileHandle(name, { create: true });
  const w = await file.createWritable();
  try {
    await w.write(data);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

/** Files written at a time: each write is a few IPC round trips, so some overlap pays. */
const FOLDER_WRITES = 4;

/** Writes a job's bundle into `root` (a folder the user picked), one write per file. */
export async function exportFolder(
  jobId: string,
  root: FileSystemDirectoryHandle,
  progress: BundleProgress,
): Promise<BundleSummary> {
  const t0 = performance.now();
  const summary = await startSummary(jobId);
  const dirs = new Map<string, Promise<FileSystemDirectoryHandle>>();
  const dirOf = (path: string[]): Promise<FileSystemDirectoryHandle> => {
    if (path.length === 0) return Promise.resolve(root);
    const key = path.join('/');
    let d = dirs.get(key);
    if (!d) {
      d = dirOf(path.slice(0, -1)).then((parent) =>
        parent.getDirectoryHandle(path[path.length - 1]!, { create: true }),
      );
      dirs.set(key, d);
    }
    return d;
  };
  const writing = new Set<Promise<void>>();
  let failure: Error | undefined;
  for await (const entry of bundleEntries(jobId, summary, progress)) {
    if (failure) break;
    const parts = entry.name.split('/');
    const file = parts.pop()!;
    const data = typeof entry.data === 'string' ? entry.data : (entry.data as ArrayBuffer);
    const w: Promise<void> = dirOf(parts)
      .then((dir) => writeFile(dir, file, data))
      .catch((e: unknown) => {
        failure ??= e instanceof Error ? e : new Error(String(e));
      })
      .finally(() => writing.delete(w));
    writing.add(w);
    if (writing.size >= FOLDER_WRITES) await Promise.race(writing);
  }
  await Promise.all(writing);
  if (failure) throw failure;
  return finishSummary(summary, t0);
}
