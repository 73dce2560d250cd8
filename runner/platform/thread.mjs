// A runner thread's entry: Node 20 does not hand the main thread's loaders (tsx, the WASM URL
// hooks) to worker_threads, so each thread registers them itself, then loads its TypeScript module
// (workerData.entry).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
import './register.mjs';

register();
await import(workerData.entry);
