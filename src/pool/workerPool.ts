/**
 * The worker pool: spawns retrieval workers, is the only caller of comlink's `wrap`, tracks which
 * tasks each worker holds, and splits the global in-flight limit between them. A worker that dies
 * (crash, or terminated) gives its tasks back to the caller and is replaced: no frame is lost. A
 * worker writing to a picked folder is renewed after a number of frames (see RENEW_FOLDER_AFTER).
 */
import { releaseProxy, transfer, wrap, type Endpoint, type Remote } from 'comlink';
import type {
  CodecInfo,
  Credentials,
  FramePixels,
  FrameTask,
  RetrieveWorkerApi,
  WorkerConfig,
  WorkerReport,
  WorkerStats,
} from '../core/protocol';

/**
 * A thread running workers/retrieve.ts: a Web Worker in the browser, a worker_threads Worker in the
 * command-line runner (runner/pool.ts). The pool needs only these three things of it.
 */
export interface RetrievalThread {
  /** what comlink talks to */
  endpoint: Endpoint;
  /** the thread died (crashed or could not start) */
  onError(listener: (message: string) => void): void;
  terminate(): void;
}

/** Starts a retrieval thread named `name`. */
export type SpawnThread = (name: string) => RetrievalThread;

/** The browser's retrieval thread: a module Web Worker. */
export const spawnWebWorker: SpawnThread = (name) => {
  const worker = new Worker(new URL('../../workers/retrieve.worker.ts', import.meta.url), {
    type: 'module',
    name,
  });
  return {
    endpoint: worker,
    onError: (listener) =>
      worker.addEventListener('error', (e) => listener(e.message || 'unknown error')),
    terminate: () => worker.terminate(),
  };
};

export interface PoolWorker {
  id: number;
  remote: Remote<RetrieveWorkerApi>;
  thread: RetrievalThread;
  /** tasks handed to this worker and not reported back yet */
  assigned: Map<string, FrameTask>;
  limit: number;
  /** initialised and taking tasks */
  ready: boolean;
  reports?: MessagePort;
  /** its totals, with those of the workers it replaced in its place (see `carried`) */
  stats?: WorkerStats;
  codec?: CodecInfo;
  /** the totals of the workers this one replaced, added to each of its reports' */
  carried?: WorkerStats;
  /** being renewed: takes no tasks, and its successor starts while it finishes its own */
  successor?: Spare;
  /** resolves when the pool ends this worker (a call to it then gets no answer) */
  ended: Promise<void>;
  markEnded: () => void;
}

export interface PoolEvents {
  report(worker: PoolWorker, report: WorkerReport): void;
  /** a worker died; `lost` are the tasks it held, to be queued again */
  workerLost(worker: PoolWorker, lost: FrameTask[], reason: string): void;
  /** tasks a worker being renewed gave back before starting them, to be queued again */
  returned(worker: PoolWorker, tasks: FrameTask[]): void;
  /** a worker (a replacement) is ready for tasks */
  workerReady(worker: PoolWorker): void;
  /** a wanted frame's pixels, verified, before its result (see FramePixels) */
  pixels(worker: PoolWorker, preview: FramePixels): void;
  /** frames waiting for a worker (none handed out yet); a worker is renewed only for enough */
  queued(): number;
}

/** A retrieval worker spawned and warming up (codec loaded and tried) before it has work. */
interface Spare {
  thread: RetrievalThread;
  remote: Remote<RetrieveWorkerApi>;
}
const spares: Spare[] = [];

/** Spawns a worker and starts its warm-up (its failure fails the init that follows). */
function warmSpare(thread: RetrievalThread): Spare {
  const spare: Spare = { thread, remote: wrap<RetrieveWorkerApi>(thread.endpoint) };
  spare.remote.warm().catch(() => {});
  return spare;
}

/**
 * Frames a worker writes to a picked folder before the pool replaces it with a fresh one. Each file
 * written through File System Access leaves its handle and writable behind until a full garbage
 * collection, about 8 KB of the renderer's memory each (and their peers in the browser process),
 * and a retrieval worker's JS heap grows too little to start one: through a 8,000-frame job the
 * renderer grew from 298 to 406 MB, and stayed at 225-240 MB with a collection forced every 3 s
 * (the browser's store, a few sync access handles, stays flat without). Ending a worker frees all
 * of it at once; the successor starts and warms up while the old one finishes what it holds.
 * A worker is not renewed when fewer frames than that wait in the queue: it finishes the job as
 * it is (at most twice the frames' garbage), rather than a successor starting for a few frames or
 * none.
 */
export const RENEW_FOLDER_AFTER = 500;

export interface PoolOptions {
  /** starts a thread (the browser's Web Workers, warm spares first, unless said) */
  spawn?: SpawnThread;
  /** frames after which a worker is renewed (0: never); RENEW_FOLDER_AFTER for a picked folder */
  renewAfter?: number;
}

/** Totals of two workers in one place (what is waiting or in flight is the newer one's). */
function addStats(a: WorkerStats, b: WorkerStats): WorkerStats {
  return {
    ...b,
    done: a.done + b.done,
    failed: a.failed + b.failed,
    bytes: a.bytes + b.bytes,
    decodeMs: a.decodeMs + b.decodeMs,
    decoded: a.decoded + b.decoded,
    requestMs: a.requestMs + b.requestMs,
    bodyMs: a.bodyMs + b.bodyMs,
    crcMs: a.crcMs + b.crcMs,
    storeMs: a.storeMs + b.storeMs,
  };
}

/**
 * Keeps `count` retrieval workers on standby, warmed up: the next pool takes them instead of
 * spawning, so a Start does not wait for workers to start, compile their module and load, compile
 * and first run the codec (90-100 ms on 2 busy cores, in traces). They cost memory while they wait
 * (two of them and a plan worker on standby: 15 MB more of the renderer's PSS, 3 runs each) and
 * no CPU.
 */
export function keepStandby(count: number): void {
  while (spares.length < count) {
    const thread = spawnWebWorker('retrieve-standby');
    // A failed warm-up fails the pool that takes this worker, with its message (init warms too).
    const spare = warmSpare(thread);
    thread.onError(() => {
      const i = spares.indexOf(spare);
      if (i < 0) return; // in a pool by now: the pool replaces it
      spares.splice(i, 1);
      thread.terminate();
    });
    spares.push(spare);
  }
  for (const s of spares.splice(count)) {
    s.remote[releaseProxy]();
    s.thread.terminate();
  }
}

/** Workers on standby now. */
export function standbyCount(): number {
  return spares.length;
}

/** Events nobody listens to (a pool started before its job is prepared). */
export const NO_POOL_EVENTS: PoolEvents = {
  report: () => {},
  workerLost: () => {},
  returned: () => {},
  workerReady: () => {},
  pixels: () => {},
  queued: () => 0,
};

/** Splits `total` as evenly as possible over `n` parts, each at least 1. */
export function splitLimit(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => Math.max(1, base + (i < total % n ? 1 : 0)));
}

export class WorkerPool {
  readonly workers: PoolWorker[] = [];
  private credentials: Credentials;
  private totalLimit = 1;
  private totalRate = 0;
  private closed = false;
  private readonly spawnThread: SpawnThread;
  private readonly renewAfter: number;
  /** workers renewed so far (see `renew`) */
  renewed = 0;

  private constructor(
    private readonly config: Omit<WorkerConfig, 'workerId'>,
    credentials: Credentials,
    private events: PoolEvents,
    options: PoolOptions,
  ) {
    this.credentials = credentials;
    this.spawnThread = options.spawn ?? spawnWebWorker;
    this.renewAfter =
      options.renewAfter ?? (config.sink.kind === 'folder' ? RENEW_FOLDER_AFTER : 0);
  }

  /**
   * Spawns `count` workers and initialises each (codec loaded, signer ready). `events` may come
   * later, with `listen`: a pool started while the job is still being prepared has no tasks, so
   * nothing is reported before then (a worker lost before it holds no tasks and is replaced).
   */
  static async create(
    count: number,
    config: Omit<WorkerConfig, 'workerId'>,
    credentials: Credentials,
    events: PoolEvents = NO_POOL_EVENTS,
    options: PoolOptions = {},
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(config, credentials, events, options);
    try {
      await Promise.all(Array.from({ length: count }, (_, id) => pool.spawn(id)));
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  /** Starts worker `id` (on `successor` when one was started for it) in its place. */
  private async spawn(id: number, successor?: Spare, carried?: WorkerStats): Promise<PoolWorker> {
    // Warm spares are the browser's; a pool with its own threads starts them.
    const spare = successor ?? (this.spawnThread === spawnWebWorker ? spares.shift() : undefined);
    const thread = spare?.thread ?? this.spawnThread(`retrieve-${id}`);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const w: PoolWorker = {
      id,
      thread,
      remote: spare?.remote ?? wrap<RetrieveWorkerApi>(thread.endpoint),
      assigned: new Map(),
      limit: 1,
      ready: false,
      ...(carried ? { carried, stats: carried } : {}),
      ended,
      markEnded: end,
    };
    thread.onError((message) => this.lose(w, `worker ${id} crashed: ${message}`));
    this.workers[id] = w;
    const channel = new MessageChannel();
    channel.port1.onmessage = (ev: MessageEvent<WorkerReport>) => {
      if (this.workers[id] !== w) return; // a report racing a replacement
      const report = ev.data;
      w.stats = w.carried ? addStats(w.carried, report.stats) : report.stats;
      for (const p of report.previews ?? []) this.events.pixels(w, p);
      if (report.results.length === 0) return;
      for (const r of report.results) w.assigned.delete(r.key);
      this.events.report(w, report);
      const { done, failed } = report.stats;
      if (
        this.renewAfter > 0 &&
        !w.successor &&
        w.ready &&
        done + failed >= this.renewAfter &&
        this.events.queued() >= this.renewAfter
      )
        this.renew(w);
      else if (w.successor && w.assigned.size === 0) this.replace(w);
    };
    w.reports = channel.port1;
    w.codec = await w.remote.init(
      { ...this.config, workerId: id },
      this.credentials,
      transfer(channel.port2, [channel.port2]),
    );
    w.ready = true;
    return w;
  }

  /** Sends this pool's events to `events` from now on. */
  listen(events: PoolEvents): void {
    this.events = events;
  }

  /** Splits the global in-flight limit over the workers. */
  setLimit(total: number): void {
    this.totalLimit = Math.max(1, Math.floor(total));
    const parts = splitLimit(this.totalLimit, this.workers.length);
    this.workers.forEach((w, i) => {
      w.limit = parts[i] ?? 1;
      void w.remote.setLimit(w.limit);
    });
  }

  /** Splits a send-rate cap (requests/s, 0 = none) over the workers. */
  setRate(total: number): void {
    this.totalRate = Math.max(0, total);
    for (const w of this.workers) void w.remote.setRate(this.totalRate / this.workers.length);
  }

  get limit(): number {
    return this.totalLimit;
  }

  /**
   * Fetches a frame ahead of its task, on the first worker: the one the scheduler fills first,
   * so the frame's task usually lands where its response waits (elsewhere it is fetched again).
   */
  prefetch(task: FrameTask): void {
    const w = this.workers[0];
    if (w?.ready) void w.remote.prefetch(task);
  }

  enqueue(w: PoolWorker, tasks: FrameTask[]): void {
    for (const t of tasks) w.assigned.set(t.key, t);
    void w.remote.enqueue(tasks);
  }

  /**
   * Takes back tasks the workers have not started (all, or those in `keys`); with `abort`,
   * aborts the ones in flight too.
   */
  async recall(abort: boolean, keys?: string[]): Promise<FrameTask[]> {
    const back: FrameTask[] = [];
    await Promise.all(
      this.workers.map(async (w) => {
        if (keys && !keys.some((k) => w.assigned.has(k))) return;
        // A worker ended meanwhile (renewed, or lost) answers nothing: lose() took its tasks.
        const taken = await Promise.race([w.remote.recall(keys, abort), w.ended.then(() => [])]);
        for (const k of taken) {
          const t = w.assigned.get(k);
          if (t) {
            back.push(t);
            w.assigned.delete(k);
          }
        }
        if (w.successor && w.assigned.size === 0) this.replace(w);
      }),
    );
    return back;
  }

  async setCredentials(credentials: Credentials): Promise<void> {
    this.credentials = credentials;
    await Promise.all(this.workers.map((w) => w.remote.setCredentials(credentials)));
  }

  /** Terminates one worker as a crash would (used by tests and by recovery): its tasks come back. */
  terminateWorker(id: number): void {
    const w = this.workers[id];
    if (w) this.lose(w, `worker ${id} was terminated`);
  }

  private lose(w: PoolWorker, reason: string): void {
    if (this.workers[w.id] !== w || this.closed) return;
    // Not ready from here on: requeued tasks must not be handed back to the dead worker.
    w.ready = false;
    const lost = [...w.assigned.values()];
    w.assigned.clear();
    this.end(w);
    this.events.workerLost(w, lost, reason);
    this.succeed(w);
  }

  /**
   * Starts renewing a worker: it takes no more tasks, gives back those it has not started, and
   * finishes the ones in flight while its successor starts and warms up; then `replace`.
   */
  private renew(w: PoolWorker): void {
    w.ready = false;
    w.successor = warmSpare(this.spawnThread(`retrieve-${w.id}`));
    void w.remote.recall(undefined, false).then(
      (keys) => {
        if (this.workers[w.id] !== w || this.closed) return;
        const back = keys.flatMap((k) => {
          const t = w.assigned.get(k);
          w.assigned.delete(k);
          return t ? [t] : [];
        });
        // Back to the queue, for the other workers (the scheduler fills no worker not ready).
        if (back.length) this.events.returned(w, back);
        if (w.assigned.size === 0) this.replace(w);
      },
      () => {}, // it died meanwhile: lose() gave its tasks back
    );
  }

  /** Ends a renewed worker that holds nothing any more, and starts its successor in its place. */
  private replace(w: PoolWorker): void {
    if (this.workers[w.id] !== w || this.closed) return;
    this.renewed++;
    this.end(w);
    this.succeed(w);
  }

  private end(w: PoolWorker): void {
    w.markEnded();
    w.remote[releaseProxy]();
    w.reports?.close();
    w.thread.terminate();
  }

  /** Starts the worker that takes `w`'s place (its successor, when one is warming up). */
  private succeed(w: PoolWorker): void {
    void this.spawn(w.id, w.successor, w.stats).then(
      async (nw) => {
        nw.limit = w.limit;
        await nw.remote.setLimit(nw.limit);
        await nw.remote.setRate(this.totalRate / this.workers.length);
        this.events.workerReady(nw);
      },
      (e: unknown) =>
        this.events.workerLost(w, [], `replacement for worker ${w.id} failed: ${String(e)}`),
    );
  }

  /**
   * The job is over: every worker's sink makes what it took durable (see RetrieveWorkerApi
   * `close`). A worker that ended meanwhile has nothing to answer with, and is not waited for.
   */
  async closeSinks(): Promise<void> {
    await Promise.all(this.workers.map((w) => Promise.race([w.remote.close(), w.ended])));
  }

  terminate(): void {
    this.closed = true;
    for (const w of this.workers) {
      this.end(w);
      w.successor?.thread.terminate();
    }
    this.workers.length = 0;
  }
}
