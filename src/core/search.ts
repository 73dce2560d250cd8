/**
 * Searching a datastore, as AHI's SearchImageSets defines it: the filters a user can set (every
 * search attribute of the service model, each with the operators it allows), checked here with
 * messages that name the filter before any request; the SearchCriteria body they become; and the
 * rows a researcher scans, from the summaries AHI answers with.
 */
import { RetrieveError } from './errors';
import { AHI_ID_RE } from './ids';

export type SearchField =
  | 'DICOMPatientId'
  | 'DICOMAccessionNumber'
  | 'DICOMStudyId'
  | 'DICOMStudyInstanceUID'
  | 'DICOMSeriesInstanceUID'
  | 'DICOMStudyDateAndTime'
  | 'createdAt'
  | 'updatedAt'
  | 'isPrimary';

export type SearchOperator = 'EQUAL' | 'BETWEEN';
export type SortField = 'updatedAt' | 'createdAt' | 'DICOMStudyDateAndTime';
export type SortOrder = 'ASC' | 'DESC';

/** Each search attribute: its label, the operators AHI allows for it, and a value's shape. */
export const SEARCH_FIELDS: Readonly<
  Record<
    SearchField,
    {
      label: string;
      operators: readonly SearchOperator[];
      kind: 'text' | 'uid' | 'date' | 'boolean';
      max?: number;
    }
  >
> = {
  DICOMPatientId: { label: 'Patient ID', operators: ['EQUAL'], kind: 'text', max: 64 },
  DICOMAccessionNumber: { label: 'Accession number', operators: ['EQUAL'], kind: 'text', max: 64 },
  DICOMStudyId: { label: 'Study ID', operators: ['EQUAL'], kind: 'text', max: 16 },
  DICOMStudyInstanceUID: {
    label: 'Study instance UID',
    operators: ['EQUAL'],
    kind: 'uid',
    max: 64,
  },
  DICOMSeriesInstanceUID: {
    label: 'Series instance UID',
    operators: ['EQUAL'],
    kind: 'uid',
    max: 64,
  },
  DICOMStudyDateAndTime: { label: 'Study date', operators: ['EQUAL', 'BETWEEN'], kind: 'date' },
  createdAt: { label: 'Created', operators: ['BETWEEN'], kind: 'date' },
  updatedAt: { label: 'Updated', operators: ['BETWEEN'], kind: 'date' },
  isPrimary: { label: 'Primary', operators: ['EQUAL'], kind: 'boolean' },
};

export const SORT_FIELDS: Readonly<Record<SortField, string>> = {
  updatedAt: 'Updated',
  createdAt: 'Created',
  DICOMStudyDateAndTime: 'Study date',
};

/** AHI's limits: at most 2 filters, 1 to 50 results a page. */
export const MAX_FILTERS = 2;
export const MAX_PAGE = 50;

/** A filter as the form holds it: dates as YYYY-MM-DD (a date input) or YYYYMMDD. */
export interface FilterInput {
  field: SearchField;
  operator: SearchOperator;
  value: string;
  /** BETWEEN's upper bound */
  upper: string;
}

export interface SearchInput {
  datastoreId: string;
  filters: FilterInput[];
  sortField: SortField;
  sortOrder: SortOrder;
  pageSize: number;
}

export const defaultSearch = (): SearchInput => ({
  datastoreId: '',
  filters: [],
  sortField: 'updatedAt',
  sortOrder: 'DESC',
  pageSize: MAX_PAGE,
});

type Value = Record<string, unknown>;

export interface SearchCriteria {
  filters?: { operator: SearchOperator; values: Value[] }[];
  sort: { sortField: SortField; sortOrder: SortOrder };
}

const UID_RE = /^(?:[0-9][0-9]*|0)(?:\.(?:[1-9][0-9]*|0))*$/;

/** YYYY-MM-DD or YYYYMMDD, a real calendar date, as YYYYMMDD. */
function dicomDate(raw: string, what: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(raw.trim());
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
  if (!m || !d || d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!)
    throw new RetrieveError(
      'BadInput',
      `${what}: "${raw}" is not a date (expected YYYY-MM-DD, for example 2024-03-31).`,
    );
  return `${m[1]}${m[2]}${m[3]}`;
}

function value(f: FilterInput, raw: string, end: 'lower' | 'upper', what: string): Value {
  const spec = SEARCH_FIELDS[f.field];
  const text = raw.trim();
  if (spec.kind === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new RetrieveError('BadInput', `${what}: choose yes or no.`);
    return { [f.field]: text === 'true' };
  }
  if (text === '') throw new RetrieveError('BadInput', `${what}: enter a value.`);
  if (spec.kind === 'date') {
    const date = dicomDate(text, what);
    if (f.field === 'DICOMStudyDateAndTime') return { [f.field]: { DICOMStudyDate: date } };
    // createdAt / updatedAt: seconds; an upper bound takes in its whole day (UTC).
    const day = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6)) / 1000;
    return { [f.field]: end === 'lower' ? day : day + 86_399.999 };
  }
  if (spec.max !== undefined && text.length > spec.max)
    throw new RetrieveError(
      'BadInput',
      `${what}: at most ${spec.max} characters (AHI's limit), got ${text.length}.`,
    );
  if (spec.kind === 'uid' && !UID_RE.test(text))
    throw new RetrieveError(
      'BadInput',
      `${what}: "${text}" is not a DICOM UID (digits in groups separated by dots, like 1.2.840.113619.2.55).`,
    );
  return { [f.field]: text };
}

/** The SearchCriteria body for a search; BadInput naming the filter when one is wrong. */
export function buildCriteria(input: SearchInput): SearchCriteria {
  if (input.filters.length > MAX_FILTERS)
    throw new RetrieveError(
      'BadInput',
      `AHI searches with at most ${MAX_FILTERS} filters; remove ${input.filters.length - MAX_FILTERS}.`,
    );
  const filters = input.filters.map((f, i) => {
    const spec = SEARCH_FIELDS[f.field];
    const what = `Filter ${i + 1} (${spec.label})`;
    if (!spec.operators.includes(f.operator))
      throw new RetrieveError(
        'BadInput',
        `${what}: AHI allows only ${spec.operators.join(' or ')} for this attribute.`,
      );
    if (f.operator === 'EQUAL')
      return { operator: f.operator, values: [value(f, f.value, 'lower', what)] };
    const lower = value(f, f.value, 'lower', `${what}, from`);
    const upper = value(f, f.upper, 'upper', `${what}, to`);
    const [lo, hi] = [lower[f.field], upper[f.field]];
    const order = (v: unknown) =>
      typeof v === 'number' ? v : String((v as { DICOMStudyDate: string }).DICOMStudyDate);
    if (order(lo) > order(hi))
      throw new RetrieveError('BadInput', `${what}: "from" is after "to".`);
    return { operator: f.operator, values: [lower, upper] };
  });
  return {
    ...(filters.length ? { filters } : {}),
    sort: { sortField: input.sortField, sortOrder: input.sortOrder },
  };
}

/** Checks the datastore ID a search goes to. */
export function checkDatastoreId(id: string): string {
  const ds = id.trim();
  if (!AHI_ID_RE.test(ds))
    throw new RetrieveError(
      'BadInput',
      ds === ''
        ? 'Choose a datastore, or type its ID (32 lowercase letters or digits).'
        : `Datastore ID "${ds}" should be 32 lowercase letters or digits.`,
    );
  return ds;
}

/** One image set found, as the results table shows it. */
export interface ImageSetRow {
  imageSetId: string;
  version: number;
  patientId: string;
  patientName: string;
  /** YYYYMMDD and HHMMSS, as DICOM keeps them */
  studyDate: string;
  studyTime: string;
  description: string;
  accession: string;
  modality: string;
  bodyPart: string;
  series: number;
  instances: number;
  storageTier: string;
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
  isPrimary: boolean;
  studyUid: string;
  /** the results page it came on (1-based) */
  page: number;
}

const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
/** AHI's timestamps are seconds (JSON numbers); an ISO string is taken too. */
const ms = (v: unknown) =>
  typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) || 0 : 0;

/** A row from one of SearchImageSets' summaries; undefined when it has no image set ID. */
export function rowFromSummary(summary: unknown, page: number): ImageSetRow | undefined {
  if (typeof summary !== 'object' || summary === null) return undefined;
  const s = summary as Record<string, unknown>;
  if (typeof s['imageSetId'] !== 'string') return undefined;
  const t = (
    typeof s['DICOMTags'] === 'object' && s['DICOMTags'] !== null ? s['DICOMTags'] : {}
  ) as Record<string, unknown>;
  return {
    imageSetId: s['imageSetId'],
    version: count(s['version']) || 1,
    patientId: text(t['DICOMPatientId']),
    patientName: text(t['DICOMPatientName']),
    studyDate: text(t['DICOMStudyDate']),
    studyTime: text(t['DICOMStudyTime']),
    description: text(t['DICOMStudyDescription']),
    accession: text(t['DICOMAccessionNumber']),
    modality: text(t['DICOMSeriesModality']),
    bodyPart: text(t['DICOMSeriesBodyPart']),
    series: count(t['DICOMNumberOfStudyRelatedSeries']),
    instances: count(t['DICOMNumberOfStudyRelatedInstances']),
    storageTier: text(s['storageTier']) || 'FREQUENT_ACCESS',
    createdAt: ms(s['createdAt']),
    updatedAt: ms(s['updatedAt']),
    isPrimary: s['isPrimary'] !== false,
    studyUid: text(t['DICOMStudyInstanceUID']),
    page,
  };
}

/** A DICOM date as YYYY-MM-DD (as it is, when it is not one). */
export const isoDate = (dicom: string) =>
  /^\d{8}$/.test(dicom) ? `${dicom.slice(0, 4)}-${dicom.slice(4, 6)}-${dicom.slice(6)}` : dicom;

export type RowColumn = keyof Pick<
  ImageSetRow,
  | 'patientId'
  | 'patientName'
  | 'studyDate'
  | 'description'
  | 'accession'
  | 'modality'
  | 'bodyPart'
  | 'series'
  | 'instances'
  | 'storageTier'
  | 'updatedAt'
  | 'isPrimary'
>;

/** Rows sorted by a column (stable: ties keep their order), for the table's headers. */
export function sortRows(
  rows: readonly ImageSetRow[],
  column: RowColumn,
  ascending: boolean,
): ImageSetRow[] {
  const key = (r: ImageSetRow): string | number =>
    column === 'studyDate'
      ? `${r.studyDate}${r.studyTime}`
      : column === 'isPrimary'
        ? Number(r.isPrimary)
        : r[column];
  const sign = ascending ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const ka = key(a.r);
      const kb = key(b.r);
      if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
      return a.i - b.i;
    })
    .map((x) => x.r);
}
