/**
 * The runner's retrieval threads for the app's WorkerPool (src/pool/workerPool.ts): worker_threads
 * running runner/worker.ts, started through platform/thread.mjs, which registers the loaders the
 * TypeScript modules and the codecs' WASM URLs need (Node 20 does not pass them to threads).
 */
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Worker } from 'node:worker_threads';
import type { SpawnThread } from '../src/pool/workerPool';

/** What every runner thread is started with. */
export interface ThreadData {
  /** requests one HTTP/2 connection carries before another opens */
  streamsPerConnection: number;
  /** names this run's journal files */
  runId: string;
  /** the BroadcastChannel each written frame's record is posted on */
  recordsChannel: string;
  /** the output folder renames and appends nothing (Mountpoint for Amazon S3): see DiskFolder */
  inPlace: boolean;
}

export function nodeThreads(data: ThreadData): SpawnThread {
  return (name) => {
    const worker = new Worker(new URL('./platform/thread.mjs', import.meta.url), {
      name,
      workerData: { ...data, entry: new URL('./worker.ts', import.meta.url).href },
    });
    const listeners: ((message: string) => void)[] = [];
    let ended = false;
    const fail = (message: string) => {
      if (ended) return;
      ended = true;
      for (const l of listeners) l(message);
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`thread exited with code ${code}`));
    return {
      endpoint: nodeEndpoint(worker),
      onError: (listener) => listeners.push(listener),
      terminate: () => {
        ended = true;
        void worker.terminate();
      },
    };
  };
}
