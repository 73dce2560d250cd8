/**
 * The worker side of the retrieval protocol declared in src/core/protocol.ts: sign and fetch a
 * frame, check its length, decode it in WASM, verify its CRC-32 against AHI's metadata, and hand
 * back a small result (pixels only when asked, transferred). Many retrieve() calls run at once, so
 * while one frame decodes, others are on the wire.
 */
import { transfer } from 'comlink';
import { RetrieveError, toErrorInfo } from '../src/core/errors';
import { crc32 } from '../src/core/crc32';
import type {
  Credentials,
  FrameResult,
  FrameTask,
  RetrieveWorkerApi,
  WorkerConfig,
} from '../src/core/protocol';
import { AhiClient } from '../src/io/ahiClient';
import { decode, loadCodec } from './codec/htj2k';

let config: WorkerConfig | undefined;
let client: AhiClient | undefined;
const inFlight = new Set<AbortController>();

const DECODABLE = new Set(['image/jph', 'image/jphc', 'application/octet-stream']);

function requireClient(): { client: AhiClient; config: WorkerConfig } {
  if (!client || !config) throw new Error('worker not initialised: call init first');
  return { client, config };
}

async function retrieve(task: FrameTask): Promise<FrameResult> {
  const timings = { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 };
  let bytes = 0;
  let contentType: string | undefined;
  const abort = new AbortController();
  inFlight.add(abort);
  try {
    const { client, config } = requireClient();
    const response = await client.getImageFrame(
      task.datastoreId,
      task.imageSetId,
      task.frameId,
      abort.signal,
    );
    timings.requestMs = response.requestMs;
    timings.bodyMs = response.bodyMs;
    bytes = response.bytes.length;
    contentType = response.contentType;
    const mustDecode = config.format !== 'jph' || config.verify || task.wantPixels === true;
    if (!mustDecode) return { key: task.key, outcome: 'stored', bytes, contentType, timings };
    if (!DECODABLE.has(contentType)) {
      if (config.format === 'jph')
        return { key: task.key, outcome: 'stored', bytes, contentType, timings };
      throw new RetrieveError(
        'UnsupportedSyntax',
        `Frame ${task.frameId} is stored as ${contentType}, which this app cannot decode (only HTJ2K and uncompressed)`,
      );
    }
    let view;
    const t0 = performance.now();
    if (contentType === 'application/octet-stream') {
      // Uncompressed: the body is the pixels; their geometry comes from the metadata.
      const g = task.geometry;
      view = {
        width: g?.width ?? 0,
        height: g?.height ?? 0,
        bitsPerSample: g?.bitsAllocated ?? 16,
        signed: g?.signed ?? false,
        components: g?.samples ?? 1,
        pixels: response.bytes,
      };
    } else {
      view = decode(response.bytes);
    }
    const t1 = performance.now();
    const checksum = crc32(view.pixels);
    const t2 = performance.now();
    timings.decodeMs = t1 - t0;
    timings.crcMs = t2 - t1;
    if (task.checksum !== undefined && checksum !== task.checksum) {
      throw new RetrieveError(
        'ChecksumMismatch',
        `Frame ${task.frameId}: CRC-32 of decoded pixels is ${checksum}, AHI's metadata says ${task.checksum}`,
      );
    }
    const result: FrameResult = {
      key: task.key,
      outcome: task.checksum !== undefined ? 'verified' : 'stored',
      bytes,
      contentType,
      checksum,
      timings,
    };
    if (task.wantPixels) {
      const data = view.pixels.slice().buffer;
      result.pixels = {
        width: view.width,
        height: view.height,
        bitsPerSample: view.bitsPerSample,
        signed: view.signed,
        components: view.components,
        data,
      };
      return transfer(result, [data]);
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
  } finally {
    inFlight.delete(abort);
  }
}

export const api = {
  async init(c: WorkerConfig, credentials: Credentials) {
    config = c;
    client = new AhiClient(c.endpoint, c.region, credentials);
    const m = await loadCodec();
    return { version: m.getVersion(), simdLevel: m.getSIMDLevel() };
  },
  setCredentials(credentials: Credentials) {
    const { config } = requireClient();
    client = new AhiClient(config.endpoint, config.region, credentials);
  },
  retrieve,
  cancelAll() {
    for (const a of inFlight) a.abort();
  },
} satisfies RetrieveWorkerApi;
