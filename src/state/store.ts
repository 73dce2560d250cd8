/**
 * The app's one store (zustand, vanilla), in slices: settings, credentials (memory only), the
 * job, stored jobs and the preview. High-frequency numbers do not live here: metrics.ts keeps them
 * in ring buffers, and the job slice is refreshed a few times a second from those.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ErrorInfo } from '../core/errors';
import type { JobPhase, JobState } from '../core/job';
import { DEFAULT_DICOM_TEMPLATE } from '../core/pathTemplate';
import type { PixelDescription } from '../core/plan';
import type { DecodedPixels, JobSettings, WorkerStats } from '../core/protocol';
import { initialSearch, initialSize, type SearchSlice, type SizeSlice } from './searchSlice';

export type { SearchSlice, SizeSlice } from './searchSlice';

export interface DemoImageSet {
  name: string;
  description: string;
  datastoreId: string;
  imageSetId: string;
  frames: number;
  manifest: string;
}

/** Image sets chosen in a search, as the job form holds them. */
export interface CohortChoice {
  datastoreId: string;
  imageSets: { imageSetId: string; version?: string; label: string }[];
}

export interface SettingsSlice extends JobSettings {
  /** where frames come from: manifest files / pasted JSON, image set IDs, or a search's selection */
  source: 'manifest' | 'ids' | 'cohort';
  cohort?: CohortChoice;
  manifestText: string;
  manifestFiles: { name: string; content: string }[];
  datastoreId: string;
  imageSetId: string;
  version: string;
  credentialKind: 'static' | 'cognito';
  identityPoolId: string;
  cognitoLogin: string;
  cognitoEndpoint: string;
  demo: DemoImageSet[];
  /** what Export zip / Export to folder write, and DICOM's transfer syntax */
  exportFormat: 'ahi-retrieve' | 'dicom' | 'nifti';
  dicomSyntax: 'stored' | 'explicit';
  /** where each DICOM file goes (core/pathTemplate.ts) */
  dicomTemplate: string;
  /** NIfTI volumes gzipped (.nii.gz) or not (.nii) */
  niftiCompression: 'gz' | 'none';
}

/**
 * "Save to folder while downloading": the folder picked for the next Start (never remembered in
 * localStorage: a handle cannot go there; a job keeps its own in its record).
 */
export interface DestinationSlice {
  root?: FileSystemDirectoryHandle;
  /** the job's folder: what was written there, or why writing stopped */
  message?: string;
  phase?: 'writing' | 'finishing' | 'done' | 'failed';
}

/** Held in memory only: never persisted, never logged. */
export interface CredentialsSlice {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface JobSlice {
  id?: string;
  phase: JobPhase;
  total: number;
  /** frames already stored when this run started (a resume) */
  skipped: number;
  verified: number;
  stored: number;
  /** stored as received, not verifiable: how many, and why (reason → frames) */
  unverifiable: number;
  unverifiableReasons: Record<string, number>;
  failed: number;
  bytes: number;
  retries: number;
  inFlight: number;
  /** the in-flight limit now (auto-tuning moves it) */
  limit: number;
  /** send-rate cap after throttling, requests/s; 0 = none */
  rateCap: number;
  queued: number;
  bytesPerSecond: number;
  framesPerSecond: number;
  startedAt?: number;
  finishedAt?: number;
  /** time this run has been going (updated with the numbers, a few times a second) */
  elapsedMs: number;
  /** why the job stopped or paused itself, or the last input error */
  error?: ErrorInfo;
  /** failed frames with their reasons (bounded list for display) */
  failures: { key: string; error: ErrorInfo }[];
  /** failures and retries grouped by error code, with the last message of each */
  problems: Record<string, { failed: number; retried: number; message: string }>;
  duplicates: number;
  workers: WorkerStats[];
  /** workers ended and started afresh in their place so far (writing to a folder, see pool) */
  workersRenewed: number;
  /** the endpoint stopped answering: the job waits and probes (set while it does) */
  waiting?: { message: string; delayMs: number };
  /** while preparing: documents fetched of the source's (a cohort's metadata, one per image set) */
  gathering?: { done: number; total: number };
}

export interface StoredJobSummary {
  id: string;
  name: string;
  state: JobState;
  createdAt: number;
  frames: number;
  done: number;
  bytes: number;
}

export interface PreviewSlice {
  key: string;
  pixels: DecodedPixels;
  description?: PixelDescription;
  /** data range of the frame, from the metadata (for the min/max window) */
  range?: { min: number; max: number };
}

export interface SeriesSummary {
  /** `${imageSetId}/${seriesUid}`: unique in a job */
  uid: string;
  imageSetId: string;
  label: string;
  /** frame keys in display order (instance number, then frame index) */
  keys: string[];
}

export type FrameState = 'stored' | 'failed' | 'seen';

/** A frame's state as a series' progress keeps it; 0 is pending. */
export const FRAME_STATE_CODE: Readonly<Record<FrameState, number>> = {
  stored: 1,
  seen: 2,
  failed: 3,
};

/** One series' frames for its progress bar: a state code per frame (in display order), and how
 * many are not pending. */
export interface SeriesProgress {
  states: Uint8Array;
  done: number;
}

export type ViewerStatus =
  /** nothing selected */
  | 'none'
  /** reading and decoding a stored frame */
  | 'loading'
  /** not downloaded yet: moved to the front of the queue, shown when it lands */
  | 'waiting'
  | 'shown'
  /** not stored, and nothing will fetch it now */
  | 'missing'
  | 'failed'
  /** a stored video: played by a <video> element from `video` */
  | 'video';

/** A stored video the viewer plays: an object URL of its bytes as received. */
export interface ViewerVideo {
  key: string;
  url: string;
  contentType: string;
  /** the syntax's name, for messages ("MPEG-2") */
  name: string;
}

export interface ViewerSlice {
  jobId?: string;
  /** the job's image sets, in plan order (a cohort's series are shown under theirs) */
  imageSets: { imageSetId: string; label: string }[];
  series: SeriesSummary[];
  seriesIndex: number;
  index: number;
  status: ViewerStatus;
  message?: string;
  /** the stored video shown (status 'video') */
  video?: ViewerVideo;
  /** the window in use; undefined = automatic (the first DICOM preset, else min/max) */
  window?: { center: number; width: number };
  /** fit the frame to the viewer, or show it 1:1 */
  fit: boolean;
  /** the last click on a frame not yet downloaded: time until its pixels were on screen */
  clickToPixelsMs?: number;
  /**
   * What is known of each frame (absent = pending). Mutated in place by the app, which bumps
   * `progress` a few times a second: a copy per frame would cost more than the strip's redraw.
   */
  frames: Map<string, FrameState>;
  /** the same per series, by index (the progress bars draw thousands of frames per redraw) */
  strips: SeriesProgress[];
  progress: number;
}

export interface ExportSlice {
  jobId?: string;
  kind?: 'zip' | 'folder';
  phase: 'idle' | 'running' | 'done' | 'failed';
  frames: number;
  bytes: number;
  message?: string;
}

export interface StorageSlice {
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

export interface AppState {
  settings: SettingsSlice;
  credentials: CredentialsSlice;
  job: JobSlice;
  jobs: StoredJobSummary[];
  preview?: PreviewSlice;
  viewer: ViewerSlice;
  exporting: ExportSlice;
  storage: StorageSlice;
  search: SearchSlice;
  size: SizeSlice;
  destination: DestinationSlice;
}

export const initialJob = (): JobSlice => ({
  phase: 'idle',
  total: 0,
  skipped: 0,
  verified: 0,
  stored: 0,
  unverifiable: 0,
  unverifiableReasons: {},
  failed: 0,
  bytes: 0,
  retries: 0,
  inFlight: 0,
  limit: 0,
  rateCap: 0,
  queued: 0,
  bytesPerSecond: 0,
  framesPerSecond: 0,
  elapsedMs: 0,
  failures: [],
  problems: {},
  duplicates: 0,
  workers: [],
  workersRenewed: 0,
});

export const initialSettings = (): SettingsSlice => ({
  endpoint: '',
  region: 'us-east-1',
  format: 'raw',
  verify: true,
  workers: Math.max(1, (globalThis.navigator?.hardwareConcurrency || 2) - 1),
  inFlight: 20,
  autoTune: true,
  source: 'manifest',
  manifestText: '',
  manifestFiles: [],
  datastoreId: '',
  imageSetId: '',
  version: '',
  credentialKind: 'static',
  identityPoolId: '',
  cognitoLogin: '',
  cognitoEndpoint: '',
  demo: [],
  exportFormat: 'ahi-retrieve',
  dicomSyntax: 'stored',
  dicomTemplate: DEFAULT_DICOM_TEMPLATE,
  niftiCompression: 'gz',
});

export const initialViewer = (): ViewerSlice => ({
  imageSets: [],
  series: [],
  seriesIndex: 0,
  index: 0,
  status: 'none',
  fit: true,
  frames: new Map(),
  strips: [],
  progress: 0,
});

export function createAppStore() {
  return createStore<AppState>()(() => ({
    settings: initialSettings(),
    credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    job: initialJob(),
    jobs: [],
    viewer: initialViewer(),
    exporting: { phase: 'idle', frames: 0, bytes: 0 },
    storage: {},
    search: initialSearch(),
    size: initialSize(),
    destination: {},
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;

export const appStore = createAppStore();

/** Atomic selector hook over the app store. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}

export function updateSettings(patch: Partial<SettingsSlice>) {
  appStore.setState((s) => ({ settings: { ...s.settings, ...patch } }));
}
export function updateCredentials(patch: Partial<CredentialsSlice>) {
  appStore.setState((s) => ({ credentials: { ...s.credentials, ...patch } }));
}
export function updateJob(patch: Partial<JobSlice>) {
  appStore.setState((s) => ({ job: { ...s.job, ...patch } }));
}
export function setJobs(jobs: StoredJobSummary[]) {
  appStore.setState({ jobs });
}
export function setPreview(preview: PreviewSlice | undefined) {
  appStore.setState({ preview });
}
export function updateViewer(patch: Partial<ViewerSlice>) {
  appStore.setState((s) => ({ viewer: { ...s.viewer, ...patch } }));
}
export function updateExport(patch: Partial<ExportSlice>) {
  appStore.setState((s) => ({ exporting: { ...s.exporting, ...patch } }));
}
export function updateDestination(patch: Partial<DestinationSlice>) {
  appStore.setState((s) => ({ destination: { ...s.destination, ...patch } }));
}
export function setStorage(storage: StorageSlice) {
  appStore.setState({ storage });
}
export function updateSearch(patch: Partial<SearchSlice>) {
  appStore.setState((s) => ({ search: { ...s.search, ...patch } }));
}
export function updateSize(patch: Partial<SizeSlice>) {
  appStore.setState((s) => ({ size: { ...s.size, ...patch } }));
}

/** Settings other than secrets, remembered between visits (explicit allowlist). */
export const REMEMBERED_SETTINGS = [
  'endpoint',
  'region',
  'format',
  'verify',
  'workers',
  'inFlight',
  'autoTune',
  'credentialKind',
  'identityPoolId',
  'cognitoEndpoint',
  'exportFormat',
  'dicomSyntax',
  'niftiCompression',
  'dicomTemplate',
] as const;
