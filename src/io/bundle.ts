/**
 * The bundle writer: takes an export format's entries (src/io/exports) and writes them to a zip
 * stream (a file the user picked, or a Blob for a download) or to a folder's files, as they are
 * read: memory stays flat whatever the job's size. Failures come out as RetrieveError codes (the
 * disk full, the browser refusing to write, the job gone, Cancelled), never as bare strings.
 */
import { bundleName } from '../core/bundleName';
import { RetrieveError } from '../core/errors';
import type { BundleSummary, ExportRequest } from '../core/protocol';
import { Folder } from './folder';
import { getJob } from './store';
import { exportFormat } from './exports';
import type { ExportContext } from './exports/format';
import { rechunk, zipStream, type ZipEntry } from './zip';

export interface BundleProgress {
  (frames: number, bytes: number): void;
}

async function startSummary(jobId: string): Promise<BundleSummary> {
  const job = await getJob(jobId);
  if (!job)
    throw new RetrieveError('NotFound', `No stored job ${jobId}: it may have been deleted.`);
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
  const accounted = s.frames + (s.leftOut ?? 0);
  s.partial = accounted < s.totalFrames;
  s.name = bundleName(s.name, accounted, s.totalFrames);
  return s;
}

/** A file system's refusal as the error code a person can act on. */
function writeError(e: unknown, signal: AbortSignal): Error {
  if (signal.aborted) return new RetrieveError('Cancelled', 'The export was cancelled.');
  const name = (e as { name?: string } | undefined)?.name;
  if (name === 'QuotaExceededError')
    return new RetrieveError('QuotaExceeded', 'The disk is full: the export stopped.');
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return new RetrieveError(
      'WriteRefused',
      'The browser refused to write there (permission withdrawn, or a protected folder).',
    );
  return e instanceof Error ? e : new Error('The export failed', { cause: e });
}

/**
 * Writes a job's bundle in the requested format to the requested target. With a zip target and no
 * file, the zip comes back as a Blob for a plain download.
 * @throws RetrieveError NotFound (job deleted), QuotaExceeded, WriteRefused, Cancelled, BadInput
 */
export async function exportBundle(
  request: ExportRequest,
  progress: BundleProgress,
  signal: AbortSignal,
  /** decodes a stored frame for formats that write pixels (the library worker has the codecs) */
  pixels?: ExportContext['pixels'],
): Promise<{ summary: BundleSummary; blob?: Blob }> {
  const t0 = performance.now();
  const format = exportFormat(request.format);
  const summary = await startSummary(request.jobId);
  const entries = format.entries({
    jobId: request.jobId,
    summary,
    progress,
    signal,
    ...(pixels ? { pixels } : {}),
    ...(request.template ? { template: request.template } : {}),
  });
  const { target } = request;
  try {
    if (target.kind === 'folder') {
      await writeFolder(entries, target.root, signal);
      return { summary: finishSummary(summary, t0) };
    }
    const stream = zipStream(entries).pipeThrough(rechunk());
    if (target.file) {
      await stream.pipeTo(await target.file.createWritable(), { signal });
      return { summary: finishSummary(summary, t0) };
    }
    const blob = await new Response(stream, {
      headers: { 'Content-Type': 'application/zip' },
    }).blob();
    return { summary: finishSummary(summary, t0), blob };
  } catch (e) {
    throw writeError(e, signal);
  }
}

/** Files written at a time: each write is a few IPC round trips, so some overlap pays. */
const FOLDER_WRITES = 4;

/** Writes entries into `root` (a folder the user picked), one write per file. */
async function writeFolder(
  entries: AsyncGenerator<ZipEntry>,
  root: FileSystemDirectoryHandle,
  signal: AbortSignal,
): Promise<void> {
  const folder = new Folder(root);
  const writing = new Set<Promise<void>>();
  let failure: Error | undefined;
  for await (const entry of entries) {
    if (failure !== undefined || signal.aborted) break;
    const w: Promise<void> = folder
      .write(entry.name, entry.data)
      .catch((e: unknown) => {
        failure ??= e instanceof Error ? e : new Error('A file could not be written', { cause: e });
      })
      .finally(() => writing.delete(w));
    writing.add(w);
    if (writing.size >= FOLDER_WRITES) await Promise.race(writing);
  }
  await Promise.all(writing);
  signal.throwIfAborted();
  if (failure) throw failure;
}
