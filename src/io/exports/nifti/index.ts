/**
 * Export format: NIfTI-1, one `.nii.gz` volume per series that forms one (volume.ts says when), each
 * with its JSON sidecar of dcm2niix's keys, laid out as
 * `<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>.nii.gz`. A series that forms no
 * volume (a localizer's single frame, colour, mixed sizes or orientations) is left out with its
 * reason in `metadata.csv`. A volume is assembled in memory, then gzipped: a series of 2,000
 * 512×512 16-bit slices holds 1 GB while it is written.
 */
import { parseTemplate, renderTemplate } from '../../../core/pathTemplate';
import { getJobSources, getStoredFrame } from '../../store';
import type { ZipEntry } from '../../zip';
import { instancesOf, type Instance } from '../instances';
import { csvLine } from '../csv';
import type { ExportContext, ExportFormat } from '../format';
import { niftiVolume, sidecar, type Slice } from './volume';

const TEMPLATE = '<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>.nii.gz';

async function gzip(parts: Uint8Array[]): Promise<Uint8Array> {
  const stream = new Blob(parts as BlobPart[]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A series' slices: each instance's one frame, decoded; or why there are none to use. */
async function slicesOf(
  instances: Instance[],
  context: ExportContext,
): Promise<{ slices: Slice[]; frames: number; verified: number } | { reason: string }> {
  const slices: Slice[] = [];
  let verified = 0;
  for (const instance of instances) {
    if (instance.frameIds.length !== 1)
      return { reason: 'multi-frame instances: not written as NIfTI yet' };
    const key = `${instance.imageSetId}/${instance.frameIds[0]!}`;
    const stored = await getStoredFrame(context.jobId, key);
    if (!stored) return { reason: 'frames not downloaded' };
    const pixels =
      stored.kind === 'pixels'
        ? new Uint8Array(stored.data)
        : await context.pixels?.(context.jobId, key);
    if (!pixels) return { reason: `frame ${stored.frameId} could not be decoded here` };
    if (stored.verified) verified++;
    slices.push({ attributes: instance.attributes, pixels });
  }
  return { slices, frames: slices.length, verified };
}

async function* entries(context: ExportContext): AsyncGenerator<ZipEntry> {
  const { jobId, summary, progress, signal } = context;
  const template = parseTemplate(TEMPLATE);
  const bySeries = new Map<string, Instance[]>();
  for (const instance of instancesOf((await getJobSources(jobId)) ?? [])) {
    const key = `${instance.imageSetId}/${instance.seriesUid}`;
    const list = bySeries.get(key) ?? [];
    list.push(instance);
    bySeries.set(key, list);
  }
  const rows = [
    'PatientID,StudyInstanceUID,SeriesInstanceUID,Modality,ImageSetID,File,Frames,Bytes,FramesVerified,Notes\n',
  ];
  for (const instances of bySeries.values()) {
    signal.throwIfAborted();
    const a = instances[0]!.attributes;
    const path = renderTemplate(template, {
      ...a,
      SeriesInstanceUID: instances[0]!.seriesUid,
      ImageSetID: instances[0]!.imageSetId,
    });
    const head = [
      a['PatientID'] ?? '',
      a['StudyInstanceUID'] ?? '',
      instances[0]!.seriesUid,
      a['Modality'] ?? '',
      instances[0]!.imageSetId,
    ];
    const got = await slicesOf(instances, context);
    if ('reason' in got) {
      rows.push(csvLine([...head, '', 0, 0, 0, `skipped: ${got.reason}`]));
      continue;
    }
    const volume = niftiVolume(got.slices);
    if (!volume.ok) {
      // Downloaded, but no volume: left out by design, which does not make the bundle partial.
      summary.leftOut = (summary.leftOut ?? 0) + got.frames;
      rows.push(csvLine([...head, '', 0, 0, 0, `skipped: ${volume.reason}`]));
      continue;
    }
    const bytes = await gzip([volume.header, ...volume.slices]);
    summary.frames += got.frames;
    summary.bytes += bytes.length;
    rows.push(csvLine([...head, path, got.frames, bytes.length, got.verified, '']));
    yield { name: path, data: bytes };
    yield {
      name: path.replace(/\.nii\.gz$/, '.json'),
      data: `${JSON.stringify(sidecar(got.slices[volume.order[0]!]!.attributes), null, 2)}\n`,
    };
    progress(summary.frames, summary.bytes);
  }
  yield { name: 'metadata.csv', data: rows.join('') };
}

export const niftiFormat: ExportFormat = { id: 'nifti', label: 'NIfTI', entries };
