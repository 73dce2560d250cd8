/**
 * Export formats: DICOM Part 10, one file per SOP instance (a multi-frame instance with all its
 * frames), assembled from the image sets' metadata documents and the stored frames, laid out by a
 * folder template (idc-index's by default). Two transfer syntaxes: as stored (the codestreams AHI
 * sent, encapsulated) or Explicit VR Little Endian (decoded pixels). Every export also writes
 * `metadata.csv` (one row per series) and `checksums.csv` (one row per frame).
 */
import { parseTemplate, renderTemplate, DEFAULT_DICOM_TEMPLATE } from '../../../core/pathTemplate';
import type { StoredFrame } from '../../../core/sink';
import { getJobSources, getStoredFrame } from '../../store';
import type { ZipEntry } from '../../zip';
import { csvLine } from '../csv';
import type { ExportContext, ExportFormat } from '../format';
import { instancesOf, type Instance } from '../instances';
import type { Attributes, PixelData } from './part10';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Syntaxes whose frames are bytes of pixels, not codestreams: written natively in either mode. */
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
/** Syntaxes this app cannot decode: their frames stay as stored in either mode. */
const VIDEO = /^1\.2\.840\.10008\.1\.2\.4\.10[0-8]$/;

type Stored = StoredFrame & { data: ArrayBuffer };

/** An instance's pixel data: as stored where it can be, else decoded (how, said in `note`). */
async function pixelData(
  instance: Instance,
  frames: Stored[],
  explicit: boolean,
  context: ExportContext,
): Promise<{ pixels: PixelData; note: string; attributes: Attributes }> {
  const bits = Number(instance.attributes['BitsAllocated'] ?? 16);
  const attributes = { ...instance.attributes };
  const storedBytes = frames.map((f) => new Uint8Array(f.data));
  const native = (data: Uint8Array[]): PixelData => {
    const all = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of data) all.set(d, (at += d.length) - d.length);
    return { kind: 'native', data: all, bitsAllocated: bits };
  };
  if (NATIVE.has(instance.syntax) || frames.every((f) => f.kind === 'pixels' && bits === 1))
    return { pixels: native(storedBytes), note: '', attributes };
  const codestreams = frames.every((f) => f.kind === 'codestream');
  if (VIDEO.test(instance.syntax) || (!explicit && codestreams))
    return {
      pixels: { kind: 'encapsulated', transferSyntax: instance.syntax, frames: storedBytes },
      note: explicit ? 'video: kept as stored (never decoded here)' : '',
      attributes,
    };
  // Decoded pixels: stored so (a raw job), or decoded now.
  const decoded: Uint8Array[] = [];
  for (const f of frames) {
    if (f.kind === 'pixels') decoded.push(new Uint8Array(f.data));
    else {
      const px = await context.pixels?.(f.jobId, f.key);
      if (!px) throw new Error(`frame ${f.frameId} could not be decoded`);
      decoded.push(px);
    }
  }
  // Colour codestreams decode to RGB: say so.
  if (Number(attributes['SamplesPerPixel'] ?? 1) > 1) {
    attributes['PhotometricInterpretation'] = 'RGB';
    attributes['PlanarConfiguration'] = 0;
  }
  return {
    pixels: native(decoded),
    note: explicit ? '' : 'stored as decoded pixels (a raw job): Explicit VR Little Endian',
    attributes,
  };
}

function dicomFormat(id: string, label: string, explicit: boolean): ExportFormat {
  async function* entries(context: ExportContext): AsyncGenerator<ZipEntry> {
    const { jobId, summary, progress, signal } = context;
    // dcmjs (about 700 kB) is loaded by the first DICOM export, not with the library worker,
    // which the viewer starts for its first thumbnail.
    const { part10 } = await import('./part10');
    const template = parseTemplate(context.template ?? DEFAULT_DICOM_TEMPLATE);
    const sources = (await getJobSources(jobId)) ?? [];
    const series = new Map<
      string,
      { row: unknown[]; frames: number; bytes: number; verified: number; notes: Set<string> }
    >();
    const checksums = ['ImageFrameID,ImageSetID,File,FrameNumber,PixelCRC32,Verified\n'];
    for (const instance of instancesOf(sources)) {
      signal.throwIfAborted();
      const frames = await Promise.all(
        instance.frameIds.map((id) => getStoredFrame(jobId, `${instance.imageSetId}/${id}`)),
      );
      const key = `${instance.imageSetId}/${instance.seriesUid}`;
      const path = renderTemplate(template, {
        ...instance.attributes,
        DatastoreID: instance.datastoreId,
        ImageSetID: instance.imageSetId,
      });
      const folder = path.slice(0, path.lastIndexOf('/'));
      let s = series.get(key);
      if (!s) {
        const a = instance.attributes;
        s = {
          row: [
            a['PatientID'] ?? '',
            a['StudyInstanceUID'] ?? '',
            instance.seriesUid,
            a['Modality'] ?? '',
            instance.imageSetId,
            folder,
          ],
          frames: 0,
          bytes: 0,
          verified: 0,
          notes: new Set(),
        };
        series.set(key, s);
      }
      if (frames.some((f) => !f)) {
        s.notes.add('instances with frames not downloaded left out');
        continue;
      }
      const stored = frames as Stored[];
      const { pixels, note, attributes } = await pixelData(instance, stored, explicit, context);
      if (note) s.notes.add(note);
      const bytes = part10(attributes, pixels);
      stored.forEach((f, i) => {
        checksums.push(
          csvLine([
            f.frameId,
            f.imageSetId,
            path,
            i + 1,
            f.checksum ?? '',
            f.verified ? 'yes' : f.note ? 'not verifiable' : 'no',
          ]),
        );
      });
      s.frames += stored.length;
      s.bytes += bytes.length;
      s.verified += stored.filter((f) => f.verified).length;
      summary.frames += stored.length;
      summary.bytes += bytes.length;
      yield { name: path, data: bytes };
      progress(summary.frames, summary.bytes);
    }
    const rows = [
      'PatientID,StudyInstanceUID,SeriesInstanceUID,Modality,ImageSetID,Folder,Frames,Bytes,FramesVerified,TransferSyntax,Notes\n',
    ];
    for (const s of series.values())
      rows.push(
        csvLine([
          ...s.row,
          s.frames,
          s.bytes,
          s.verified,
          explicit ? EXPLICIT_VR_LITTLE_ENDIAN : 'as stored',
          [...s.notes].join('; '),
        ]),
      );
    yield { name: 'metadata.csv', data: rows.join('') };
    yield { name: 'checksums.csv', data: checksums.join('') };
  }
  return { id, label, entries };
}

export const dicomAsStoredFormat = dicomFormat('dicom', 'DICOM, as stored', false);
export const dicomExplicitFormat = dicomFormat(
  'dicom-explicit',
  'DICOM, Explicit VR Little Endian',
  true,
);
