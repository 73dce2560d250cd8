/**
 * The "nema" image set: real frames (NEMA WG-04 images as HTJ2K, one classic JPEG 2000, one
 * uncompressed, one HTJ2K from a DICOM file), each checksum computed by decoding the stored bytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { extractSingleFrameCodestream } from '../dicom';
import { ahiId, dicomUid } from '../ids';
import {
  contentTypeFor,
  DATASTORE_ID,
  emptyDocument,
  FIXTURES,
  frameRecord,
  pixelAttributes,
  scImageAttributes,
  SERIES_TYPE2,
  SYNTAX,
  UNKNOWN_LATERALITY,
  type DecodedFacts,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';

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
    description: 'NEMA SC1 (2048x2487)',
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

type Decoder = InstanceType<Awaited<ReturnType<typeof createOpenJph>>['HTJ2KDecoder']>;

/** Decodes an HTJ2K codestream at full and two lower resolutions and reports what AHI would. */
export function inspect(decoder: Decoder, codestream: Uint8Array): DecodedFacts {
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

export async function buildNema(): Promise<ImageSet> {
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
        ...SERIES_TYPE2,
        ...UNKNOWN_LATERALITY,
      },
      Instances: {
        [sopUid]: {
          DICOM: {
            SOPInstanceUID: sopUid,
            SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
            InstanceNumber: '1',
            ...scImageAttributes(entry.rescale !== undefined),
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
