/**
 * Folder templates for exports that lay files out by DICOM attributes (issue 22's DICOM and NIfTI
 * formats): `<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>/<SOPInstanceUID>.dcm`,
 * as idc-index lays out its downloads. A template is checked once, with a message naming what is
 * wrong (an unknown field, `..`, an absolute path, an empty folder name, a stray `<` or `>`); each
 * value is made a safe file name the same way every time (characters file systems refuse,
 * Windows' reserved names, trailing dots and spaces, overlong names).
 */
import { RetrieveError } from './errors';

/** The fields a template may name, each a DICOM keyword or an AHI ID. */
export const TEMPLATE_FIELDS = [
  'PatientID',
  'PatientName',
  'StudyInstanceUID',
  'StudyDate',
  'StudyID',
  'StudyDescription',
  'AccessionNumber',
  'SeriesInstanceUID',
  'SeriesNumber',
  'SeriesDescription',
  'Modality',
  'SOPInstanceUID',
  'InstanceNumber',
  'DatastoreID',
  'ImageSetID',
] as const;

export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export const DEFAULT_DICOM_TEMPLATE =
  '<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>/<SOPInstanceUID>.dcm';

/** What a field with no value becomes. */
export const MISSING_VALUE = 'unknown';

/** Longest file or folder name written (most file systems allow 255 bytes; UTF-8 may need 4 a character). */
const MAX_NAME = 120;

type Part = { text: string } | { field: TemplateField };

export interface PathTemplate {
  source: string;
  /** folder and file names, each a list of literal text and fields */
  segments: Part[][];
}

const bad = (template: string, why: string) =>
  new RetrieveError('BadInput', `Folder template "${template}": ${why}`);

/** Parses and checks a template; BadInput saying what is wrong. */
export function parseTemplate(template: string): PathTemplate {
  const source = template.trim();
  if (source === '') throw bad(template, 'it is empty.');
  if (/^[/\\]|^[a-z]:/i.test(source))
    throw bad(template, 'it must be a relative path (no leading / or drive letter).');
  if (source.includes('\\'))
    throw bad(template, 'use / between folders (\\ is not a folder separator everywhere).');
  const segments = source.split('/').map((segment, i, all) => {
    if (segment === '')
      throw bad(
        template,
        i === all.length - 1
          ? 'it ends with /: the last part names the file.'
          : 'it has an empty folder name (//).',
      );
    if (segment === '.' || segment === '..')
      throw bad(template, `"${segment}" is not allowed: every file stays inside the export.`);
    const parts: Part[] = [];
    const re = /<([^<>]*)>|([^<>]+)|([<>])/g;
    for (let m = re.exec(segment); m; m = re.exec(segment)) {
      if (m[3] !== undefined)
        throw bad(template, `a "${m[3]}" without its pair (fields are written <Name>).`);
      if (m[2] !== undefined) {
        parts.push({ text: m[2] });
        continue;
      }
      const name = m[1]!.trim();
      if (!(TEMPLATE_FIELDS as readonly string[]).includes(name))
        throw bad(
          template,
          `there is no field <${name}>; the fields are ${TEMPLATE_FIELDS.map((f) => `<${f}>`).join(', ')}.`,
        );
      parts.push({ field: name as TemplateField });
    }
    return parts;
  });
  return { source, segments };
}

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * A value as a file or folder name, the same way every time: characters Windows, macOS or Linux
 * refuse (and control characters) become _, as do trailing dots and spaces and leading dots (no
 * hidden files, no `..`); Windows' reserved
 * names get a leading _; an empty value becomes MISSING_VALUE; names are cut at MAX_NAME.
 */
export function safeName(value: string): string {
  let name = [...value.normalize('NFC')]
    .map((c) => (/[<>:"/\\|?*]/.test(c) || c.charCodeAt(0) < 32 || c === '\u007f' ? '_' : c))
    .join('')
    .trim();
  name = name
    .replace(/[. ]+$/, (tail) => '_'.repeat(tail.length))
    .replace(/^\.+/, (head) => '_'.repeat(head.length));
  if (name === '') return MISSING_VALUE;
  if (RESERVED.test(name)) name = `_${name}`;
  return [...name].slice(0, MAX_NAME).join('');
}

/** A DICOM value as text: the first of several, a PN's alphabetic form, numbers as written. */
function text(value: unknown): string {
  if (Array.isArray(value)) return value.length ? text(value[0]) : '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'object' && value !== null && 'Alphabetic' in value)
    return text(value.Alphabetic);
  return '';
}

/** The relative path a template gives for these values (each part made safe). */
export function renderTemplate(
  template: PathTemplate,
  values: Partial<Record<TemplateField, unknown>>,
): string {
  return template.segments
    .map((parts) =>
      safeName(
        parts
          .map((p) => ('text' in p ? p.text : text(values[p.field]).trim() || MISSING_VALUE))
          .join(''),
      ),
    )
    .join('/');
}
