/**
 * The "synthetic-ct" image set: a long CT series of the phantom (see ../synthetic.ts), and
 * "synthetic-long", the same slices repeated under new IDs.
 */
import { ahiId, dicomUid } from '../ids';
import {
  ctImageAttributes,
  DATASTORE_ID,
  SERIES_TYPE2,
  emptyDocument,
  frameRecord,
  pixelAttributes,
  SYNTAX,
  UNKNOWN_LATERALITY,
  type AhiInstance,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import type { EncodedSlice } from '../synthetic';

/** The phantom's slices as decoded: 512×512, one 16-bit unsigned sample (12 bits stored). */
export const SYNTHETIC_GEOMETRY = {
  width: 512,
  height: 512,
  bits: 16,
  signed: false,
  samples: 1,
};

/** The slice spacing of the phantom's series, mm. */
const SPACING = 0.625;

/**
 * A phantom slice's CT instance attributes: the `index`-th slice of a series in the frame of
 * reference `frameOfReferenceUid` (the synthetic CT and the research cohort's CT series share them).
 */
export function phantomSliceAttributes(
  sopUid: string,
  index: number,
  frameOfReferenceUid: string,
): Record<string, unknown> {
  return {
    SOPInstanceUID: sopUid,
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    InstanceNumber: String(index + 1),
    ImagePositionPatient: ['-250', '-250', (-(index * SPACING)).toFixed(3)],
    ...ctImageAttributes(frameOfReferenceUid),
    SliceThickness: String(SPACING),
    PixelSpacing: ['0.9765625', '0.9765625'],
    ...pixelAttributes(SYNTHETIC_GEOMETRY, 'MONOCHROME2', 12),
    RescaleIntercept: '-1024',
    RescaleSlope: '1',
    WindowCenter: ['40', '-600'],
    WindowWidth: ['400', '1500'],
  };
}

/** How a synthetic series is stored: HTJ2K as the phantom was encoded, or another syntax. */
export interface SyntheticStorage {
  name: string;
  datastoreId: string;
  syntax: string;
  contentType: string;
  /** the stored bytes of slice `index` (default: its HTJ2K codestream) */
  bytes?: (index: number) => Uint8Array;
  /** the checksums AHI lists (default: every resolution of the HTJ2K codestream) */
  fullResolutionOnly?: boolean;
  description: string;
}

/**
 * The image set of the phantom's slices; with `total` above the slice count, "synthetic-long": the
 * slices repeated, each repeat a new frame with its own ID (memory benchmarks need many frames,
 * not many encodes). `storage`: the same slices stored in another syntax or datastore.
 */
export function syntheticSet(
  encoded: EncodedSlice[],
  total = encoded.length,
  storage?: SyntheticStorage,
): ImageSet {
  const slices = Array.from({ length: total }, (_, index) => ({
    ...encoded[index % encoded.length]!,
    index,
  }));
  const name = storage?.name ?? (total === encoded.length ? 'synthetic-ct' : 'synthetic-long');
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
  doc.DatastoreID = storage?.datastoreId ?? DATASTORE_ID;
  const instances: Record<string, AhiInstance> = {};
  const frames = new Map<string, StoredFrame>();
  for (const s of slices) {
    const id = ahiId(name, total, s.index, 'frame');
    const sopUid = dicomUid(name, total, s.index, 'instance');
    frames.set(id, {
      id,
      bytes: storage?.bytes?.(s.index) ?? s.codestream,
      contentType: storage?.contentType ?? 'image/jph',
    });
    instances[sopUid] = {
      DICOM: phantomSliceAttributes(sopUid, s.index, dicomUid(name, 'frame of reference')),
      StoredTransferSyntaxUID: storage?.syntax ?? SYNTAX.htj2kRpcl,
      ImageFrames: [
        frameRecord(id, {
          ...SYNTHETIC_GEOMETRY,
          min: s.min,
          max: s.max,
          levels: storage?.fullResolutionOnly ? s.levels.slice(-1) : s.levels,
        }),
      ],
    };
  }
  doc.Study.Series[seriesUid] = {
    DICOM: {
      SeriesInstanceUID: seriesUid,
      Modality: 'CT',
      SeriesDescription: 'Synthetic phantom, 0.625 mm',
      SeriesNumber: '1',
      PatientPosition: 'HFS',
      ...SERIES_TYPE2,
      ...UNKNOWN_LATERALITY,
    },
    Instances: instances,
  };
  return {
    name,
    description:
      storage?.description ??
      (total === encoded.length
        ? `Synthetic CT phantom: ${total} slices of 512×512, 12 bits stored, lossless HTJ2K`
        : `The synthetic CT's ${encoded.length} slices repeated as ${total} frames, each with its own ID`),
    datastoreId: storage?.datastoreId ?? DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt: new Date('2026-01-02T12:00:00Z'),
  };
}
