/**
 * Preparing a job: read its sources (manifests, or metadata fetched by image set ID), add the
 * metadata AHI has for image sets whose manifest carries no checksums, build the plan and save
 * the job. It runs in a short-lived worker (workers/plan.ts), so megabytes of JSON are parsed,
 * stringified and stored without blocking the page.
 */
import { RetrieveError, type ErrorInfo } from '../core/errors';
import { AHI_ID_RE } from '../core/ids';
import { buildPlan, enrichPlan } from '../core/manifest';
import type { Plan, PlannedFrame } from '../core/plan';
import type { Credentials } from '../core/protocol';
import { AhiClient } from './ahiClient';
import type { JobRecord, JobSource, PersistedSettings } from '../core/job';
import { createJob, getJob, getJobSources } from './db';

export interface PlanRequest {
  /** the new job's ID (chosen by the page, which starts the job's workers meanwhile) */
  jobId: string;
  source: 'manifest' | 'ids';
  files: { name: string; content: string }[];
  text: string;
  datastoreId: string;
  imageSetId: string;
  version: string;
  settings: PersistedSettings;
  credentials: Credentials;
}

export interface PreparedJob {
  record: JobRecord;
  plan: Plan;
}

/**
 * Fetches GetImageSetMetadata's JSON text, retrying 409 ConflictException (an image set being
 * updated).
 */
async function fetchMetadata(
  client: AhiClient,
  datastoreId: string,
  imageSetId: string,
  version?: string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.getImageSetMetadata(datastoreId, imageSetId, version);
    } catch (e) {
      if (e instanceof RetrieveError && e.code === 'Conflict' && attempt < 5) {
        await new Promise((r) => setTimeout(r, 2000 * attempt));
        continue;
      }
      throw e;
    }
  }
}

/** The plan for stored sources: manifests, enriched by the metadata documents among them. */
export function planFromSources(sources: JobSource[]): Plan {
  let plan = buildPlan(sources.filter((s) => s.role === 'manifest'));
  for (const m of sources.filter((s) => s.role === 'metadata'))
    plan = enrichPlan(plan, buildPlan([m]));
  return plan;
}

async function gatherSources(req: PlanRequest, client: AhiClient): Promise<JobSource[]> {
  if (req.source === 'ids') {
    const ds = req.datastoreId.trim();
    const is = req.imageSetId.trim();
    if (!AHI_ID_RE.test(ds))
      throw new RetrieveError(
        'BadInput',
        `Datastore ID "${ds}" should be 32 lowercase letters or digits.`,
      );
    if (!AHI_ID_RE.test(is))
      throw new RetrieveError(
        'BadInput',
        `Image set ID "${is}" should be 32 lowercase letters or digits.`,
      );
    const version = req.version.trim();
    if (version && !/^\d+$/.test(version))
      throw new RetrieveError('BadInput', `Version "${version}" should be a whole number.`);
    return [
      {
        name: `image set ${is}${version ? ` v${version}` : ''}`,
        content: await fetchMetadata(client, ds, is, version || undefined),
        role: 'manifest',
      },
    ];
  }
  if (req.files.length > 0) return req.files.map((f) => ({ ...f, role: 'manifest' }));
  return [{ name: 'pasted JSON', content: req.text, role: 'manifest' }];
}

/** Builds the plan of a new job and saves the job (state running, nothing stored yet). */
export async function prepareJob(
  req: PlanRequest,
  /** told the job's first frame as soon as it is known (before metadata and saving) */
  firstFrame?: (frame: PlannedFrame) => void,
): Promise<PreparedJob> {
  const client = new AhiClient(req.settings.endpoint, req.settings.region, req.credentials);
  const sources = await gatherSources(req, client);
  // The plan planFromSources would build from these sources, with each document parsed once (a
  // 2,000-frame metadata document is 1.9 MB of JSON: 20-60 ms per parse in a fresh worker).
  let plan = buildPlan(sources);
  if (plan.frames[0]) firstFrame?.(plan.frames[0]);
  for (const set of plan.imageSets) {
    if (set.hasChecksums) continue;
    const metadata: JobSource = {
      name: `${set.imageSetId}-metadata.json`,
      content: await fetchMetadata(client, set.datastoreId, set.imageSetId),
      role: 'metadata',
    };
    sources.push(metadata);
    plan = enrichPlan(plan, buildPlan([metadata]));
  }
  const record: JobRecord = {
    id: req.jobId,
    name: plan.sources.join(', ').slice(0, 120),
    createdAt: Date.now(),
    updatedAt: Date.now(),
    state: 'running',
    settings: req.settings,
    totals: { frames: plan.frames.length, verified: 0, stored: 0, failed: 0, bytes: 0 },
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

/**
 * Errors cross the worker boundary as data (code and message). A prepared job crosses without its
 * frames (`plan.frames` is empty, `frames` says how many): the page takes them FRAMES_PER_MESSAGE
 * at a time with `frames`, one message (and one task to deserialise it) each. In one message,
 * 2,000 frames took 15-20 ms of the page's thread on a busy machine, a 40-55 ms task; 10,000
 * would take five times that.
 */
export type PlanOutcome =
  { ok: true; job: PreparedJob; frames: number } | { ok: false; error: ErrorInfo };

export const FRAMES_PER_MESSAGE = 400;

/** The plan worker's contract (workers/plan.ts implements it, src/pool/planWorker.ts calls it). */
export interface PlanWorkerApi {
  /** `firstFrame`: see prepareJob (a comlink proxy from the page) */
  prepare(req: PlanRequest, firstFrame?: (frame: PlannedFrame) => void): Promise<PlanOutcome>;
  reload(id: string): Promise<PlanOutcome>;
  /** frames `from` … `from + count - 1` of the job prepared last */
  frames(from: number, count: number): PlannedFrame[];
}
