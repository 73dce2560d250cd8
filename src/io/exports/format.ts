/**
 * An export format: what a job's bundle holds and how it is laid out, as a stream of entries
 * (path and bytes) that the bundle writer (src/io/bundle.ts) puts into a zip or a folder. A format
 * reads the job's stored frames a batch at a time, so memory stays flat whatever the job's size.
 */
import type { BundleSummary } from '../../core/protocol';
import type { ZipEntry } from '../zip';

export interface ExportContext {
  jobId: string;
  /** the format counts what it writes here (frames and their bytes) */
  summary: BundleSummary;
  progress: (frames: number, bytes: number) => void;
  /** the export was cancelled: stop reading */
  signal: AbortSignal;
  /** the user's folder template, for formats that lay files out by attributes */
  template?: string;
  /** a stored frame's full-resolution pixels, decoded if need be (formats that write pixels) */
  pixels?: (jobId: string, key: string) => Promise<Uint8Array | undefined>;
}

export interface ExportFormat {
  /** the ID an ExportRequest names */
  id: string;
  /** what the UI calls it */
  label: string;
  entries(context: ExportContext): AsyncGenerator<ZipEntry>;
}
