import { describe, expect, it } from 'vitest';
import {
  buildCriteria,
  checkDatastoreId,
  defaultSearch,
  rowFromSummary,
  sortRows,
  type FilterInput,
  type SearchInput,
} from './search';

const withFilters = (...filters: FilterInput[]): SearchInput => ({
  ...defaultSearch(),
  datastoreId: 'a'.repeat(32),
  filters,
});
const f = (
  field: FilterInput['field'],
  operator: FilterInput['operator'],
  value: string,
  upper = '',
): FilterInput => ({
  field,
  operator,
  value,
  upper,
});

describe('buildCriteria', () => {
  it('builds AHI’s SearchCriteria for each kind of attribute', () => {
    expect(buildCriteria(withFilters(f('DICOMPatientId', 'EQUAL', ' COH-0001 ')))).toEqual({
      filters: [{ operator: 'EQUAL', values: [{ DICOMPatientId: 'COH-0001' }] }],
      sort: { sortField: 'updatedAt', sortOrder: 'DESC' },
    });
    expect(
      buildCriteria(withFilters(f('DICOMStudyDateAndTime', 'BETWEEN', '2024-01-01', '20241231')))
        .filters,
    ).toEqual([
      {
        operator: 'BETWEEN',
        values: [
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20240101' } },
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20241231' } },
        ],
      },
    ]);
    // createdAt in seconds; the upper bound takes in its whole day.
    expect(
      buildCriteria(withFilters(f('createdAt', 'BETWEEN', '2024-01-01', '2024-01-01'))).filters,
    ).toEqual([
      {
        operator: 'BETWEEN',
        values: [{ createdAt: 1704067200 }, { createdAt: 1704067200 + 86_399.999 }],
      },
    ]);
    expect(buildCriteria(withFilters(f('isPrimary', 'EQUAL', 'false'))).filters).toEqual([
      { operator: 'EQUAL', values: [{ isPrimary: false }] },
    ]);
    expect(
      buildCriteria({ ...withFilters(), sortField: 'DICOMStudyDateAndTime', sortOrder: 'ASC' }),
    ).toEqual({
      sort: { sortField: 'DICOMStudyDateAndTime', sortOrder: 'ASC' },
    });
  });

  it('refuses what AHI would, naming the filter', () => {
    const p = f('DICOMPatientId', 'EQUAL', 'A');
    expect(() => buildCriteria(withFilters(p, p, p))).toThrow(/at most 2 filters/);
    expect(() => buildCriteria(withFilters(f('createdAt', 'EQUAL', '2024-01-01')))).toThrow(
      /Filter 1 \(Created\): AHI allows only BETWEEN/,
    );
    expect(() => buildCriteria(withFilters(p, f('DICOMPatientId', 'BETWEEN', 'A', 'B')))).toThrow(
      /Filter 2 \(Patient ID\): AHI allows only EQUAL/,
    );
    expect(() =>
      buildCriteria(withFilters(f('DICOMStudyDateAndTime', 'BETWEEN', '2024-01-01', ''))),
    ).toThrow(/Filter 1 \(Study date\), to: enter a value/);
    expect(() =>
      buildCriteria(withFilters(f('DICOMStudyDateAndTime', 'EQUAL', '2024-02-30'))),
    ).toThrow(/not a date/);
    expect(() =>
      buildCriteria(withFilters(f('DICOMStudyDateAndTime', 'BETWEEN', '2025-01-01', '2024-01-01'))),
    ).toThrow(/"from" is after "to"/);
    expect(() => buildCriteria(withFilters(f('DICOMStudyInstanceUID', 'EQUAL', '1.2.x')))).toThrow(
      /not a DICOM UID/,
    );
    expect(() => buildCriteria(withFilters(f('DICOMStudyId', 'EQUAL', 'x'.repeat(17))))).toThrow(
      /at most 16 characters/,
    );
    expect(() => checkDatastoreId('')).toThrow(/Choose a datastore/);
    expect(() => checkDatastoreId('ABC')).toThrow(/32 lowercase letters or digits/);
  });
});

describe('rows', () => {
  const summary = {
    imageSetId: 'b'.repeat(32),
    version: 2,
    createdAt: 1700000000,
    updatedAt: 1700000100.5,
    storageTier: 'ARCHIVE_INSTANT_ACCESS',
    isPrimary: false,
    DICOMTags: {
      DICOMPatientId: 'P1',
      DICOMPatientName: 'DOE^JANE',
      DICOMStudyDate: '20240505',
      DICOMStudyTime: '110000',
      DICOMNumberOfStudyRelatedSeries: 2,
      DICOMNumberOfStudyRelatedInstances: 9,
      DICOMSeriesModality: 'CT',
    },
  };

  it('reads AHI’s summaries, leaving out what is not one', () => {
    expect(rowFromSummary(summary, 3)).toMatchObject({
      imageSetId: 'b'.repeat(32),
      version: 2,
      patientName: 'DOE^JANE',
      series: 2,
      instances: 9,
      modality: 'CT',
      accession: '',
      storageTier: 'ARCHIVE_INSTANT_ACCESS',
      updatedAt: 1700000100500,
      isPrimary: false,
      page: 3,
    });
    expect(rowFromSummary({ DICOMTags: {} }, 1)).toBeUndefined();
    expect(rowFromSummary(null, 1)).toBeUndefined();
  });

  it('sorts by a column, either way, ties in their order', () => {
    const rows = ['P2', 'P1', 'P3', 'P1'].map((id, i) =>
      rowFromSummary(
        {
          ...summary,
          imageSetId: String(i).repeat(32),
          DICOMTags: { ...summary.DICOMTags, DICOMPatientId: id },
        },
        1,
      )!,
    );
    expect(sortRows(rows, 'patientId', true).map((r) => r.imageSetId[0])).toEqual([
      '1',
      '3',
      '0',
      '2',
    ]);
    expect(sortRows(rows, 'patientId', false).map((r) => r.imageSetId[0])).toEqual([
      '2',
      '0',
      '1',
      '3',
    ]);
  });
});
