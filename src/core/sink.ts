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
  /**
   * A frame written to a folder (core/destination.ts): the size and CRC-32 of the whole file named
   * by `file` when it was written, which a resume checks the file against. For a frame of its own
   * file they are the frame's; for a file assembled from several frames (a multi-frame DICOM
   * instance, a NIfTI volume), the file's.
   */
  fileSize?: number;
  fileCrc?: number;
  /**
   * `file` is gzip (a `.nii.gz` volume): `offset` is where the gzip member holding the frame
   * begins, `gzipLength` that member's length, and `inflatedOffset` where the frame's bytes begin
   * once the member alone is inflated.
   */
  gzipLength?: number;
  inflatedOffset?: number;
  /** the frame's bytes are inside `file` but not readable at an offset (a DICOM file whose
   * fragments were not found; a volume written before its slices' members were recorded) */
  packed?: boolean;
  /** verified, but the destination's format has no place for it (a series forming no volume): why */
  leftOut?: string;
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

/**
 * Which sink a job's retrieval workers write to: the browser's store, or a folder on disk written
 * while downloading (the frame files of ahi-retrieve's layout, or each frame's part for formats
 * assembled from several frames: core/destination.ts).
 */
export type SinkChoice =
  | { kind: 'browser' }
  | { kind: 'folder'; root: FileSystemDirectoryHandle; format: string }
  /** a folder on disk by path, which only the command-line runner writes (runner/worker.ts) */
  | { kind: 'path'; dir: string; format: string };
