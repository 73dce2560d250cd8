/**
 * The worker pool: spawns retrieval workers, is the only caller of comlink's `wrap`, tracks which
 * tasks each worker holds, and splits the global in-flight limit between them. A worker that dies
 * (crash, or terminated) gives its tasks back to the caller and is replaced: no frame is lost.
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
  stats?: WorkerStats;
  codec?: CodecInfo;
}

export interface PoolEvents {
  report(worker: PoolWorker, report: WorkerReport): void;
  /** a worker died; `lost` are the tasks it held, to be queued again */
  workerLost(worker: PoolWorker, lost: FrameTask[], reason: string): void;
  /** a worker (a replacement) is ready for tasks */
  workerReady(worker: PoolWorker): void;
  /** a wanted frame's pixels, verified, before its result (see FramePixels) */
  pixels(worker: PoolWorker, preview: FramePixels): void;
}

/** A retrieval worker spawned and warming up (codec loaded and tried) before there is a job. */
interface Spare {
  thread: RetrievalThread;
  remote: Remote<RetrieveWorkerApi>;
}
const spares: Spare[] = [];

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
    const spare: Spare = { thread, remote: wrap<RetrieveWorkerApi>(thread.endpoint) };
    // A failed warm-up fails the pool that takes this worker, with its message (init warms too).
    spare.remote.warm().catch(() => {});
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
  workerReady: () => {},
  pixels: () => {},
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

  private constructor(
    private readonly config: Omit<WorkerConfig, 'workerId'>,
    credentials: Credentials,
    private events: PoolEvents,
    private readonly spawnThread: SpawnThread,
  ) {
    this.credentials = credentials;
  }

  /**
   * Spawns `count` workers and initialises each (codec loaded, signer ready). `events` may come
   * later, with `listen`: a pool started while the job is still being prepared has no tasks, so
   * nothing is reported before then (a worker lost before it holds no tasks and is replaced).
   * `spawn` starts a thread (the browser's Web Workers, warm spares first, unless said).
   */
  static async create(
    count: number,
    config: Omit<WorkerConfig, 'workerId'>,
    credentials: Credentials,
    events: PoolEvents = NO_POOL_EVENTS,
    spawn?: SpawnThread,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(config, credentials, events, spawn ?? spawnWebWorker);
    try {
      await Promise.all(Array.from({ length: count }, (_, id) => pool.spawn(id)));
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  private async spawn(id: number): Promise<PoolWorker> {
    // Warm spares are the browser's; a pool with its own threads starts them.
    const spare = this.spawnThread === spawnWebWorker ? spares.shift() : undefined;
    const thread = spare?.thread ?? this.spawnThread(`retrieve-${id}`);
    const w: PoolWorker = {
      id,
      thread,
      remote: spare?.remote ?? wrap<RetrieveWorkerApi>(thread.endpoint),
      assigned: new Map(),
      limit: 1,
      ready: false,
    };
    thread.onError((message) => this.lose(w, `worker ${id} crashed: ${message}`));
    this.workers[id] = w;
    const channel = new MessageChannel();
    channel.port1.onmessage = (ev: MessageEvent<WorkerReport>) => {
      if (this.workers[id] !== w) return; // a report racing a replacement
      const report = ev.data;
      w.stats = report.stats;
      for (const p of report.previews ?? []) this.events.pixels(w, p);
      if (report.results.length === 0) return;
      for (const r of report.results) w.assigned.delete(r.key);
      this.events.report(w, report);
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
        const taken = await w.remote.recall(keys, abort);
        for (const k of taken) {
          const t = w.assigned.get(k);
          if (t) {
            back.push(t);
            w.assigned.delete(k);
          }
        }
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
    w.remote[releaseProxy]();
    w.reports?.close();
    w.thread.terminate();
    const lost = [...w.assigned.values()];
    w.assigned.clear();
    this.events.workerLost(w, lost, reason);
    void this.spawn(w.id).then(
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

  terminate(): void {
    this.closed = true;
    for (const w of this.workers) {
      w.remote[releaseProxy]();
      w.reports?.close();
      w.thread.terminate();
    }
    this.workers.length = 0;
  }
}
