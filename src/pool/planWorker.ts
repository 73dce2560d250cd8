/**
 * Runs one job preparation in a short-lived worker (parsing, metadata, saving) and ends it, so the
 * page never parses megabytes of JSON on its own thread.
 */
import { wrap } from 'comlink';
import { RetrieveError } from '../core/errors';
import type { PlanWorkerApi, PreparedJob } from '../io/planning';

export async function inPlanWorker(
  call: (api: ReturnType<typeof wrap<PlanWorkerApi>>) => ReturnType<PlanWorkerApi['prepare']>,
): Promise<PreparedJob> {
  const worker = new Worker(new URL('../../workers/plan.worker.ts', import.meta.url), {
    type: 'module',
    name: 'plan',
  });
  try {
    const outcome = await call(wrap<PlanWorkerApi>(worker));
    if (!outcome.ok)
      throw new RetrieveError(
        outcome.error.code,
        outcome.error.message,
        outcome.error.status !== undefined ? { status: outcome.error.status } : {},
      );
    return outcome.job;
  } finally {
    worker.terminate();
  }
}
