/** The plan worker's API: job preparation off the main thread (see src/io/planning.ts). */
import { toErrorInfo } from '../src/core/errors';
import {
  prepareJob,
  reloadJob,
  type PlanOutcome,
  type PlanWorkerApi,
  type PreparedJob,
} from '../src/io/planning';

const settle = (p: Promise<PreparedJob>): Promise<PlanOutcome> =>
  p.then(
    (job) => ({ ok: true as const, job }),
    (e: unknown) => ({ ok: false as const, error: toErrorInfo(e) }),
  );

export const planApi = {
  prepare: (req) => settle(prepareJob(req)),
  reload: (id) => settle(reloadJob(id)),
} satisfies PlanWorkerApi;
