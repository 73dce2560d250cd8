/**
 * SearchImageSets as AHI's service model defines it: SearchCriteria with 1-2 filters (EQUAL or
 * BETWEEN; each value a tagged union of one search attribute), an optional sort (updatedAt,
 * createdAt or DICOMStudyDateAndTime; ASC or DESC; default updatedAt DESC), maxResults 1..50 and a
 * nextToken that is bound to the search it came from. Every rule broken is a ValidationException
 * that names the member, as AWS's are.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Http2ServerResponse } from 'node:http2';
import { sendJson, type ServerContext } from '../context';
import { AhiError } from '../http';
import type { ImageSet } from '../imageSet';

type Operator = 'EQUAL' | 'BETWEEN';
type SortField = 'updatedAt' | 'createdAt' | 'DICOMStudyDateAndTime';

const STRING_ATTRIBUTES = {
  DICOMPatientId: 64,
  DICOMAccessionNumber: 64,
  DICOMStudyId: 16,
  DICOMStudyInstanceUID: 64,
  DICOMSeriesInstanceUID: 64,
} as const;
type StringAttribute = keyof typeof STRING_ATTRIBUTES;
const ATTRIBUTES = [
  ...(Object.keys(STRING_ATTRIBUTES) as StringAttribute[]),
  'createdAt',
  'updatedAt',
  'DICOMStudyDateAndTime',
  'isPrimary',
] as const;
type Attribute = (typeof ATTRIBUTES)[number];

const UID_RE = /^(?:[0-9][0-9]*|0)(?:\.(?:[1-9][0-9]*|0))*$/;
const DATE_RE = /^(\d{4})(\d{2})(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3])(?:([0-5]\d)(?:([0-5]\d)(?:\.(\d{1,6}))?)?)?$/;

/** A value normalised for comparison: a string, a number (seconds), or a boolean. */
type Comparable = string | number | boolean;

interface Filter {
  attribute: Attribute;
  operator: Operator;
  values: Comparable[];
}

interface Criteria {
  filters: Filter[];
  sort: { sortField: SortField; sortOrder: 'ASC' | 'DESC' };
}

const invalid = (member: string, rule: string) =>
  new AhiError(
    400,
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${rule}`,
  );

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkDate(date: unknown, member: string): string {
  const m = typeof date === 'string' ? DATE_RE.exec(date) : null;
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
  if (!m || !d || d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!)
    throw invalid(member, `Member must be a DICOM date YYYYMMDD, got ${JSON.stringify(date)}`);
  return date as string;
}

/** HHMMSS.ffffff, padded from what was given with `fill` (the lower or upper end of a range). */
function checkTime(time: unknown, member: string, fill: 'low' | 'high'): string {
  if (time === undefined || time === '') return fill === 'low' ? '000000.000000' : '235959.999999';
  const m = typeof time === 'string' ? TIME_RE.exec(time) : null;
  if (!m)
    throw invalid(member, `Member must be a DICOM time HHMMSS.FFFFFF, got ${JSON.stringify(time)}`);
  const pad = fill === 'low' ? '0' : '9';
  const hh = m[1]!;
  const mm = m[2] ?? (fill === 'low' ? '00' : '59');
  const ss = m[3] ?? (fill === 'low' ? '00' : '59');
  const frac = (m[4] ?? '').padEnd(6, m[4] === undefined ? pad : '0');
  return `${hh}${mm}${ss}.${frac}`;
}

function parseValue(
  raw: unknown,
  member: string,
  end: 'low' | 'high',
): { attribute: Attribute; value: Comparable } {
  if (!isObject(raw)) throw invalid(member, 'Member must be a SearchByAttributeValue object');
  const keys = Object.keys(raw);
  if (keys.length !== 1)
    throw invalid(
      member,
      `Member must set exactly one of ${ATTRIBUTES.join(', ')} (a tagged union), got ${keys.length ? keys.join(', ') : 'none'}`,
    );
  const attribute = keys[0] as Attribute;
  const v = raw[attribute];
  const at = `${member}.${attribute}`;
  if (!ATTRIBUTES.includes(attribute))
    throw invalid(member, `Member must be one of ${ATTRIBUTES.join(', ')}, got ${attribute}`);
  if (attribute in STRING_ATTRIBUTES) {
    const max = STRING_ATTRIBUTES[attribute as StringAttribute];
    if (typeof v !== 'string') throw invalid(at, 'Member must be a string');
    if (v.length > max) throw invalid(at, `Member must have length less than or equal to ${max}`);
    if (attribute.endsWith('InstanceUID') && v !== '' && !UID_RE.test(v))
      throw invalid(at, `Member must satisfy regular expression pattern: ${UID_RE.source}`);
    return { attribute, value: v };
  }
  if (attribute === 'createdAt' || attribute === 'updatedAt') {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw invalid(at, 'Member must be a timestamp (seconds since the epoch)');
    return { attribute, value: v };
  }
  if (attribute === 'isPrimary') {
    if (typeof v !== 'boolean') throw invalid(at, 'Member must be a boolean');
    return { attribute, value: v };
  }
  if (!isObject(v)) throw invalid(at, 'Member must be an object with DICOMStudyDate');
  const date = checkDate(v['DICOMStudyDate'], `${at}.DICOMStudyDate`);
  const time = checkTime(v['DICOMStudyTime'], `${at}.DICOMStudyTime`, end);
  return { attribute, value: `${date}${time}` };
}

function parseFilter(raw: unknown, member: string): Filter {
  if (!isObject(raw)) throw invalid(member, 'Member must be a SearchFilter object');
  const operator = raw['operator'];
  if (operator !== 'EQUAL' && operator !== 'BETWEEN')
    throw invalid(
      `${member}.operator`,
      `Member must satisfy enum value set: [EQUAL, BETWEEN], got ${JSON.stringify(operator)}`,
    );
  const values = raw['values'];
  if (!Array.isArray(values)) throw invalid(`${member}.values`, 'Member must not be null');
  const wanted = operator === 'EQUAL' ? 1 : 2;
  if (values.length !== wanted)
    throw invalid(
      `${member}.values`,
      operator === 'EQUAL'
        ? `EQUAL takes exactly 1 value, got ${values.length}`
        : `BETWEEN takes exactly 2 values (lowerBound, upperBound), got ${values.length}`,
    );
  const parsed = values.map((v, i) =>
    parseValue(v, `${member}.values.${i + 1}.member`, i === 0 ? 'low' : 'high'),
  );
  const attribute = parsed[0]!.attribute;
  if (parsed.some((p) => p.attribute !== attribute))
    throw invalid(`${member}.values`, 'Both values of BETWEEN must be the same attribute');
  const betweenOnly = attribute === 'createdAt' || attribute === 'updatedAt';
  const equalOnly = attribute in STRING_ATTRIBUTES || attribute === 'isPrimary';
  if (betweenOnly && operator !== 'BETWEEN')
    throw invalid(`${member}.operator`, `${attribute} can only be searched with BETWEEN`);
  if (equalOnly && operator !== 'EQUAL')
    throw invalid(`${member}.operator`, `${attribute} can only be searched with EQUAL`);
  if (operator === 'BETWEEN' && parsed[0]!.value > parsed[1]!.value)
    throw invalid(`${member}.values`, 'The lower bound of BETWEEN must not be after the upper');
  return { attribute, operator, values: parsed.map((p) => p.value) };
}

/** Parses and validates a SearchCriteria body (an empty body searches everything). */
export function parseCriteria(body: Buffer): Criteria {
  let raw: unknown = {};
  const text = body.toString('utf8').trim();
  if (text !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new AhiError(400, 'ValidationException', 'Request body is not valid JSON');
    }
  }
  if (!isObject(raw)) throw invalid('searchCriteria', 'Member must be a SearchCriteria object');
  let filters: Filter[] = [];
  if (raw['filters'] !== undefined) {
    const list = raw['filters'];
    if (!Array.isArray(list)) throw invalid('searchCriteria.filters', 'Member must be a list');
    if (list.length < 1)
      throw invalid('searchCriteria.filters', 'Member must have length greater than or equal to 1');
    if (list.length > 2)
      throw invalid('searchCriteria.filters', 'Member must have length less than or equal to 2');
    filters = list.map((f, i) => parseFilter(f, `searchCriteria.filters.${i + 1}.member`));
  }
  let sort: Criteria['sort'] = { sortField: 'updatedAt', sortOrder: 'DESC' };
  if (raw['sort'] !== undefined) {
    const s = raw['sort'];
    if (!isObject(s)) throw invalid('searchCriteria.sort', 'Member must be a Sort object');
    const field = s['sortField'];
    const order = s['sortOrder'];
    if (field !== 'updatedAt' && field !== 'createdAt' && field !== 'DICOMStudyDateAndTime')
      throw invalid(
        'searchCriteria.sort.sortField',
        `Member must satisfy enum value set: [updatedAt, createdAt, DICOMStudyDateAndTime], got ${JSON.stringify(field)}`,
      );
    if (order !== 'ASC' && order !== 'DESC')
      throw invalid(
        'searchCriteria.sort.sortOrder',
        `Member must satisfy enum value set: [ASC, DESC], got ${JSON.stringify(order)}`,
      );
    sort = { sortField: field, sortOrder: order };
  }
  return { filters, sort };
}

const seconds = (d: Date) => d.getTime() / 1000;
const study = (s: ImageSet) => s.metadata.Study.DICOM;
/** A DICOM attribute as the text AHI compares (absent: empty). */
const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : '';

function studyDateTime(s: ImageSet): string {
  const date = str(study(s)['StudyDate']);
  const time = str(study(s)['StudyTime']);
  return `${date}${checkTime(time, 'StudyTime', 'low')}`;
}

function valueOf(s: ImageSet, attribute: Attribute): Comparable | Comparable[] {
  switch (attribute) {
    case 'DICOMPatientId':
      return str(s.metadata.Patient.DICOM['PatientID']);
    case 'DICOMAccessionNumber':
      return str(study(s)['AccessionNumber']);
    case 'DICOMStudyId':
      return str(study(s)['StudyID']);
    case 'DICOMStudyInstanceUID':
      return str(study(s)['StudyInstanceUID']);
    case 'DICOMSeriesInstanceUID':
      return Object.keys(s.metadata.Study.Series);
    case 'createdAt':
      return seconds(s.createdAt);
    case 'updatedAt':
      return seconds(s.updatedAt ?? s.createdAt);
    case 'isPrimary':
      return s.isPrimary ?? true;
    case 'DICOMStudyDateAndTime':
      return studyDateTime(s);
  }
}

function matches(s: ImageSet, f: Filter): boolean {
  const v = valueOf(s, f.attribute);
  const candidates = Array.isArray(v) ? v : [v];
  return candidates.some((c) => {
    if (f.operator === 'BETWEEN') return c >= f.values[0]! && c <= f.values[1]!;
    if (f.attribute === 'DICOMStudyDateAndTime') {
      // EQUAL: the same date, and the same time when one was given (a prefix of the stored one).
      const wanted = String(f.values[0]);
      return (
        String(c).slice(0, 8) === wanted.slice(0, 8) &&
        (wanted.slice(8) === '000000.000000' || c === wanted)
      );
    }
    return c === f.values[0];
  });
}

function sortKey(s: ImageSet, field: SortField): string | number {
  if (field === 'DICOMStudyDateAndTime') return studyDateTime(s);
  return field === 'createdAt' ? s.createdAt.getTime() : (s.updatedAt ?? s.createdAt).getTime();
}

function summary(s: ImageSet) {
  const patient = s.metadata.Patient.DICOM;
  const st = study(s);
  const series = Object.values(s.metadata.Study.Series);
  const first = series[0]?.DICOM ?? {};
  const tag = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : v);
  const tags: Record<string, unknown> = {
    DICOMPatientId: tag(patient['PatientID']),
    DICOMPatientName: tag(patient['PatientName']),
    DICOMPatientBirthDate: tag(patient['PatientBirthDate']),
    DICOMPatientSex: tag(patient['PatientSex']),
    DICOMStudyInstanceUID: tag(st['StudyInstanceUID']),
    DICOMStudyId: tag(st['StudyID']),
    DICOMStudyDescription: tag(st['StudyDescription']),
    DICOMNumberOfStudyRelatedSeries: series.length,
    DICOMNumberOfStudyRelatedInstances: series.reduce(
      (n, x) => n + Object.keys(x.Instances).length,
      0,
    ),
    DICOMAccessionNumber: tag(st['AccessionNumber']),
    DICOMSeriesInstanceUID: tag(first['SeriesInstanceUID']),
    DICOMSeriesModality: tag(first['Modality']),
    DICOMSeriesBodyPart: tag(first['BodyPartExamined']),
    DICOMSeriesNumber:
      tag(first['SeriesNumber']) === undefined ? undefined : Number(first['SeriesNumber']),
    DICOMStudyDate: tag(st['StudyDate']),
    DICOMStudyTime: tag(st['StudyTime']),
  };
  const updated = s.updatedAt ?? s.createdAt;
  return {
    imageSetId: s.imageSetId,
    version: 1,
    createdAt: seconds(s.createdAt),
    updatedAt: seconds(updated),
    lastAccessedAt: seconds(updated),
    storageTier: s.storageTier ?? 'FREQUENT_ACCESS',
    isPrimary: s.isPrimary ?? true,
    DICOMTags: Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== undefined)),
  };
}

/** A nextToken: where the next page starts, and which search it belongs to, signed. */
function makeToken(ctx: ServerContext, offset: number, fingerprint: string): string {
  const payload = Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
  return `${payload}.${createHmac('sha256', ctx.auth.mintKey).update(payload).digest('base64url')}`;
}

function readToken(ctx: ServerContext, token: string, fingerprint: string): number {
  const [payload, mac] = token.split('.');
  const expected =
    payload && createHmac('sha256', ctx.auth.mintKey).update(payload).digest('base64url');
  if (!payload || mac !== expected)
    throw new AhiError(
      400,
      'ValidationException',
      'Invalid nextToken: it was not issued by this service',
    );
  const { o, f } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    o: number;
    f: string;
  };
  if (f !== fingerprint)
    throw new AhiError(
      400,
      'ValidationException',
      'Invalid nextToken: it belongs to another search (a different datastore, filters or sort); start again without it',
    );
  return o;
}

export function searchImageSets(
  ctx: ServerContext,
  res: Http2ServerResponse,
  datastoreId: string,
  url: URL,
  body: Buffer,
): void {
  const rawMax = url.searchParams.get('maxResults');
  const maxResults = rawMax === null ? 50 : Number(rawMax);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50)
    throw invalid('maxResults', `Member must be an integer from 1 to 50, got '${rawMax}'`);
  const token = url.searchParams.get('nextToken');
  if (token !== null && (token.length < 1 || token.length > 8192))
    throw invalid('nextToken', 'Member must have length between 1 and 8192');
  const criteria = parseCriteria(body);
  if (ctx.faults().searchThrottled())
    throw new AhiError(429, 'ThrottlingException', 'Rate exceeded for SearchImageSets');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([datastoreId, criteria]))
    .digest('base64url');
  const offset = token === null ? 0 : readToken(ctx, token, fingerprint);
  const { sortField, sortOrder } = criteria.sort;
  const sign = sortOrder === 'ASC' ? 1 : -1;
  const found = [...ctx.sets.values()]
    .filter((s) => s.datastoreId === datastoreId && criteria.filters.every((f) => matches(s, f)))
    .sort((a, b) => {
      const ka = sortKey(a, sortField);
      const kb = sortKey(b, sortField);
      if (ka !== kb) return ka < kb ? -sign : sign;
      return a.imageSetId < b.imageSetId ? -1 : 1;
    });
  const page = found.slice(offset, offset + maxResults);
  const next = offset + maxResults < found.length ? offset + maxResults : undefined;
  sendJson(ctx, res, 200, {
    imageSetsMetadataSummaries: page.map(summary),
    sort: criteria.sort,
    ...(next !== undefined ? { nextToken: makeToken(ctx, next, fingerprint) } : {}),
  });
}
