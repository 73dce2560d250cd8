/**
 * The bench's big cohort (`--big-cohort SETSxFRAMES`, e.g. 500x400): a datastore of SETS image
 * sets, each one CT series of FRAMES single-frame instances with the attributes a real CT carries,
 * all frames NEMA CT2's bytes under their own IDs (with its checksum). It is there to measure
 * planning a cohort of 200,000 frames: searching it, reading its metadata, the plan and the page.
 */
import { ahiId, dicomUid } from '../ids';
import {
  BIG_COHORT_DATASTORE_ID,
  emptyDocument,
  type AhiInstance,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';

export function parseBigCohort(raw: string): { imageSets: number; frames: number } {
  const m = /^(\d+)x(\d+)$/.exec(raw.trim());
  const imageSets = Number(m?.[1]);
  const frames = Number(m?.[2]);
  if (!m || imageSets < 1 || imageSets > 10_000 || frames < 1 || frames > 10_000)
    throw new Error(`big-cohort must be SETSxFRAMES (each 1 to 10000), got '${raw}'`);
  return { imageSets, frames };
}

export function buildBigCohort(nemaSet: ImageSet, imageSets: number, frames: number): ImageSet[] {
  const series = Object.values(nemaSet.metadata.Study.Series).find(
    (s) => s.DICOM['SeriesDescription'] === 'NEMA CT2',
  );
  const template = Object.values(series!.Instances)[0]!;
  const bytes = nemaSet.frames.get(template.ImageFrames[0]!.ID)!;
  return Array.from({ length: imageSets }, (_, n) => {
    const name = `big-cohort-${n + 1}`;
    const imageSetId = ahiId('big cohort', n, 'image set');
    const doc = emptyDocument(
      name,
      imageSetId,
      `BIG^COHORT^${n + 1}`,
      'CT CHEST',
      dicomUid('big cohort', n, 'study'),
    );
    doc.DatastoreID = BIG_COHORT_DATASTORE_ID;
    doc.Patient.DICOM['PatientID'] = `BIG-${String(n + 1).padStart(5, '0')}`;
    const seriesUid = dicomUid('big cohort', n, 'series');
    const instances: Record<string, AhiInstance> = {};
    const stored = new Map<string, StoredFrame>();
    for (let i = 0; i < frames; i++) {
      const id = ahiId('big cohort', n, i, 'frame');
      const sop = dicomUid('big cohort', n, i, 'instance');
      stored.set(id, { ...bytes, id });
      instances[sop] = {
        DICOM: {
          ...template.DICOM,
          SOPInstanceUID: sop,
          InstanceNumber: String(i + 1),
          ImagePositionPatient: ['-250', '-250', (-i * 1.25).toFixed(2)],
          ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
          SliceThickness: '1.25',
          PixelSpacing: ['0.9765625', '0.9765625'],
        },
        StoredTransferSyntaxUID: template.StoredTransferSyntaxUID,
        ImageFrames: [{ ...template.ImageFrames[0]!, ID: id }],
      };
    }
    doc.Study.Series[seriesUid] = {
      DICOM: {
        SeriesInstanceUID: seriesUid,
        Modality: 'CT',
        SeriesDescription: 'Axial 1.25 mm',
        SeriesNumber: '1',
      },
      Instances: instances,
    };
    return {
      name,
      description: `Big cohort image set ${n + 1}: ${frames} frames`,
      datastoreId: BIG_COHORT_DATASTORE_ID,
      imageSetId,
      metadata: doc,
      frames: stored,
      createdAt: new Date(Date.UTC(2022, 2, 1) + n * 3_600_000),
      demo: false,
    };
  });
}
