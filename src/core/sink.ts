/**
 * Where a verified frame goes. The retrieval worker hands every frame it has fetched, checked and
 * (for raw) decoded to one FrameSink, and waits for it to be durable before it reports the frame
 * stored. Today's sink is the browser's store (bytes in OPFS files, records in IndexedDB); a folder
 * on disk written while downloading is the next. Sinks are chosen in src/io/sinks.
 */

/** A stored frame's record (cheap to scan: no pixel data): what a sink keeps for resume and export. */
export interface StoredFrame {
  jobId: string;
  key: string;
  datastoreId: string;
  imageSetId: string;
  frameId: string;
  /** what the bytes hold: the codestream as received, or decoded pixels */
  kind: 'codestream' | 'pixels';
  contentType: string;
  size: number;
  /** CRC-32 of the decoded pixels, when decoded */
  checksum?: number;
  verified: boolean;
  /** why a frame kept as received is not verifiable (video, a lossy syntax's decoder differing) */
  note?: string;
  /** the file holding the bytes, from `offset` (set by the sink) */
  file?: string;
  offset?: number;
  /** decoded geometry, for pixels */
  width?: number;
  height?: number;
  bitsPerSample?: number;
  signed?: boolean;
  components?: number;
  storedAt: number;
}

export interface FrameSink {
  /** bytes taken but not durable yet: the worker stops fetching past a bound (back-pressure) */
  readonly pendingBytes: number;
  /**
   * Takes a frame's bytes, copying them before it returns (the caller reuses its buffer), and
   * resolves once the frame is durable. `failedBefore`: an earlier run left a failure record for
   * this frame, cleared with it.
   * @throws QuotaExceededError (storage full) or RetrieveError StorageFailed; both pause the job
   */
  put(frame: StoredFrame, bytes: Uint8Array, failedBefore: boolean): Promise<void>;
  /** Releases files and handles (a worker that ends releases them too). */
  close(): Promise<void>;
}

/** Which sink a job's retrieval workers write to. */
export type SinkChoice = { kind: 'browser' };
