/**
 * The app's one store (zustand, vanilla), in slices: settings, credentials (memory only), the
 * job, stored jobs and the preview. High-frequency numbers do not live here: metrics.ts keeps them
 * in ring buffers, and the job slice is refreshed a few times a second from those.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ErrorInfo } from '../core/errors';
import type { PixelDescription } from '../core/plan';
import type { DecodedPixels, Format, WorkerStats } from '../core/protocol';

export interface DemoImageSet {
  name: string;
  description: string;
  datastoreId: string;
  imageSetId: string;
  frames: number;
  manifest: string;
}

export interface SettingsSlice {
  endpoint: string;
  region: string;
  format: Format;
  verify: boolean;
  workers: number;
  inFlight: number;
  /** where frames come from: manifest files / pasted JSON, or image set IDs */
  source: 'manifest' | 'ids';
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
}

/** Held in memory only: never persisted, never logged. */
export interface CredentialsSlice {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export type JobPhase =
  'idle' | 'preparing' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface JobSlice {
  id?: string;
  phase: JobPhase;
  total: number;
  /** frames already stored when this run started (a resume) */
  skipped: number;
  verified: number;
  stored: number;
  failed: number;
  bytes: number;
  retries: number;
  retriesByCode: Record<string, number>;
  inFlight: number;
  queued: number;
  bytesPerSecond: number;
  framesPerSecond: number;
  startedAt?: number;
  finishedAt?: number;
  /** why the job stopped or paused itself, or the last input error */
  error?: ErrorInfo;
  /** failed frames with their reasons (bounded list for display) */
  failures: { key: string; error: ErrorInfo }[];
  duplicates: number;
  workers: WorkerStats[];
}

export interface StoredJobSummary {
  id: string;
  name: string;
  state: string;
  createdAt: number;
  frames: number;
  done: number;
  bytes: number;
}

export interface PreviewSlice {
  key: string;
  pixels: DecodedPixels;
  description?: PixelDescription;
}

export interface AppState {
  settings: SettingsSlice;
  credentials: CredentialsSlice;
  job: JobSlice;
  jobs: StoredJobSummary[];
  preview?: PreviewSlice;
}

export const initialJob = (): JobSlice => ({
  phase: 'idle',
  total: 0,
  skipped: 0,
  verified: 0,
  stored: 0,
  failed: 0,
  bytes: 0,
  retries: 0,
  retriesByCode: {},
  inFlight: 0,
  queued: 0,
  bytesPerSecond: 0,
  framesPerSecond: 0,
  failures: [],
  duplicates: 0,
  workers: [],
});

export const initialSettings = (): SettingsSlice => ({
  endpoint: '',
  region: 'us-east-1',
  format: 'raw',
  verify: true,
  workers: Math.max(1, (globalThis.navigator?.hardwareConcurrency || 2) - 1),
  inFlight: 20,
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
});

export function createAppStore() {
  return createStore<AppState>()(() => ({
    settings: initialSettings(),
    credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    job: initialJob(),
    jobs: [],
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

/** Settings other than secrets, remembered between visits (explicit allowlist). */
export const REMEMBERED_SETTINGS = [
  'endpoint',
  'region',
  'format',
  'verify',
  'workers',
  'inFlight',
  'credentialKind',
  'identityPoolId',
  'cognitoEndpoint',
] as const;
