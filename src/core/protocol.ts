/**
 * Every worker contract, declared once (as maplibre keeps every actor message in one map): the
 * retrieval workers, the library worker, the plan worker and the benchmark's ceiling worker. Each
 * worker module builds its side with `satisfies`, src/pool (or the bench page) is its only caller;
 * `WorkerApis` names them all. Everything here is structured-clone data; pixel buffers travel as
 * transferred ArrayBuffers, never copies. Errors cross as ErrorInfo (code and message), never as
 * thrown objects, which lose everything but their message on the way.
 */
import type { Destination, DestinationSummary } from './destination';
import type { ErrorInfo } from './errors';
import type { JobRecord, PersistedSettings } from './job';
import type { Plan, PlannedFrame } from './plan';
import type { SinkChoice } from './sink';

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
  /** job whose frames the worker stores; none: store nothing */
  jobId?: string;
  /** where verified frames go (src/io/sinks) */
  sink: SinkChoice;
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
  /** StoredTransferSyntaxUID, when the metadata says */
  syntax?: string;
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

/**
 * verified: the decoded pixels match AHI's checksum; stored: kept, nothing to check against (or
 * not checked: jph without verification); unverifiable: kept as received, but its checksum could
 * not be checked or proves nothing (video, lossy syntaxes whose decoders differ), `reason` says
 * why; failed: not stored, `error` says why.
 */
export type FrameOutcome = 'verified' | 'stored' | 'unverifiable' | 'failed';

export interface FrameResult {
  key: string;
  outcome: FrameOutcome;
  error?: ErrorInfo;
  /** why an unverifiable frame could not be verified */
  reason?: string;
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
  /**
   * The job is over: makes everything its sink took durable and releases it (the command-line
   * runner's journal writes its last segment); resolves once done, rejects if that failed.
   */
  close(): Promise<void>;
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
  /** frames the format leaves out by design (NIfTI: series that form no volume), not missing */
  leftOut?: number;
}

/** An export's outcome: what it wrote (a Blob for a download when it had no target), or why not. */
export type ExportOutcome =
  { ok: true; summary: BundleSummary; blob?: Blob } | { ok: false; error: ErrorInfo };

/** Where an export writes: a zip (to a picked file, or a Blob), or a folder's files. */
export type ExportTarget =
  | { kind: 'zip'; file?: FileSystemFileHandle }
  | { kind: 'folder'; root: FileSystemDirectoryHandle };

export interface ExportRequest {
  /** names the export for `cancelExport` */
  exportId: string;
  jobId: string;
  /** an export format's ID (io/exports registry): 'ahi-retrieve', 'dicom', 'dicom-explicit', 'nifti' */
  format: string;
  target: ExportTarget;
  /** the folder template of formats that lay files out by attributes (core/pathTemplate.ts) */
  template?: string;
}

/** A stored frame as received: its Content-Type and bytes. */
export interface ReceivedFrame {
  contentType: string;
  data: ArrayBuffer;
}

/** Why a stored frame's pixels are not there to show, in words. */
export interface Unavailable {
  unavailable: string;
  /** stored, but in a syntax no codec here decodes (the viewer names the syntax) */
  undecodable?: boolean;
}

/**
 * The library worker: reads what jobs stored, for viewing and export, apart from the retrieval
 * workers (it has no credentials and never touches the network).
 */
export interface LibraryWorkerApi {
  /** A stored frame's full-resolution pixels, or why they cannot be read or shown here. */
  frame(jobId: string, key: string): Promise<DecodedPixels | Unavailable>;
  /**
   * A small preview of a stored frame: HTJ2K at a reduced resolution (cheap), stored pixels
   * subsampled. Undefined when the frame is not stored or cannot be decoded here.
   */
  thumbnail(jobId: string, key: string, maxSize: number): Promise<DecodedPixels | undefined>;
  /**
   * A stored frame's bytes as AHI sent them, with their Content-Type (video plays from these);
   * undefined when the frame is not stored that way (decoded pixels) or not stored at all.
   */
  received(jobId: string, key: string): Promise<ReceivedFrame | undefined>;
  /** Writes a job's bundle in a format to a target; progress at most every 100 ms. */
  export(
    request: ExportRequest,
    progress: (frames: number, bytes: number) => void,
  ): Promise<ExportOutcome>;
  /** Stops an export under way (a signal cannot cross to a worker): it ends Cancelled. */
  cancelExport(exportId: string): void;
  /**
   * Whether the site's storage would hold `bytes` more now (probed in OPFS, io/store/room.ts);
   * undefined when the browser does not say.
   */
  room(bytes: number): Promise<boolean | undefined>;
  /**
   * A destination job resumed: the keys of its frames intact in the folder (file size and CRC-32
   * as written); files whose parts are all in are assembled meanwhile.
   */
  destinationOpen(jobId: string): Promise<Outcome<string[]>>;
  /** The retrieval workers wrote these frames' parts; an error that stopped assembling, if any. */
  destinationParts(jobId: string, keys: string[]): Promise<ErrorInfo | undefined>;
  /** A paused destination job resumes: files waiting to be assembled are tried again. */
  destinationRetry(jobId: string): Promise<void>;
  /** The job ended: the last files assembled and the index written. */
  destinationFinish(jobId: string, total: number): Promise<Outcome<DestinationSummary>>;
}

/** A result, or why there is none, as data (errors lose their code crossing a worker). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** Where a new job's frames come from: each kind is one module of src/io/sources. */
export type SourceRequest =
  /** manifest or metadata files, or JSON pasted */
  | { kind: 'manifest'; files: { name: string; content: string }[]; text: string }
  /** one image set, by ID (its metadata is the manifest) */
  | { kind: 'imageSet'; datastoreId: string; imageSetId: string; version: string }
  /** image sets chosen in a search: each one's metadata is its manifest */
  | { kind: 'cohort'; datastoreId: string; imageSets: { imageSetId: string; version?: string }[] };

export interface PlanRequest {
  /** the new job's ID (chosen by the page, which starts the job's workers meanwhile) */
  jobId: string;
  source: SourceRequest;
  settings: PersistedSettings;
  credentials: Credentials;
  /** a folder written while downloading (kept in the job's record) */
  destination?: Destination;
}

/** A source's size before Start: what the plan worker learns from its documents. */
export interface SurveyRequest {
  source: SourceRequest;
  settings: Pick<PersistedSettings, 'endpoint' | 'region'>;
  credentials: Credentials;
}

export interface SeriesSize {
  seriesUid: string;
  label: string;
  frames: number;
  bytes: number;
}

export interface ImageSetSize {
  datastoreId: string;
  imageSetId: string;
  frames: number;
  bytes: number;
  series: SeriesSize[];
}

export interface SourceSize {
  frames: number;
  /** summed FrameSizeInBytes (the decoded size, as AHI lists it) */
  bytes: number;
  /** frames that list no FrameSizeInBytes (not in `bytes`) */
  unsized: number;
  imageSets: ImageSetSize[];
}

export type SurveyOutcome = { ok: true; size: SourceSize } | { ok: false; error: ErrorInfo };

export type ManifestsOutcome =
  { ok: true; files: { name: string; content: string }[] } | { ok: false; error: ErrorInfo };

export interface PreparedJob {
  record: JobRecord;
  plan: Plan;
}

/**
 * A prepared job crosses without its frames (`plan.frames` is empty, `frames` says how many): the
 * page takes them FRAMES_PER_MESSAGE at a time with `frames`, one message (and one task to
 * deserialise it) each. In one message, 2,000 frames took 15-20 ms of the page's thread on a busy
 * machine, a 40-55 ms task; 10,000 would take five times that.
 */
export type PlanOutcome =
  { ok: true; job: PreparedJob; frames: number } | { ok: false; error: ErrorInfo };

export const FRAMES_PER_MESSAGE = 400;

/**
 * The plan worker: job preparation off the main thread (src/io/planning.ts does the work). A
 * survey's documents stay in the worker, so the Start or Save manifest that follows in the same
 * worker does not fetch them again.
 */
export interface PlanWorkerApi {
  /**
   * `firstFrame`: told the job's first frame as soon as it is known; `progress`: told how many of
   * the source's documents are in (comlink proxies)
   */
  prepare(
    req: PlanRequest,
    firstFrame?: (frame: PlannedFrame) => void,
    progress?: (done: number, total: number) => void,
  ): Promise<PlanOutcome>;
  /** A source's frames and bytes, per image set and series, before Start. */
  survey(
    req: SurveyRequest,
    progress?: (done: number, total: number) => void,
  ): Promise<SurveyOutcome>;
  /** A source as ahi-retrieve manifests, whole or split into `parts` (core/manifestParts.ts). */
  manifests(req: SurveyRequest, parts: number): Promise<ManifestsOutcome>;
  reload(id: string): Promise<PlanOutcome>;
  /** frames `from` … `from + count - 1` of the job prepared last */
  frames(from: number, count: number): PlannedFrame[];
}

/** A frame the benchmark's ceiling worker fetches. */
export interface FrameRef {
  datastoreId: string;
  imageSetId: string;
  frameId: string;
}

export interface FetchLoopResult {
  frames: number;
  bytes: number;
  /** wall time of the fetch loop alone */
  ms: number;
  /** time spent signing the requests beforehand */
  signMs: number;
}

type StaticKeys = { accessKeyId: string; secretAccessKey: string };

/** The benchmark's ceiling worker (bench/worker/ceiling.ts): what the browser does without the app. */
export interface CeilingApi {
  fetchLoop(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: StaticKeys,
    inFlight: number,
    read: 'arrayBuffer' | 'reader',
  ): Promise<FetchLoopResult>;
  decodeLoop(codestreams: ArrayBuffer[], repeat: number): Promise<{ frames: number; ms: number }>;
  /** Each frame decoded (and CRC-32'd) `repeat` times through the codec registry: ms per decode. */
  decodeEach(
    frames: { contentType: string; bytes: ArrayBuffer; geometry?: FrameGeometry }[],
    repeat: number,
  ): Promise<{ contentType: string; msPerFrame: number; error?: string }[]>;
  fetchBodies(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: StaticKeys,
  ): Promise<ArrayBuffer[]>;
}

/** Every worker of the app and its bench, by name, with the API it exposes. */
export interface WorkerApis {
  retrieve: RetrieveWorkerApi;
  library: LibraryWorkerApi;
  plan: PlanWorkerApi;
  ceiling: CeilingApi;
}
