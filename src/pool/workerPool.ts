/**
 * The worker pool: spawns retrieval workers, is the only caller of comlink's `wrap`, and tracks
 * each worker's load so the scheduler can dispatch to the least loaded one. A worker that dies is
 * reported so its frames can be requeued.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import type { CodecInfo, Credentials, RetrieveWorkerApi, WorkerConfig } from '../core/protocol';

export interface PoolWorker {
  id: number;
  remote: Remote<RetrieveWorkerApi>;
  worker: Worker;
  inFlight: number;
  done: number;
  failed: number;
  decodeMs: number;
  codec?: CodecInfo;
}

/** Default worker count: one per core, leaving one for the page, at least one. */
export function defaultWorkerCount(): number {
  return Math.max(1, (navigator.hardwareConcurrency || 2) - 1);
}

export class WorkerPool {
  readonly workers: PoolWorker[] = [];

  private constructor() {}

  /** Spawns `count` workers and initialises each (codec loaded, signer ready). */
  static async create(
    count: number,
    config: WorkerConfig,
    credentials: Credentials,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool();
    for (let id = 0; id < count; id++) {
      const worker = new Worker(new URL('../../workers/retrieve.worker.ts', import.meta.url), {
        type: 'module',
        name: `retrieve-${id}`,
      });
      pool.workers.push({
        id,
        worker,
        remote: wrap<RetrieveWorkerApi>(worker),
        inFlight: 0,
        done: 0,
        failed: 0,
        decodeMs: 0,
      });
    }
    try {
      await Promise.all(
        pool.workers.map(async (w) => {
          w.codec = await w.remote.init(config, credentials);
        }),
      );
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  /** The worker with the fewest requests in flight. */
  leastLoaded(): PoolWorker {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.inFlight < best.inFlight) best = w;
    return best;
  }

  async setCredentials(credentials: Credentials): Promise<void> {
    await Promise.all(this.workers.map((w) => w.remote.setCredentials(credentials)));
  }

  cancelAll(): void {
    for (const w of this.workers) void w.remote.cancelAll();
  }

  terminate(): void {
    for (const w of this.workers) {
      w.remote[releaseProxy]();
      w.worker.terminate();
    }
    this.workers.length = 0;
  }
}
