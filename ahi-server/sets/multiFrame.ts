/**
 * The "multiframe-ct" and "multiframe-mr" image sets, real multi-frame instances of pydicom-data:
 * the Enhanced CT eCT_Supplemental.dcm (NEMA's multi-frame CT: 2 frames of 512×512, each frame's
 * position and orientation in its functional groups, a supplemental palette) and the Enhanced MR
 * emri_small.dcm (10 frames of 64×64, 12 bits stored, its functional groups stripped: no
 * geometry). Each is imported as AHI imports a DICOM file: its attributes (read by dcmjs) split
 * over the Patient, Study, Series and Instance levels as AHI's document spells them (one value
 * as itself, several as a list, sequences as lists of objects, empty as null), its frames stored
 * as HTJ2K lossless, each with its checksums from decoding what is stored.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import dcmjs from 'dcmjs';
import { ahiId } from '../ids';
import {
  contentTypeFor,
  DATASTORE_ID,
  FIXTURES,
  frameRecord,
  SYNTAX,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import { inspect } from './nema';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** The source files, an image set each (their patients and studies differ). */
export const MULTI_FRAME_SETS = [
  {
    name: 'multiframe-ct',
    file: join(FIXTURES, 'dicom', 'pydicom-data__eCT_Supplemental.dcm'),
    description: "A real Enhanced CT: one instance of 2 frames, each frame's position its own",
  },
  {
    name: 'multiframe-mr',
    file: join(FIXTURES, 'dicom', 'pydicom-data__emri_small.dcm'),
    description: 'A real Enhanced MR: one instance of 10 frames, its functional groups stripped',
  },
];

const STUDY = new Set([
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'ReferringPhysicianName',
  'StudyID',
  'StudyDescription',
]);
const SERIES = new Set([
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'SeriesDate',
  'SeriesTime',
  'SeriesDescription',
  'BodyPartExamined',
  'Manufacturer',
  'ManufacturerModelName',
  'ProtocolName',
  'StationName',
  'SoftwareVersions',
  'DeviceSerialNumber',
]);
const BINARY = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);

/** A naturalized dcmjs value as AHI's document gives it. */
function ahiValue(name: string, value: unknown): unknown {
  const vr = DicomMetaDictionary.nameMap[name]?.vr;
  const values = (Array.isArray(value) ? value : [value]).filter(
    (v) => v !== null && v !== undefined && v !== '',
  );
  if (values.length === 0) return null;
  if (vr === 'SQ') return values.map((item) => ahiAttributes(item as Record<string, unknown>));
  const one = values.map((v): unknown => {
    if (vr === 'PN') return typeof v === 'object' ? (v as { Alphabetic?: string }).Alphabetic : v;
    if (vr && BINARY.has(vr)) return Buffer.from(v as ArrayBuffer).toString('base64');
    // AHI keeps decimal and integer strings as text.
    if ((vr === 'DS' || vr === 'IS') && typeof v === 'number') return String(v);
    return typeof v === 'string' ? v.trim() : v;
  });
  return one.length === 1 ? one[0] : one;
}

/** The attributes AHI keeps (known ones, no pixel data nor file meta information). */
function ahiAttributes(ds: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ds)) {
    const entry = DicomMetaDictionary.nameMap[name];
    if (!entry || name === 'PixelData' || /^\(?0002/.test(entry.tag)) continue;
    out[name] = ahiValue(name, value);
  }
  return out;
}

type Codec = Awaited<ReturnType<typeof createOpenJph>>;

/** One DICOM file as AHI keeps it: its attributes by level, and its frames as HTJ2K lossless. */
async function importFile(
  codec: Codec,
  name: string,
  path: string,
  frames: Map<string, StoredFrame>,
) {
  const file = await readFile(path);
  const read = DicomMessage.readFile(
    file.buffer.slice(file.byteOffset, file.byteOffset + file.length),
  );
  const ds = DicomMetaDictionary.naturalizeDataset(read.dict);
  const attributes = ahiAttributes(ds);
  const level = (names: (name: string) => boolean) =>
    Object.fromEntries(Object.entries(attributes).filter(([name]) => names(name)));
  const tagOf = (name: string) => String(DicomMetaDictionary.nameMap[name]?.tag ?? '');
  const isPatient = (name: string) => /^\(?0010/.test(tagOf(name));

  const rows = Number(attributes['Rows']);
  const columns = Number(attributes['Columns']);
  const count = Number(attributes['NumberOfFrames']);
  const bitsStored = Number(attributes['BitsStored']);
  const pixels = new Uint8Array((ds['PixelData'] as ArrayBuffer[])[0]!);
  const frameBytes = rows * columns * 2;
  if (pixels.length < count * frameBytes) throw new Error(`${path}: pixel data too short`);
  const encoder = new codec.HTJ2KEncoder();
  const decoder = new codec.HTJ2KDecoder();
  const sopUid = String(attributes['SOPInstanceUID']);
  const records = [];
  for (let k = 0; k < count; k++) {
    const source = pixels.subarray(k * frameBytes, (k + 1) * frameBytes);
    encoder
      .getDecodedBuffer({
        width: columns,
        height: rows,
        bitsPerSample: bitsStored,
        componentCount: 1,
        isSigned: Number(attributes['PixelRepresentation']) === 1,
        isUsingColorTransform: false,
      })
      .set(source);
    encoder.encode();
    const bytes = Uint8Array.from(encoder.getEncodedBuffer());
    const facts = inspect(decoder, bytes);
    if (facts.levels.at(-1)?.checksum !== crc32(source) >>> 0)
      throw new Error(`${path} frame ${k + 1}: the HTJ2K encode is not lossless`);
    const id = ahiId(name, String(k), 'frame');
    frames.set(id, { id, bytes, contentType: contentTypeFor(SYNTAX.htj2kRpcl) });
    records.push(frameRecord(id, { ...facts, bits: 16 }));
  }
  encoder.delete();
  decoder.delete();
  return {
    patient: level(isPatient),
    study: level((n) => STUDY.has(n)),
    seriesUid: String(attributes['SeriesInstanceUID']),
    series: level((n) => SERIES.has(n)),
    sopUid,
    instance: {
      DICOM: level((n) => !isPatient(n) && !STUDY.has(n) && !SERIES.has(n)),
      StoredTransferSyntaxUID: SYNTAX.htj2kRpcl,
      ImageFrames: records,
    },
  };
}

export async function buildMultiFrameSets(): Promise<ImageSet[]> {
  const codec = await createOpenJph();
  const sets: ImageSet[] = [];
  for (const { name, file, description } of MULTI_FRAME_SETS) {
    const imageSetId = ahiId(name, 'image set');
    const frames = new Map<string, StoredFrame>();
    const i = await importFile(codec, name, file, frames);
    sets.push({
      name,
      description,
      datastoreId: DATASTORE_ID,
      imageSetId,
      metadata: {
        SchemaVersion: '1.1',
        DatastoreID: DATASTORE_ID,
        ImageSetID: imageSetId,
        Patient: { DICOM: i.patient },
        Study: {
          DICOM: i.study,
          Series: { [i.seriesUid]: { DICOM: i.series, Instances: { [i.sopUid]: i.instance } } },
        },
      },
      frames,
      createdAt: new Date('2026-01-01T12:00:00Z'),
    });
  }
  return sets;
}
