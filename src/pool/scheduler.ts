/**
 * The scheduler: owns the queue of frames, keeps each ready worker's backlog topped up (so each
 * keeps its share of the global in-flight limit busy), and applies the retry policy to what comes
 * back. Every frame ends exactly once, as done or as failed with its last error. Errors that no
 * retry can fix for a single frame (credentials refused or expired, storage full) pause the whole
 * job instead, with one reason, and lose nothing: the frames wait in the queue.
 */
import type { ErrorInfo } from '../core/errors';
import { blocksTheJob } from '../core/job';
import type { PlannedFrame } from '../core/plan';
import type { FrameResult, FrameTask } from '../core/protocol';
import { OutageDetector } from '../core/outage';
import { RetryPolicy } from '../core/retry';
import { InFlightTuner, SendRate } from '../core/tuning';
import type { PoolWorker, WorkerPool } from './workerPool';

export interface SchedulerEvents {
  /** a frame reached its final state */
  frameDone(frame: PlannedFrame, result: FrameResult, attempts: number): void;
  /** a frame failed an attempt and will be tried again after `delayMs` */
  retrying?(frame: PlannedFrame, error: ErrorInfo, delayMs: number): void;
  /** the job paused itself: it needs the user (new credentials, free storage) or a refresh */
  blocked(error: ErrorInfo): void;
  /** every frame is done or failed */
  finished(): void;
  /** the endpoint is unreachable: nothing is sent but one probe every `delayMs` */
  waiting?(error: ErrorInfo, delayMs: number): void;
  /** the endpoint answered again after waiting */
  reconnected?(): void;
}

export interface SchedulerOptions {
  /** the in-flight limit, or where auto-tuning starts */
  inFlight: number;
  /** adapt the in-flight limit to throughput (AIMD); throttling always caps the send rate */
  autoTune?: boolean;
  retry?: RetryPolicy;
  /** frames whose decoded pixels the page wants */
  wantPixels?: (frame: PlannedFrame) => boolean;
  /** frames an earlier run left a failure record for */
  failedBefore?: (frame: PlannedFrame) => boolean;
}

export class Scheduler {
  /** frames waiting; the next one is at the end (pop) */
  private queue: PlannedFrame[];
  private readonly frames = new Map<string, PlannedFrame>();
  /** frames that reached their final state */
  private readonly ended = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly retry: RetryPolicy;
  private remaining: number;
  private paused = true;
  private stopped = false;
  private blockedBy: ErrorInfo | undefined;
  /**
   * Slow start: one request until the first frame succeeds, then the full limit. A wrong secret or
   * region then costs one request, not a burst of them.
   */
  private probing = true;
  private readonly tuner: InFlightTuner | undefined;
  private readonly sendRate = new SendRate();
  /**
   * Whether the endpoint is unreachable (server down, network gone, laptop asleep): frames then
   * wait without spending attempts and one probe goes out after a growing delay.
   */
  private readonly outage = new OutageDetector();
  /** the next probe's timer, during an outage */
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** when recent requests got through (not throttled), for the accepted rate */
  private accepted: number[] = [];

  constructor(
    private readonly pool: WorkerPool,
    frames: PlannedFrame[],
    private readonly events: SchedulerEvents,
    private readonly options: SchedulerOptions,
  ) {
    for (const f of frames) this.frames.set(f.key, f);
    this.queue = frames.slice().reverse();
    this.remaining = frames.length;
    this.retry = options.retry ?? new RetryPolicy();
    if (options.autoTune) {
      const min = Math.max(2, pool.workers.length);
      this.tuner = new InFlightTuner({ start: Math.max(min, options.inFlight), min });
    }
    pool.setLimit(this.tuner?.limit ?? options.inFlight);
  }

  /** The in-flight limit now (auto-tuning moves it). */
  get inFlightLimit(): number {
    return this.pool.limit;
  }

  /** The send-rate cap after throttling, requests/s; 0 when there is none. */
  get rateCap(): number {
    return this.sendRate.rate;
  }

  /** Moves the tuned limit and the rate cap along; call a few times a second. */
  tune(now = performance.now()): void {
    const limit = this.tuner?.tick(now);
    if (limit !== undefined) this.setInFlightLimit(limit);
    const rate = this.sendRate.tick(now, this.acceptedRate(now));
    if (rate !== undefined) this.pool.setRate(rate);
  }

  /** Requests per second that got through over the last second. */
  private acceptedRate(now: number): number {
    let i = 0;
    while (i < this.accepted.length && this.accepted[i]! < now - 1000) i++;
    if (i > 0) this.accepted = this.accepted.slice(i);
    return this.accepted.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    if (this.remaining === 0) {
      this.events.finished();
      return;
    }
    this.resume();
  }

  /** Sets the limit by hand (auto-tuning, if on, carries on from there). */
  setInFlightLimit(n: number): void {
    if (this.tuner) this.tuner.limit = n;
    this.pool.setLimit(n);
    this.refillAll();
  }

  /** Stops handing out frames and takes back what workers have not started. */
  async pause(): Promise<void> {
    this.paused = true;
    this.requeue(await this.pool.recall(false));
  }

  resume(): void {
    if (this.stopped) return;
    this.paused = false;
    this.blockedBy = undefined;
    this.refillAll();
  }

  /** Stops for good: aborts requests in flight; unfinished frames stay unfinished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.paused = true;
    this.clearProbeTimer();
    this.outage.reset();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    await this.pool.recall(true);
  }

  /** True for a frame of this run that has not reached its final state yet. */
  isPending(key: string): boolean {
    return this.frames.has(key) && !this.ended.has(key);
  }

  /**
   * Moves frames to the front of the queue in the order given (a viewer's priority: the frame
   * looked at, then its neighbours). Frames a worker holds but has not started are taken back
   * first, so they do not wait behind that worker's backlog. Frames in flight stay where they are.
   */
  async prioritise(keys: string[]): Promise<void> {
    const wanted = new Set(keys.filter((k) => this.isPending(k)));
    if (wanted.size === 0) return;
    const recalled = await this.pool.recall(false, [...wanted]);
    const available = new Set([...this.queue, ...recalled].map((f) => f.key));
    const front = keys
      .filter((k) => wanted.has(k) && available.has(k) && this.isPending(k))
      .map((k) => this.frames.get(k)!);
    this.queue = this.queue.filter((f) => !wanted.has(f.key));
    const ready = this.pool.workers.filter((w) => w.ready);
    if (this.paused || this.probing || ready.length === 0) {
      this.queue.push(...front.reverse());
      return;
    }
    // Straight to the workers, ahead of their backlogs: the first frame to the least busy one.
    const byLoad = ready.sort((a, b) => a.assigned.size - b.assigned.size);
    const batches = new Map<PoolWorker, FrameTask[]>();
    front.forEach((f, i) => {
      const w = byLoad[i % byLoad.length]!;
      batches.set(w, [...(batches.get(w) ?? []), { ...this.task(f), urgent: true }]);
    });
    for (const [w, tasks] of batches) this.pool.enqueue(w, tasks);
  }

  /** Handles a worker's batch of results, then tops its backlog up. */
  onReport(worker: PoolWorker, results: FrameResult[]): void {
    for (const r of results) this.handle(r);
    this.refill(worker);
  }

  /** Queues again the tasks a worker will not finish (it died, or is being renewed). */
  takeBack(tasks: FrameTask[]): void {
    this.requeue(tasks);
  }

  onWorkerReady(worker: PoolWorker): void {
    this.refill(worker);
  }

  private requeue(tasks: FrameTask[]): void {
    for (const t of tasks) {
      const f = this.frames.get(t.key);
      if (f) this.queue.push(f);
    }
    this.refillAll();
  }

  private refillAll(): void {
    for (const w of this.pool.workers) this.refill(w);
  }

  /**
   * Keeps a worker holding about twice its in-flight share plus a margin: enough that it never
   * idles between two batched reports, small enough that priorities still take effect quickly.
   */
  private refill(w: PoolWorker): void {
    if (this.paused || !w.ready) return;
    if (this.probing) {
      const outstanding = this.pool.workers.reduce((n, x) => n + x.assigned.size, 0);
      if (outstanding > 0 || this.queue.length === 0) return;
      const wait = this.outage.msUntilProbe(performance.now());
      if (wait > 0) {
        this.probeTimer ??= setTimeout(() => {
          this.probeTimer = undefined;
          this.refillAll();
        }, wait);
        return;
      }
      const task = this.task(this.queue.pop()!);
      this.outage.probeSent(task.key);
      this.pool.enqueue(w, [task]);
      return;
    }
    const target = w.limit * 2 + 16;
    if (w.assigned.size >= target || this.queue.length === 0) return;
    const tasks: FrameTask[] = [];
    while (w.assigned.size + tasks.length < target && this.queue.length > 0)
      tasks.push(this.task(this.queue.pop()!));
    this.pool.enqueue(w, tasks);
  }

  private task(frame: PlannedFrame): FrameTask {
    const attempt = (this.attempts.get(frame.key) ?? 0) + 1;
    this.attempts.set(frame.key, attempt);
    const p = frame.pixel;
    return {
      key: frame.key,
      datastoreId: frame.datastoreId,
      imageSetId: frame.imageSetId,
      frameId: frame.frameId,
      attempt,
      ...(frame.checksum !== undefined ? { checksum: frame.checksum } : {}),
      ...(this.options.wantPixels?.(frame) ? { wantPixels: true } : {}),
      ...(this.options.failedBefore?.(frame) ? { failedBefore: true } : {}),
      ...(frame.syntax !== undefined ? { syntax: frame.syntax } : {}),
      ...(p
        ? {
            geometry: {
              width: p.columns,
              height: p.rows,
              bitsAllocated: p.bitsAllocated,
              signed: p.signed,
              samples: p.samplesPerPixel,
            },
          }
        : {}),
    };
  }

  private handle(result: FrameResult): void {
    const frame = this.frames.get(result.key);
    if (!frame || this.stopped) return;
    const attempt = this.attempts.get(frame.key) ?? 1;
    const code = result.error?.code;
    if (code === 'Network') {
      if (this.networkFailure(frame, attempt, result.error!)) return;
    } else if (code !== 'Cancelled') {
      this.answered(code === 'Throttled', result.bytes);
    }
    if (result.outcome !== 'failed' && this.probing) {
      this.probing = false;
      queueMicrotask(() => this.refillAll());
    }
    if (result.outcome !== 'failed') {
      this.retry.succeeded(attempt > 1);
      this.complete(frame, result, attempt);
      return;
    }
    const error = result.error ?? { code: 'ServerError', message: 'unknown failure' };
    if (error.code === 'Cancelled') {
      this.attempts.set(frame.key, attempt - 1);
      this.queue.push(frame);
      return;
    }
    if (blocksTheJob(error.code)) {
      this.block(frame, attempt, error);
      return;
    }
    // A checksum mismatch may be a corrupted transfer: fetch once more before believing it.
    if (error.code === 'ChecksumMismatch' && attempt < 2) {
      this.retryAfter(frame, error, 0);
      return;
    }
    const decision = this.retry.decide(error, attempt);
    if (decision.retry) this.retryAfter(frame, error, decision.delayMs);
    else this.complete(frame, result, attempt);
  }

  /** The endpoint answered (a success or an error of its own): flow control and outage state. */
  private answered(throttled: boolean, bytes: number): void {
    const now = performance.now();
    if (throttled) {
      const limit = this.tuner?.throttled(now);
      if (limit !== undefined) this.setInFlightLimit(limit);
      const rate = this.sendRate.throttled(now, this.acceptedRate(now));
      if (rate !== undefined) this.pool.setRate(rate);
    } else {
      this.accepted.push(now);
      this.tuner?.observe(now, bytes);
    }
    if (this.outage.answered()) this.reachable();
  }

  /**
   * A network failure. Returns true when it is taken care of here: the job paused (the endpoint
   * never answered in this run) or the frame waiting out an outage; false leaves it to the retry
   * policy.
   */
  private networkFailure(frame: PlannedFrame, attempt: number, error: ErrorInfo): boolean {
    const lastAttempt = attempt >= this.retry.config.maxAttempts;
    const v = this.outage.networkFailure(frame.key, performance.now(), this.probing, lastAttempt);
    if (v.kind === 'block') {
      // Never reached in this run (wrong host, no network): say so now rather than wait.
      this.block(frame, attempt, error);
      return true;
    }
    if (v.kind === 'retry') return false;
    if (!v.spendAttempt) this.attempts.set(frame.key, attempt - 1);
    // To the back of the line: the next probe is another frame.
    this.queue.unshift(frame);
    if (v.delayMs !== undefined) this.unreachable(error, v.delayMs);
    return true;
  }

  /** Pauses the job with one reason, once; the frame waits with the others, its attempt unspent. */
  private block(frame: PlannedFrame, attempt: number, error: ErrorInfo): void {
    this.attempts.set(frame.key, attempt - 1);
    this.queue.push(frame);
    if (!this.blockedBy) {
      this.blockedBy = error;
      void this.pause().then(() => this.events.blocked(error));
    }
  }

  /** An outage began, or its probe failed: back to one probe, after `delayMs`. */
  private unreachable(error: ErrorInfo, delayMs: number): void {
    this.clearProbeTimer();
    this.probing = true;
    this.events.waiting?.(error, delayMs);
    // Backlogs come back so nothing else is sent until the probe gets through.
    void this.pool.recall(false).then((back) => this.requeue(back));
  }

  private reachable(): void {
    this.clearProbeTimer();
    this.probing = false;
    this.events.reconnected?.();
    queueMicrotask(() => this.refillAll());
  }

  private clearProbeTimer(): void {
    if (this.probeTimer !== undefined) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private retryAfter(frame: PlannedFrame, error: ErrorInfo, delayMs: number): void {
    this.events.retrying?.(frame, error, delayMs);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.queue.push(frame);
      this.refillAll();
    }, delayMs);
    this.retryTimers.add(timer);
  }

  private complete(frame: PlannedFrame, result: FrameResult, attempts: number): void {
    this.ended.add(frame.key);
    this.events.frameDone(frame, result, attempts);
    this.remaining--;
    if (this.remaining === 0) this.events.finished();
  }
}
