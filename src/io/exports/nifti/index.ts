/**
 * Export formats: NIfTI-1, one volume per series that forms one (volume.ts says when), each with
 * its JSON sidecar of dcm2niix's keys, laid out as
 * `<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>.nii.gz` (or `.nii`). A multi-frame
 * instance gives a slice per frame as its geometry says (frames.ts). A series that forms no volume
 * (a localizer's single frame, colour, mixed sizes or orientations) is left out with its reason in
 * `metadata.csv`. An export assembles a volume in memory, then gzips it: a
 * series of 2,000 512×512 16-bit slices holds 1 GB while it is written; a destination folder
 * (io/destination) streams it from the slices' part files instead.
 *
 * The pieces are apart so that an export and a destination folder make the same bytes:
 * `niftiUnits` (each series' file and frames), `niftiFile` (a volume's bytes as a stream) and
 * `NiftiIndex` (metadata.csv).
 */
import type { JobSource } from '../../../core/job';
import { parseTemplate, renderTemplate } from '../../../core/pathTemplate';
import { getJobSources, getStoredFrame } from '../../store';
import type { ZipEntry } from '../../zip';
import {
  instancesOf,
  seriesColumns,
  seriesKey,
  type Attributes,
  type Instance,
} from '../instances';
import { csvLine } from '../csv';
import type { ExportContext, ExportFormat } from '../format';
import { frameAttributes } from './frames';
import { niftiVolume, sidecar, type Sized, type Slice } from './volume';
import { gzipMembers, memberCuts, type Member } from './gzip';

/** One series' volume: where it goes, its instances and their frames' keys. */
export interface NiftiUnit {
  instances: Instance[];
  path: string;
  keys: string[];
  /** each frame's attributes as a slice, beside its key (frames.ts) */
  frames: Attributes[];
  /** why the series cannot be a volume, known before any of its frames is read (if it cannot) */
  unwritable?: string;
  /** the series' first columns in metadata.csv */
  head: unknown[];
}

/** Every series of a job's metadata as its volume file (`.nii.gz`, or `.nii` uncompressed). */
export function niftiUnits(sources: JobSource[], compress = true): NiftiUnit[] {
  const template = parseTemplate(
    `<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>.${compress ? 'nii.gz' : 'nii'}`,
  );
  const bySeries = new Map<string, Instance[]>();
  for (const instance of instancesOf(sources)) {
    const key = seriesKey(instance);
    const list = bySeries.get(key) ?? [];
    list.push(instance);
    bySeries.set(key, list);
  }
  return [...bySeries.values()].map((instances) => {
    const first = instances[0]!;
    const a = first.attributes;
    const frames: Attributes[] = [];
    let unwritable: string | undefined;
    for (const instance of instances) {
      const got = frameAttributes(instance);
      if ('reason' in got) unwritable ??= got.reason;
      else frames.push(...got);
    }
    return {
      instances,
      path: renderTemplate(template, {
        ...a,
        SeriesInstanceUID: first.seriesUid,
        ImageSetID: first.imageSetId,
      }),
      keys: instances.flatMap((i) => i.frameIds.map((id) => `${i.imageSetId}/${id}`)),
      frames,
      ...(unwritable ? { unwritable } : {}),
      head: seriesColumns(first),
    };
  });
}

/** A slice's pixels as a volume is written from: in memory, or a part file on disk. */
export interface SlicePixels extends Sized {
  part: BlobPart;
}

/** Where a volume's slices are in its file, for reading one back without the rest. */
export interface VolumeLayout {
  /** where each of the unit's frames (in its keys' order) begins in the volume's bytes: the
   * `.nii` file's, or the `.nii.gz` file's once inflated */
  frameAt: number[];
  /** `.nii.gz`: its gzip members, filled in as `data` is read (all of them once it is read) */
  members?: Member[];
}

/** A volume's file (streamed) and its sidecar, or why the slices form none. */
export function niftiFile(
  unit: NiftiUnit,
  pixels: SlicePixels[],
  compress = true,
):
  | { ok: true; data: ReadableStream<Uint8Array>; sidecar: ZipEntry; layout: VolumeLayout }
  | { ok: false; reason: string } {
  const slices: Slice<SlicePixels>[] = unit.frames.map((attributes, k) => ({
    attributes,
    pixels: pixels[k]!,
  }));
  const volume = niftiVolume(slices);
  if (!volume.ok) return volume;
  const raw = new Blob([volume.header as BlobPart, ...volume.slices.map((p) => p.part)]).stream();
  const sliceBytes = volume.slices[0]!.length;
  const position = new Array<number>(volume.order.length);
  for (const [at, k] of volume.order.entries()) position[k] = at;
  const frameAt = position.map((at) => volume.header.length + at * sliceBytes);
  const gzip = compress
    ? gzipMembers(memberCuts(volume.header.length, sliceBytes, volume.slices.length))
    : undefined;
  return {
    ok: true,
    data: gzip ? raw.pipeThrough(gzip.stream) : raw,
    layout: { frameAt, ...(gzip ? { members: gzip.members } : {}) },
    sidecar: {
      name: unit.path.replace(/\.nii(\.gz)?$/, '.json'),
      data: `${JSON.stringify(sidecar(slices[volume.order[0]!]!.attributes), null, 2)}\n`,
    },
  };
}

/** metadata.csv of a NIfTI export: a row per series, written or skipped with its reason. */
export class NiftiIndex {
  private readonly rows = [
    'PatientID,StudyInstanceUID,SeriesInstanceUID,Modality,ImageSetID,File,Frames,Bytes,FramesVerified,Notes\n',
  ];

  add(
    unit: NiftiUnit,
    outcome: { skipped: string } | { frames: number; bytes: number; verified: number },
  ): void {
    this.rows.push(
      'skipped' in outcome
        ? csvLine([...unit.head, '', 0, 0, 0, `skipped: ${outcome.skipped}`])
        : csvLine([...unit.head, unit.path, outcome.frames, outcome.bytes, outcome.verified, '']),
    );
  }

  entries(): ZipEntry[] {
    return [{ name: 'metadata.csv', data: this.rows.join('') }];
  }
}

/** A series' slices: each instance's one frame, decoded; or why there are none to use. */
async function slicesOf(
  unit: NiftiUnit,
  context: ExportContext,
): Promise<{ pixels: Uint8Array[]; verified: number } | { reason: string }> {
  if (unit.unwritable) return { reason: unit.unwritable };
  const pixels: Uint8Array[] = [];
  let verified = 0;
  for (const key of unit.keys) {
    const stored = await getStoredFrame(context.jobId, key);
    if (!stored) return { reason: 'frames not downloaded' };
    const px =
      stored.kind === 'pixels'
        ? new Uint8Array(stored.data)
        : await context.pixels?.(context.jobId, key);
    if (!px) return { reason: `frame ${stored.frameId} could not be decoded here` };
    if (stored.verified) verified++;
    pixels.push(px);
  }
  return { pixels, verified };
}

function niftiFormat(id: string, label: string, compress: boolean): ExportFormat {
  async function* entries(context: ExportContext): AsyncGenerator<ZipEntry> {
    const { jobId, summary, progress, signal } = context;
    const index = new NiftiIndex();
    for (const unit of niftiUnits((await getJobSources(jobId)) ?? [], compress)) {
      signal.throwIfAborted();
      const got = await slicesOf(unit, context);
      if ('reason' in got) {
        index.add(unit, { skipped: got.reason });
        continue;
      }
      const file = niftiFile(
        unit,
        got.pixels.map((px) => ({ length: px.length, part: px as BlobPart })),
        compress,
      );
      if (!file.ok) {
        // Downloaded, but no volume: left out by design, which does not make the bundle partial.
        summary.leftOut = (summary.leftOut ?? 0) + got.pixels.length;
        index.add(unit, { skipped: file.reason });
        continue;
      }
      const bytes = new Uint8Array(await new Response(file.data).arrayBuffer());
      summary.frames += got.pixels.length;
      summary.bytes += bytes.length;
      index.add(unit, { frames: got.pixels.length, bytes: bytes.length, verified: got.verified });
      yield { name: unit.path, data: bytes };
      yield file.sidecar;
      progress(summary.frames, summary.bytes);
    }
    yield* index.entries();
  }
  return { id, label, entries };
}

export const niftiGzFormat = niftiFormat('nifti', 'NIfTI (.nii.gz)', true);
export const niftiRawFormat = niftiFormat('nifti-nii', 'NIfTI (.nii)', false);
