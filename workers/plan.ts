/** The plan worker's side of PlanWorkerApi: job preparation off the main thread (src/io/planning.ts). */
import { toErrorInfo } from '../src/core/errors';
import type { PlannedFrame } from '../src/core/plan';
import type { PlanOutcome, PlanWorkerApi, PreparedJob } from '../src/core/protocol';
import { prepareJob, reloadJob, sourceManifests, surveySource } from '../src/io/planning';

/** the frames of the job prepared last, handed out in slices */
let held: PlannedFrame[] = [];

const settle = (p: Promise<PreparedJob>): Promise<PlanOutcome> =>
  p.then(
    ({ record, plan }) => {
      held = plan.frames;
      return {
        ok: true as const,
        job: { record, plan: { ...plan, frames: [] } },
        frames: held.length,
      };
    },
    (e: unknown) => ({ ok: false as const, error: toErrorInfo(e) }),
  );

export const planApi = {
  prepare: (req, firstFrame, progress) => settle(prepareJob(req, firstFrame, progress)),
  survey: (req, progress) =>
    surveySource(req, progress).then(
      (size) => ({ ok: true as const, size }),
      (e: unknown) => ({ ok: false as const, error: toErrorInfo(e) }),
    ),
  manifests: (req, parts) =>
    sourceManifests(req, parts).then(
      (files) => ({ ok: true as const, files }),
      (e: unknown) => ({ ok: false as const, error: toErrorInfo(e) }),
    ),
  reload: (id) => settle(reloadJob(id)),
  frames: (from, count) => held.slice(from, from + count),
} satisfies PlanWorkerApi;
