/**
 * Preparing a job: read its sources (manifests, or metadata fetched by image set ID), add the
 * metadata AHI has for image sets whose manifest carries no checksums, build the plan and save
 * the job. It runs in a short-lived worker (workers/plan.ts), so megabytes of JSON are parsed,
 * stringified and stored without blocking the page.
 */
import { RetrieveError } from '../core/errors';
import { buildPlan, enrichPlan } from '../core/manifest';
import type { Plan, PlannedFrame } from '../core/plan';
import type { PlanRequest, PreparedJob } from '../core/protocol';
import { AhiClient } from './ahiClient';
import { fetchMetadata } from './metadata';
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

/** Builds the plan of a new job and saves the job (state running, nothing stored yet). */
export async function prepareJob(
  req: PlanRequest,
  /** told the job's first frame as soon as it is known (before metadata and saving) */
  firstFrame?: (frame: PlannedFrame) => void,
): Promise<PreparedJob> {
  const client = new AhiClient(req.settings.endpoint, req.settings.region, req.credentials);
  const sources = await gatherSources(req.source, client);
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
