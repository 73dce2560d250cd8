/**
 * The job plan: every frame to fetch, with what later stages need (checksum, pixel description,
 * where it sits in its series). Built from manifests and metadata by manifest.ts.
 */

/** How to read and display a frame's decoded pixels (from the instance's DICOM attributes). */
export interface PixelDescription {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  samplesPerPixel: number;
  photometric: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** window presets from WindowCenter / WindowWidth, in rescaled units */
  windows: { center: number; width: number }[];
}

export interface PlannedFrame {
  /** unique within a job: `${imageSetId}/${frameId}` */
  key: string;
  datastoreId: string;
  imageSetId: string;
  frameId: string;
  seriesUid: string;
  /** modality, number and description of the series, when the source has them */
  seriesLabel?: string;
  instanceUid: string;
  instanceNumber?: number;
  /** index of the frame within its instance (multi-frame instances) */
  frameIndex: number;
  /** FrameSizeInBytes: a hint only */
  sizeHint?: number;
  /** CRC-32 of the full-resolution decoded pixels, from the metadata */
  checksum?: number;
  minPixel?: number;
  maxPixel?: number;
  pixel?: PixelDescription;
  /** stored transfer syntax UID, when the metadata says */
  syntax?: string;
}

export interface PlanImageSet {
  datastoreId: string;
  imageSetId: string;
  /** patient, study date and description, when the source has them (metadata documents do) */
  label?: string;
  frames: number;
  /** true when the source carried checksums (a metadata document) */
  hasChecksums: boolean;
  /** true when the source carried the study's DICOM attributes (a metadata document) */
  hasAttributes?: boolean;
}

export interface DuplicateFrame {
  key: string;
  /** how many extra times the frame was listed */
  extra: number;
}

export interface Plan {
  frames: PlannedFrame[];
  imageSets: PlanImageSet[];
  duplicates: DuplicateFrame[];
  /** names of the sources (files) the plan was built from */
  sources: string[];
}

export const frameKey = (imageSetId: string, frameId: string) => `${imageSetId}/${frameId}`;
