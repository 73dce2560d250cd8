/**
 * The worker side of the retrieval protocol declared in src/core/protocol.ts. The pool hands each
 * worker a small queue; the worker keeps its share of the in-flight limit busy on its own (sign,
 * fetch, check the length, decode in WASM, verify the CRC-32, store), so no frame waits for a
 * round trip to the main thread, and reports finished frames in batches.
 */
import { crc32 } from '../src/core/crc32';
import { RetrieveError, toErrorInfo } from '../src/core/errors';
import type {
  CodecInfo,
  Credentials,
  FrameResult,
  FrameTask,
  RetrieveWorkerApi,
  WorkerConfig,
  WorkerStats,
} from '../src/core/protocol';
import { AhiClient, type FrameResponse } from '../src/io/ahiClient';
import { BufferPool } from '../src/io/bufferPool';
import { FrameWriter, openDb, type StoredFrame } from '../src/io/db';
import { decode, warmUp, type DecodedView } from './codec/htj2k';
import { postReport } from './report';

/** Report at least this often while busy. */
const REPORT_MS = 25;
/** Stop starting fetches while this many bytes wait for their IndexedDB records (back-pressure). */
const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
const HTJ2K = new Set(['image/jph', 'image/jphc']);
const DECODABLE = new Set([...HTJ2K, 'application/octet-stream']);

let config: WorkerConfig | undefined;
let client: AhiClient | undefined;
let writer: FrameWriter | undefined;
let reports: MessagePort | undefined;
let limit = 1;
const queue: FrameTask[] = [];
const inFlight = new Map<string, AbortController>();
let results: FrameResult[] = [];
/** Body buffers, reused once a frame is decoded and written to the job's frame file. */
const bodies = new BufferPool();
/** Responses fetched ahead of their task (`prefetch`), by frame key; a failed one is undefined. */
const prefetched = new Map<string, Promise<FrameResponse | undefined>>();
/** A prefetched response no task came for is dropped after this long. */
const PREFETCH_KEEP_MS = 60_000;
/**
 * An expired-token answer stops this worker sending until the main thread has taken its queue
 * back (the job pauses) or sent new credentials. Without it each worker went on sending its queue
 * into the expired token until the pause reached it: 86 expired answers in one e2e run with at
 * most 64 in flight.
 */
let heldForCredentials = false;
let reportTimer: ReturnType<typeof setTimeout> | undefined;
let warming: ReturnType<typeof warmUp> | undefined;
const stats: WorkerStats = {
  workerId: 0,
  queued: 0,
  inFlight: 0,
  done: 0,
  failed: 0,
  bytes: 0,
  decodeMs: 0,
  decoded: 0,
  requestMs: 0,
  bodyMs: 0,
  crcMs: 0,
  storeMs: 0,
  pendingWriteBytes: 0,
};

function ready(): { client: AhiClient; config: WorkerConfig } {
  if (!client || !config) throw new Error('worker not initialised: call init first');
  return { client, config };
}

function flush(): void {
  if (reportTimer !== undefined) clearTimeout(reportTimer);
  reportTimer = undefined;
  if (results.length === 0 || !reports) return;
  const batch = results;
  results = [];
  stats.queued = queue.length;
  stats.inFlight = inFlight.size;
  stats.pendingWriteBytes = writer?.pendingBytes ?? 0;
  postReport(reports, { results: batch, stats: { ...stats } });
}

/** Sends a frame's decoded pixels (a copy out of the WASM heap) to the page at once. */
function postPreview(key: string, view: DecodedView): void {
  if (!reports) return;
  const { pixels, ...geometry } = view;
  const preview = { key, pixels: { ...geometry, data: pixels.slice().buffer } };
  postReport(reports, { results: [], previews: [preview], stats: { ...stats } });
}

function finished(result: FrameResult): void {
  results.push(result);
  if (result.outcome === 'failed') stats.failed++;
  else stats.done++;
  // Report at once when the queue runs low, so the pool refills before this worker idles;
  // otherwise batch for REPORT_MS (one message for many frames).
  if (queue.length < Math.max(2, limit >> 1)) flush();
  else reportTimer ??= setTimeout(flush, REPORT_MS);
}

function pump(): void {
  while (
    !heldForCredentials &&
    // One request over the limit for a frame someone is waiting to look at.
    (inFlight.size < limit || (queue[0]?.urgent === true && inFlight.size <= limit)) &&
    queue.length > 0 &&
    (writer?.pendingBytes ?? 0) < MAX_PENDING_WRITE_BYTES &&
    takeSendToken()
  ) {
    const task = queue.shift()!;
    const abort = new AbortController();
    inFlight.set(task.key, abort);
    void retrieve(task, abort.signal).then((result) => {
      inFlight.delete(task.key);
      if (result.error?.code === 'ExpiredCredentials') heldForCredentials = true;
      finished(result);
      pump();
    });
  }
}

/**
 * The send-rate cap (set after throttling), as a token bucket: a little burst, then one request
 * per 1/rate s. Without a cap every call says yes.
 */
let rate = 0;
let tokens = 0;
let refilledAt = 0;
let rateTimer: ReturnType<typeof setTimeout> | undefined;
function takeSendToken(): boolean {
  if (rate <= 0) return true;
  const now = performance.now();
  tokens = Math.min(Math.max(1, rate / 10), tokens + ((now - refilledAt) / 1000) * rate);
  refilledAt = now;
  if (tokens >= 1) {
    tokens -= 1;
    return true;
  }
  rateTimer ??= setTimeout(
    () => {
      rateTimer = undefined;
      pump();
    },
    Math.ceil(((1 - tokens) / rate) * 1000),
  );
  return false;
}

function decodeBody(task: FrameTask, bytes: Uint8Array, contentType: string): DecodedView {
  if (contentType !== 'application/octet-stream') return decode(bytes);
  // Uncompressed: the body is the pixels; their geometry comes from the metadata.
  const g = task.geometry;
  return {
    width: g?.width ?? 0,
    height: g?.height ?? 0,
    bitsPerSample: g?.bitsAllocated ?? 16,
    signed: g?.signed ?? false,
    components: g?.samples ?? 1,
    pixels: bytes,
  };
}

async function retrieve(task: FrameTask, signal: AbortSignal): Promise<FrameResult> {
  const timings = { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 };
  let bytes = 0;
  let contentType: string | undefined;
  try {
    const { client, config } = ready();
    const ahead = prefetched.get(task.key);
    prefetched.delete(task.key);
    const response =
      (await ahead) ??
      (await client.getImageFrame(task.datastoreId, task.imageSetId, task.frameId, signal, bodies));
    timings.requestMs = response.requestMs;
    timings.bodyMs = response.bodyMs;
    stats.requestMs += response.requestMs;
    stats.bodyMs += response.bodyMs;
    bytes = response.bytes.length;
    stats.bytes += bytes;
    contentType = response.contentType;
    const record: StoredFrame = {
      jobId: config.jobId ?? '',
      key: task.key,
      datastoreId: task.datastoreId,
      imageSetId: task.imageSetId,
      frameId: task.frameId,
      kind: 'codestream',
      contentType,
      size: bytes,
      verified: false,
      storedAt: 0,
    };
    const mustDecode = config.format !== 'jph' || config.verify || task.wantPixels === true;
    // What is stored: the body, or (raw) the decoded pixels, copied by the writer at once.
    let data = response.bytes;
    let result: FrameResult = { key: task.key, outcome: 'stored', bytes, contentType, timings };
    if (mustDecode && !DECODABLE.has(contentType)) {
      if (config.format !== 'jph') {
        throw new RetrieveError(
          'UnsupportedSyntax',
          `Frame ${task.frameId} is stored as ${contentType}, which this app cannot decode (only HTJ2K and uncompressed); choose the jph format to save it as received`,
        );
      }
    } else if (mustDecode) {
      const t0 = performance.now();
      const view = decodeBody(task, response.bytes, contentType);
      const t1 = performance.now();
      const checksum = crc32(view.pixels);
      timings.decodeMs = t1 - t0;
      timings.crcMs = performance.now() - t1;
      stats.decodeMs += timings.decodeMs;
      stats.crcMs += timings.crcMs;
      stats.decoded++;
      if (task.checksum !== undefined && checksum !== task.checksum) {
        throw new RetrieveError(
          'ChecksumMismatch',
          `Frame ${task.frameId}: CRC-32 of the decoded pixels is ${checksum}, AHI's metadata says ${task.checksum}`,
        );
      }
      const verified = task.checksum !== undefined;
      result = {
        key: task.key,
        outcome: verified ? 'verified' : 'stored',
        bytes,
        contentType,
        checksum,
        timings,
      };
      const { pixels, ...geometry } = view;
      // Geometry is kept for codestreams too: the viewer reads uncompressed ones without a plan.
      Object.assign(record, { checksum, verified, ...geometry });
      if (config.format === 'raw') {
        data = pixels;
        Object.assign(record, { kind: 'pixels', size: pixels.length });
      }
      if (task.wantPixels) postPreview(task.key, view);
    }
    const stored = writer?.put(
      { ...record, storedAt: Date.now() },
      data,
      task.failedBefore === true,
    );
    // Decoded, verified and copied: nothing holds the body any more.
    bodies.give(response.bytes.buffer as ArrayBuffer);
    if (stored) {
      const t = performance.now();
      await stored;
      stats.storeMs += performance.now() - t;
    }
    return result;
  } catch (e) {
    return {
      key: task.key,
      outcome: 'failed',
      error: toErrorInfo(e),
      bytes,
      ...(contentType ? { contentType } : {}),
      timings,
    };
  }
}

export const api = {
  async init(c: WorkerConfig, credentials: Credentials, port: MessagePort): Promise<CodecInfo> {
    config = c;
    stats.workerId = c.workerId;
    reports = port;
    client = new AhiClient(c.endpoint, c.region, credentials);
    writer = c.jobId && c.format !== 'mem' ? new FrameWriter(await openDb()) : undefined;
    return api.warm();
  },
  async warm(): Promise<CodecInfo> {
    warming ??= warmUp();
    const m = await warming;
    return { version: m.getVersion(), simdLevel: m.getSIMDLevel() };
  },
  setCredentials(credentials: Credentials) {
    const { config } = ready();
    client = new AhiClient(config.endpoint, config.region, credentials);
    heldForCredentials = false;
    pump();
  },
  setLimit(n: number) {
    limit = Math.max(1, Math.floor(n));
    pump();
  },
  setRate(perSecond: number) {
    if (rate <= 0 && perSecond > 0) {
      tokens = 1;
      refilledAt = performance.now();
    }
    rate = Math.max(0, perSecond);
    if (rateTimer !== undefined) clearTimeout(rateTimer);
    rateTimer = undefined;
    pump();
  },
  enqueue(tasks: FrameTask[]) {
    const urgent = tasks.filter((t) => t.urgent);
    if (urgent.length) queue.unshift(...urgent);
    queue.push(...(urgent.length ? tasks.filter((t) => !t.urgent) : tasks));
    pump();
  },
  prefetch(task: FrameTask) {
    const { client } = ready();
    const response = client
      .getImageFrame(task.datastoreId, task.imageSetId, task.frameId, undefined, bodies)
      .catch(() => undefined);
    prefetched.set(task.key, response);
    setTimeout(() => {
      if (prefetched.get(task.key) === response) prefetched.delete(task.key);
    }, PREFETCH_KEEP_MS);
    void response.then((r) => {
      // HTJ2K only: uncompressed pixels need their geometry from the metadata, not here yet.
      if (!r || !HTJ2K.has(r.contentType)) return;
      try {
        postPreview(task.key, decode(r.bytes));
      } catch {
        // not decodable: the task reports why
      }
    });
  },
  recall(keys?: string[], abort = false): string[] {
    const wanted = keys ? new Set(keys) : undefined;
    const taken: string[] = [];
    for (let i = queue.length - 1; i >= 0; i--) {
      const t = queue[i]!;
      if (!wanted || wanted.has(t.key)) {
        taken.push(t.key);
        queue.splice(i, 1);
      }
    }
    if (abort) {
      for (const [key, a] of inFlight) if (!wanted || wanted.has(key)) a.abort();
    }
    // The main thread has the whole queue back and decides what is sent next (after a pause, a
    // resume).
    if (!keys) heldForCredentials = false;
    return taken.reverse();
  },
} satisfies RetrieveWorkerApi;
