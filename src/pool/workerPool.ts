/**
 * The worker pool: spawns retrieval workers, is the only caller of comlink's `wrap`, tracks which
 * tasks each worker holds, and splits the global in-flight limit between them. A worker that dies
 * (crash, or terminated) gives its tasks back to the caller and is replaced: no frame is lost.
 */
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type {
  CodecInfo,
  Credentials,
  FrameTask,
  RetrieveWorkerApi,
  WorkerConfig,
  WorkerReport,
  WorkerStats,
} from '../core/protocol';

export interface PoolWorker {
  id: number;
  remote: Remote<RetrieveWorkerApi>;
  worker: Worker;
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
}

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
    private readonly events: PoolEvents,
  ) {
    this.credentials = credentials;
  }

  /** Spawns `count` workers and initialises each (codec loaded, signer ready). */
  static async create(
    count: number,
    config: Omit<WorkerConfig, 'workerId'>,
    credentials: Credentials,
    events: PoolEvents,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(config, credentials, events);
    try {
      await Promise.all(Array.from({ length: count }, (_, id) => pool.spawn(id)));
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  private async spawn(id: number): Promise<PoolWorker> {
    const worker = new Worker(new URL('../../workers/retrieve.worker.ts', import.meta.url), {
      type: 'module',
      name: `retrieve-${id}`,
    });
    const w: PoolWorker = {
      id,
      worker,
      remote: wrap<RetrieveWorkerApi>(worker),
      assigned: new Map(),
      limit: 1,
      ready: false,
    };
    worker.addEventListener('error', (e) =>
      this.lose(w, `worker ${id} crashed: ${e.message || 'unknown error'}`),
    );
    this.workers[id] = w;
    const channel = new MessageChannel();
    channel.port1.onmessage = (ev: MessageEvent<WorkerReport>) => {
      if (this.workers[id] !== w) return; // a report racing a replacement
      const report = ev.data;
      for (const r of report.results) w.assigned.delete(r.key);
      w.stats = report.stats;
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
    w.worker.terminate();
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
      w.worker.terminate();
    }
    this.workers.length = 0;
  }
}
