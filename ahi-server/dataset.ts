/**
 * The image sets the local server holds (see sets/): "nema", real frames of the NEMA WG-04 set;
 * "synthetic-ct", a long CT series of the phantom; optionally "synthetic-long" and "jpeg-series";
 * and the research cohort's many small image sets in a datastore of their own. Frame bytes are
 * held in memory: the server answers GetImageFrame without touching the disk.
 */
import type { ImageSet } from './imageSet';
import { buildBigCohort } from './sets/bigCohort';
import { buildCohort } from './sets/cohort';
import { buildMultiFrameSets } from './sets/multiFrame';
import { buildNema } from './sets/nema';
import { buildSyntaxes } from './sets/syntaxes';
import { buildJpeg2000Datastore } from './sets/jpeg2000Datastore';
import { buildJpegSeries } from './sets/jpegSeries';
import { syntheticSet } from './sets/syntheticCt';
import { loadSyntheticSeries } from './synthetic';

export type { ImageSet } from './imageSet';

export interface DatasetOptions {
  /** number of synthetic CT slices (default 2000) */
  syntheticSlices: number;
  /** frames of the repeated "synthetic-long" set; 0 = none */
  syntheticLong?: number;
  /** frames of the "jpeg-series" set; 0 = none */
  jpegSeries?: number;
  /** the bench's big cohort; none by default */
  bigCohort?: { imageSets: number; frames: number };
  cacheDir: string;
  log: (line: string) => void;
}

/** Builds every image set the server serves. */
export async function loadDataset(options: DatasetOptions): Promise<ImageSet[]> {
  const { syntheticSlices, syntheticLong, jpegSeries, bigCohort, cacheDir, log } = options;
  const slices = await loadSyntheticSeries(syntheticSlices, cacheDir, log);
  const j2k = await buildJpeg2000Datastore(slices, cacheDir, log);
  const nema = await buildNema();
  return [
    nema,
    await buildSyntaxes(),
    ...(await buildMultiFrameSets()),
    syntheticSet(slices),
    ...(syntheticLong ? [syntheticSet(slices, syntheticLong)] : []),
    ...(j2k ? [j2k] : []),
    ...(jpegSeries ? [await buildJpegSeries(jpegSeries)] : []),
    ...buildCohort(nema, slices),
    ...(bigCohort ? buildBigCohort(nema, bigCohort.imageSets, bigCohort.frames) : []),
  ];
}
