/**
 * Preparing a job: read its sources (manifests, or metadata fetched by image set ID), add the
 * metadata AHI has for image sets whose manifest carries no checksums, build the plan and save
 * the job. It runs in a short-lived worker (workers/plan.ts), so megabytes of JSON are parsed,
 * stringified and stored without blocking the page.
 */
import { assembles } from '../core/destination';
import { RetrieveError } from '../core/errors';
import { buildPlan, enrichPlan } from '../core/manifest';
import { manifestFiles, mergeManifests, toAhiRetrieveManifest } from '../core/manifestParts';
import type { Plan, PlannedFrame } from '../core/plan';
import type {
  ImageSetSize,
  PlanRequest,
  PreparedJob,
  SourceRequest,
  SourceSize,
  SurveyRequest,
} from '../core/protocol';
import { AhiClient } from './ahiClient';
import { fetchMetadataDocuments, metadataName } from './metadata';
import { gatherSources } from './sources';
import type { JobRecord, JobSource } from '../core/job';
import { createJob, getJob, getJobSources } from './store';

/** The plan for stored sources: manifests, enriched by the metadata documents among them. */
export function planFromSources(sources: JobSource[]): Plan {
  let plan = buildPlan(sources.filter((s) => s.role === 'manifest'));
  for (const m of sources.filter((s) => s.role === 'metadata'))
    plan = enrichPlan(plan, buildPlan([m]));
  return plan;
}

type Progress = (done: number, total: number) => void;

/**
 * The documents of the source surveyed last, kept for the Start or Save manifest that follows in
 * this worker (a cohort's are hundreds of requests). One source at a time; a failed gather is not
 * kept.
 */
let gathered: { key: string; sources: Promise<JobSource[]> } | undefined;

function gatherOnce(req: SurveyRequest, progress?: Progress): Promise<JobSource[]> {
  const key = JSON.stringify([req.settings.endpoint, req.settings.region, req.source]);
  if (gathered?.key !== key) {
    const client = new AhiClient(req.settings.endpoint, req.settings.region, req.credentials);
    const sources = gatherSources(req.source, client, progress);
    gathered = { key, sources };
    sources.catch(() => {
      if (gathered?.sources === sources) gathered = undefined;
    });
  }
  return gathered.sources;
}

/** A plan's frames and bytes, per image set and series (FrameSizeInBytes summed). */
export function sizeOf(plan: Plan): SourceSize {
  const sets = new Map<
    string,
    ImageSetSize & { bySeries: Map<string, ImageSetSize['series'][number]> }
  >();
  let bytes = 0;
  let unsized = 0;
  for (const f of plan.frames) {
    let set = sets.get(f.imageSetId);
    if (!set) {
      set = {
        datastoreId: f.datastoreId,
        imageSetId: f.imageSetId,
        frames: 0,
        bytes: 0,
        series: [],
        bySeries: new Map(),
      };
      sets.set(f.imageSetId, set);
    }
    let series = set.bySeries.get(f.seriesUid);
    if (!series) {
      series = { seriesUid: f.seriesUid, label: f.seriesLabel ?? '', frames: 0, bytes: 0 };
      set.bySeries.set(f.seriesUid, series);
      set.series.push(series);
    }
    const size = f.sizeHint ?? 0;
    if (f.sizeHint === undefined) unsized++;
    set.frames++;
    series.frames++;
    set.bytes += size;
    series.bytes += size;
    bytes += size;
  }
  return {
    frames: plan.frames.length,
    bytes,
    unsized,
    imageSets: [...sets.values()].map(({ bySeries: _, ...set }) => set),
  };
}

/** A source's size before Start; its documents stay for the Start that follows. */
export async function surveySource(req: SurveyRequest, progress?: Progress): Promise<SourceSize> {
  return sizeOf(buildPlan(await gatherOnce(req, progress)));
}

/** A source as ahi-retrieve manifests (one per image set), whole or split into `parts`. */
export async function sourceManifests(
  req: SurveyRequest,
  parts: number,
): Promise<{ name: string; content: string }[]> {
  const sources = (await gatherOnce(req)).filter((s) => s.role === 'manifest');
  const manifests = mergeManifests(
    sources.map((s) => toAhiRetrieveManifest(JSON.parse(s.content) as unknown, s.name)),
  );
  return manifestFiles(manifests, parts);
}

/** What a source request is called in a job's name. */
const sourceName = (source: SourceRequest, plan: Plan) =>
  source.kind === 'cohort'
    ? `cohort of ${source.imageSets.length} image set${source.imageSets.length === 1 ? '' : 's'}`
    : plan.sources.join(', ');

/**
 * A job's sources completed and planned: the metadata AHI has is added for every image set whose
 * source carried no checksums (or for all, when `needsAttributes`: DICOM and NIfTI are built from
 * them), and the plan built with each document parsed once (a 2,000-frame metadata document is
 * 1.9 MB of JSON: 20-60 ms per parse in a fresh worker). Shared by the app's jobs and the runner.
 */
export async function planSources(
  gathered: JobSource[],
  client: AhiClient,
  needsAttributes: boolean,
  /** told the job's first frame as soon as it is known (before metadata) */
  firstFrame?: (frame: PlannedFrame) => void,
  /** skip the metadata of image sets whose source has no checksums (nothing is verified) */
  checksums = true,
): Promise<{ sources: JobSource[]; plan: Plan }> {
  // A copy: metadata documents are added below, and the gathered list stays as it was.
  const sources = [...gathered];
  const plan = buildPlan(sources);
  if (plan.frames[0]) firstFrame?.(plan.frames[0]);
  // An image set whose source is its metadata document has what either would bring.
  const wanted = plan.imageSets.filter(
    (set) => (checksums && !set.hasChecksums) || (needsAttributes && !set.hasAttributes),
  );
  if (wanted.length === 0) return { sources, plan };
  const contents = await fetchMetadataDocuments(client, wanted);
  const metadata = contents.map((content, i): JobSource => ({
    name: metadataName(wanted[i]!.imageSetId),
    content,
    role: 'metadata',
  }));
  sources.push(...metadata);
  return { sources, plan: enrichPlan(plan, buildPlan(metadata)) };
}

/** Builds the plan of a new job and saves the job (state running, nothing stored yet). */
export async function prepareJob(
  req: PlanRequest,
  /** told the job's first frame as soon as it is known (before metadata and saving) */
  firstFrame?: (frame: PlannedFrame) => void,
  progress?: Progress,
): Promise<PreparedJob> {
  const client = new AhiClient(req.settings.endpoint, req.settings.region, req.credentials);
  // A folder written as DICOM or NIfTI needs every image set's attributes, not only checksums.
  const needsAttributes = req.destination !== undefined && assembles(req.destination.format);
  const { sources, plan } = await planSources(
    await gatherOnce(req, progress),
    client,
    needsAttributes,
    firstFrame,
  );
  const record: JobRecord = {
    id: req.jobId,
    name: sourceName(req.source, plan).slice(0, 120),
    createdAt: Date.now(),
    updatedAt: Date.now(),
    state: 'running',
    settings: req.settings,
    totals: { frames: plan.frames.length, verified: 0, stored: 0, failed: 0, bytes: 0 },
    ...(req.destination ? { destination: req.destination } : {}),
  };
  await createJob(record, sources);
  return { record, plan };
}

/** Rebuilds the plan of a stored job (for a resume). */
export async function reloadJob(id: string): Promise<PreparedJob> {
  const [record, sources] = await Promise.all([getJob(id), getJobSources(id)]);
  if (!record || !sources)
    throw new RetrieveError('BadInput', 'That job is no longer stored: press Start for a new one.');
  return { record, plan: planFromSources(sources) };
}
