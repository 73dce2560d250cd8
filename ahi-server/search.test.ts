/**
 * SearchImageSets, ListDatastores and GetDatastore of the local AHI against its research cohort,
 * signed by aws4fetch and sent over HTTP/2: every filter and operator (the expected image sets
 * worked out here from the documents, not by the server's code), AHI's validation errors, paging
 * by nextToken (each image set once; a token bound to its search), each sort order, throttling,
 * and the control plane with and without CORS.
 */
import { readFile } from 'node:fs/promises';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from './imageSet';
import { COHORT_DATASTORE_ID, DATASTORE_ID, J2K_DATASTORE_ID } from './imageSet';
import { EXAMPLE_CREDENTIALS } from './knobs';
import { COHORT_SIZE } from './sets/cohort';
import { h2request, sendSigned, startTestServer } from './testing';
import type { LocalAhi } from './index';

interface Summary {
  imageSetId: string;
  createdAt: number;
  updatedAt: number;
  isPrimary: boolean;
  storageTier: string;
  DICOMTags: Record<string, string | number | undefined>;
}
interface Page {
  imageSetsMetadataSummaries: Summary[];
  nextToken?: string;
  sort: { sortField: string; sortOrder: string };
}

let local: LocalAhi;
let ca: Buffer;
let cohort: ImageSet[];

const aws = new AwsClient({
  ...EXAMPLE_CREDENTIALS,
  service: 'medical-imaging',
  region: 'us-east-1',
  retries: 0,
});

async function call(query: string, body: unknown, datastoreId = COHORT_DATASTORE_ID) {
  const url = `${local.api.url}/datastore/${datastoreId}/searchImageSets${query}`;
  const r = await sendSigned(
    await aws.sign(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    ca,
  );
  const json = JSON.parse(r.body.toString()) as Page & { message?: string };
  return { status: r.status, type: r.headers['x-amzn-errortype'], json };
}

/** Every page of a search, in order. */
async function all(body: unknown, maxResults = 50): Promise<Summary[][]> {
  const pages: Summary[][] = [];
  let token: string | undefined;
  do {
    const q = `?maxResults=${maxResults}${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const r = await call(q, body);
    expect(r.status, r.json.message).toBe(200);
    pages.push(r.json.imageSetsMetadataSummaries);
    token = r.json.nextToken;
  } while (token);
  return pages;
}

const ids = async (body: unknown) =>
  (await all(body))
    .flat()
    .map((s) => s.imageSetId)
    .sort();
const where = (keep: (s: ImageSet) => boolean) =>
  cohort
    .filter(keep)
    .map((s) => s.imageSetId)
    .sort();
const study = (s: ImageSet) => s.metadata.Study.DICOM as Record<string, string>;
const eq = (value: Record<string, unknown>) => ({
  filters: [{ operator: 'EQUAL', values: [value] }],
});
const between = (lo: Record<string, unknown>, hi: Record<string, unknown>) => ({
  filters: [{ operator: 'BETWEEN', values: [lo, hi] }],
});

beforeAll(async () => {
  local = await startTestServer();
  ca = await readFile('.cache/tls/cert.pem');
  cohort = local.imageSets.filter((s) => s.datastoreId === COHORT_DATASTORE_ID);
});
afterAll(() => local.close());

describe('the research cohort', () => {
  it('is a realistic datastore: patients, studies, modalities, dates, a copy, an archived study', () => {
    expect(cohort.length).toBe(COHORT_SIZE);
    expect(cohort.length).toBeGreaterThanOrEqual(120);
    const patients = new Set(cohort.map((s) => s.metadata.Patient.DICOM['PatientID']));
    const studies = new Set(cohort.map((s) => study(s)['StudyInstanceUID']));
    const modalities = new Set(
      cohort.flatMap((s) => Object.values(s.metadata.Study.Series).map((x) => x.DICOM['Modality'])),
    );
    expect(patients.size).toBeGreaterThanOrEqual(3);
    expect(studies.size).toBeGreaterThanOrEqual(6);
    expect([...modalities].sort()).toEqual(['CR', 'CT', 'MR', 'NM', 'US', 'XA']);
    expect(cohort.some((s) => Object.keys(s.metadata.Study.Series).length > 2)).toBe(true);
    expect(cohort.filter((s) => s.isPrimary === false)).toHaveLength(1);
    expect(cohort.filter((s) => s.storageTier === 'ARCHIVE_INSTANT_ACCESS')).toHaveLength(1);
    // The demo buttons stay the few demo image sets.
    expect(cohort.every((s) => s.demo === false)).toBe(true);
  });
});

describe('SearchImageSets filters', () => {
  it('DICOMPatientId EQUAL finds that patient’s image sets, with summaries AHI’s shape', async () => {
    const r = await call('', eq({ DICOMPatientId: 'COH-0001' }));
    expect(r.status).toBe(200);
    const found = r.json.imageSetsMetadataSummaries;
    expect(found.map((s) => s.imageSetId).sort()).toEqual(
      where((s) => s.metadata.Patient.DICOM['PatientID'] === 'COH-0001'),
    );
    expect(found).toHaveLength(3);
    const mr = found.find((s) => s.DICOMTags['DICOMStudyDescription'] === 'MR BRAIN')!;
    expect(mr).toMatchObject({
      isPrimary: true,
      storageTier: 'FREQUENT_ACCESS',
      DICOMTags: {
        DICOMPatientName: 'DOE^JANE',
        DICOMPatientSex: 'F',
        DICOMPatientBirthDate: '19610412',
        DICOMStudyDate: '20250120',
        DICOMAccessionNumber: 'ACC-25-0120',
        DICOMNumberOfStudyRelatedSeries: 3,
        DICOMNumberOfStudyRelatedInstances: 6,
        DICOMSeriesModality: 'MR',
        DICOMSeriesBodyPart: 'BRAIN',
      },
    });
  });

  it('DICOMAccessionNumber, DICOMStudyId, DICOMStudyInstanceUID and DICOMSeriesInstanceUID EQUAL', async () => {
    const ct = cohort.find((s) => study(s)['AccessionNumber'] === 'ACC-24-0505A')!;
    expect(await ids(eq({ DICOMAccessionNumber: 'ACC-24-0505A' }))).toEqual(
      where((s) => study(s)['AccessionNumber'] === 'ACC-24-0505A'),
    );
    // The study's non-primary copy shares its UID and accession.
    expect(await ids(eq({ DICOMStudyInstanceUID: study(ct)['StudyInstanceUID'] }))).toHaveLength(2);
    expect(await ids(eq({ DICOMStudyId: study(ct)['StudyID'] }))).toEqual(
      where((s) => study(s)['StudyID'] === study(ct)['StudyID']),
    );
    const series = Object.keys(ct.metadata.Study.Series)[1]!;
    expect(await ids(eq({ DICOMSeriesInstanceUID: series }))).toEqual(
      where((s) => series in s.metadata.Study.Series),
    );
    expect(await ids(eq({ DICOMPatientId: 'NOBODY' }))).toEqual([]);
  });

  it('DICOMStudyDateAndTime EQUAL (a date, or a date and time) and BETWEEN (inclusive)', async () => {
    expect(await ids(eq({ DICOMStudyDateAndTime: { DICOMStudyDate: '20240505' } }))).toEqual(
      where((s) => study(s)['StudyDate'] === '20240505'),
    );
    expect(
      await ids(
        eq({ DICOMStudyDateAndTime: { DICOMStudyDate: '20240505', DICOMStudyTime: '153000' } }),
      ),
    ).toEqual(where((s) => study(s)['AccessionNumber'] === 'ACC-24-0505B'));
    const in2024 = where((s) => study(s)['StudyDate']!.startsWith('2024'));
    expect(in2024.length).toBeGreaterThan(20);
    expect(
      await ids(
        between(
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20240101' } },
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20241231' } },
        ),
      ),
    ).toEqual(in2024);
    // Times narrow a range's ends.
    expect(
      await ids(
        between(
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20240505', DICOMStudyTime: '120000' } },
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20240505', DICOMStudyTime: '235959' } },
        ),
      ),
    ).toEqual(where((s) => study(s)['AccessionNumber'] === 'ACC-24-0505B'));
  });

  it('createdAt and updatedAt BETWEEN (seconds since the epoch)', async () => {
    const lo = Date.UTC(2024, 0, 1) / 1000;
    const hi = Date.UTC(2024, 11, 31) / 1000;
    expect(await ids(between({ createdAt: lo }, { createdAt: hi }))).toEqual(
      where((s) => s.createdAt.getTime() / 1000 >= lo && s.createdAt.getTime() / 1000 <= hi),
    );
    const updated = (s: ImageSet) => (s.updatedAt ?? s.createdAt).getTime() / 1000;
    const byUpdate = where((s) => updated(s) >= lo && updated(s) <= hi);
    expect(byUpdate).not.toEqual(
      where((s) => s.createdAt.getTime() / 1000 >= lo && s.createdAt.getTime() / 1000 <= hi),
    );
    expect(await ids(between({ updatedAt: lo }, { updatedAt: hi }))).toEqual(byUpdate);
  });

  it('isPrimary EQUAL, and two filters together', async () => {
    expect(await ids(eq({ isPrimary: false }))).toEqual(where((s) => s.isPrimary === false));
    expect(
      await ids({
        filters: [
          { operator: 'EQUAL', values: [{ DICOMPatientId: 'COH-0001' }] },
          {
            operator: 'BETWEEN',
            values: [
              { DICOMStudyDateAndTime: { DICOMStudyDate: '20240101' } },
              { DICOMStudyDateAndTime: { DICOMStudyDate: '20251231' } },
            ],
          },
        ],
      }),
    ).toEqual(
      where(
        (s) =>
          s.metadata.Patient.DICOM['PatientID'] === 'COH-0001' && study(s)['StudyDate']! >= '2024',
      ),
    );
  });

  it('answers only for the datastore asked (and 404 for an unknown one)', async () => {
    const demo = await call('', {}, DATASTORE_ID);
    expect(demo.json.imageSetsMetadataSummaries.map((s) => s.imageSetId).sort()).toEqual(
      local.imageSets
        .filter((s) => s.datastoreId === DATASTORE_ID)
        .map((s) => s.imageSetId)
        .sort(),
    );
    const j2k = await call('', {}, J2K_DATASTORE_ID);
    expect(j2k.json.imageSetsMetadataSummaries).toHaveLength(1);
    const unknown = await call('', {}, 'f'.repeat(32));
    expect([unknown.status, unknown.type]).toEqual([404, 'ResourceNotFoundException']);
  });
});

describe('SearchImageSets validation', () => {
  const rejects = async (body: unknown, member: RegExp, query = '') => {
    const r = await call(query, body);
    expect(r.status).toBe(400);
    expect(r.type).toBe('ValidationException');
    expect(r.json.message).toMatch(member);
  };
  const patient = { operator: 'EQUAL', values: [{ DICOMPatientId: 'COH-0001' }] };

  it('refuses 3 filters, and an empty list', async () => {
    await rejects(
      { filters: [patient, patient, patient] },
      /searchCriteria\.filters.*less than or equal to 2/,
    );
    await rejects({ filters: [] }, /searchCriteria\.filters.*greater than or equal to 1/);
  });

  it('refuses BETWEEN with one value, EQUAL with two, and the wrong operator for an attribute', async () => {
    await rejects(
      { filters: [{ operator: 'BETWEEN', values: [{ createdAt: 0 }] }] },
      /filters\.1\.member\.values.*BETWEEN takes exactly 2 values/,
    );
    await rejects(
      {
        filters: [
          { operator: 'EQUAL', values: [{ DICOMPatientId: 'A' }, { DICOMPatientId: 'B' }] },
        ],
      },
      /EQUAL takes exactly 1 value/,
    );
    await rejects(eq({ createdAt: 0 }), /createdAt can only be searched with BETWEEN/);
    await rejects(
      between({ DICOMPatientId: 'A' }, { DICOMPatientId: 'B' }),
      /DICOMPatientId can only be searched with EQUAL/,
    );
    await rejects(
      between({ createdAt: 10 }, { createdAt: 5 }),
      /lower bound of BETWEEN must not be after the upper/,
    );
    await rejects(
      { filters: [{ operator: 'LIKE', values: [{ DICOMPatientId: 'A' }] }] },
      /operator.*\[EQUAL, BETWEEN\]/,
    );
  });

  it('refuses a malformed date or time, an unknown attribute, two attributes in one value', async () => {
    await rejects(
      eq({ DICOMStudyDateAndTime: { DICOMStudyDate: '2024-05-05' } }),
      /DICOMStudyDateAndTime\.DICOMStudyDate.*YYYYMMDD/,
    );
    await rejects(eq({ DICOMStudyDateAndTime: { DICOMStudyDate: '20241301' } }), /YYYYMMDD/);
    await rejects(
      eq({ DICOMStudyDateAndTime: { DICOMStudyDate: '20240505', DICOMStudyTime: '25' } }),
      /DICOMStudyTime.*HHMMSS/,
    );
    await rejects(eq({ PatientName: 'DOE' }), /must be one of DICOMPatientId/);
    await rejects(eq({ DICOMPatientId: 'A', DICOMStudyId: '1' }), /exactly one of/);
    await rejects(eq({ DICOMStudyInstanceUID: '1.2.abc' }), /regular expression pattern/);
    await rejects(eq({ DICOMStudyId: 'x'.repeat(17) }), /less than or equal to 16/);
    await rejects('{not json', /not valid JSON/);
  });

  it('refuses a sort outside the model, and maxResults outside 1..50', async () => {
    await rejects(
      { sort: { sortField: 'patientName', sortOrder: 'ASC' } },
      /sortField.*updatedAt, createdAt, DICOMStudyDateAndTime/,
    );
    await rejects(
      { sort: { sortField: 'createdAt', sortOrder: 'UP' } },
      /sortOrder.*\[ASC, DESC\]/,
    );
    await rejects({}, /maxResults/, '?maxResults=0');
    await rejects({}, /maxResults/, '?maxResults=51');
  });
});

describe('SearchImageSets paging and sorting', () => {
  it('returns every image set exactly once across pages', async () => {
    const pages = await all({}, 50);
    expect(pages.map((p) => p.length)).toEqual([50, 50, COHORT_SIZE - 100]);
    const seen = pages.flat().map((s) => s.imageSetId);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(where(() => true));
    const small = await all({}, 7);
    expect(small).toHaveLength(Math.ceil(COHORT_SIZE / 7));
    expect(small.flat().map((s) => s.imageSetId)).toEqual(seen);
  });

  it('refuses a nextToken replayed with another search, or one it did not issue', async () => {
    const first = await call('?maxResults=10', {});
    const token = encodeURIComponent(first.json.nextToken!);
    const other = await call(`?maxResults=10&nextToken=${token}`, eq({ isPrimary: true }));
    expect([other.status, other.type]).toEqual([400, 'ValidationException']);
    expect(other.json.message).toMatch(/belongs to another search/);
    const resorted = await call(`?maxResults=10&nextToken=${token}`, {
      sort: { sortField: 'createdAt', sortOrder: 'ASC' },
    });
    expect(resorted.status).toBe(400);
    const forged = await call(`?nextToken=${token.slice(0, -3)}abc`, {});
    expect(forged.json.message).toMatch(/not issued by this service/);
    const same = await call(`?maxResults=10&nextToken=${token}`, {});
    expect(same.status).toBe(200);
  });

  it('sorts by each field and order (default updatedAt DESC)', async () => {
    const dateTime = (s: Summary) =>
      `${s.DICOMTags['DICOMStudyDate']}${s.DICOMTags['DICOMStudyTime']}`;
    const keys: Record<string, (s: Summary) => string | number> = {
      updatedAt: (s: Summary) => s.updatedAt,
      createdAt: (s: Summary) => s.createdAt,
      DICOMStudyDateAndTime: dateTime,
    };
    const byDefault = (await all({})).flat();
    for (const [field, key] of Object.entries(keys)) {
      for (const order of ['ASC', 'DESC']) {
        const found = (await all({ sort: { sortField: field, sortOrder: order } })).flat();
        expect(found).toHaveLength(COHORT_SIZE);
        const values = found.map(key);
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(values, `${field} ${order}`).toEqual(order === 'ASC' ? sorted : sorted.reverse());
        if (field === 'updatedAt' && order === 'DESC') expect(found).toEqual(byDefault);
      }
    }
    const r = await call('', {});
    expect(r.json.sort).toEqual({ sortField: 'updatedAt', sortOrder: 'DESC' });
  });

  it('answers 429 ThrottlingException past the search quota knob', async () => {
    local.api.setKnobs({ searchThrottleRps: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call('?maxResults=1', {})).status);
      expect(statuses).toContain(429);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
    } finally {
      local.api.setKnobs({ searchThrottleRps: 0 });
    }
  });
});

describe('the control plane', () => {
  const get = async (path: string) => {
    const r = await sendSigned(await aws.sign(`${local.api.url}${path}`, { method: 'GET' }), ca);
    return { ...r, json: JSON.parse(r.body.toString() || '{}') as Record<string, unknown> };
  };

  it('lists the datastores (ListDatastores) and describes each (GetDatastore), with CORS', async () => {
    const list = await get('/datastore');
    expect(list.status).toBe(200);
    expect(list.headers['access-control-allow-origin']).toBe('*');
    const summaries = list.json['datastoreSummaries'] as {
      datastoreId: string;
      datastoreName: string;
      datastoreStatus: string;
    }[];
    expect(summaries.map((d) => d.datastoreId)).toEqual([
      DATASTORE_ID,
      J2K_DATASTORE_ID,
      COHORT_DATASTORE_ID,
    ]);
    expect(summaries.every((d) => d.datastoreStatus === 'ACTIVE')).toBe(true);
    const paged = await get('/datastore?maxResults=2');
    expect((paged.json['datastoreSummaries'] as unknown[]).length).toBe(2);
    expect(paged.json['nextToken']).toBeDefined();
    const j2k = await get(`/datastore/${J2K_DATASTORE_ID}`);
    expect(j2k.json['datastoreProperties']).toMatchObject({
      datastoreId: J2K_DATASTORE_ID,
      losslessStorageFormat: 'JPEG_2000_LOSSLESS',
    });
    const missing = await get(`/datastore/${'0'.repeat(32)}`);
    expect([missing.status, missing.headers['x-amzn-errortype']]).toEqual([
      404,
      'ResourceNotFoundException',
    ]);
    const bad = await get('/datastore?datastoreStatus=READY');
    expect(bad.status).toBe(400);
  });

  it('verifies the signature', async () => {
    const r = await h2request(`${local.api.url}/datastore`, { ca });
    expect(r.status).toBe(403);
  });

  it('answers without CORS (preflight refused) when the knob says so', async () => {
    local.api.setKnobs({ controlPlaneNoCors: 1 });
    try {
      const r = await get('/datastore');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await h2request(`${local.api.url}/datastore`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
        ca,
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      // The runtime API keeps its CORS.
      const search = await call('?maxResults=1', {});
      expect(search.status).toBe(200);
    } finally {
      local.api.setKnobs({ controlPlaneNoCors: 0 });
    }
  });
});
