/**
 * The app's one store (zustand, vanilla), in slices: settings, credentials (memory only), the job
 * and the preview. High-frequency numbers do not live here: the job slice changes at most a few
 * times a second (see commands.ts), the per-frame stream stays in the pool.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ErrorInfo } from '../core/errors';
import type { PixelDescription } from '../core/plan';
import type { DecodedPixels, Format } from '../core/protocol';

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
  manifestText: string;
  manifestName: string;
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
  phase: JobPhase;
  total: number;
  verified: number;
  stored: number;
  failed: number;
  bytes: number;
  retries: number;
  startedAt?: number;
  finishedAt?: number;
  /** the error that stopped the job, or the last input error */
  error?: ErrorInfo;
  /** failed frames with their reasons (bounded list for display) */
  failures: { key: string; error: ErrorInfo }[];
  duplicates: number;
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
  preview?: PreviewSlice;
}

export const initialJob = (): JobSlice => ({
  phase: 'idle',
  total: 0,
  verified: 0,
  stored: 0,
  failed: 0,
  bytes: 0,
  retries: 0,
  failures: [],
  duplicates: 0,
});

export function createAppStore() {
  return createStore<AppState>()(() => ({
    settings: {
      endpoint: '',
      region: 'us-east-1',
      format: 'raw',
      verify: true,
      workers: 1,
      inFlight: 20,
      manifestText: '',
      manifestName: 'pasted JSON',
      demo: [],
    },
    credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    job: initialJob(),
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
export function setPreview(preview: PreviewSlice | undefined) {
  appStore.setState({ preview });
}
