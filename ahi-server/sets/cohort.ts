/**
 * The research cohort: a datastore of many small image sets, for search, paging and cohort jobs.
 * Six named patients with several studies each (CT, MR, NM, XA, US, CR; study dates from 2022 to
 * 2025; multi-series studies; a non-primary copy of one study; one study in
 * ARCHIVE_INSTANT_ACCESS), and screening patients with one small study each, so that the cohort
 * holds COHORT_SIZE image sets. Frames are the NEMA set's and the synthetic CT's, under new IDs:
 * the bytes are shared, the checksums are theirs.
 */
import { ahiId, dicomUid } from '../ids';
import {
  COHORT_DATASTORE_ID,
  SERIES_TYPE2,
  emptyDocument,
  frameRecord,
  SYNTAX,
  type AhiInstance,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import type { EncodedSlice } from '../synthetic';
import { phantomSliceAttributes, SYNTHETIC_GEOMETRY } from './syntheticCt';

/** image sets in the cohort: more than two pages of 50 */
export const COHORT_SIZE = 126;

interface SeriesPlan {
  /** a NEMA frame by its series description ("NEMA MR1"), or 'synthetic': the synthetic CT's slices */
  from: string;
  frames: number;
  modality: string;
  description: string;
  bodyPart: string;
}

interface StudyPlan {
  patientId: string;
  patientName: string;
  birthDate: string;
  sex: 'F' | 'M' | 'O';
  date: string;
  time: string;
  description: string;
  accession: string;
  series: SeriesPlan[];
  storageTier?: 'ARCHIVE_INSTANT_ACCESS';
  /** also stored as a second, non-primary image set of the same study */
  nonPrimaryCopy?: boolean;
}

const ct = (frames: number, description: string, bodyPart: string): SeriesPlan => ({
  from: 'synthetic',
  frames,
  modality: 'CT',
  description,
  bodyPart,
});
const nema = (
  name: string,
  frames: number,
  modality: string,
  description: string,
  bodyPart: string,
): SeriesPlan => ({ from: `NEMA ${name}`, frames, modality, description, bodyPart });

const PATIENTS = {
  doe: { patientId: 'COH-0001', patientName: 'DOE^JANE', birthDate: '19610412', sex: 'F' },
  roe: { patientId: 'COH-0002', patientName: 'ROE^RICHARD', birthDate: '19570130', sex: 'M' },
  smith: { patientId: 'COH-0003', patientName: 'SMITH^ALEX', birthDate: '19800707', sex: 'O' },
  garcia: { patientId: 'COH-0004', patientName: 'GARCIA^MARIA', birthDate: '19721121', sex: 'F' },
  chen: { patientId: 'COH-0005', patientName: 'CHEN^WEI', birthDate: '19900315', sex: 'M' },
  okafor: { patientId: 'COH-0006', patientName: 'OKAFOR^NGOZI', birthDate: '19851002', sex: 'F' },
} as const;

/** The named patients' studies. */
const STUDIES: StudyPlan[] = [
  {
    ...PATIENTS.doe,
    date: '20230314',
    time: '091500',
    description: 'CT CHEST W/O CONTRAST',
    accession: 'ACC-23-0314',
    series: [nema('CT2', 1, 'CT', 'Scout', 'CHEST'), ct(12, 'Axial 0.625 mm', 'CHEST')],
  },
  {
    ...PATIENTS.doe,
    date: '20240602',
    time: '143000',
    description: 'CT CHEST FOLLOW-UP',
    accession: 'ACC-24-0602',
    series: [nema('CT2', 1, 'CT', 'Scout', 'CHEST'), ct(12, 'Axial 0.625 mm', 'CHEST')],
  },
  {
    ...PATIENTS.doe,
    date: '20250120',
    time: '080000',
    description: 'MR BRAIN',
    accession: 'ACC-25-0120',
    series: [
      nema('MR1', 2, 'MR', 'T1 SAG', 'BRAIN'),
      nema('MR3', 2, 'MR', 'T2 AX', 'BRAIN'),
      nema('MR4', 2, 'MR', 'FLAIR AX', 'BRAIN'),
    ],
  },
  {
    ...PATIENTS.roe,
    date: '20240211',
    time: '101010',
    description: 'MR KNEE LEFT',
    accession: 'ACC-24-0211',
    series: [nema('MR2', 2, 'MR', 'PD COR', 'KNEE'), nema('MR3', 2, 'MR', 'T1 SAG', 'KNEE')],
  },
  {
    ...PATIENTS.roe,
    date: '20240930',
    time: '130000',
    description: 'NM BONE SCAN',
    accession: 'ACC-24-0930',
    series: [nema('NM1', 2, 'NM', 'Whole body', 'WHOLEBODY')],
  },
  {
    ...PATIENTS.smith,
    date: '20240505',
    time: '110000',
    description: 'CT ABDOMEN PELVIS',
    accession: 'ACC-24-0505A',
    series: [nema('CT1', 1, 'CT', 'Scout', 'ABDOMEN'), ct(8, 'Axial 0.625 mm', 'ABDOMEN')],
    nonPrimaryCopy: true,
  },
  {
    ...PATIENTS.smith,
    date: '20240505',
    time: '153000',
    description: 'XA ANGIOGRAPHY',
    accession: 'ACC-24-0505B',
    series: [nema('XA1', 2, 'XA', 'Run 1', 'HEART')],
  },
  {
    ...PATIENTS.garcia,
    date: '20221108',
    time: '094500',
    description: 'US ABDOMEN',
    accession: 'ACC-22-1108',
    series: [nema('US1', 2, 'US', 'Liver', 'ABDOMEN')],
    storageTier: 'ARCHIVE_INSTANT_ACCESS',
  },
  {
    ...PATIENTS.chen,
    date: '20250719',
    time: '164500',
    description: 'CR CHEST PA',
    accession: 'ACC-25-0719',
    series: [nema('RG3', 1, 'CR', 'PA', 'CHEST')],
  },
  {
    ...PATIENTS.okafor,
    date: '20241224',
    time: '070000',
    description: 'MR SPINE',
    accession: 'ACC-24-1224',
    series: [nema('MR1', 3, 'MR', 'T2 SAG', 'SPINE'), nema('MR4', 1, 'MR', 'T1 AX', 'SPINE')],
  },
];

/** Screening patients: one small study each, dates spread over 2021-2025. */
function screeningStudies(count: number): StudyPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    const day = new Date(Date.UTC(2021, 0, 4) + i * 13 * 86_400_000);
    const date = day.toISOString().slice(0, 10).replace(/-/g, '');
    const nm = i % 3 === 2;
    return {
      patientId: `SCR-${n}`,
      patientName: `SCREENING^${n}`,
      birthDate: `19${50 + (i % 40)}0101`,
      sex: i % 2 ? 'M' : 'F',
      date,
      time: `${String(8 + (i % 9)).padStart(2, '0')}3000`,
      description: nm ? 'NM SCREENING' : 'CT LOW DOSE SCREENING',
      // SH: at most 16 characters
      accession: `S${date.slice(2)}-${n}`,
      series: [
        nm ? nema('NM1', 1, 'NM', 'Planar', 'CHEST') : nema('CT2', 1, 'CT', 'Low dose', 'CHEST'),
      ],
    };
  });
}

/** A NEMA frame to copy: its bytes, its instance's attributes and its frame record. */
interface Template {
  frame: StoredFrame;
  instance: AhiInstance;
}

function templates(nemaSet: ImageSet): Map<string, Template> {
  const out = new Map<string, Template>();
  for (const series of Object.values(nemaSet.metadata.Study.Series)) {
    // "NEMA US1 (RGB)" is found as "NEMA US1"
    const description = String(series.DICOM['SeriesDescription']).replace(/ \(.*\)$/, '');
    const instance = Object.values(series.Instances)[0]!;
    const frame = nemaSet.frames.get(instance.ImageFrames[0]!.ID)!;
    out.set(description, { frame, instance });
  }
  return out;
}

function buildStudy(
  plan: StudyPlan,
  index: number,
  copy: boolean,
  nemaFrames: Map<string, Template>,
  slices: EncodedSlice[],
): ImageSet {
  const name = `cohort-${plan.accession}${copy ? '-copy' : ''}`;
  const imageSetId = ahiId('cohort', plan.accession, copy ? 'copy' : 'primary', 'image set');
  const studyUid = dicomUid('cohort', plan.accession, 'study');
  const doc = emptyDocument(name, imageSetId, plan.patientName, plan.description, studyUid);
  doc.DatastoreID = COHORT_DATASTORE_ID;
  doc.Patient.DICOM = {
    PatientName: plan.patientName,
    PatientID: plan.patientId,
    PatientBirthDate: plan.birthDate,
    PatientSex: plan.sex,
  };
  doc.Study.DICOM = {
    StudyInstanceUID: studyUid,
    StudyDescription: plan.description,
    StudyDate: plan.date,
    StudyTime: plan.time,
    AccessionNumber: plan.accession,
    StudyID: String(1000 + index),
    ReferringPhysicianName: null,
  };
  const frames = new Map<string, StoredFrame>();
  plan.series.forEach((s, seriesIndex) => {
    const seriesUid = dicomUid('cohort', plan.accession, seriesIndex, 'series');
    const instances: Record<string, AhiInstance> = {};
    for (let i = 0; i < s.frames; i++) {
      const id = ahiId(
        'cohort',
        plan.accession,
        copy ? 'copy' : 'primary',
        seriesIndex,
        i,
        'frame',
      );
      const sopUid = dicomUid('cohort', plan.accession, seriesIndex, i, 'instance');
      if (s.from === 'synthetic') {
        const slice = slices[i % slices.length]!;
        frames.set(id, { id, bytes: slice.codestream, contentType: 'image/jph' });
        instances[sopUid] = {
          DICOM: phantomSliceAttributes(
            sopUid,
            i,
            dicomUid('cohort', plan.accession, 'frame of reference'),
          ),
          StoredTransferSyntaxUID: SYNTAX.htj2kRpcl,
          ImageFrames: [frameRecord(id, { ...SYNTHETIC_GEOMETRY, ...slice })],
        };
      } else {
        const t = nemaFrames.get(s.from);
        if (!t) throw new Error(`cohort: no NEMA frame described "${s.from}"`);
        frames.set(id, { ...t.frame, id });
        instances[sopUid] = {
          DICOM: { ...t.instance.DICOM, SOPInstanceUID: sopUid, InstanceNumber: String(i + 1) },
          StoredTransferSyntaxUID: t.instance.StoredTransferSyntaxUID,
          ImageFrames: [{ ...t.instance.ImageFrames[0]!, ID: id }],
        };
      }
    }
    doc.Study.Series[seriesUid] = {
      DICOM: {
        SeriesInstanceUID: seriesUid,
        Modality: s.modality,
        SeriesDescription: s.description,
        SeriesNumber: String(seriesIndex + 1),
        BodyPartExamined: s.bodyPart,
        ...SERIES_TYPE2,
        ...(s.modality === 'CT' ? { PatientPosition: 'HFS' } : {}),
        // a paired body part has its side ("MR KNEE LEFT")
        ...(s.bodyPart === 'KNEE' ? { Laterality: 'L' } : {}),
      },
      Instances: instances,
    };
  });
  // Imported a week after the study; some updated later; the copy a day after the primary.
  const studyDay = Date.UTC(
    +plan.date.slice(0, 4),
    +plan.date.slice(4, 6) - 1,
    +plan.date.slice(6),
  );
  const createdAt = new Date(studyDay + 7 * 86_400_000 + index * 60_000 + (copy ? 86_400_000 : 0));
  const updatedAt = new Date(createdAt.getTime() + (index % 4 === 0 ? 30 * 86_400_000 : 0));
  return {
    name,
    description: `${plan.patientId} ${plan.description} (${plan.date})`,
    datastoreId: COHORT_DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt,
    updatedAt,
    ...(plan.storageTier ? { storageTier: plan.storageTier } : {}),
    ...(copy ? { isPrimary: false } : {}),
    demo: false,
  };
}

/** The cohort's image sets, built from the NEMA set's frames and the synthetic CT's slices. */
export function buildCohort(nemaSet: ImageSet, slices: EncodedSlice[]): ImageSet[] {
  const nemaFrames = templates(nemaSet);
  const copies = STUDIES.filter((s) => s.nonPrimaryCopy).length;
  const studies = [...STUDIES, ...screeningStudies(COHORT_SIZE - STUDIES.length - copies)];
  const out: ImageSet[] = [];
  studies.forEach((plan, i) => {
    out.push(buildStudy(plan, i, false, nemaFrames, slices));
    if (plan.nonPrimaryCopy) out.push(buildStudy(plan, i, true, nemaFrames, slices));
  });
  return out;
}
