/**
 * A job's destination folder: chosen before Start ("Save to folder while downloading"), written by
 * the retrieval workers as verified frames arrive, in an export format. Chromium writes a picked
 * folder's files through a swap file that replaces the file when it is closed, so a write at an
 * offset into a shared file (a volume's slice) copies the whole file, and nothing of a file is
 * on disk until it is closed. Hence the rule here: a file made of one frame (ahi-retrieve's frame
 * files) is written final at once; a file made of several, or built from attributes (DICOM, NIfTI),
 * is assembled once its frames are all in, from each frame's part file (one small file per frame,
 * durable as soon as it is closed), and the parts are then deleted. A reload loses nothing: every
 * frame is a closed file, final or part, with its record.
 */
import { RetrieveError } from './errors';
import type { Format } from './protocol';

export interface Destination {
  /** the folder the user picked (kept in the job's record: IndexedDB stores handles) */
  root: FileSystemDirectoryHandle;
  /** an export format's ID (io/exports): 'ahi-retrieve', 'dicom', 'dicom-explicit', 'nifti', 'nifti-nii' */
  format: string;
  /** the folder template of formats laid out by attributes */
  template?: string;
}

/** What the end of a job wrote to its destination folder. */
export interface DestinationSummary {
  /** the folder's name */
  folder: string;
  /** frames in their final files */
  frames: number;
  /** verified, but with no place in the format (metadata.csv says why) */
  leftOut: number;
  /** frames of the job not in the folder (failed, or not fetched yet) */
  missing: number;
}

/** The app's working folder inside a destination: parts waiting to be assembled. */
export const WORK_DIR = '.ahi-web-retrieve';

/** Where a frame's part waits until its file is assembled. */
export const partPath = (f: { imageSetId: string; frameId: string }) =>
  `${WORK_DIR}/parts/${f.imageSetId}/${f.frameId}.part`;

export const isPart = (path: string) => path.startsWith(`${WORK_DIR}/`);

/** Formats whose files are assembled from frames' parts (all but ahi-retrieve's frame files). */
export const assembles = (format: string) => format !== 'ahi-retrieve';

/**
 * What the retrieval workers keep of each frame for a destination format: ahi-retrieve's layout
 * keeps what the user chose (jph or raw); DICOM as stored the codestreams AHI sent; DICOM in
 * Explicit VR Little Endian and NIfTI the decoded pixels.
 * @throws RetrieveError BadInput for mem, which keeps nothing to write
 */
export function retrievalFormat(format: string, chosen: Format): Format {
  if (format === 'dicom') return 'jph';
  if (format === 'dicom-explicit' || format.startsWith('nifti')) return 'raw';
  if (chosen === 'mem')
    throw new RetrieveError(
      'BadInput',
      'Format mem decodes and keeps nothing, so there is nothing to save to a folder: choose jph or raw, or save in the browser.',
    );
  return chosen;
}
