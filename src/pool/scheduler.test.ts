/**
 * Scheduler invariants against a simulated pool (the real pool needs real workers; the browser and
 * e2e suites cover it): never more requests in flight than the limit, every frame ends exactly once
 * as done or failed, under random transient and permanent failures, cancellations, a lost worker,
 * a limit changed mid-run and a blocking error.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../core/errors';
import type { PlannedFrame } from '../core/plan';
import type { FrameResult, FrameTask } from '../core/protocol';
import { DEFAULT_RETRY, RetryPolicy } from '../core/retry';
import { mulberry32 } from '../core/random';
import { Scheduler, type SchedulerOptions } from './scheduler';
import type { PoolWorker, WorkerPool } from './workerPool';

const frames = (n: number): PlannedFrame[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `s/${i}`,
    datastoreId: 'd',
    imageSetId: 's',
    frameId: String(i),
    seriesUid: '1',
    instanceUid: String(i),
    frameIndex: 0,
  }));

/** A pool whose workers run up to `limit` tasks each, finishing them after random delays. */
class FakePool {
  workers: PoolWorker[];
  inFlight = 0;
  peak = 0;
  limitTotal = 0;
  scheduler!: Scheduler;
  constructor(
    count: number,
    private readonly outcome: (task: FrameTask) => FrameResult,
    private readonly rand: () => number,
  ) {
    this.workers = Array.from(
      { length: count },
      (_, id) => ({ id, assigned: new Map(), limit: 1, ready: true }) as unknown as PoolWorker,
    );
  }
  running = new Map<PoolWorker, Set<string>>();
  /** tasks in the order they started, with the worker that ran each */
  started: { worker: number; key: string }[] = [];
  queues = new Map<PoolWorker, FrameTask[]>();
  setLimit(total: number) {
    this.limitTotal = total;
    const base = Math.floor(total / this.workers.length);
    this.workers.forEach(
      (w, i) => (w.limit = Math.max(1, base + (i < total % this.workers.length ? 1 : 0))),
    );
  }
  rate = 0;
  setRate(total: number) {
    this.rate = total;
  }
  get limit() {
    return this.limitTotal;
  }
  enqueue(w: PoolWorker, tasks: FrameTask[]) {
    for (const t of tasks) w.assigned.set(t.key, t);
    const urgent = tasks.filter((t) => t.urgent);
    const rest = tasks.filter((t) => !t.urgent);
    this.queues.set(w, [...urgent, ...(this.queues.get(w) ?? []), ...rest]);
    this.pump(w);
  }
  pump(w: PoolWorker) {
    const running = this.running.get(w) ?? new Set<string>();
    this.running.set(w, running);
    const q = this.queues.get(w) ?? [];
    while (running.size < w.limit && q.length > 0) {
      const t = q.shift()!;
      running.add(t.key);
      this.started.push({ worker: w.id, key: t.key });
      this.inFlight++;
      this.peak = Math.max(this.peak, this.inFlight);
      setTimeout(
        () => {
          if (!running.delete(t.key)) return; // recalled by abort
          this.inFlight--;
          w.assigned.delete(t.key);
          this.scheduler.onReport(w, [this.outcome(t)]);
          this.pump(w);
        },
        Math.floor(this.rand() * 3),
      );
    }
  }
  recall(abort: boolean, keys?: string[]): Promise<FrameTask[]> {
    const back: FrameTask[] = [];
    const wanted = keys && new Set(keys);
    for (const w of this.workers) {
      const kept: FrameTask[] = [];
      for (const t of this.queues.get(w) ?? []) {
        if (wanted && !wanted.has(t.key)) {
          kept.push(t);
          continue;
        }
        back.push(t);
        w.assigned.delete(t.key);
      }
      this.queues.set(w, kept);
      if (abort) {
        const running = this.running.get(w) ?? new Set();
        for (const key of running) {
          this.inFlight--;
          w.assigned.delete(key);
        }
        running.clear();
      }
    }
    return Promise.resolve(back);
  }
  /** Simulates a crash: everything the worker held comes back through workerLost. */
  lose(w: PoolWorker) {
    w.ready = false;
    setTimeout(() => {
      w.ready = true;
      this.scheduler.onWorkerReady(w);
    }, 5);
    const lost = [...w.assigned.values()];
    const running = this.running.get(w) ?? new Set();
    this.inFlight -= running.size;
    running.clear();
    this.queues.set(w, []);
    w.assigned.clear();
    this.scheduler.takeBack(lost);
  }
}

const ok = (t: FrameTask): FrameResult => ({
  key: t.key,
  outcome: 'verified',
  bytes: 10,
  timings: { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 },
});
const fail = (t: FrameTask, code: ErrorCode): FrameResult => ({
  key: t.key,
  outcome: 'failed',
  error: { code, message: code },
  bytes: 0,
  timings: { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 },
});

function run(
  n: number,
  workers: number,
  limit: number,
  outcome: (t: FrameTask) => FrameResult,
  seed = 1,
  during?: (pool: FakePool, s: Scheduler) => void,
  extra: Partial<SchedulerOptions> = {},
) {
  const rand = mulberry32(seed);
  const pool = new FakePool(workers, outcome, rand);
  const ended = new Map<string, number>();
  const failed = new Map<string, ErrorCode>();
  let blocked: ErrorCode | undefined;
  const done = new Promise<void>((resolve) => {
    pool.scheduler = new Scheduler(
      pool as unknown as WorkerPool,
      frames(n),
      {
        frameDone: (f, r) => {
          ended.set(f.key, (ended.get(f.key) ?? 0) + 1);
          if (r.error) failed.set(f.key, r.error.code);
        },
        blocked: (e) => {
          blocked = e.code;
          resolve();
        },
        finished: () => resolve(),
      },
      {
        inFlight: limit,
        retry: new RetryPolicy(
          { ...DEFAULT_RETRY, baseMs: 1, throttleBaseMs: 2, refillPerSecond: 5000 },
          rand,
        ),
        ...extra,
      },
    );
  });
  pool.scheduler.start();
  during?.(pool, pool.scheduler);
  return done.then(() => ({ pool, ended, failed, blocked, scheduler: pool.scheduler }));
}

describe('scheduler', () => {
  it('keeps in-flight requests within the limit and ends every frame exactly once', async () => {
    const { pool, ended, failed } = await run(500, 3, 20, ok);
    expect(pool.peak).toBeLessThanOrEqual(20);
    expect(pool.peak).toBeGreaterThan(10);
    expect(ended.size).toBe(500);
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
    expect(failed.size).toBe(0);
  });

  it('starts with one request until the first success (a wrong secret costs one request)', async () => {
    let seen = 0;
    const { blocked } = await run(100, 2, 20, (t) => {
      seen++;
      return fail(t, 'AccessDenied');
    });
    expect(blocked).toBe('AccessDenied');
    expect(seen).toBe(1);
  });

  it('pauses when storage fails (StorageFailed), as on a full disk: no frame fails for it', async () => {
    let served = 0;
    const { blocked, failed, ended } = await run(200, 2, 8, (t) =>
      ++served > 50 ? fail(t, 'StorageFailed') : ok(t),
    );
    expect(blocked).toBe('StorageFailed');
    expect(failed.size).toBe(0);
    expect(ended.size).toBeGreaterThanOrEqual(50);
    expect(ended.size).toBeLessThan(200);
  });

  it('retries transient failures, fails permanent ones with their reason, once each', async () => {
    const attempts = new Map<string, number>();
    const { ended, failed, pool } = await run(400, 2, 16, (t) => {
      const n = (attempts.get(t.key) ?? 0) + 1;
      attempts.set(t.key, n);
      const id = Number(t.frameId);
      if (id === 0) return ok(t); // let the slow start open
      if (id % 50 === 0) return fail(t, 'NotFound');
      if (id % 7 === 0 && n < 3) return fail(t, 'Throttled');
      if (id % 5 === 0 && n < 2) return fail(t, 'ServerError');
      if (id % 97 === 0) return fail(t, 'Network'); // never recovers: gives up after the limit
      return ok(t);
    });
    expect(pool.peak).toBeLessThanOrEqual(16);
    expect(ended.size).toBe(400);
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
    expect([...failed.entries()].sort()).toEqual(
      [
        ...[50, 100, 150, 200, 250, 300, 350].map((i) => [`s/${i}`, 'NotFound']),
        ...[97, 194, 291, 388].map((i) => [`s/${i}`, 'Network']),
      ].sort(),
    );
    expect(attempts.get('s/97')).toBe(DEFAULT_RETRY.maxAttempts);
    expect(attempts.get('s/50')).toBe(1);
  });

  it('fetches a checksum mismatch once more before failing it', async () => {
    const attempts = new Map<string, number>();
    const { failed } = await run(10, 1, 4, (t) => {
      attempts.set(t.key, (attempts.get(t.key) ?? 0) + 1);
      return t.frameId === '3'
        ? fail(t, 'ChecksumMismatch')
        : t.frameId === '4' && t.attempt === 1
          ? fail(t, 'ChecksumMismatch')
          : ok(t);
    });
    expect(failed).toEqual(new Map([['s/3', 'ChecksumMismatch']]));
    expect(attempts.get('s/3')).toBe(2);
    expect(attempts.get('s/4')).toBe(2);
  });

  it('loses nothing when a worker dies mid-run, nor when the limit changes', async () => {
    const { ended } = await run(600, 3, 12, ok, 7, (pool, s) => {
      setTimeout(() => pool.lose(pool.workers[1]!), 15);
      setTimeout(() => {
        pool.setLimit(40);
        s.setInFlightLimit(40);
      }, 25);
    });
    expect(ended.size).toBe(600);
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
  });

  it('requeues cancelled frames instead of failing them', async () => {
    let cancelled = 0;
    const { ended, failed } = await run(50, 1, 5, (t) =>
      t.frameId === '9' && cancelled++ === 0 ? fail(t, 'Cancelled') : ok(t),
    );
    expect(cancelled).toBe(2);
    expect(ended.size).toBe(50);
    expect(failed.size).toBe(0);
  });

  it('pauses on an expired token without failing the frame; resume finishes the job', async () => {
    let expired = true;
    let resumed!: () => void;
    const finished = new Promise<void>((r) => (resumed = r));
    const { blocked, scheduler, ended } = await run(60, 2, 8, (t) =>
      t.frameId === '30' && expired ? fail(t, 'ExpiredCredentials') : ok(t),
    );
    expect(blocked).toBe('ExpiredCredentials');
    expect(scheduler.isPaused).toBe(true);
    expect([...ended.keys()]).not.toContain('s/30');
    expired = false;
    (scheduler as unknown as { events: { finished: () => void } }).events.finished = resumed;
    scheduler.resume();
    await finished;
    expect(ended.get('s/30')).toBe(1);
    expect(ended.size).toBe(60);
  });
});

describe('scheduler priority', () => {
  it('starts prioritised frames next, taking them back from worker backlogs', async () => {
    let done = 0;
    let startedBefore = -1;
    let pool: FakePool | undefined;
    const wanted = ['s/900', 's/899', 's/901', 's/2'];
    const { ended } = await run(
      1000,
      2,
      8,
      (t) => {
        if (++done === 100) {
          startedBefore = pool!.started.length;
          // s/2 is long done by now: asking for it again must not fetch it twice
          void pool!.scheduler.prioritise(wanted);
        }
        return ok(t);
      },
      3,
      (p) => (pool = p),
    );
    expect(ended.size).toBe(1000);
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
    // About 100 done, 8 in flight and ~2 × 24 queued in the workers when the click comes. On
    // each worker the wanted frames start before anything from its backlog, except one task a
    // slot freed during the recall may have started first.
    const after = pool!.started.slice(startedBefore);
    for (const key of ['s/900', 's/899', 's/901']) {
      const i = after.findIndex((s) => s.key === key);
      expect(i, key).toBeGreaterThanOrEqual(0);
      const worker = after[i]!.worker;
      const before = after
        .slice(0, i)
        .filter((s) => s.worker === worker && !wanted.includes(s.key));
      expect(before.length, key).toBeLessThanOrEqual(1);
    }
    expect(pool!.started.filter((s) => s.key === 's/2')).toHaveLength(1);
  });
});

describe('scheduler flow control', () => {
  it('throttling caps the send rate and, when auto-tuning, cuts the in-flight limit', async () => {
    let n = 0;
    const { ended, pool, scheduler } = await run(
      400,
      2,
      20,
      (t) => (++n % 10 === 0 && n < 200 ? fail(t, 'Throttled') : ok(t)),
      4,
      undefined,
      { autoTune: true },
    );
    expect(ended.size).toBe(400);
    expect(scheduler.rateCap).toBeGreaterThan(0);
    expect(pool.rate).toBe(scheduler.rateCap);
    expect(pool.limitTotal).toBeLessThan(20);
  });

  it('with a fixed limit, throttling caps the rate but leaves the limit alone', async () => {
    let n = 0;
    const { pool } = await run(200, 2, 20, (t) =>
      ++n % 10 === 0 && n < 100 ? fail(t, 'Throttled') : ok(t),
    );
    expect(pool.rate).toBeGreaterThan(0);
    expect(pool.limitTotal).toBe(20);
  });
});

describe('scheduler outage', () => {
  it('waits out an unreachable endpoint: no attempts spent, one probe at a time, every frame done', async () => {
    let down = false;
    let downRequests = 0;
    const waits: number[] = [];
    const { ended, failed } = await run(
      300,
      2,
      8,
      (t) => {
        if (!down) return ok(t);
        downRequests++;
        return fail(t, 'Network');
      },
      5,
      (_pool, s) => {
        setTimeout(() => (down = true), 30);
        setTimeout(() => (down = false), 1500);
        // The event that tells the UI the job is waiting, with the delay before the next probe.
        const events = (s as unknown as { events: { waiting?: (e: unknown, d: number) => void } })
          .events;
        events.waiting = (_e, d) => waits.push(d);
      },
    );
    expect(ended.size).toBe(300);
    expect(failed.size).toBe(0);
    // What was in flight and the first few retries, then one probe after 1 s (and 2 s).
    expect(waits.slice(0, 2)).toEqual([1000, 2000]);
    expect(downRequests).toBeLessThan(40);
  });
});
