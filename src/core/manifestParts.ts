/**
 * ahi-retrieve manifests out: an image set's metadata document reduced to what ahi-retrieve reads
 * (IDs and FrameSizeInBytes), a selection split into N parts as the runner's `--shard K/N` splits
 * a job (core/shard.ts: by image set, then by frame, so part K is what shard K fetches), and parts
 * merged back (frames of one image set united, each once). One manifest per image set, as
 * ahi-retrieve takes them (`-i` once per file).
 */
import { RetrieveError } from './errors';
import { shardIndices } from './shard';

export interface ManifestFrame {
  ID: string;
  FrameSizeInBytes?: number;
}

export interface AhiRetrieveManifest {
  DatastoreID: string;
  ImageSetID: string;
  Study: {
    Series: Record<string, { Instances: Record<string, { ImageFrames: ManifestFrame[] }> }>;
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObject(v) ? Object.entries(v) : []);

/** A metadata document (or a manifest) reduced to an ahi-retrieve manifest. */
export function toAhiRetrieveManifest(doc: unknown, name = 'document'): AhiRetrieveManifest {
  if (
    !isObject(doc) ||
    typeof doc['DatastoreID'] !== 'string' ||
    typeof doc['ImageSetID'] !== 'string'
  )
    throw new RetrieveError('BadManifest', `${name}: expected DatastoreID and ImageSetID`);
  const series: AhiRetrieveManifest['Study']['Series'] = {};
  for (const [seriesUid, s] of entries(
    isObject(doc['Study']) ? doc['Study']['Series'] : undefined,
  )) {
    const instances: Record<string, { ImageFrames: ManifestFrame[] }> = {};
    for (const [sop, inst] of entries(isObject(s) ? s['Instances'] : undefined)) {
      const frames =
        isObject(inst) && Array.isArray(inst['ImageFrames']) ? inst['ImageFrames'] : [];
      instances[sop] = {
        ImageFrames: frames.filter(isObject).map((f) => ({
          ID: String(f['ID']),
          ...(typeof f['FrameSizeInBytes'] === 'number'
            ? { FrameSizeInBytes: f['FrameSizeInBytes'] }
            : {}),
        })),
      };
    }
    series[seriesUid] = { Instances: instances };
  }
  return {
    DatastoreID: doc['DatastoreID'],
    ImageSetID: doc['ImageSetID'],
    Study: { Series: series },
  };
}

const empty = (m: AhiRetrieveManifest): AhiRetrieveManifest => ({
  DatastoreID: m.DatastoreID,
  ImageSetID: m.ImageSetID,
  Study: { Series: {} },
});

function add(target: AhiRetrieveManifest, seriesUid: string, sop: string, frame: ManifestFrame) {
  const series = (target.Study.Series[seriesUid] ??= { Instances: {} });
  (series.Instances[sop] ??= { ImageFrames: [] }).ImageFrames.push(frame);
}

export const frameCount = (m: AhiRetrieveManifest): number =>
  Object.values(m.Study.Series).reduce(
    (n, s) => n + Object.values(s.Instances).reduce((k, i) => k + i.ImageFrames.length, 0),
    0,
  );

/**
 * Splits manifests into `parts` parts as core/shard.ts shards a job: by image set ID, then by
 * frame. Each part lists, per image set, only the frames it got; an image set with none in a part
 * is left out of it.
 */
export function splitManifests(
  manifests: AhiRetrieveManifest[],
  parts: number,
): AhiRetrieveManifest[][] {
  if (!Number.isInteger(parts) || parts < 1)
    throw new RetrieveError(
      'BadInput',
      `Split into a whole number of parts, 1 or more (got ${parts}).`,
    );
  const frames: { m: number; seriesUid: string; sop: string; frame: ManifestFrame }[] = [];
  manifests.forEach((m, i) => {
    for (const [seriesUid, s] of Object.entries(m.Study.Series))
      for (const [sop, inst] of Object.entries(s.Instances))
        for (const frame of inst.ImageFrames) frames.push({ m: i, seriesUid, sop, frame });
  });
  const index = shardIndices(frames, parts, (f) => manifests[f.m]!.ImageSetID);
  const mine = manifests.map((m) => Array.from({ length: parts }, () => empty(m)));
  frames.forEach((f, i) => add(mine[f.m]![index[i]!]!, f.seriesUid, f.sop, f.frame));
  return Array.from({ length: parts }, (_, p) =>
    mine.map((byPart) => byPart[p]!).filter((part) => frameCount(part) > 0),
  );
}

/** Merges manifests: one per image set, its frames united (each frame ID once, first seen kept). */
export function mergeManifests(manifests: AhiRetrieveManifest[]): AhiRetrieveManifest[] {
  const byImageSet = new Map<string, { merged: AhiRetrieveManifest; seen: Set<string> }>();
  for (const m of manifests) {
    const key = `${m.DatastoreID}/${m.ImageSetID}`;
    let entry = byImageSet.get(key);
    if (!entry) byImageSet.set(key, (entry = { merged: empty(m), seen: new Set() }));
    for (const [seriesUid, s] of Object.entries(m.Study.Series))
      for (const [sop, inst] of Object.entries(s.Instances))
        for (const frame of inst.ImageFrames) {
          if (entry.seen.has(frame.ID)) continue;
          entry.seen.add(frame.ID);
          add(entry.merged, seriesUid, sop, frame);
        }
  }
  return [...byImageSet.values()].map((e) => e.merged);
}

/** The files of a saved selection: `<ImageSetID>.json`, or `part-K-of-N/<ImageSetID>.json`. */
export function manifestFiles(
  manifests: AhiRetrieveManifest[],
  parts: number,
): { name: string; content: string }[] {
  const json = (m: AhiRetrieveManifest) => `${JSON.stringify(m, undefined, 1)}\n`;
  if (parts <= 1) return manifests.map((m) => ({ name: `${m.ImageSetID}.json`, content: json(m) }));
  return splitManifests(manifests, parts).flatMap((part, i) =>
    part.map((m) => ({ name: `part-${i + 1}-of-${parts}/${m.ImageSetID}.json`, content: json(m) })),
  );
}
