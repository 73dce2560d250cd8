/**
 * Runs one job: a worker pool storing frames (bytes in OPFS files, records in IndexedDB), the
 * scheduler, credentials that refresh themselves, metrics sampled into ring buffers, and the job
 * slice refreshed from them a few times a second. A job that pauses itself (credentials, storage)
 * keeps every stored frame; a resume fetches only what is missing.
 */
import type { ErrorInfo } from '../core/errors';
import type { Plan, PlannedFrame } from '../core/plan';
import type { DecodedPixels, FrameResult } from '../core/protocol';
import type { CredentialManager } from '../io/credentials';
import {
  persistedState,
  phaseWhenBlocked,
  type JobPhase,
  type JobRecord,
  type JobState,
  type PersistedSettings,
} from '../core/job';
import type { Destination } from '../core/destination';
import { toErrorInfo } from '../core/errors';
import { putFailures, saveJob, type FailureRecord } from '../io/store';
import { destinationParts, finishDestination } from '../pool/libraryWorker';
import { Scheduler } from '../pool/scheduler';
import { keepStandby, WorkerPool } from '../pool/workerPool';
import { JobMetrics, SAMPLE_MS } from '../state/metrics';
import { appStore, updateDestination, updateJob } from '../state/store';
import { destinationMessage } from './destination';

const MAX_LISTED_FAILURES = 200;
const SAVE_MS = 2000;

/**
 * The retrieval workers for job `jobId`, spawned and with their codec loaded: started by the
 * runner, or by Start while the job is still being prepared (the plan worker parsing, fetching
 * metadata and saving), so the two overlap.
 */
export function startPool(
  jobId: string,
  s: PersistedSettings,
  credentials: CredentialManager,
  destination?: Destination,
): Promise<WorkerPool> {
  const pool = WorkerPool.create(
    Math.max(1, s.workers),
    {
      endpoint: s.endpoint,
      region: s.region,
      format: s.format,
      verify: s.verify,
      jobId,
      sink: destination
        ? { kind: 'folder', root: destination.root, format: destination.format }
        : { kind: 'browser' },
    },
    credentials.credentials,
  );
  // The pool took the workers on standby it needed (synchronously); more would idle all job long.
  keepStandby(0);
  return pool;
}

export interface RunnerHooks {
  /** told after the job's state is saved (the stored-jobs list refreshes) */
  stateSaved?: () => void;
  /** told of every frame's final result (the viewer) */
  frame?: (frame: PlannedFrame, result: FrameResult) => void;
  /** told after each sample is published to the store, in the same task (the viewer's progress) */
  published?: () => void;
  /** a frame the viewer wants (the job's first, or one asked for), decoded and verified */
  pixels?: (key: string, pixels: DecodedPixels) => void;
  /** keys of the frames an earlier run left failure records for */
  failedBefore?: ReadonlySet<string>;
  /** whether the viewer shows a frame's pixels already (the first needs none sent, then) */
  shown?: (key: string) => boolean;
}

export class JobRunner {
  readonly metrics: JobMetrics;
  private pool: WorkerPool | undefined;
  private scheduler: Scheduler | undefined;
  private failures: { key: string; error: ErrorInfo }[] = [];
  private problems: Record<string, { failed: number; retried: number; message: string }> = {};
  /** why frames were stored not verifiable, with how many (bounded, in case reasons vary) */
  private readonly unverifiableReasons: Record<string, number> = {};
  /** frames whose decoded pixels the viewer wants as soon as they land */
  private readonly wanted = new Set<string>();
  private unsavedFailures: FailureRecord[] = [];
  private sampler: ReturnType<typeof setInterval> | undefined;
  private lastSave = 0;
  private done!: () => void;
  /** resolves when the job is finished, cancelled, or has failed */
  readonly ended = new Promise<void>((r) => (this.done = r));
  private unsubscribe: (() => void) | undefined;
  private savedState: JobState | undefined;
  /** the last save: saves run one after another */
  private saving = Promise.resolve();
  /** frames stored before this run (a resume) */
  private readonly skipped: number;
  /** frames written to the destination folder since the last tick, for its assembler */
  private written: string[] = [];
  /** the run is ending (finish under way or over) */
  private ending = false;
  /** every frame is in, but the destination folder's last files or index could not be written */
  private folderUnfinished = false;

  constructor(
    readonly record: JobRecord,
    readonly plan: Plan,
    private readonly todo: PlannedFrame[],
    readonly credentials: CredentialManager,
    private readonly hooks: RunnerHooks = {},
  ) {
    this.metrics = new JobMetrics(performance.now());
    this.skipped = plan.frames.length - todo.length;
  }

  /**
   * Starts the job, on `pool` when one was started for it while the job was being prepared
   * (`startPool`), else on a pool of its own.
   */
  async start(pool?: Promise<WorkerPool>): Promise<void> {
    const s = this.record.settings;
    const previewKey = this.todo[0]?.key;
    updateJob({
      id: this.record.id,
      phase: 'running',
      total: this.plan.frames.length,
      skipped: this.skipped,
      startedAt: performance.now(),
    });
    this.pool = await (pool ??
      startPool(this.record.id, s, this.credentials, this.record.destination));
    this.pool.listen({
      report: (w, report) => this.scheduler?.onReport(w, report.results),
      workerLost: (_w, lost) => this.scheduler?.takeBack(lost),
      returned: (_w, tasks) => this.scheduler?.takeBack(tasks),
      workerReady: (w) => this.scheduler?.onWorkerReady(w),
      pixels: (_w, p) => this.hooks.pixels?.(p.key, p.pixels),
      queued: () => this.scheduler?.queued ?? 0,
    });
    this.unsubscribe = this.credentials.onChange((c) => void this.pool?.setCredentials(c));
    this.scheduler = new Scheduler(
      this.pool,
      this.todo,
      {
        frameDone: (frame, result) => this.frameDone(frame, result),
        retrying: (_f, error) => {
          this.metrics.retry();
          this.problem(error).retried++;
        },
        blocked: (error) => void this.blocked(error),
        finished: () => void this.finish('done'),
        waiting: (error, delayMs) => updateJob({ waiting: { message: error.message, delayMs } }),
        reconnected: () => updateJob({ waiting: undefined }),
      },
      {
        inFlight: s.inFlight,
        autoTune: s.autoTune,
        wantPixels: (f) =>
          (f.key === previewKey && this.hooks.shown?.(f.key) !== true) || this.wanted.has(f.key),
        failedBefore: (f) => this.hooks.failedBefore?.has(f.key) === true,
      },
    );
    this.sampler = setInterval(() => this.tick(), SAMPLE_MS);
    // Not waited for: the job's record exists (a resume's said paused), and a save in the way of
    // the first request was 10-30 ms of the first frame's time. Later saves queue behind it.
    void this.save('running');
    // Marks for benchmarks and the browser's own performance tools.
    performance.mark('ahi:running');
    this.scheduler.start();
  }

  private frameDone(frame: PlannedFrame, result: FrameResult): void {
    if (this.metrics.totals.frames + this.metrics.totals.failed === 0)
      performance.mark('ahi:first-frame');
    this.metrics.frameDone(result.outcome, result.bytes, result.checksum !== undefined);
    if (result.outcome !== 'failed')
      this.metrics.requestTimed(result.timings.requestMs + result.timings.bodyMs);
    if (result.outcome === 'failed' && result.error) {
      this.problem(result.error).failed++;
      if (this.failures.length < MAX_LISTED_FAILURES)
        this.failures.push({ key: frame.key, error: result.error });
      this.unsavedFailures.push({
        jobId: this.record.id,
        key: frame.key,
        error: result.error,
        attempts: 0,
        at: Date.now(),
      });
    }
    if (result.outcome === 'unverifiable') {
      // One entry per reason (a reason is the same for every frame it applies to).
      const reason = result.reason ?? 'not verifiable';
      if (reason in this.unverifiableReasons || Object.keys(this.unverifiableReasons).length < 20)
        this.unverifiableReasons[reason] = (this.unverifiableReasons[reason] ?? 0) + 1;
    }
    if (result.outcome !== 'failed' && this.record.destination) this.written.push(frame.key);
    this.wanted.delete(frame.key);
    this.hooks.frame?.(frame, result);
  }

  /**
   * Hands the frames written since the last call to the destination's assembler (the library
   * worker); a failure there (the disk full while assembling) pauses the job like a worker's.
   */
  private async handOver(): Promise<boolean> {
    if (!this.record.destination || this.written.length === 0) return true;
    const keys = this.written;
    this.written = [];
    const error = await destinationParts(this.record.id, keys);
    if (!error) return true;
    this.written.unshift(...keys);
    if (this.scheduler && appStore.getState().job.phase === 'running') {
      await this.scheduler.pause();
      await this.blocked(error);
    }
    return false;
  }

  private problem(error: ErrorInfo) {
    const p = (this.problems[error.code] ??= { failed: 0, retried: 0, message: '' });
    p.message = error.message;
    return p;
  }

  private tick(): void {
    void this.handOver();
    const now = performance.now();
    this.scheduler?.tune(now);
    const inFlight = this.pool?.workers.reduce((n, w) => n + (w.stats?.inFlight ?? 0), 0) ?? 0;
    this.metrics.sample(now, inFlight);
    this.publish();
    if (now - this.lastSave > SAVE_MS) {
      this.lastSave = now;
      void this.save(persistedState(appStore.getState().job.phase));
    }
  }

  /** Copies the metrics into the job slice (a few times a second, never per frame). */
  private publish(): void {
    const t = this.metrics.totals;
    updateJob({
      verified: t.verified,
      stored: t.stored,
      unverifiable: t.unverifiable,
      unverifiableReasons: { ...this.unverifiableReasons },
      failed: t.failed,
      bytes: t.bytes,
      retries: t.retries,
      bytesPerSecond: this.metrics.rate.bytesPerSecond,
      framesPerSecond: this.metrics.rate.framesPerSecond,
      inFlight: this.metrics.series.inFlight.last() ?? 0,
      limit: this.scheduler?.inFlightLimit ?? 0,
      rateCap: this.scheduler?.rateCap ?? 0,
      queued: this.scheduler?.queued ?? 0,
      elapsedMs: performance.now() - this.metrics.startedAt,
      failures: this.failures.slice(),
      problems: structuredClone(this.problems),
      workers: (this.pool?.workers ?? []).flatMap((w) => (w.stats ? [w.stats] : [])),
      workersRenewed: this.pool?.renewed ?? 0,
    });
    this.hooks.published?.();
  }

  /**
   * Saves the job's state and totals (and failures not saved yet), after any save still under
   * way: a periodic save of "running" started before a job ended cannot land after its "done".
   */
  private save(state: JobState, lastError?: ErrorInfo): Promise<void> {
    const next = this.saving.then(() => this.write(state, lastError));
    this.saving = next;
    return next;
  }

  private async write(state: JobState, lastError?: ErrorInfo): Promise<void> {
    const changed = state !== this.savedState;
    this.savedState = state;
    const t = this.metrics.totals;
    const failures = this.unsavedFailures;
    this.unsavedFailures = [];
    try {
      await putFailures(failures);
      await saveJob({
        ...this.record,
        state,
        totals: {
          frames: this.plan.frames.length,
          verified: t.verified,
          stored: t.stored + this.skipped,
          unverifiable: t.unverifiable,
          failed: t.failed,
          bytes: t.bytes,
        },
        ...(lastError ? { lastError } : {}),
      });
      if (changed) this.hooks.stateSaved?.();
    } catch (e) {
      // Saving the summary failed (storage full?): the frames themselves are safe; say so once.
      console.warn('ahi-web-retrieve: could not save the job summary', e);
    }
  }

  /** The scheduler paused itself. Cognito credentials refresh and go on; the rest needs a person. */
  private async blocked(error: ErrorInfo): Promise<void> {
    if (error.code === 'ExpiredCredentials' && this.credentials.canRefresh) {
      try {
        const c = await this.credentials.refresh();
        await this.pool?.setCredentials(c);
        this.scheduler?.resume();
        return;
      } catch (e) {
        error = {
          code: 'ExpiredCredentials',
          message: `The credentials expired and could not be refreshed: ${(e as Error).message}`,
        };
      }
    }
    const phase: JobPhase = phaseWhenBlocked(error.code);
    this.publish();
    updateJob({ phase, error });
    await this.save(persistedState(phase), error);
  }

  async pause(): Promise<void> {
    await this.scheduler?.pause();
    updateJob({ phase: 'paused', error: undefined });
    await this.save('paused');
  }

  /** Resumes with the given credentials (new static keys typed after an expiry or a refusal). */
  async resume(credentials?: Parameters<CredentialManager['replace']>[0]): Promise<void> {
    if (credentials) this.credentials.replace(credentials);
    updateJob({ phase: 'running', error: undefined });
    if (this.folderUnfinished) {
      this.folderUnfinished = false;
      await this.finish('done');
      return;
    }
    this.scheduler?.resume();
    await this.save('running');
  }

  setInFlight(n: number): void {
    this.scheduler?.setInFlightLimit(n);
  }

  /**
   * Moves frames to the front of the queue; the first of them (the one looked at) comes back
   * with its decoded pixels.
   */
  prioritise(keys: string[]): void {
    if (keys[0]) this.wanted.add(keys[0]);
    void this.scheduler?.prioritise(keys);
  }

  /** True while the frame is still to be fetched by this run. */
  pending(key: string): boolean {
    return this.scheduler?.isPending(key) ?? false;
  }

  /** For tests and recovery drills: kill one worker as a crash would. */
  terminateWorker(id: number): void {
    this.pool?.terminateWorker(id);
  }

  async cancel(): Promise<void> {
    await this.scheduler?.stop();
    await this.finish('cancelled');
  }

  private async finish(phase: 'done' | 'cancelled'): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
    // The numbers are final: shown while a destination folder's last files are written.
    this.metrics.sample(performance.now(), 0);
    this.publish();
    if (phase === 'done' && this.record.destination && !(await this.finishFolder())) {
      // Paused with the reason: Resume finishes the folder.
      this.ending = false;
      this.folderUnfinished = true;
      return;
    }
    performance.mark('ahi:done');
    updateJob({
      phase,
      finishedAt: performance.now(),
      inFlight: 0,
      queued: 0,
      waiting: undefined,
    });
    await this.save(phase);
    this.dispose();
    this.done();
  }

  /**
   * A destination job's end: the last files assembled and the index written, said in words; when
   * that fails the job pauses (Resume checks the folder and finishes it).
   */
  private async finishFolder(): Promise<boolean> {
    const destination = this.record.destination!;
    updateDestination({ phase: 'finishing', message: 'Writing the last files and the index…' });
    try {
      if (!(await this.handOver())) throw new Error('assembling stopped');
      const summary = await finishDestination(this.record.id, this.plan.frames.length);
      updateDestination({
        phase: 'done',
        message: destinationMessage(summary, destination.format),
      });
      return true;
    } catch (e) {
      const error = toErrorInfo(e);
      updateDestination({ phase: 'failed', message: error.message });
      this.publish();
      updateJob({ phase: 'paused', error });
      await this.save('paused', error);
      return false;
    }
  }

  dispose(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
    this.unsubscribe?.();
    this.pool?.terminate();
    this.pool = undefined;
  }
}
