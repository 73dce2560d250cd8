/**
 * Manifest parsing and validation. Accepts ahi-retrieve's manifest format and full AHI image set
 * metadata documents (the former is a subset of the latter), one or several per job. Every problem
 * is reported with its JSON path and the rule it broke, so a person can fix the file.
 */
import { RetrieveError } from './errors';
import { ahiIdProblem, describeValue } from './ids';
import { liftMacros, sharedGroups } from './functionalGroups';
import {
  frameKey,
  type PixelDescription,
  type Plan,
  type PlannedFrame,
  type PlanImageSet,
} from './plan';

const MAX_REPORTED = 8;

export interface ManifestSource {
  name: string;
  /** JSON text, or an already parsed value */
  content: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const key = (k: string) => `[${JSON.stringify(k)}]`;

class Problems {
  readonly list: string[] = [];
  add(path: string, rule: string) {
    this.list.push(`${path || '(top level)'}: ${rule}`);
  }
}

/** A DS/IS value that may be a number, a numeric string, a backslash list or an array; first value. */
function numbers(v: unknown): number[] {
  if (typeof v === 'number') return Number.isFinite(v) ? [v] : [];
  if (typeof v === 'string') {
    return v
      .split('\\')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number)
      .filter(Number.isFinite);
  }
  if (Array.isArray(v)) return v.flatMap(numbers);
  return [];
}
const first = (v: unknown): number | undefined => numbers(v)[0];

function pixelDescription(attributes: unknown): PixelDescription | undefined {
  if (!isObject(attributes)) return undefined;
  // An enhanced image keeps its window and rescale in its functional groups (the shared ones,
  // over them the first frame's): used where the instance's own attributes have none.
  const perFrame = attributes['PerFrameFunctionalGroupsSequence'];
  const groups = {
    ...sharedGroups(attributes),
    ...liftMacros(Array.isArray(perFrame) ? perFrame[0] : undefined),
  };
  const dicom = { ...attributes };
  for (const [name, value] of Object.entries(groups)) dicom[name] ??= value;
  const rows = first(dicom['Rows']);
  const columns = first(dicom['Columns']);
  if (rows === undefined || columns === undefined) return undefined;
  const bitsAllocated = first(dicom['BitsAllocated']) ?? 16;
  const centers = numbers(dicom['WindowCenter']);
  const widths = numbers(dicom['WindowWidth']);
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored: first(dicom['BitsStored']) ?? bitsAllocated,
    signed: first(dicom['PixelRepresentation']) === 1,
    samplesPerPixel: first(dicom['SamplesPerPixel']) ?? 1,
    photometric:
      typeof dicom['PhotometricInterpretation'] === 'string'
        ? dicom['PhotometricInterpretation']
        : 'MONOCHROME2',
    rescaleSlope: first(dicom['RescaleSlope']) ?? 1,
    rescaleIntercept: first(dicom['RescaleIntercept']) ?? 0,
    windows: centers.flatMap((center, i) => {
      const width = widths[i];
      return width !== undefined && width > 0 ? [{ center, width }] : [];
    }),
  };
}

function fullResolutionChecksum(frame: Json): number | undefined {
  const levels = frame['PixelDataChecksumFromBaseToFullResolution'];
  if (!Array.isArray(levels)) return undefined;
  let best: { width: number; checksum: number } | undefined;
  for (const level of levels) {
    if (!isObject(level)) continue;
    const width = level['Width'];
    const checksum = level['Checksum'];
    if (typeof width !== 'number' || typeof checksum !== 'number') continue;
    if (!best || width > best.width) best = { width, checksum: checksum >>> 0 };
  }
  return best?.checksum;
}

function parseJson(source: ManifestSource): unknown {
  if (typeof source.content !== 'string') return source.content;
  const text = source.content.replace(/^\uFEFF/, '');
  if (text.trim() === '')
    throw new RetrieveError('BadManifest', `${source.name}: the file is empty`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RetrieveError(
      'BadManifest',
      `${source.name}: not valid JSON (${(e as Error).message})`,
    );
  }
}

/** Walks one document, adding frames to `out`. */
function walk(doc: unknown, problems: Problems, out: PlannedFrame[], sets: PlanImageSet[]) {
  if (!isObject(doc)) {
    problems.add(
      '',
      `expected a JSON object with DatastoreID, ImageSetID and Study, got ${describeValue(doc)}`,
    );
    return;
  }
  const datastoreId = doc['DatastoreID'];
  const imageSetId = doc['ImageSetID'];
  const dsProblem =
    doc['DatastoreID'] === undefined
      ? 'missing (expected the 32-character datastore ID)'
      : ahiIdProblem(datastoreId);
  const isProblem =
    doc['ImageSetID'] === undefined
      ? 'missing (expected the 32-character image set ID)'
      : ahiIdProblem(imageSetId);
  if (dsProblem) problems.add('DatastoreID', dsProblem);
  if (isProblem) problems.add('ImageSetID', isProblem);
  const study = doc['Study'];
  if (!isObject(study)) {
    problems.add(
      'Study',
      study === undefined
        ? 'missing (expected {"Series": {...}})'
        : `expected an object, got ${describeValue(study)}`,
    );
    return;
  }
  const series = study['Series'];
  if (!isObject(series)) {
    problems.add(
      'Study.Series',
      series === undefined
        ? 'missing (expected an object keyed by series UID)'
        : `expected an object keyed by series UID, got ${describeValue(series)}`,
    );
    return;
  }
  const ds = typeof datastoreId === 'string' ? datastoreId : '';
  const is = typeof imageSetId === 'string' ? imageSetId : '';
  let count = 0;
  let hasChecksums = false;
  for (const [seriesUid, s] of Object.entries(series)) {
    const sPath = `Study.Series${key(seriesUid)}`;
    if (!isObject(s)) {
      problems.add(sPath, `expected an object with Instances, got ${describeValue(s)}`);
      continue;
    }
    const seriesLabel = describeSeries(s['DICOM']);
    const instances = s['Instances'];
    if (!isObject(instances)) {
      problems.add(
        `${sPath}.Instances`,
        instances === undefined
          ? 'missing (expected an object keyed by SOP instance UID)'
          : `expected an object keyed by SOP instance UID, got ${describeValue(instances)}`,
      );
      continue;
    }
    for (const [instanceUid, inst] of Object.entries(instances)) {
      const iPath = `${sPath}.Instances${key(instanceUid)}`;
      if (!isObject(inst)) {
        problems.add(iPath, `expected an object with ImageFrames, got ${describeValue(inst)}`);
        continue;
      }
      const frames = inst['ImageFrames'];
      if (!Array.isArray(frames)) {
        problems.add(
          `${iPath}.ImageFrames`,
          frames === undefined
            ? 'missing (expected an array of {"ID": ...})'
            : `expected an array, got ${describeValue(frames)}`,
        );
        continue;
      }
      const dicom = inst['DICOM'];
      const pixel = pixelDescription(dicom);
      const instanceNumber = isObject(dicom) ? first(dicom['InstanceNumber']) : undefined;
      const syntax =
        typeof inst['StoredTransferSyntaxUID'] === 'string'
          ? inst['StoredTransferSyntaxUID']
          : undefined;
      frames.forEach((f: unknown, frameIndex) => {
        const fPath = `${iPath}.ImageFrames[${frameIndex}]`;
        if (!isObject(f)) {
          problems.add(fPath, `expected an object with an ID, got ${describeValue(f)}`);
          return;
        }
        const idProblem =
          f['ID'] === undefined
            ? 'missing (expected the 32-character image frame ID)'
            : ahiIdProblem(f['ID']);
        if (idProblem) {
          problems.add(`${fPath}.ID`, idProblem);
          return;
        }
        const size = f['FrameSizeInBytes'];
        if (
          size !== undefined &&
          (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
        ) {
          problems.add(
            `${fPath}.FrameSizeInBytes`,
            `expected a whole number of bytes, got ${describeValue(size)}`,
          );
          return;
        }
        const frameId = f['ID'] as string;
        const checksum = fullResolutionChecksum(f);
        if (checksum !== undefined) hasChecksums = true;
        const planned: PlannedFrame = {
          key: frameKey(is, frameId),
          datastoreId: ds,
          imageSetId: is,
          frameId,
          seriesUid,
          instanceUid,
          frameIndex,
        };
        if (instanceNumber !== undefined) planned.instanceNumber = instanceNumber;
        if (seriesLabel) planned.seriesLabel = seriesLabel;
        if (typeof size === 'number') planned.sizeHint = size;
        if (checksum !== undefined) planned.checksum = checksum;
        if (typeof f['MinPixelValue'] === 'number') planned.minPixel = f['MinPixelValue'];
        if (typeof f['MaxPixelValue'] === 'number') planned.maxPixel = f['MaxPixelValue'];
        if (pixel) planned.pixel = pixel;
        if (syntax) planned.syntax = syntax;
        out.push(planned);
        count++;
      });
    }
  }
  const label = describeStudy(doc);
  const studyDicom = isObject(doc['Study']) ? doc['Study']['DICOM'] : undefined;
  sets.push({
    datastoreId: ds,
    imageSetId: is,
    frames: count,
    hasChecksums,
    ...(isObject(studyDicom) && Object.keys(studyDicom).length > 0 ? { hasAttributes: true } : {}),
    ...(label ? { label } : {}),
  });
}

/**
 * Parses and validates one or more manifests or metadata documents into a plan. Frames listed more
 * than once (within or across documents) are planned once and reported in `duplicates`.
 * @throws RetrieveError with code BadManifest, naming each problem's JSON path and rule.
 */
export function buildPlan(sources: ManifestSource[]): Plan {
  if (sources.length === 0)
    throw new RetrieveError(
      'BadManifest',
      'No manifest given: choose a file, paste JSON or enter a datastore and image set ID.',
    );
  const all: PlannedFrame[] = [];
  const sets: PlanImageSet[] = [];
  const messages: string[] = [];
  for (const source of sources) {
    const problems = new Problems();
    const before = all.length;
    walk(parseJson(source), problems, all, sets);
    const prefix = sources.length > 1 ? `${source.name}: ` : '';
    messages.push(...problems.list.map((p) => prefix + p));
    if (problems.list.length === 0 && all.length === before) {
      messages.push(
        `${prefix}the manifest lists no image frames (Study.Series.*.Instances.*.ImageFrames are all empty)`,
      );
    }
  }
  if (messages.length > 0) {
    const shown = messages.slice(0, MAX_REPORTED);
    const more = messages.length - shown.length;
    throw new RetrieveError(
      'BadManifest',
      `${shown.join('\n')}${more > 0 ? `\n…and ${more} more problem${more > 1 ? 's' : ''}` : ''}`,
    );
  }
  const seen = new Map<string, number>();
  const frames: PlannedFrame[] = [];
  for (const f of all) {
    const n = seen.get(f.key);
    if (n === undefined) {
      seen.set(f.key, 0);
      frames.push(f);
    } else seen.set(f.key, n + 1);
  }
  const duplicates = [...seen]
    .filter(([, extra]) => extra > 0)
    .map(([k, extra]) => ({ key: k, extra }));
  const merged = new Map<string, PlanImageSet>();
  for (const s of sets) {
    const m = merged.get(s.imageSetId);
    if (m) {
      m.frames += s.frames;
      m.hasChecksums ||= s.hasChecksums;
      if (s.hasAttributes) m.hasAttributes = true;
      m.label ??= s.label;
    } else merged.set(s.imageSetId, { ...s });
  }
  // Frames per image set once duplicates are out (one pass: a cohort has hundreds of image sets).
  const perSet = new Map<string, number>();
  for (const f of frames) perSet.set(f.imageSetId, (perSet.get(f.imageSetId) ?? 0) + 1);
  for (const m of merged.values()) m.frames = perSet.get(m.imageSetId) ?? 0;
  return {
    frames,
    imageSets: [...merged.values()],
    duplicates,
    sources: sources.map((s) => s.name),
  };
}

/**
 * Adds what a metadata document knows (checksums, pixel descriptions, syntax) to frames of `plan`
 * that lack it. Frames the metadata does not list are left as they are.
 */
/** "CT 3: Chest" style label from a series' DICOM attributes, when it has any. */
/** "PATIENT-ID · 2024-06-02 · CT CHEST", from a metadata document's Patient and Study. */
function describeStudy(doc: Json): string | undefined {
  const dicom = (part: unknown) =>
    isObject(part) && isObject(part['DICOM']) ? part['DICOM'] : ({} as Json);
  const patient = dicom(doc['Patient']);
  const study = dicom(doc['Study']);
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const date = text(study['StudyDate']);
  const parts = [
    text(patient['PatientID']),
    /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date,
    text(study['StudyDescription']),
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

function describeSeries(dicom: unknown): string | undefined {
  if (!isObject(dicom)) return undefined;
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const head = [text(dicom['Modality']), text(dicom['SeriesNumber'])].filter(Boolean).join(' ');
  const description = text(dicom['SeriesDescription']);
  return [head, description].filter(Boolean).join(': ') || undefined;
}

export function enrichPlan(plan: Plan, metadata: Plan): Plan {
  const byKey = new Map(metadata.frames.map((f) => [f.key, f]));
  const frames = plan.frames.map((f) => {
    const m = byKey.get(f.key);
    return m
      ? {
          ...m,
          ...f,
          checksum: f.checksum ?? m.checksum,
          pixel: f.pixel ?? m.pixel,
          syntax: f.syntax ?? m.syntax,
        }
      : f;
  });
  // By image set ID: a whole datastore's documents enrich its plan at once.
  const known = new Map(metadata.imageSets.map((m) => [m.imageSetId, m]));
  const imageSets = plan.imageSets.map((s) => {
    const m = known.get(s.imageSetId);
    if (!m) return s;
    const label = s.label ?? m.label;
    return {
      ...s,
      ...(label ? { label } : {}),
      hasChecksums: s.hasChecksums || m.hasChecksums,
      ...(s.hasAttributes || m.hasAttributes ? { hasAttributes: true } : {}),
    };
  });
  return { ...plan, frames, imageSets };
}
