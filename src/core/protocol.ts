/**
 * The worker contract, declared once: workers/api.ts implements it (`satisfies RetrieveWorkerApi`),
 * src/pool is its only caller. Everything here is structured-clone data; pixel buffers travel as
 * transferred ArrayBuffers, never copies.
 */
import type { ErrorInfo } from './errors';

/** ahi-retrieve's output formats: keep the codestream, keep decoded pixels, or decode and discard. */
export type Format = 'jph' | 'raw' | 'mem';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** when temporary credentials expire */
  expiration?: Date;
}

export interface WorkerConfig {
  /** API origin, e.g. https://runtime-medical-imaging.us-east-1.amazonaws.com */
  endpoint: string;
  region: string;
  format: Format;
  /** decode to verify checksums even when the format keeps the codestream */
  verify: boolean;
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
  /** send the decoded pixels back (for preview) */
  wantPixels?: boolean;
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
  pixels?: DecodedPixels;
}

export interface CodecInfo {
  version: string;
  simdLevel: number;
}

export interface RetrieveWorkerApi {
  /** Loads the codec and sets the endpoint and credentials; call before retrieve. */
  init(config: WorkerConfig, credentials: Credentials): Promise<CodecInfo>;
  /** Replaces the signer's credentials (after a refresh). */
  setCredentials(credentials: Credentials): void;
  /** Fetches, checks and decodes one frame. Never rejects: failures are results. Many may run at once. */
  retrieve(task: FrameTask): Promise<FrameResult>;
  /** Aborts every request in flight; their results come back as Cancelled. */
  cancelAll(): void;
}
