/**
 * The worker contract, declared once: workers/retrieve.ts implements it (`satisfies RetrieveWorkerApi`),
 * src/pool is its only caller. Everything here is structured-clone data; pixel buffers travel as
 * transferred ArrayBuffers, never copies.
 */
import type { ErrorInfo } from './errors';

/** ahi-retrieve's output formats: keep the codestream, keep decoded pixels, or decode and discard. */
export type Format = 'jph' | 'raw' | 'mem';

/** How a job runs: what the settings form holds and what a stored job keeps (never credentials). */
export interface JobSettings {
  endpoint: string;
  region: string;
  format: Format;
  verify: boolean;
  workers: number;
  /** requests in flight: the fixed limit, or where auto-tuning starts */
  inFlight: number;
  /** adapt the in-flight limit to measured throughput (AIMD) */
  autoTune: boolean;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** when temporary credentials expire */
  expiration?: Date;
}

export interface WorkerConfig {
  workerId: number;
  /** API origin, e.g. https://runtime-medical-imaging.us-east-1.amazonaws.com */
  endpoint: string;
  region: string;
  format: Format;
  /** decode to verify checksums even when the format keeps the codestream */
  verify: boolean;
  /** job whose frames the worker stores in IndexedDB; none: store nothing */
  jobId?: string;
}

/** What an uncompressed body (application/octet-stream) holds, from the instance's metadata. */
export interface FrameGeometry {
  width: number;
  height: number;
  bitsAllocated: number;
  signed: boolean;
  samples: number;
}

export interface FrameTask {
  key: string;
  datastoreId: string;
  imageSetId: string;
  frameId: string;
  /** expected CRC-32 of the full-resolution pixels */
  checksum?: number;
  /** 1-based attempt number */
  attempt: number;
  /** send the decoded pixels back for preview, as soon as they are verified (before storing) */
  wantPixels?: boolean;
  /** start before the tasks already queued in the worker (a viewer's priority) */
  urgent?: boolean;
  /** an earlier run left a failure record for this frame: storing it deletes that */
  failedBefore?: boolean;
  geometry?: FrameGeometry;
}

export interface DecodedPixels {
  width: number;
  height: number;
  bitsPerSample: number;
  signed: boolean;
  components: number;
  /** little-endian samples, interleaved: transferred, not copied */
  data: ArrayBuffer;
}

export type FrameOutcome = 'verified' | 'stored' | 'failed';

export interface FrameResult {
  key: string;
  outcome: FrameOutcome;
  error?: ErrorInfo;
  /** bytes received over the network */
  bytes: number;
  contentType?: string;
  /** CRC-32 of the decoded pixels, when decoded */
  checksum?: number;
  timings: { requestMs: number; bodyMs: number; decodeMs: number; crcMs: number };
}

/**
 * A wanted frame's decoded pixels (`FrameTask.wantPixels`), checked against its checksum and sent
 * before the frame is stored: the viewer shows it while IndexedDB commits (15-30 ms, more on a
 * busy machine). Its result follows.
 */
export interface FramePixels {
  key: string;
  pixels: DecodedPixels;
}

export interface CodecInfo {
  version: string;
  simdLevel: number;
}

/** Running totals of one worker, sent with every report. */
export interface WorkerStats {
  workerId: number;
  queued: number;
  inFlight: number;
  done: number;
  failed: number;
  bytes: number;
  decodeMs: number;
  decoded: number;
  /** summed per-stage times, ms: request (until headers), body read, CRC, storage commit */
  requestMs: number;
  bodyMs: number;
  crcMs: number;
  storeMs: number;
  /** bytes decoded or received but not yet committed to storage */
  pendingWriteBytes: number;
}

/** What a worker sends back, batched: finished frames and its totals. */
export interface WorkerReport {
  results: FrameResult[];
  previews?: FramePixels[];
  stats: WorkerStats;
}

export interface RetrieveWorkerApi {
  /**
   * Loads the codec and sets endpoint and credentials. Reports flow back one way on `reports`
   * (a transferred MessagePort): no reply per batch, unlike a proxied callback.
   */
  init(config: WorkerConfig, credentials: Credentials, reports: MessagePort): Promise<CodecInfo>;
  /**
   * Loads the codec and CRC-32 and decodes a known codestream (a worker kept on standby does this
   * before there is a job; `init` does it too, once).
   */
  warm(): Promise<CodecInfo>;
  /** Replaces the signer's credentials (after a refresh). */
  setCredentials(credentials: Credentials): void;
  /** This worker's share of the global in-flight limit. */
  setLimit(limit: number): void;
  /** This worker's share of the global send-rate cap, requests/s; 0 = no cap. */
  setRate(perSecond: number): void;
  /** Adds tasks to the worker's queue; each ends in exactly one reported result. */
  enqueue(tasks: FrameTask[]): void;
  /**
   * Fetches a frame ahead of its task (the job's first, while the job is still being prepared)
   * and sends its decoded pixels as a preview, not yet checked (the checksum comes with the plan).
   * The frame's task, when it comes, uses the response instead of fetching it again, and checks,
   * stores and reports it as usual. Nothing is reported for the prefetch itself: a failed one
   * leaves the task to fetch the frame.
   */
  prefetch(task: FrameTask): void;
  /**
   * Takes back queued tasks not started yet (all, or those in `keys`) and returns their keys;
   * with `abort`, requests in flight are aborted too and come back as Cancelled results.
   */
  recall(keys?: string[], abort?: boolean): string[];
}

/** What an export wrote. */
export interface BundleSummary {
  /** the bundle's name (the job's, marked partial when frames are missing) */
  name: string;
  /** the job's state when exported */
  state: string;
  frames: number;
  totalFrames: number;
  bytes: number;
  ms: number;
  /** fewer frames than the job lists: a paused, unfinished or partly failed job */
  partial: boolean;
}

/**
 * The library worker: reads what jobs stored, for viewing and export, apart from the retrieval
 * workers (it has no credentials and never touches the network).
 */
export interface LibraryWorkerApi {
  /** A stored frame's full-resolution pixels; undefined when it is not stored. */
  frame(jobId: string, key: string): Promise<DecodedPixels | undefined>;
  /**
   * A small preview of a stored frame: HTJ2K at a reduced resolution (cheap), stored pixels
   * subsampled. Undefined when the frame is not stored or cannot be decoded here.
   */
  thumbnail(jobId: string, key: string, maxSize: number): Promise<DecodedPixels | undefined>;
  /** Zip bundle: into `target`, or into a Blob for a download when there is none. */
  exportZip(
    jobId: string,
    target: FileSystemFileHandle | undefined,
    progress: (frames: number, bytes: number) => void,
  ): Promise<{ summary: BundleSummary; blob?: Blob }>;
  /** The same bundle as files in a folder. */
  exportFolder(
    jobId: string,
    root: FileSystemDirectoryHandle,
    progress: (frames: number, bytes: number) => void,
  ): Promise<BundleSummary>;
}
