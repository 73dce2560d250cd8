/**
 * The image sets the local server holds, in AHI's own metadata shape. Two sets:
 *  - "nema": real frames (NEMA WG-04 images as HTJ2K, one classic JPEG 2000, one uncompressed, one
 *    HTJ2K from a DICOM file), each checksum computed by decoding the stored bytes;
 *  - "synthetic-ct": a long CT series of the phantom (see synthetic.ts).
 * Frame bytes are held in memory: the server answers GetImageFrame without touching the disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { extractSingleFrameCodestream } from './dicom';
import { ahiId, dicomUid } from './ids';
import { loadSyntheticSeries } from './synthetic';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export interface StoredFrame {
  id: string;
  bytes: Uint8Array;
  contentType: string;
}

export interface ImageSet {
  name: string;
  description: string;
  datastoreId: string;
  imageSetId: string;
  /** AHI ImageSet metadata document (GetImageSetMetadata's body before gzip) */
  metadata: AhiMetadata;
  frames: Map<string, StoredFrame>;
  createdAt: Date;
}

export interface AhiImageFrame {
  ID: string;
  FrameSizeInBytes: number;
  MinPixelValue: number;
  MaxPixelValue: number;
  PixelDataChecksumFromBaseToFullResolution: { Width: number; Height: number; Checksum: number }[];
}
export interface AhiInstance {
  DICOM: Record<string, unknown>;
  StoredTransferSyntaxUID: string;
  ImageFrames: AhiImageFrame[];
}
export interface AhiMetadata {
  SchemaVersion: string;
  DatastoreID: string;
  ImageSetID: string;
  Patient: { DICOM: Record<string, unknown> };
  Study: {
    DICOM: Record<string, unknown>;
    Series: Record<
      string,
      { DICOM: Record<string, unknown>; Instances: Record<string, AhiInstance> }
    >;
  };
}

export const SYNTAX = {
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kRpcl: '1.2.840.10008.1.2.4.202',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  explicitLE: '1.2.840.10008.1.2.1',
} as const;

/** Content-Type AHI answers GetImageFrame with, by stored transfer syntax. */
export function contentTypeFor(syntax: string): string {
  switch (syntax) {
    case SYNTAX.htj2kLossless:
    case SYNTAX.htj2kRpcl:
      return 'image/jph';
    case '1.2.840.10008.1.2.4.203':
      return 'image/jphc';
    case SYNTAX.j2kLossless:
    case '1.2.840.10008.1.2.4.91':
      return 'image/j2c';
    case '1.2.840.10008.1.2.4.50':
      return 'image/jpeg';
    default:
      return 'application/octet-stream';
  }
}

export const DATASTORE_ID = ahiId('ahi-web-retrieve', 'local datastore');

interface NemaEntry {
  name: string;
  file: string;
  source: 'j2c' | 'raw' | 'dicom';
  syntax: string;
  modality: string;
  description: string;
  photometric: string;
  bitsStored?: number;
  rescale?: [intercept: number, slope: number];
  window?: [center: number, width: number];
  /** decoded geometry, needed for frames the codec cannot decode */
  geometry?: { width: number; height: number; bits: number; signed: boolean; samples: number };
  /** checksum source for frames the codec cannot decode: a fixture with the same pixels */
  pixelsFrom?: string;
}

/**
 * The real frames. Attributes come from the source DICOM files where one exists (see
 * fixtures/README.md); BitsStored defaults to the codestream's bit depth.
 */
const NEMA: NemaEntry[] = [
  {
    name: 'CT1',
    file: 'htj2k/CT1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'CT',
    description: 'NEMA CT1',
    photometric: 'MONOCHROME2',
    rescale: [-1024, 1],
  },
  {
    name: 'CT2',
    file: 'htj2k/CT2.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'CT',
    description: 'NEMA CT2',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'MR1',
    file: 'htj2k/MR1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'MR',
    description: 'NEMA MR1',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'MR2',
    file: 'htj2k/MR2.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'MR',
    description: 'NEMA MR2',
    photometric: 'MONOCHROME2',
    bitsStored: 12,
    rescale: [0.000061, 3.774114],
    window: [1000, 2000],
  },
  {
    name: 'MR3',
    file: 'htj2k/MR3.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'MR',
    description: 'NEMA MR3',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'MR4',
    file: 'htj2k/MR4.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'MR',
    description: 'NEMA MR4',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'NM1',
    file: 'htj2k/NM1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'NM',
    description: 'NEMA NM1',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'US1',
    file: 'htj2k/US1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'US',
    description: 'NEMA US1 (RGB)',
    photometric: 'RGB',
  },
  {
    name: 'VL1',
    file: 'htj2k/VL1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'XC',
    description: 'NEMA VL1 (RGB, odd sizes)',
    photometric: 'RGB',
  },
  {
    name: 'XA1',
    file: 'htj2k/XA1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'XA',
    description: 'NEMA XA1',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'RG2',
    file: 'htj2k/RG2.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'CR',
    description: 'NEMA RG2 (radiograph)',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'RG3',
    file: 'htj2k/RG3.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'CR',
    description: 'NEMA RG3 (radiograph)',
    photometric: 'MONOCHROME1',
    bitsStored: 10,
    window: [550, 1024],
  },
  {
    name: 'SC1',
    file: 'htj2k/SC1.j2c',
    source: 'j2c',
    syntax: SYNTAX.htj2kRpcl,
    modality: 'OT',
    description: 'NEMA SC1 (2048×2487)',
    photometric: 'MONOCHROME2',
  },
  {
    name: 'RGB-HTJ2K',
    file: 'dicom/pydicom-data__HTJ2KLossless_08_RGB.dcm',
    source: 'dicom',
    syntax: SYNTAX.htj2kLossless,
    modality: 'OT',
    description: 'pydicom HTJ2K lossless RGB',
    photometric: 'RGB',
  },
  // Classic JPEG 2000 (OpenJPH cannot decode it): the same lossless CT1 image, so its checksum is
  // that of CT1's pixels.
  {
    name: 'CT1-J2K',
    file: 'dicom/cornerstone3D__CT1_J2KR.dcm',
    source: 'dicom',
    syntax: SYNTAX.j2kLossless,
    modality: 'CT',
    description: 'NEMA CT1 as classic JPEG 2000',
    photometric: 'MONOCHROME2',
    rescale: [-1024, 1],
    geometry: { width: 512, height: 512, bits: 16, signed: true, samples: 1 },
    pixelsFrom: 'htj2k/CT1.j2c',
  },
  {
    name: 'CT1-RAW',
    file: 'htj2k/CT1.RAW',
    source: 'raw',
    syntax: SYNTAX.explicitLE,
    modality: 'CT',
    description: 'NEMA CT1 uncompressed',
    photometric: 'MONOCHROME2',
    rescale: [-1024, 1],
    geometry: { width: 512, height: 512, bits: 16, signed: true, samples: 1 },
    pixelsFrom: 'htj2k/CT1.j2c',
  },
];

interface DecodedFacts {
  width: number;
  height: number;
  bits: number;
  signed: boolean;
  samples: number;
  min: number;
  max: number;
  levels: { width: number; height: number; checksum: number }[];
}

type Decoder = InstanceType<Awaited<ReturnType<typeof createOpenJph>>['HTJ2KDecoder']>;

/** Decodes an HTJ2K codestream at full and two lower resolutions and reports what AHI would. */
function inspect(decoder: Decoder, codestream: Uint8Array): DecodedFacts {
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  const levels: DecodedFacts['levels'] = [];
  let facts: Omit<DecodedFacts, 'levels'> | undefined;
  for (const level of [2, 1, 0]) {
    decoder.decodeSubResolution(level);
    const err = decoder.getLastErrorMessage();
    if (err) throw new Error(`decode failed: ${err}`);
    const size = decoder.calculateSizeAtDecompositionLevel(level);
    const pixels = decoder.getDecodedBuffer();
    levels.push({ width: size.width, height: size.height, checksum: crc32(pixels) >>> 0 });
    if (level === 0) {
      const info = decoder.getFrameInfo();
      const view =
        info.bitsPerSample <= 8
          ? pixels
          : info.isSigned
            ? new Int16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2)
            : new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2);
      let min = Infinity;
      let max = -Infinity;
      for (const v of view) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      facts = {
        width: info.width,
        height: info.height,
        bits: info.bitsPerSample,
        signed: info.isSigned,
        samples: info.componentCount,
        min,
        max,
      };
    }
  }
  if (!facts) throw new Error('no full-resolution decode');
  return { ...facts, levels };
}

function pixelAttributes(
  f: { width: number; height: number; bits: number; signed: boolean; samples: number },
  photometric: string,
  bitsStored?: number,
): Record<string, unknown> {
  const allocated = f.bits <= 8 ? 8 : 16;
  const stored = bitsStored ?? f.bits;
  return {
    Rows: f.height,
    Columns: f.width,
    BitsAllocated: allocated,
    BitsStored: stored,
    HighBit: stored - 1,
    PixelRepresentation: f.signed ? 1 : 0,
    SamplesPerPixel: f.samples,
    PhotometricInterpretation: photometric,
    ...(f.samples > 1 ? { PlanarConfiguration: 0 } : {}),
    NumberOfFrames: '1',
  };
}

function frameRecord(id: string, f: DecodedFacts): AhiImageFrame {
  return {
    ID: id,
    PixelDataChecksumFromBaseToFullResolution: f.levels.map((l) => ({
      Width: l.width,
      Height: l.height,
      Checksum: l.checksum,
    })),
    MinPixelValue: f.min,
    MaxPixelValue: f.max,
    FrameSizeInBytes: f.width * f.height * f.samples * (f.bits <= 8 ? 1 : 2),
  };
}

function emptyDocument(
  name: string,
  imageSetId: string,
  patient: string,
  studyDescription: string,
  studyUid: string,
): AhiMetadata {
  return {
    SchemaVersion: '1.1',
    DatastoreID: DATASTORE_ID,
    ImageSetID: imageSetId,
    Patient: {
      DICOM: {
        PatientName: patient,
        PatientID: name.toUpperCase(),
        PatientBirthDate: null,
        PatientSex: 'O',
      },
    },
    Study: {
      DICOM: {
        StudyInstanceUID: studyUid,
        StudyDescription: studyDescription,
        StudyDate: '20260101',
        StudyTime: '120000',
        AccessionNumber: null,
        StudyID: '1',
      },
      Series: {},
    },
  };
}

async function buildNema(): Promise<ImageSet> {
  const codec = await createOpenJph();
  const decoder = new codec.HTJ2KDecoder();
  const name = 'nema';
  const imageSetId = ahiId(name, 'image set');
  const studyUid = dicomUid(name, 'study');
  const doc = emptyDocument(
    name,
    imageSetId,
    'NEMA^WG04^Samples',
    'Real NEMA WG-04 frames in several transfer syntaxes',
    studyUid,
  );
  const frames = new Map<string, StoredFrame>();
  let seriesNumber = 0;
  for (const entry of NEMA) {
    const file = await readFile(join(FIXTURES, entry.file));
    const bytes =
      entry.source === 'dicom' ? extractSingleFrameCodestream(file) : new Uint8Array(file);
    const decodable = entry.syntax === SYNTAX.htj2kRpcl || entry.syntax === SYNTAX.htj2kLossless;
    let facts: DecodedFacts;
    if (decodable) {
      facts = inspect(decoder, bytes);
    } else {
      if (!entry.pixelsFrom || !entry.geometry)
        throw new Error(`${entry.name}: needs pixelsFrom and geometry`);
      const reference = inspect(decoder, await readFile(join(FIXTURES, entry.pixelsFrom)));
      facts = { ...reference, ...entry.geometry };
    }
    const id = ahiId(name, entry.name, 'frame');
    frames.set(id, { id, bytes, contentType: contentTypeFor(entry.syntax) });
    seriesNumber++;
    const seriesUid = dicomUid(name, entry.name, 'series');
    const sopUid = dicomUid(name, entry.name, 'instance');
    doc.Study.Series[seriesUid] = {
      DICOM: {
        SeriesInstanceUID: seriesUid,
        Modality: entry.modality,
        SeriesDescription: entry.description,
        SeriesNumber: String(seriesNumber),
      },
      Instances: {
        [sopUid]: {
          DICOM: {
            SOPInstanceUID: sopUid,
            SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
            InstanceNumber: '1',
            ...pixelAttributes(facts, entry.photometric, entry.bitsStored),
            ...(entry.rescale
              ? {
                  RescaleIntercept: String(entry.rescale[0]),
                  RescaleSlope: String(entry.rescale[1]),
                }
              : {}),
            ...(entry.window
              ? { WindowCenter: String(entry.window[0]), WindowWidth: String(entry.window[1]) }
              : {}),
          },
          StoredTransferSyntaxUID: entry.syntax,
          ImageFrames: [frameRecord(id, facts)],
        },
      },
    };
  }
  decoder.delete();
  return {
    name,
    description:
      'Real NEMA WG-04 frames: CT, MR, NM, US, XA, radiographs, RGB; HTJ2K, one classic JPEG 2000, one uncompressed',
    datastoreId: DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt: new Date('2026-01-01T12:00:00Z'),
  };
}

/** The phantom's slices as decoded: 512×512, one 16-bit unsigned sample (12 bits stored). */
const SYNTHETIC_GEOMETRY = { width: 512, height: 512, bits: 16, signed: false, samples: 1 };

/**
 * The synthetic CT series; with `total` above the slice count, "synthetic-long": the slices
 * repeated, each repeat a new frame with its own ID (memory benchmarks need many frames, not
 * many encodes).
 */
async function buildSynthetic(
  count: number,
  cacheDir: string,
  log: (line: string) => void,
  total = count,
): Promise<ImageSet> {
  const encoded = await loadSyntheticSeries(count, cacheDir, log);
  const slices = Array.from({ length: total }, (_, index) => ({
    ...encoded[index % encoded.length]!,
    index,
  }));
  const name = total === encoded.length ? 'synthetic-ct' : 'synthetic-long';
  const imageSetId = ahiId(name, total, 'image set');
  const studyUid = dicomUid(name, 'study');
  const seriesUid = dicomUid(name, total, 'series');
  const doc = emptyDocument(
    name,
    imageSetId,
    'PHANTOM^CT',
    `Synthetic CT phantom, ${total} slices`,
    studyUid,
  );
  const instances: Record<string, AhiInstance> = {};
  const frames = new Map<string, StoredFrame>();
  const spacing = 0.625;
  for (const s of slices) {
    const id = ahiId(name, total, s.index, 'frame');
    const sopUid = dicomUid(name, total, s.index, 'instance');
    frames.set(id, { id, bytes: s.codestream, contentType: 'image/jph' });
    instances[sopUid] = {
      DICOM: {
        SOPInstanceUID: sopUid,
        SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
        InstanceNumber: String(s.index + 1),
        ImagePositionPatient: ['-250', '-250', (-(s.index * spacing)).toFixed(3)],
        SliceThickness: String(spacing),
        PixelSpacing: ['0.9765625', '0.9765625'],
        ...pixelAttributes(SYNTHETIC_GEOMETRY, 'MONOCHROME2', 12),
        RescaleIntercept: '-1024',
        RescaleSlope: '1',
        WindowCenter: ['40', '-600'],
        WindowWidth: ['400', '1500'],
      },
      StoredTransferSyntaxUID: SYNTAX.htj2kRpcl,
      ImageFrames: [
        frameRecord(id, { ...SYNTHETIC_GEOMETRY, min: s.min, max: s.max, levels: s.levels }),
      ],
    };
  }
  doc.Study.Series[seriesUid] = {
    DICOM: {
      SeriesInstanceUID: seriesUid,
      Modality: 'CT',
      SeriesDescription: 'Synthetic phantom, 0.625 mm',
      SeriesNumber: '1',
    },
    Instances: instances,
  };
  return {
    name,
    description:
      total === encoded.length
        ? `Synthetic CT phantom: ${total} slices of 512×512, 12 bits stored, lossless HTJ2K`
        : `The synthetic CT's ${encoded.length} slices repeated as ${total} frames, each with its own ID`,
    datastoreId: DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt: new Date('2026-01-02T12:00:00Z'),
  };
}

export interface DatasetOptions {
  /** number of synthetic CT slices (default 2000) */
  syntheticSlices: number;
  /** frames of the repeated "synthetic-long" set; 0 = none */
  syntheticLong?: number;
  cacheDir: string;
  log: (line: string) => void;
}

/** Builds every image set the server serves. */
export async function loadDataset(options: DatasetOptions): Promise<ImageSet[]> {
  return [
    await buildNema(),
    await buildSynthetic(options.syntheticSlices, options.cacheDir, options.log),
    ...(options.syntheticLong
      ? [
          await buildSynthetic(
            options.syntheticSlices,
            options.cacheDir,
            options.log,
            options.syntheticLong,
          ),
        ]
      : []),
  ];
}

/** The ahi-retrieve manifest of an image set: the metadata document reduced to IDs and sizes. */
export function toManifest(set: ImageSet): unknown {
  const series: Record<string, unknown> = {};
  for (const [seriesUid, s] of Object.entries(set.metadata.Study.Series)) {
    const instances: Record<string, unknown> = {};
    for (const [sop, inst] of Object.entries(s.Instances)) {
      instances[sop] = {
        ImageFrames: inst.ImageFrames.map((f) => ({
          ID: f.ID,
          FrameSizeInBytes: f.FrameSizeInBytes,
        })),
      };
    }
    series[seriesUid] = { Instances: instances };
  }
  return { DatastoreID: set.datastoreId, ImageSetID: set.imageSetId, Study: { Series: series } };
}
