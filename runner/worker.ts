/**
 * A runner thread (worker_threads): the app's retrieval worker (workers/retrieve.ts) unchanged,
 * with `fetch` over HTTP/2 (platform/http2Fetch.ts) and its frames going to the output folder on
 * disk, their records to the folder's journal, each also posted to the main thread on the run's
 * BroadcastChannel (the assembler and the index need them there).
 */
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { StoredFrame } from '../src/core/sink';
import { FolderSink } from '../src/io/sinks/folder';
import { DiskFolder } from './diskFolder';
import { Http2Fetch } from './platform/http2Fetch';
import { JournalWriter } from './journal';
import type { ThreadData } from './threads';

const data = workerData as ThreadData;
const http = new Http2Fetch({ streamsPerConnection: data.streamsPerConnection });
globalThis.fetch = http.fetch;

// After fetch is in place: the codecs fetch their WASM through it when they load.
const { retrieveApi } = await import('../workers/retrieve');

const records = new BroadcastChannel(data.recordsChannel);
const written = (record: StoredFrame) => records.postMessage(record);

expose(
  retrieveApi(async (config) => {
    if (!config.jobId || config.format === 'mem' || config.sink.kind !== 'path') return undefined;
    const folder = new DiskFolder(config.sink.dir, data.inPlace);
    const journal = new JournalWriter(folder, `${data.runId}-t${threadId}`, written);
    return FolderSink.over(folder, journal, config.sink.format);
  }),
  nodeEndpoint(parentPort!),
);
