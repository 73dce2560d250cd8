/**
 * The scheduler: feeds frames to the pool under one global in-flight limit (changeable while
 * running), dispatching each to the least loaded worker, and applies the retry policy. Every
 * frame ends exactly once, as done or as failed with its last error; a credentials error stops the
 * whole job at once instead of failing every frame.
 */
import type { ErrorInfo } from '../core/errors';
import type { PlannedFrame } from '../core/plan';
import type { FrameResult, FrameTask } from '../core/protocol';
import { RetryPolicy } from '../core/retry';
import type { WorkerPool } from './workerPool';

export interface SchedulerEvents {
  /** a frame reached its final state */
  frameDone(frame: PlannedFrame, result: FrameResult, attempts: number): void;
  /** a frame failed an attempt and will be tried again after `delayMs` */
  retrying?(frame: PlannedFrame, error: ErrorInfo, delayMs: number): void;
  /** the job cannot continue (bad credentials): it stopped */
  fatal(error: ErrorInfo): void;
}

export interface SchedulerOptions {
  inFlight: number;
  retry?: RetryPolicy;
  /** frames whose decoded pixels the page wants */
  wantPixels?: (frame: PlannedFrame) => boolean;
}

const FATAL = new Set(['AccessDenied', 'ExpiredCredentials']);

export class Scheduler {
  private queue: PlannedFrame[];
  private attempts = new Map<string, number>();
  private inFlight = 0;
  private limit: number;
  private paused = false;
  private stopped = false;
  private pendingRetries = new Set<ReturnType<typeof setTimeout>>();
  private remaining: number;
  private finish!: () => void;
  readonly finished: Promise<void>;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly pool: WorkerPool,
    frames: PlannedFrame[],
    private readonly events: SchedulerEvents,
    private readonly options: SchedulerOptions,
  ) {
    this.queue = frames.slice().reverse(); // pop() from the end is O(1)
    this.remaining = frames.length;
    this.limit = Math.max(1, options.inFlight);
    this.retry = options.retry ?? new RetryPolicy();
    this.finished = new Promise((resolve) => (this.finish = resolve));
    if (this.remaining === 0) this.finish();
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  start(): void {
    this.pump();
  }

  setInFlightLimit(n: number): void {
    this.limit = Math.max(1, Math.floor(n));
    this.pump();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (this.stopped) return;
    this.paused = false;
    this.pump();
  }

  /** Stops dispatching and aborts what is in flight; unfinished frames stay unfinished. */
  stop(): void {
    this.stopped = true;
    for (const t of this.pendingRetries) clearTimeout(t);
    this.pendingRetries.clear();
    this.pool.cancelAll();
  }

  private pump(): void {
    while (!this.paused && !this.stopped && this.inFlight < this.limit && this.queue.length > 0) {
      const frame = this.queue.pop()!;
      void this.dispatch(frame);
    }
  }

  private async dispatch(frame: PlannedFrame): Promise<void> {
    const attempt = (this.attempts.get(frame.key) ?? 0) + 1;
    this.attempts.set(frame.key, attempt);
    const worker = this.pool.leastLoaded();
    const task: FrameTask = {
      key: frame.key,
      datastoreId: frame.datastoreId,
      imageSetId: frame.imageSetId,
      frameId: frame.frameId,
      attempt,
      ...(frame.checksum !== undefined ? { checksum: frame.checksum } : {}),
      ...(this.options.wantPixels?.(frame) ? { wantPixels: true } : {}),
      ...(frame.pixel
        ? {
            geometry: {
              width: frame.pixel.columns,
              height: frame.pixel.rows,
              bitsAllocated: frame.pixel.bitsAllocated,
              signed: frame.pixel.signed,
              samples: frame.pixel.samplesPerPixel,
            },
          }
        : {}),
    };
    this.inFlight++;
    worker.inFlight++;
    let result: FrameResult;
    try {
      result = await worker.remote.retrieve(task);
    } catch (e) {
      // The worker itself failed (crashed or terminated): the frame goes back to the queue.
      result = {
        key: frame.key,
        outcome: 'failed',
        error: { code: 'Network', message: `worker failed: ${String(e)}` },
        bytes: 0,
        timings: { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 },
      };
    }
    this.inFlight--;
    worker.inFlight--;
    worker.decodeMs += result.timings.decodeMs;
    this.handle(frame, result, attempt);
    this.pump();
  }

  private handle(frame: PlannedFrame, result: FrameResult, attempt: number): void {
    if (this.stopped) return;
    if (result.outcome !== 'failed') {
      this.retry.succeeded();
      this.complete(frame, result, attempt);
      return;
    }
    const error = result.error ?? { code: 'ServerError', message: 'unknown failure' };
    if (error.code === 'Cancelled') {
      this.queue.push(frame);
      return;
    }
    if (FATAL.has(error.code)) {
      if (!this.paused) {
        this.paused = true;
        this.pool.cancelAll();
        this.events.fatal(error);
      }
      this.queue.push(frame);
      return;
    }
    // A checksum mismatch may be a corrupted transfer: fetch once more before believing it.
    if (error.code === 'ChecksumMismatch' && attempt < 2) {
      this.requeueAfter(frame, error, 0);
      return;
    }
    const decision = this.retry.decide(error, attempt);
    if (decision.retry) {
      this.requeueAfter(frame, error, decision.delayMs);
      return;
    }
    this.complete(frame, result, attempt);
  }

  private requeueAfter(frame: PlannedFrame, error: ErrorInfo, delayMs: number): void {
    this.events.retrying?.(frame, error, delayMs);
    const timer = setTimeout(() => {
      this.pendingRetries.delete(timer);
      this.queue.push(frame);
      this.pump();
    }, delayMs);
    this.pendingRetries.add(timer);
  }

  private complete(frame: PlannedFrame, result: FrameResult, attempts: number): void {
    this.events.frameDone(frame, result, attempts);
    this.remaining--;
    if (this.remaining === 0) this.finish();
  }
}
