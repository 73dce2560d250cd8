/**
 * An image set as the local server holds it, in AHI's own metadata shape, and what every set's
 * builder shares: the datastore, the syntaxes and their Content-Types, the DICOM pixel attributes
 * and frame records AHI writes, an empty document, and the manifest ahi-retrieve reads.
 */
import { join } from 'node:path';
import { syntaxInfo } from '../src/core/syntax';
import { ahiId } from './ids';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** A frame's bytes as GetImageFrame answers them. */
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
  /** when it last changed (default: createdAt) */
  updatedAt?: Date;
  /** AHI's storage tier (default FREQUENT_ACCESS) */
  storageTier?: 'FREQUENT_ACCESS' | 'ARCHIVE_INSTANT_ACCESS';
  /** false for a non-primary copy of a study (default true) */
  isPrimary?: boolean;
  /** offered as a demo button (default true; a cohort's many image sets are found by search) */
  demo?: boolean;
}

export interface AhiImageFrame {
  ID: string;
  FrameSizeInBytes: number;
  /** absent for video (never decoded to pixels) */
  MinPixelValue?: number;
  MaxPixelValue?: number;
  PixelDataChecksumFromBaseToFullResolution?: { Width: number; Height: number; Checksum: number }[];
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

/**
 * Content-Type AHI answers GetImageFrame with, by stored transfer syntax: the app's own table
 * (src/core/syntax.ts, from AHI's documentation), so server and client cannot drift apart.
 */
export function contentTypeFor(syntax: string): string {
  return syntaxInfo(syntax)?.contentType ?? 'application/octet-stream';
}

export const DATASTORE_ID = ahiId('ahi-web-retrieve', 'local datastore');
/** A second datastore, created with losslessStorageFormat JPEG_2000_LOSSLESS. */
export const J2K_DATASTORE_ID = ahiId('ahi-web-retrieve', 'jpeg 2000 lossless datastore');
/** A third: a research cohort of many small image sets, for search and paging (sets/cohort.ts). */
export const COHORT_DATASTORE_ID = ahiId('ahi-web-retrieve', 'research cohort datastore');
/** The bench's: hundreds of image sets of hundreds of frames each (sets/bigCohort.ts), opt-in. */
export const BIG_COHORT_DATASTORE_ID = ahiId('ahi-web-retrieve', 'big cohort datastore');

/** What decoding a stored frame tells: its geometry, range and checksums per resolution. */
export interface DecodedFacts {
  width: number;
  height: number;
  bits: number;
  signed: boolean;
  samples: number;
  min: number;
  max: number;
  levels: { width: number; height: number; checksum: number }[];
}

export function pixelAttributes(
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

/**
 * What a DICOM import keeps that the demo's sources lack, so that a DICOM export of the demo data
 * is a complete IOD (dciodvfy checks it): Type 2 attributes empty, and the few Type 1 ones of the
 * Secondary Capture and CT Image modules.
 */
export const SERIES_TYPE2 = { Manufacturer: null } as const;
/** Laterality, empty: right where the body part is not known (a known paired part has a value). */
export const UNKNOWN_LATERALITY = { Laterality: null } as const;

export function scImageAttributes(rescaled: boolean): Record<string, unknown> {
  return {
    ConversionType: 'WSD',
    PatientOrientation: null,
    ...(rescaled ? { RescaleType: 'US' } : {}),
  };
}

export function ctImageAttributes(frameOfReferenceUid: string): Record<string, unknown> {
  return {
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
    AcquisitionNumber: null,
    KVP: null,
    FrameOfReferenceUID: frameOfReferenceUid,
    PositionReferenceIndicator: null,
  };
}

export function frameRecord(id: string, f: DecodedFacts): AhiImageFrame {
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

export function emptyDocument(
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
        ReferringPhysicianName: null,
      },
      Series: {},
    },
  };
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
