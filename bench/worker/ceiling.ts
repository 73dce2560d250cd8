/**
 * What the browser can do without the app: the ceilings the benchmark judges the app against.
 *  - fetchLoop: N requests in flight from one worker, pre-signed before the clock starts (the
 *    server checks SigV4, so requests must be signed; signing is timed apart), bodies read whole.
 *  - decodeLoop: decode (and CRC) of codestreams already in memory, per worker.
 */
import { AwsClient } from 'aws4fetch';
import { crc32, loadCrc32 } from '../../src/core/crc32';
import type { CeilingApi, FetchLoopResult, FrameRef } from '../../src/core/protocol';
import { decode, loadCodec } from '../../workers/codec/htj2k';
import { codecFor } from '../../workers/codec/registry';

async function signAll(
  frames: FrameRef[],
  endpoint: string,
  region: string,
  creds: { accessKeyId: string; secretAccessKey: string },
): Promise<Request[]> {
  const aws = new AwsClient({ ...creds, service: 'medical-imaging', region, retries: 0 });
  return Promise.all(
    frames.map((f) =>
      aws.sign(`${endpoint}/datastore/${f.datastoreId}/imageSet/${f.imageSetId}/getImageFrame`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ imageFrameId: f.frameId }),
      }),
    ),
  );
}

export const ceiling = {
  async fetchLoop(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: { accessKeyId: string; secretAccessKey: string },
    inFlight: number,
    read: 'arrayBuffer' | 'reader',
  ): Promise<FetchLoopResult> {
    const t0 = performance.now();
    const requests = await signAll(frames, endpoint, region, creds);
    const signMs = performance.now() - t0;
    let next = 0;
    let bytes = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < requests.length) {
          const response = await fetch(requests[next++]!);
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          if (read === 'arrayBuffer') {
            const body = await response.arrayBuffer();
            bytes += body.byteLength;
          } else {
            const reader = response.body!.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              bytes += value.length;
            }
          }
        }
      }),
    );
    const ms = performance.now() - start;
    return { frames: frames.length, bytes, ms, signMs };
  },

  async decodeLoop(
    codestreams: ArrayBuffer[],
    repeat: number,
  ): Promise<{ frames: number; ms: number }> {
    await Promise.all([loadCodec(), loadCrc32()]);
    const views = codestreams.map((c) => new Uint8Array(c));
    decode(views[0]!);
    const start = performance.now();
    let n = 0;
    for (let r = 0; r < repeat; r++) {
      for (const v of views) {
        crc32(decode(v).pixels);
        n++;
      }
    }
    return { frames: n, ms: performance.now() - start };
  },

  async decodeEach(frames, repeat) {
    await loadCrc32();
    const out: { contentType: string; msPerFrame: number; error?: string }[] = [];
    for (const f of frames) {
      const codec = codecFor(f.contentType);
      const bytes = new Uint8Array(f.bytes);
      const info = f.geometry ? { geometry: f.geometry } : {};
      try {
        if (!codec) throw new Error(`never decoded here (${f.contentType}: stored as received)`);
        await codec.load();
        crc32(codec.decode(bytes, info).pixels);
        const start = performance.now();
        for (let r = 0; r < repeat; r++) crc32(codec.decode(bytes, info).pixels);
        out.push({ contentType: f.contentType, msPerFrame: (performance.now() - start) / repeat });
      } catch (e) {
        out.push({ contentType: f.contentType, msPerFrame: NaN, error: (e as Error).message });
      }
    }
    return out;
  },

  async fetchBodies(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: { accessKeyId: string; secretAccessKey: string },
  ): Promise<ArrayBuffer[]> {
    const requests = await signAll(frames, endpoint, region, creds);
    // 20 at a time: hundreds of simultaneous fetches on one connection fail in Chromium here.
    const bodies: ArrayBuffer[] = new Array<ArrayBuffer>(requests.length);
    let next = 0;
    const lane = async () => {
      while (next < requests.length) {
        const i = next++;
        bodies[i] = await (await fetch(requests[i]!)).arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 20 }, lane));
    return bodies;
  },
} satisfies CeilingApi;
