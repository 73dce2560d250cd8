/**
 * The one library worker (viewing and exporting stored frames), started on first use and kept:
 * its codec stays loaded for the next frame the viewer asks for.
 */
import { proxy, wrap, type Remote } from 'comlink';
import { RetrieveError } from '../core/errors';
import type { DestinationSummary } from '../core/destination';
import type { ErrorInfo } from '../core/errors';
import type {
  BundleSummary,
  DecodedPixels,
  ExportRequest,
  LibraryWorkerApi,
  Outcome,
  ReceivedFrame,
  Unavailable,
} from '../core/protocol';

let remote: Remote<LibraryWorkerApi> | undefined;

function library(): Remote<LibraryWorkerApi> {
  remote ??= wrap<LibraryWorkerApi>(
    new Worker(new URL('../../workers/library.worker.ts', import.meta.url), {
      type: 'module',
      name: 'library',
    }),
  );
  return remote;
}

export function storedFrame(jobId: string, key: string): Promise<DecodedPixels | Unavailable> {
  return library().frame(jobId, key);
}

export function storedThumbnail(
  jobId: string,
  key: string,
  maxSize: number,
): Promise<DecodedPixels | undefined> {
  return library().thumbnail(jobId, key, maxSize);
}

/** A stored frame's bytes as AHI sent them (video), or undefined. */
export function receivedFrame(jobId: string, key: string): Promise<ReceivedFrame | undefined> {
  return library().received(jobId, key);
}

export type ExportProgress = (frames: number, bytes: number) => void;

/**
 * Runs an export in the library worker. `signal` cancels it: the worker is told to stop (a signal
 * cannot cross to a worker) and the export ends Cancelled.
 * @throws RetrieveError with the export's error code
 */
export async function exportJob(
  request: ExportRequest,
  progress: ExportProgress,
  signal?: AbortSignal,
): Promise<{ summary: BundleSummary; blob?: Blob }> {
  signal?.throwIfAborted();
  const lib = library();
  const cancel = () => void lib.cancelExport(request.exportId);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const outcome = await lib.export(request, proxy(progress));
    if (!outcome.ok) {
      const { code, message, ...details } = outcome.error;
      throw new RetrieveError(code, message, details);
    }
    return outcome.blob
      ? { summary: outcome.summary, blob: outcome.blob }
      : { summary: outcome.summary };
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** Whether the site's storage would hold `bytes` more now (undefined: the browser does not say). */
export function storageRoom(bytes: number): Promise<boolean | undefined> {
  return library().room(bytes);
}

/** The outcome's value, or its error thrown as a RetrieveError. */
function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, message, ...details } = outcome.error;
  throw new RetrieveError(code, message, details);
}

/** A destination job's frames intact in its folder (a resume fetches the others). */
export async function destinationIntact(jobId: string): Promise<Set<string>> {
  return new Set(valueOf(await library().destinationOpen(jobId)));
}

/** Frames whose parts the workers wrote; the error that stopped assembling, if any. */
export function destinationParts(jobId: string, keys: string[]): Promise<ErrorInfo | undefined> {
  return library().destinationParts(jobId, keys);
}

/** A paused destination job resumes: files waiting to be assembled are tried again. */
export function retryDestination(jobId: string): Promise<void> {
  return library().destinationRetry(jobId);
}

/** Ends a destination job: the last files assembled, the index written. */
export async function finishDestination(jobId: string, total: number): Promise<DestinationSummary> {
  return valueOf(await library().destinationFinish(jobId, total));
}
