/**
 * Benchmark page (bench/ceiling.html): runs the ceiling measurements in workers of the app's own origin,
 * so they share the app's TLS connection and conditions. Driven over CDP by bench/run.ts through
 * `window.ahiBench`.
 */
import { wrap } from 'comlink';
import type { CeilingApi, FrameRef } from '../../src/core/protocol';
import { syntaxInfo } from '../../src/core/syntax';

interface LocalConfig {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  imageSets: { name: string; datastoreId: string; imageSetId: string; manifest: string }[];
}

function spawn() {
  return wrap<CeilingApi>(
    new Worker(new URL('../worker/ceiling.worker.ts', import.meta.url), { type: 'module' }),
  );
}

/** The local server's prefill and one of its demo image sets, by name. */
async function demoSet(name: string) {
  const config = (await (await fetch('/ahi-local.json')).json()) as LocalConfig;
  const set = config.imageSets.find((s) => s.name === name);
  if (!set) throw new Error(`no demo set ${name}`);
  return { config, set };
}

async function frames(
  name: string,
  count: number,
): Promise<{ config: LocalConfig; refs: FrameRef[] }> {
  const { config, set } = await demoSet(name);
  const manifest = (await (await fetch(set.manifest)).json()) as {
    Study: {
      Series: Record<string, { Instances: Record<string, { ImageFrames: { ID: string }[] }> }>;
    };
  };
  const ids = Object.values(manifest.Study.Series).flatMap((s) =>
    Object.values(s.Instances).flatMap((i) => i.ImageFrames.map((f) => f.ID)),
  );
  return {
    config,
    refs: ids
      .slice(0, count)
      .map((frameId) => ({ datastoreId: set.datastoreId, imageSetId: set.imageSetId, frameId })),
  };
}

/** The demo metadata's frames with what decoding needs: Content-Type (from the syntax), geometry. */
async function syntaxFrames(name: string) {
  const { config, set } = await demoSet(name);
  const doc = (await (
    await fetch(set.manifest.replace('manifest.json', 'metadata.json'))
  ).json()) as {
    Study: {
      Series: Record<
        string,
        {
          DICOM: { SeriesDescription?: string };
          Instances: Record<
            string,
            {
              DICOM: Record<string, unknown>;
              StoredTransferSyntaxUID?: string;
              ImageFrames: { ID: string }[];
            }
          >;
        }
      >;
    };
  };
  return {
    config,
    frames: Object.values(doc.Study.Series).flatMap((s) =>
      Object.values(s.Instances).map((i) => ({
        name: s.DICOM.SeriesDescription ?? '',
        contentType: syntaxInfo(i.StoredTransferSyntaxUID)?.contentType ?? 'image/jph',
        ref: {
          datastoreId: set.datastoreId,
          imageSetId: set.imageSetId,
          frameId: i.ImageFrames[0]!.ID,
        },
        geometry: {
          width: Number(i.DICOM['Columns']),
          height: Number(i.DICOM['Rows']),
          bitsAllocated: Number(i.DICOM['BitsAllocated']),
          signed: Number(i.DICOM['PixelRepresentation']) === 1,
          samples: Number(i.DICOM['SamplesPerPixel']),
        },
      })),
    ),
  };
}

const api = {
  /** Decode-only time of each frame of a demo set (one worker, one core): ms per decode, by codec. */
  async decodeEach(name: string, repeat: number) {
    const { config, frames } = await syntaxFrames(name);
    const w = spawn();
    const bodies = await w.fetchBodies(
      frames.map((f) => f.ref),
      config.endpoint,
      config.region,
      config,
    );
    const times = await w.decodeEach(
      frames.map((f, i) => ({
        contentType: f.contentType,
        bytes: bodies[i]!,
        geometry: f.geometry,
      })),
      repeat,
    );
    return times.map((t, i) => ({ ...t, name: frames[i]!.name }));
  },
  /** Bare fetch loop from one worker: frames/s, MB/s. */
  async fetchLoop(name: string, count: number, inFlight: number, read: 'arrayBuffer' | 'reader') {
    const { config, refs } = await frames(name, count);
    const worker = spawn();
    return worker.fetchLoop(refs, config.endpoint, config.region, config, inFlight, read);
  },
  /**
   * Fetches `count` codestreams and starts `workers` workers for decodeLoop (apart, so the bench
   * can count the CPU of the decoding alone).
   */
  async decodePrepare(name: string, count: number, workers: number) {
    const { config, refs } = await frames(name, count);
    const ws = Array.from({ length: workers }, spawn);
    decoding = {
      ws,
      bodies: await ws[0]!.fetchBodies(refs, config.endpoint, config.region, config),
    };
  },
  /** Decode-only loop (decode and CRC-32) in every prepared worker at once: frames and ms each. */
  async decodeLoop(repeat: number) {
    if (!decoding) throw new Error('call decodePrepare first');
    const { ws, bodies } = decoding;
    return Promise.all(ws.map((w) => w.decodeLoop(bodies, repeat)));
  },
};
let decoding: { ws: ReturnType<typeof spawn>[]; bodies: ArrayBuffer[] } | undefined;

declare global {
  interface Window {
    ahiBench: typeof api;
  }
}
window.ahiBench = api;
document.body.textContent = 'ahi-web-retrieve benchmark page: driven by npm run bench';
