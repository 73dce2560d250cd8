/**
 * The library worker's side: reads stored frames for the viewer (full decodes and cheap
 * thumbnails) and writes export bundles, apart from the retrieval workers so that looking at
 * frames or exporting never waits behind downloads, and works after a job has ended.
 */
import { transfer } from 'comlink';
import { toErrorInfo } from '../src/core/errors';
import type { DecodedPixels, LibraryWorkerApi } from '../src/core/protocol';
import { exportBundle } from '../src/io/bundle';
import { getStoredFrame, type StoredFrame } from '../src/io/db';
import { decode, decodeThumbnail, loadCodec, type DecodedView } from './codec/htj2k';

const DECODABLE = new Set(['image/jph', 'image/jphc']);
/** Progress reaches the page at most this often. */
const PROGRESS_MS = 100;

/** Every n-th pixel of stored decoded pixels, so the larger side is at most about `maxSize`. */
function subsample(frame: StoredFrame & { data: ArrayBuffer }, maxSize: number): DecodedView {
  const w = frame.width ?? 0;
  const h = frame.height ?? 0;
  const c = frame.components ?? 1;
  const bytes = (frame.bitsPerSample ?? 16) <= 8 ? 1 : 2;
  const step = Math.max(1, Math.ceil(Math.max(w, h) / maxSize));
  const tw = Math.ceil(w / step);
  const th = Math.ceil(h / step);
  const src = new Uint8Array(frame.data);
  const out = new Uint8Array(tw * th * c * bytes);
  const px = c * bytes;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      out.set(
        src.subarray((y * step * w + x * step) * px, (y * step * w + x * step) * px + px),
        (y * tw + x) * px,
      );
    }
  }
  return {
    width: tw,
    height: th,
    bitsPerSample: frame.bitsPerSample ?? 16,
    signed: frame.signed ?? false,
    components: c,
    pixels: out,
  };
}

/** Stored pixels as they are; stored codestreams decoded. Undefined when not decodable here. */
async function view(
  jobId: string,
  key: string,
  maxSize?: number,
): Promise<DecodedPixels | undefined> {
  const frame = await getStoredFrame(jobId, key);
  if (!frame) return undefined;
  let v: DecodedView;
  if (frame.kind === 'codestream') {
    if (frame.contentType === 'application/octet-stream' && frame.width) {
      v = { ...geometryOf(frame), pixels: new Uint8Array(frame.data) };
    } else if (DECODABLE.has(frame.contentType)) {
      await loadCodec();
      const bytes = new Uint8Array(frame.data);
      v = maxSize ? decodeThumbnail(bytes, maxSize) : decode(bytes);
    } else {
      return undefined;
    }
  } else {
    v = { ...geometryOf(frame), pixels: new Uint8Array(frame.data) };
  }
  if (maxSize && v.pixels.buffer === frame.data) v = subsample({ ...frame, ...v }, maxSize);
  const { pixels, ...geometry } = v;
  // Pixels read from the store are ours to give away; pixels in the WASM heap are copied out.
  const data = pixels.buffer === frame.data ? frame.data : pixels.slice().buffer;
  return transfer({ ...geometry, data }, [data]);
}

function geometryOf(f: StoredFrame) {
  return {
    width: f.width ?? 0,
    height: f.height ?? 0,
    bitsPerSample: f.bitsPerSample ?? 16,
    signed: f.signed ?? false,
    components: f.components ?? 1,
  };
}

function throttled(progress: (frames: number, bytes: number) => void) {
  let last = 0;
  return (frames: number, bytes: number) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    void progress(frames, bytes);
  };
}

/** Exports under way, by ID: `cancelExport` aborts one. */
const exports = new Map<string, AbortController>();

export const library = {
  frame: (jobId, key) => view(jobId, key),
  thumbnail: (jobId, key, maxSize) => view(jobId, key, maxSize),
  async export(request, progress) {
    const abort = new AbortController();
    exports.set(request.exportId, abort);
    try {
      const { summary, blob } = await exportBundle(request, throttled(progress), abort.signal);
      return blob ? { ok: true, summary, blob } : { ok: true, summary };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    } finally {
      exports.delete(request.exportId);
    }
  },
  cancelExport(exportId) {
    exports.get(exportId)?.abort();
  },
} satisfies LibraryWorkerApi;
