/**
 * The export formats registry: one module per format, registered here by ID. Adding a format
 * is one module and one line.
 */
import { RetrieveError } from '../../core/errors';
import { ahiRetrieveFormat } from './ahiRetrieve';
import { dicomAsStoredFormat, dicomExplicitFormat } from './dicom';
import type { ExportFormat } from './format';
import { niftiGzFormat, niftiRawFormat } from './nifti';

export const EXPORT_FORMATS: readonly ExportFormat[] = [
  ahiRetrieveFormat,
  dicomAsStoredFormat,
  dicomExplicitFormat,
  niftiGzFormat,
  niftiRawFormat,
];

export function exportFormat(id: string): ExportFormat {
  const format = EXPORT_FORMATS.find((f) => f.id === id);
  if (!format) throw new RetrieveError('BadInput', `There is no export format "${id}".`);
  return format;
}
