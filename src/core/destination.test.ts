import { describe, expect, it } from 'vitest';
import { assembles, isPart, partPath, retrievalFormat } from './destination';
import { RetrieveError } from './errors';

describe('destination folders', () => {
  it('keep what each format needs: codestreams for DICOM as stored, pixels for decoded formats', () => {
    expect(retrievalFormat('ahi-retrieve', 'jph')).toBe('jph');
    expect(retrievalFormat('ahi-retrieve', 'raw')).toBe('raw');
    expect(retrievalFormat('dicom', 'raw')).toBe('jph');
    expect(retrievalFormat('dicom-explicit', 'jph')).toBe('raw');
    expect(retrievalFormat('nifti', 'jph')).toBe('raw');
    expect(retrievalFormat('nifti-nii', 'mem')).toBe('raw');
  });

  it('refuse mem for ahi-retrieve, which would write nothing', () => {
    expect(() => retrievalFormat('ahi-retrieve', 'mem')).toThrow(RetrieveError);
    expect(() => retrievalFormat('ahi-retrieve', 'mem')).toThrow(/keeps nothing/);
  });

  it('write parts in the working folder only for formats assembled from several frames', () => {
    const p = partPath({ imageSetId: 'a'.repeat(32), frameId: 'b'.repeat(32) });
    expect(isPart(p)).toBe(true);
    expect(isPart(`x/${'a'.repeat(32)}/${'b'.repeat(32)}.jph`)).toBe(false);
    expect(assembles('ahi-retrieve')).toBe(false);
    expect(['dicom', 'dicom-explicit', 'nifti', 'nifti-nii'].every(assembles)).toBe(true);
  });
});
