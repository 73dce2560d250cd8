/**
 * A job's lifecycle, in one place: the phases a run goes through, the state a stored job keeps,
 * what a job record and its sources hold, and the questions every stage asks of them (can it be
 * resumed, is it busy, does this error stop the whole job). The store, the database, the runner,
 * the scheduler and the UI all answer them here, so a new phase or rule is added once.
 */
import type { Destination } from './destination';
import type { ErrorCode, ErrorInfo } from './errors';
import type { JobSettings } from './protocol';

/** Where the job on screen is: idle (none yet) and preparing come before anything is stored. */
export type JobPhase =
  'idle' | 'preparing' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/** What a stored job keeps of its phase (a job is stored once it is prepared). */
export type JobState = Exclude<JobPhase, 'idle' | 'preparing'>;

/** The state saved for a phase: a job being prepared or run counts as running. */
export function persistedState(phase: JobPhase): JobState {
  return phase === 'idle' || phase === 'preparing' ? 'running' : phase;
}

/** Preparing or running: settings are locked and Start would replace the job. */
export const isBusy = (phase: JobPhase): boolean => phase === 'preparing' || phase === 'running';

/** The run has started and not ended: its numbers are live (paused included). */
export const isUnderway = (phase: JobPhase): boolean => phase === 'running' || phase === 'paused';

/** The run is over, one way or another: what is left can be retried. */
export const hasEnded = (phase: JobPhase): boolean =>
  phase === 'done' || phase === 'failed' || phase === 'cancelled';

/** A run has begun (there are numbers to chart): anything after preparing. */
export const hasStarted = (phase: JobPhase): boolean => phase !== 'idle' && phase !== 'preparing';

/** Resume picks the job up again: paused by the user or by itself, failed, or cancelled. */
export const canResume = (phase: JobPhase): boolean =>
  phase === 'paused' || phase === 'failed' || phase === 'cancelled';

/** Cancel stops it: it is being prepared, run, or waits paused. */
export const canCancel = (phase: JobPhase): boolean => isBusy(phase) || phase === 'paused';

/** Stopped and waiting for the user (new credentials, free storage), with a reason to show. */
export const isHalted = (phase: JobPhase): boolean => phase === 'failed' || phase === 'paused';

/** A stored job that still lacks frames (or never finished): offered for Continue. */
export const isUnfinished = (state: JobState): boolean => state !== 'done';

/**
 * Errors that no retry can fix for a single frame (credentials refused or expired, storage full or
 * gone): they pause the whole job with one reason, and every frame waits.
 */
const BLOCKING: ReadonlySet<ErrorCode> = new Set([
  'AccessDenied',
  'ExpiredCredentials',
  'QuotaExceeded',
  'StorageFailed',
  'WriteRefused',
]);

export const blocksTheJob = (code: ErrorCode): boolean => BLOCKING.has(code);

/**
 * Where a job goes when a blocking error stops it: refused credentials end it (failed, still
 * resumable with new ones); the rest pause it.
 */
export const phaseWhenBlocked = (code: ErrorCode): 'failed' | 'paused' =>
  code === 'AccessDenied' ? 'failed' : 'paused';

/** Settings a job keeps. An explicit allowlist: never credentials. */
export type PersistedSettings = JobSettings;

export interface JobTotals {
  frames: number;
  verified: number;
  /** stored unchecked, and (counted apart, absent in older records) stored not verifiable */
  stored: number;
  unverifiable?: number;
  failed: number;
  bytes: number;
}

/** A stored job: what it is, how it runs, how far it got. */
export interface JobRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  state: JobState;
  settings: PersistedSettings;
  totals: JobTotals;
  lastError?: ErrorInfo;
  /** a folder written while downloading; none: the browser's store */
  destination?: Destination;
}

/** A manifest or metadata document a job was planned from. */
export interface JobSource {
  name: string;
  content: string;
  /** metadata documents only add checksums and pixel descriptions to the manifests' frames */
  role: 'manifest' | 'metadata';
}
