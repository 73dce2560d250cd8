/**
 * Export formats: DICOM Part 10, one file per SOP instance (a multi-frame instance with all its
 * frames), assembled from the image sets' metadata documents and the stored frames, laid out by a
 * folder template (idc-index's by default). Two transfer syntaxes: as stored (the codestreams AHI
 * sent, encapsulated) or Explicit VR Little Endian (decoded pixels). Every export also writes
 * `metadata.csv` (one row per series) and `checksums.csv` (one row per frame).
 *
 * The pieces are apart so that an export and a destination folder written while downloading
 * (io/destination) make the same bytes: `dicomUnits` (each instance's file and frames),
 * `dicomFile` (one instance's file from its frames) and `DicomIndex` (the two CSV files).
 */
import { parseTemplate, renderTemplate, DEFAULT_DICOM_TEMPLATE } from '../../../core/pathTemplate';
import type { JobSource } from '../../../core/job';
import type { StoredFrame } from '../../../core/sink';
import { getJobSources, getStoredFrame } from '../../store';
import type { ZipEntry } from '../../zip';
import { csvLine } from '../csv';
import type { ExportContext, ExportFormat } from '../format';
import { instancesOf, seriesColumns, seriesKey, type Instance } from '../instances';
import type { Attributes, PixelData } from './part10';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Syntaxes whose frames are bytes of pixels, not codestreams: written natively in either mode. */
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
/** Syntaxes this app cannot decode: their frames stay as stored in either mode. */
const VIDEO = /^1\.2\.840\.10008\.1\.2\.4\.10[0-8]$/;

export type Stored = StoredFrame & { data: ArrayBuffer };

/** One instance's file: where it goes and which frames (keys, in order) it holds. */
export interface DicomUnit {
  instance: Instance;
  path: string;
  keys: string[];
}

/** Every instance of a job's metadata as its file (the template checked: BadInput when wrong). */
export function dicomUnits(sources: JobSource[], template?: string): DicomUnit[] {
  const parsed = parseTemplate(template ?? DEFAULT_DICOM_TEMPLATE);
  return instancesOf(sources).map((instance) => ({
    instance,
    path: renderTemplate(parsed, {
      ...instance.attributes,
      DatastoreID: instance.datastoreId,
      ImageSetID: instance.imageSetId,
    }),
    keys: instance.frameIds.map((id) => `${instance.imageSetId}/${id}`),
  }));
}

type How = 'native' | 'encapsulated' | 'decoded';

/** How an instance's pixel data is written, from what is stored of its frames. */
function howOf(
  instance: Instance,
  frames: Pick<StoredFrame, 'kind'>[],
  explicit: boolean,
): { how: How; note: string } {
  const bits = Number(instance.attributes['BitsAllocated'] ?? 16);
  if (NATIVE.has(instance.syntax) || frames.every((f) => f.kind === 'pixels' && bits === 1))
    return { how: 'native', note: '' };
  const codestreams = frames.every((f) => f.kind === 'codestream');
  if (VIDEO.test(instance.syntax) || (!explicit && codestreams))
    return {
      how: 'encapsulated',
      note: explicit ? 'video: kept as stored (never decoded here)' : '',
    };
  return {
    how: 'decoded',
    note: explicit ? '' : 'stored as decoded pixels (a raw job): Explicit VR Little Endian',
  };
}

/** What the index says of an instance written from these frames (without reading their bytes). */
export const dicomNote = (
  instance: Instance,
  frames: Pick<StoredFrame, 'kind'>[],
  explicit: boolean,
): string => howOf(instance, frames, explicit).note;

const concat = (data: Uint8Array[]): Uint8Array => {
  const all = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const d of data) all.set(d, (at += d.length) - d.length);
  return all;
};

/** An instance's pixel data: as stored where it can be, else decoded. */
async function pixelData(
  instance: Instance,
  frames: Stored[],
  explicit: boolean,
  decode: ExportContext['pixels'],
): Promise<{ pixels: PixelData; attributes: Attributes }> {
  const bits = Number(instance.attributes['BitsAllocated'] ?? 16);
  const attributes = { ...instance.attributes };
  const storedBytes = frames.map((f) => new Uint8Array(f.data));
  const { how } = howOf(instance, frames, explicit);
  if (how === 'native')
    return {
      pixels: { kind: 'native', data: concat(storedBytes), bitsAllocated: bits },
      attributes,
    };
  if (how === 'encapsulated')
    return {
      pixels: { kind: 'encapsulated', transferSyntax: instance.syntax, frames: storedBytes },
      attributes,
    };
  // Decoded pixels: stored so (a raw job), or decoded now.
  const decoded: Uint8Array[] = [];
  for (const f of frames) {
    if (f.kind === 'pixels') decoded.push(new Uint8Array(f.data));
    else {
      const px = await decode?.(f.jobId, f.key);
      if (!px) throw new Error(`frame ${f.frameId} could not be decoded`);
      decoded.push(px);
    }
  }
  // Colour codestreams decode to RGB: say so.
  if (Number(attributes['SamplesPerPixel'] ?? 1) > 1) {
    attributes['PhotometricInterpretation'] = 'RGB';
    attributes['PlanarConfiguration'] = 0;
  }
  return { pixels: { kind: 'native', data: concat(decoded), bitsAllocated: bits }, attributes };
}

/**
 * One instance's Part 10 file from its stored frames (in order). dcmjs (about 700 kB) is loaded by
 * the first file, not with the library worker, which the viewer starts for its first thumbnail.
 */
export async function dicomFile(
  unit: DicomUnit,
  frames: Stored[],
  explicit: boolean,
  decode?: ExportContext['pixels'],
): Promise<Uint8Array> {
  const { part10 } = await import('./part10');
  const { pixels, attributes } = await pixelData(unit.instance, frames, explicit, decode);
  return part10(attributes, pixels);
}

/**
 * Where each frame's bytes may be in its instance's file of `fileLength` bytes, for frames of these
 * sizes: pixel data is the file's last element, either native (frames back to back, padded to even
 * at the end) or encapsulated (one fragment item per frame, each padded to even, then 8 bytes of
 * sequence delimiter). The caller checks which layout holds (the frames' CRC-32).
 */
export function frameLayouts(fileLength: number, sizes: number[]): number[][] {
  const total = sizes.reduce((n, s) => n + s, 0);
  const native: number[] = [];
  let at = fileLength - total - (total % 2);
  for (const s of sizes) native.push((at += s) - s);
  const encapsulated: number[] = [];
  let end = fileLength - 8;
  for (let i = sizes.length - 1; i >= 0; i--) {
    end -= sizes[i]! + (sizes[i]! % 2);
    encapsulated.unshift(end);
    end -= 8;
  }
  return [native, encapsulated];
}

/** metadata.csv (a row per series) and checksums.csv (a row per frame) of a DICOM export. */
export class DicomIndex {
  private readonly series = new Map<
    string,
    { row: unknown[]; frames: number; bytes: number; verified: number; notes: Set<string> }
  >();
  private readonly checksums = ['ImageFrameID,ImageSetID,File,FrameNumber,PixelCRC32,Verified\n'];

  constructor(private readonly explicit: boolean) {}

  /** An instance written (`frames` and the file's size), or left out (no frames: not downloaded). */
  add(unit: DicomUnit, written?: { frames: StoredFrame[]; bytes: number }): void {
    const { instance, path } = unit;
    const key = seriesKey(instance);
    let s = this.series.get(key);
    if (!s) {
      s = {
        row: [...seriesColumns(instance), path.slice(0, path.lastIndexOf('/'))],
        frames: 0,
        bytes: 0,
        verified: 0,
        notes: new Set(),
      };
      this.series.set(key, s);
    }
    if (!written) {
      s.notes.add('instances with frames not downloaded left out');
      return;
    }
    const note = dicomNote(instance, written.frames, this.explicit);
    if (note) s.notes.add(note);
    written.frames.forEach((f, i) => {
      this.checksums.push(
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
    s.frames += written.frames.length;
    s.bytes += written.bytes;
    s.verified += written.frames.filter((f) => f.verified).length;
  }

  entries(): ZipEntry[] {
    const rows = [
      'PatientID,StudyInstanceUID,SeriesInstanceUID,Modality,ImageSetID,Folder,Frames,Bytes,FramesVerified,TransferSyntax,Notes\n',
    ];
    for (const s of this.series.values())
      rows.push(
        csvLine([
          ...s.row,
          s.frames,
          s.bytes,
          s.verified,
          this.explicit ? EXPLICIT_VR_LITTLE_ENDIAN : 'as stored',
          [...s.notes].join('; '),
        ]),
      );
    return [
      { name: 'metadata.csv', data: rows.join('') },
      { name: 'checksums.csv', data: this.checksums.join('') },
    ];
  }
}

function dicomFormat(id: string, label: string, explicit: boolean): ExportFormat {
  async function* entries(context: ExportContext): AsyncGenerator<ZipEntry> {
    const { jobId, summary, progress, signal } = context;
    const units = dicomUnits((await getJobSources(jobId)) ?? [], context.template);
    const index = new DicomIndex(explicit);
    for (const unit of units) {
      signal.throwIfAborted();
      const frames = await Promise.all(unit.keys.map((key) => getStoredFrame(jobId, key)));
      if (frames.some((f) => !f)) {
        index.add(unit);
        continue;
      }
      const stored = frames as Stored[];
      const bytes = await dicomFile(unit, stored, explicit, context.pixels);
      index.add(unit, { frames: stored, bytes: bytes.length });
      summary.frames += stored.length;
      summary.bytes += bytes.length;
      yield { name: unit.path, data: bytes };
      progress(summary.frames, summary.bytes);
    }
    yield* index.entries();
  }
  return { id, label, entries };
}

export const dicomAsStoredFormat = dicomFormat('dicom', 'DICOM, as stored', false);
export const dicomExplicitFormat = dicomFormat(
  'dicom-explicit',
  'DICOM, Explicit VR Little Endian',
  true,
);
