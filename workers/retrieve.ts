/**
 * The worker side of the retrieval protocol declared in src/core/protocol.ts. The pool hands each
 * worker a small queue; the worker keeps its share of the in-flight limit busy on its own (sign,
 * fetch, check the length, decode in WASM, verify the CRC-32, hand the frame to its sink), so no
 * frame waits for a round trip to the main thread, and reports finished frames in batches. All of
 * a worker's state is one RetrievalWorker; `retrieveApi` makes its face to comlink, given where
 * frames go: the browser's sinks (src/io/sinks, the `api` here), or the command-line runner's
 * folder on disk (runner/worker.ts).
 */
import type { Codec, DecodedView } from '../src/core/codec';
import { unpackBits } from '../src/core/bits';
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
import type { FrameSink, StoredFrame } from '../src/core/sink';
import { contentTypeMatches, syntaxInfo } from '../src/core/syntax';
import { TokenBucket } from '../src/core/tokenBucket';
import { AhiClient, type FrameResponse } from '../src/io/ahiClient';
import { BufferPool } from '../src/io/bufferPool';
import { openSink } from '../src/io/sinks';
import { codecFor, warmUpCodecs } from './codec/registry';
import { checkFrame } from './frameCheck';
import { postReport } from './report';

/** Report at least this often while busy. */
const REPORT_MS = 25;
/** Stop starting fetches while this many bytes wait to be durable in the sink (back-pressure). */
const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
/** A prefetched response no task came for is dropped after this long. */
const PREFETCH_KEEP_MS = 60_000;

const newStats = (): WorkerStats => ({
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
});

/** Opens the sink a job's frames go to (none: store nothing). */
export type OpenSink = (config: WorkerConfig) => Promise<FrameSink | undefined>;

class RetrievalWorker {
  constructor(private readonly openSink: OpenSink) {}

  private config: WorkerConfig | undefined;
  private client: AhiClient | undefined;
  private sink: FrameSink | undefined;
  private reports: MessagePort | undefined;
  private limit = 1;
  private readonly queue: FrameTask[] = [];
  private readonly inFlight = new Map<string, AbortController>();
  private results: FrameResult[] = [];
  /** Body buffers, reused once a frame is decoded and handed to the sink. */
  private readonly bodies = new BufferPool();
  /** Responses fetched ahead of their task (`prefetch`), by frame key; a failed one is undefined. */
  private readonly prefetched = new Map<string, Promise<FrameResponse | undefined>>();
  /**
   * An expired-token answer stops this worker sending until the main thread has taken its queue
   * back (the job pauses) or sent new credentials. Without it each worker went on sending its
   * queue into the expired token until the pause reached it: 86 expired answers in one e2e run
   * with at most 64 in flight.
   */
  private heldForCredentials = false;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  /** The send-rate cap set after throttling: a little burst, then one request per 1/rate s. */
  private sendCap: TokenBucket | undefined;
  private capTimer: ReturnType<typeof setTimeout> | undefined;
  private warming: Promise<CodecInfo> | undefined;
  /** codecs whose WASM this worker has loaded (a frame of another syntax loads its codec first) */
  private readonly loadedCodecs = new Set<Codec>();
  private readonly stats = newStats();

  private ready(): { client: AhiClient; config: WorkerConfig } {
    if (!this.client || !this.config) throw new Error('worker not initialised: call init first');
    return { client: this.client, config: this.config };
  }

  async init(c: WorkerConfig, credentials: Credentials, port: MessagePort): Promise<CodecInfo> {
    this.config = c;
    this.stats.workerId = c.workerId;
    this.reports = port;
    this.client = new AhiClient(c.endpoint, c.region, credentials);
    this.sink = await this.openSink(c);
    return this.warm();
  }

  warm(): Promise<CodecInfo> {
    this.warming ??= warmUpCodecs();
    return this.warming;
  }

  setCredentials(credentials: Credentials): void {
    const { config } = this.ready();
    this.client = new AhiClient(config.endpoint, config.region, credentials);
    this.heldForCredentials = false;
    this.pump();
  }

  setLimit(n: number): void {
    this.limit = Math.max(1, Math.floor(n));
    this.pump();
  }

  setRate(perSecond: number): void {
    const now = performance.now();
    const burst = Math.max(1, perSecond / 10);
    if (perSecond <= 0) this.sendCap = undefined;
    else if (this.sendCap) this.sendCap.setRate(perSecond, burst, now);
    else this.sendCap = new TokenBucket(perSecond, burst, 1, now);
    if (this.capTimer !== undefined) clearTimeout(this.capTimer);
    this.capTimer = undefined;
    this.pump();
  }

  enqueue(tasks: FrameTask[]): void {
    const urgent = tasks.filter((t) => t.urgent);
    if (urgent.length) this.queue.unshift(...urgent);
    this.queue.push(...(urgent.length ? tasks.filter((t) => !t.urgent) : tasks));
    this.pump();
  }

  prefetch(task: FrameTask): void {
    const { client } = this.ready();
    const response = client
      .getImageFrame(task.datastoreId, task.imageSetId, task.frameId, undefined, this.bodies)
      .catch(() => undefined);
    this.prefetched.set(task.key, response);
    setTimeout(() => {
      if (this.prefetched.get(task.key) === response) this.prefetched.delete(task.key);
    }, PREFETCH_KEEP_MS);
    void response.then((r) => {
      // Only what decodes from its bytes alone: uncompressed pixels need their geometry from the
      // metadata, which is not here yet.
      const codec = r && codecFor(r.contentType);
      if (!r || !codec || codec.needsGeometry) return;
      try {
        this.postPreview(task.key, codec.decode(r.bytes, {}));
      } catch {
        // not decodable: the task reports why
      }
    });
  }

  recall(keys?: string[], abort = false): string[] {
    const wanted = keys ? new Set(keys) : undefined;
    const taken: string[] = [];
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const t = this.queue[i]!;
      if (!wanted || wanted.has(t.key)) {
        taken.push(t.key);
        this.queue.splice(i, 1);
      }
    }
    if (abort) {
      for (const [key, a] of this.inFlight) if (!wanted || wanted.has(key)) a.abort();
    }
    // The main thread has the whole queue back and decides what is sent next (after a pause, a
    // resume).
    if (!keys) this.heldForCredentials = false;
    return taken.reverse();
  }

  /** The job is over: what the sink took made durable, its files and handles released. */
  async close(): Promise<void> {
    await this.sink?.close();
  }

  private flush(): void {
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.results.length === 0 || !this.reports) return;
    const batch = this.results;
    this.results = [];
    this.stats.queued = this.queue.length;
    this.stats.inFlight = this.inFlight.size;
    this.stats.pendingWriteBytes = this.sink?.pendingBytes ?? 0;
    postReport(this.reports, { results: batch, stats: { ...this.stats } });
  }

  /** Sends a frame's decoded pixels (a copy out of the WASM heap) to the page at once. */
  private postPreview(key: string, view: DecodedView): void {
    if (!this.reports) return;
    const { pixels, ...geometry } = unpackBits(view);
    const preview = { key, pixels: { ...geometry, data: pixels.slice().buffer } };
    postReport(this.reports, { results: [], previews: [preview], stats: { ...this.stats } });
  }

  private finished(result: FrameResult): void {
    this.results.push(result);
    if (result.outcome === 'failed') this.stats.failed++;
    else this.stats.done++;
    // Report at once when the queue runs low, so the pool refills before this worker idles;
    // otherwise batch for REPORT_MS (one message for many frames).
    if (this.queue.length < Math.max(2, this.limit >> 1)) this.flush();
    else this.reportTimer ??= setTimeout(() => this.flush(), REPORT_MS);
  }

  private pump(): void {
    const { queue, inFlight } = this;
    while (
      !this.heldForCredentials &&
      // One request over the limit for a frame someone is waiting to look at.
      (inFlight.size < this.limit || (queue[0]?.urgent === true && inFlight.size <= this.limit)) &&
      queue.length > 0 &&
      (this.sink?.pendingBytes ?? 0) < MAX_PENDING_WRITE_BYTES &&
      this.takeSendToken()
    ) {
      const task = queue.shift()!;
      const abort = new AbortController();
      inFlight.set(task.key, abort);
      void this.retrieve(task, abort.signal).then((result) => {
        inFlight.delete(task.key);
        if (result.error?.code === 'ExpiredCredentials') this.heldForCredentials = true;
        this.finished(result);
        this.pump();
      });
    }
  }

  /** True when a request may go now; otherwise pumps again once the cap allows one. */
  private takeSendToken(): boolean {
    const cap = this.sendCap;
    if (!cap) return true;
    const now = performance.now();
    if (cap.take(now)) return true;
    this.capTimer ??= setTimeout(() => {
      this.capTimer = undefined;
      this.pump();
    }, cap.msUntilToken(now));
    return false;
  }

  private async retrieve(task: FrameTask, signal: AbortSignal): Promise<FrameResult> {
    const timings = { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 };
    const { stats } = this;
    let bytes = 0;
    let contentType: string | undefined;
    try {
      const { client, config } = this.ready();
      const ahead = this.prefetched.get(task.key);
      this.prefetched.delete(task.key);
      const response =
        (await ahead) ??
        (await client.getImageFrame(
          task.datastoreId,
          task.imageSetId,
          task.frameId,
          signal,
          this.bodies,
        ));
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
      // A body in another syntax than the metadata names is reported, not guessed at.
      if (task.syntax !== undefined && !contentTypeMatches(task.syntax, contentType))
        throw new RetrieveError(
          'SyntaxMismatch',
          `Frame ${task.frameId}: the metadata stores it as ${syntaxInfo(task.syntax)?.name ?? task.syntax} (${syntaxInfo(task.syntax)?.contentType ?? '?'}), but AHI sent ${contentType}`,
        );
      // Each codec loads its WASM on its first frame (HTJ2K is loaded and warm already).
      const codec = codecFor(contentType);
      if (codec && !this.loadedCodecs.has(codec)) {
        await codec.load();
        this.loadedCodecs.add(codec);
      }
      const keep = checkFrame(task, config, response.bytes, contentType, timings);
      if (keep.view) {
        stats.decodeMs += timings.decodeMs;
        stats.crcMs += timings.crcMs;
        stats.decoded++;
        if (task.wantPixels) this.postPreview(task.key, keep.view);
      }
      const result: FrameResult = { key: task.key, bytes, contentType, timings, ...keep.result };
      Object.assign(record, keep.record);
      // What is stored: the body, or (raw) the decoded pixels, copied by the sink at once.
      const data = keep.pixels ?? response.bytes;
      const stored = this.sink?.put(
        { ...record, storedAt: Date.now() },
        data,
        task.failedBefore === true,
      );
      // Decoded, verified and copied: nothing holds the body any more.
      this.bodies.give(response.bytes.buffer as ArrayBuffer);
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
}

/** A retrieval worker's API, its frames going where `openSink` says. */
export function retrieveApi(openSink: OpenSink): RetrieveWorkerApi {
  const worker = new RetrievalWorker(openSink);
  return {
    init: (config, credentials, reports) => worker.init(config, credentials, reports),
    warm: () => worker.warm(),
    setCredentials: (credentials) => worker.setCredentials(credentials),
    setLimit: (n) => worker.setLimit(n),
    setRate: (perSecond) => worker.setRate(perSecond),
    enqueue: (tasks) => worker.enqueue(tasks),
    prefetch: (task) => worker.prefetch(task),
    recall: (keys, abort) => worker.recall(keys, abort),
    close: () => worker.close(),
  };
}

/** The browser's retrieval worker: frames go to the browser's store or a picked folder. */
export const api = retrieveApi(openSink);
