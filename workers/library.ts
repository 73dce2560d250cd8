/**
 * The library worker's side: reads stored frames for the viewer (full decodes and cheap
 * thumbnails) and writes export bundles, apart from the retrieval workers so that looking at
 * frames or exporting never waits behind downloads, and works after a job has ended.
 */
import { transfer } from 'comlink';
import { toErrorInfo } from '../src/core/errors';
import type {
  DecodedPixels,
  LibraryWorkerApi,
  Outcome,
  ReceivedFrame,
  Unavailable,
} from '../src/core/protocol';
import {
  finishDestination,
  openDestination,
  partsWritten,
  retryDestination,
} from '../src/io/destination';
import { exportBundle } from '../src/io/bundle';
import { unpackBits } from '../src/core/bits';
import type { DecodedView } from '../src/core/codec';
import type { StoredFrame } from '../src/core/sink';
import { getFrameRecords, getStoredFrame, hasRoomFor } from '../src/io/store';
import { codecFor } from './codec/registry';

/** Progress reaches the page at most this often. */
const PROGRESS_MS = 100;

/** Every n-th pixel of decoded pixels, so the larger side is at most about `maxSize`. */
function subsample(v: DecodedView, maxSize: number): DecodedView {
  const { width: w, height: h, components: c } = v;
  const bytes = v.bitsPerSample <= 8 ? 1 : 2;
  const step = Math.max(1, Math.ceil(Math.max(w, h) / maxSize));
  const tw = Math.ceil(w / step);
  const th = Math.ceil(h / step);
  const src = v.pixels;
  const out = new Uint8Array(tw * th * c * bytes);
  const px = c * bytes;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const from = (y * step * w + x * step) * px;
      out.set(src.subarray(from, from + px), (y * tw + x) * px);
    }
  }
  return { ...v, width: tw, height: th, pixels: out };
}

/** Why a frame with no bytes to read has none: its record says. */
async function whyUnreadable(jobId: string, key: string): Promise<Unavailable> {
  const [record] = await getFrameRecords(jobId, [key]);
  return {
    unavailable: !record
      ? 'This frame is not stored.'
      : record.leftOut
        ? `This frame was verified but not written to the folder: ${record.leftOut}.`
        : record.fileSize !== undefined
          ? `This frame is in ${record.file ?? 'a file'} of the job's folder, which cannot be read now (the browser's permission to read it not granted yet, or the file changed on disk): Continue asks for permission and checks the folder again.`
          : 'This frame is not readable in the browser’s storage.',
  };
}

/** Stored pixels as they are; stored codestreams decoded; or why there are none to show. */
async function view(
  jobId: string,
  key: string,
  maxSize?: number,
): Promise<DecodedPixels | Unavailable> {
  const frame = await getStoredFrame(jobId, key);
  if (!frame) return whyUnreadable(jobId, key);
  let v: DecodedView;
  const bytes = new Uint8Array(frame.data);
  const codec = frame.kind === 'codestream' ? codecFor(frame.contentType) : undefined;
  if (frame.kind === 'codestream') {
    if (!codec || (codec.needsGeometry && !frame.width))
      return {
        unavailable: `This frame is stored as ${frame.contentType}, which no codec here decodes.`,
        undecodable: true,
      };
    await codec.load();
    const info = { geometry: geometryOf(frame) };
    v =
      maxSize && codec.thumbnail
        ? codec.thumbnail(bytes, info, maxSize)
        : codec.decode(bytes, info);
  } else {
    v = { ...pixelGeometryOf(frame), pixels: bytes };
  }
  v = unpackBits(v);
  // Thumbnails: stored pixels, and decodes without a cheap reduced resolution, are subsampled.
  if (maxSize && (v.pixels.buffer === frame.data || !codec?.thumbnail)) v = subsample(v, maxSize);
  const { pixels, ...geometry } = v;
  // Pixels read from the store are ours to give away; pixels in the WASM heap are copied out.
  const data = pixels.buffer === frame.data ? frame.data : pixels.slice().buffer;
  return transfer({ ...geometry, data }, [data]);
}

/** A stored frame's geometry as the metadata would give it (for an uncompressed body). */
function geometryOf(f: StoredFrame) {
  return {
    width: f.width ?? 0,
    height: f.height ?? 0,
    bitsAllocated: f.bitsPerSample ?? 16,
    signed: f.signed ?? false,
    samples: f.components ?? 1,
  };
}

/** Stored decoded pixels' geometry. */
function pixelGeometryOf(f: StoredFrame) {
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

async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

/** Exports under way, by ID: `cancelExport` aborts one. */
const exports = new Map<string, AbortController>();

/** A stored codestream (or video) as received; undefined for stored pixels. */
async function received(jobId: string, key: string): Promise<ReceivedFrame | undefined> {
  const frame = await getStoredFrame(jobId, key);
  if (frame?.kind !== 'codestream') return undefined;
  return transfer({ contentType: frame.contentType, data: frame.data }, [frame.data]);
}

export const library = {
  frame: (jobId, key) => view(jobId, key),
  received,
  async thumbnail(jobId, key, maxSize) {
    const v = await view(jobId, key, maxSize);
    return 'unavailable' in v ? undefined : v;
  },
  async export(request, progress) {
    const abort = new AbortController();
    exports.set(request.exportId, abort);
    try {
      const { summary, blob } = await exportBundle(
        request,
        throttled(progress),
        abort.signal,
        async (jobId, key) => {
          const v = await view(jobId, key);
          return 'unavailable' in v ? undefined : new Uint8Array(v.data);
        },
      );
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
  room: (bytes) => hasRoomFor(bytes),
  destinationOpen: (jobId) => outcome(openDestination(jobId)),
  async destinationParts(jobId, keys) {
    try {
      await partsWritten(jobId, keys);
      return undefined;
    } catch (e) {
      return toErrorInfo(e);
    }
  },
  destinationRetry: (jobId) => retryDestination(jobId).catch(() => undefined),
  destinationFinish: (jobId, total) => outcome(finishDestination(jobId, total)),
} satisfies LibraryWorkerApi;
