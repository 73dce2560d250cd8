/**
 * The one library worker (viewing and exporting stored frames), started on first use and kept:
 * its codec stays loaded for the next frame the viewer asks for.
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { BundleSummary, DecodedPixels, LibraryWorkerApi } from '../core/protocol';

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

export function storedFrame(jobId: string, key: string): Promise<DecodedPixels | undefined> {
  return library().frame(jobId, key);
}

export function storedThumbnail(
  jobId: string,
  key: string,
  maxSize: number,
): Promise<DecodedPixels | undefined> {
  return library().thumbnail(jobId, key, maxSize);
}

export type ExportProgress = (frames: number, bytes: number) => void;

export function exportZip(
  jobId: string,
  target: FileSystemFileHandle | undefined,
  progress: ExportProgress,
): Promise<{ summary: BundleSummary; blob?: Blob }> {
  return library().exportZip(jobId, target, proxy(progress));
}

export function exportFolder(
  jobId: string,
  root: FileSystemDirectoryHandle,
  progress: ExportProgress,
): Promise<BundleSummary> {
  return library().exportFolder(jobId, root, proxy(progress));
}
