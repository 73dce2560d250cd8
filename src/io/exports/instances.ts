/**
 * The SOP instances of a job's metadata documents, as the DICOM and NIfTI exports need them: each
 * one's DICOM attributes with its Patient, Study and Series levels merged in, its stored transfer
 * syntax, and its frames' IDs in order. ahi-retrieve manifests (no attributes) add nothing.
 */
import type { JobSource } from '../../core/job';

/** An instance's DICOM attributes by keyword, as AHI's metadata gives them. */
export type Attributes = Record<string, unknown>;

type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const dicomOf = (v: unknown): Json => (isObject(v) && isObject(v['DICOM']) ? v['DICOM'] : {});

export interface Instance {
  datastoreId: string;
  imageSetId: string;
  seriesUid: string;
  attributes: Attributes;
  syntax: string;
  frameIds: string[];
}

/** A series' key in a job (series UIDs are unique per image set, not across them). */
export const seriesKey = (i: Instance): string => `${i.imageSetId}/${i.seriesUid}`;

/** The columns every index starts a series' row with: patient, study, series, modality, image set. */
export function seriesColumns(i: Instance): unknown[] {
  const a = i.attributes;
  return [
    a['PatientID'] ?? '',
    a['StudyInstanceUID'] ?? '',
    i.seriesUid,
    a['Modality'] ?? '',
    i.imageSetId,
  ];
}

/** Every instance of the metadata documents among a job's sources, in document order. */
export function instancesOf(sources: JobSource[]): Instance[] {
  const out: Instance[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    let doc: unknown;
    try {
      doc = JSON.parse(source.content);
    } catch {
      continue;
    }
    if (!isObject(doc) || !isObject(doc['Study']) || !isObject(doc['Study']['Series'])) continue;
    const patient = dicomOf(doc['Patient']);
    const study = dicomOf(doc['Study']);
    if (Object.keys(study).length === 0) continue; // an ahi-retrieve manifest: no attributes
    for (const [seriesUid, s] of Object.entries(doc['Study']['Series'])) {
      if (!isObject(s) || !isObject(s['Instances'])) continue;
      for (const [sop, inst] of Object.entries(s['Instances'])) {
        if (!isObject(inst) || seen.has(`${String(doc['ImageSetID'])}/${sop}`)) continue;
        seen.add(`${String(doc['ImageSetID'])}/${sop}`);
        const frames = Array.isArray(inst['ImageFrames']) ? inst['ImageFrames'] : [];
        out.push({
          datastoreId: String(doc['DatastoreID']),
          imageSetId: String(doc['ImageSetID']),
          seriesUid,
          attributes: {
            ...patient,
            ...study,
            ...dicomOf(s),
            SOPInstanceUID: sop,
            ...dicomOf(inst),
          },
          syntax:
            typeof inst['StoredTransferSyntaxUID'] === 'string'
              ? inst['StoredTransferSyntaxUID']
              : '1.2.840.10008.1.2.4.202',
          frameIds: frames.filter(isObject).map((f) => String(f['ID'])),
        });
      }
    }
  }
  return out;
}
