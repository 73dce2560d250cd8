/**
 * Runs one job preparation in a short-lived worker (parsing, metadata, saving) and ends it, so the
 * page never parses megabytes of JSON on its own thread; the plan's frames come over in slices.
 */
import { wrap } from 'comlink';
import { RetrieveError } from '../core/errors';
import type { PlannedFrame } from '../core/plan';
import { FRAMES_PER_MESSAGE, type PlanWorkerApi, type PreparedJob } from '../io/planning';

export async function inPlanWorker(
  call: (api: ReturnType<typeof wrap<PlanWorkerApi>>) => ReturnType<PlanWorkerApi['prepare']>,
): Promise<PreparedJob> {
  const worker = new Worker(new URL('../../workers/plan.worker.ts', import.meta.url), {
    type: 'module',
    name: 'plan',
  });
  try {
    const api = wrap<PlanWorkerApi>(worker);
    const outcome = await call(api);
    if (!outcome.ok)
      throw new RetrieveError(
        outcome.error.code,
        outcome.error.message,
        outcome.error.status !== undefined ? { status: outcome.error.status } : {},
      );
    // The frames a slice per message: each is deserialised in a task of its own.
    const frames: PlannedFrame[] = [];
    for (let i = 0; i < outcome.frames; i += FRAMES_PER_MESSAGE)
      for (const f of await api.frames(i, FRAMES_PER_MESSAGE)) frames.push(f);
    return { record: outcome.job.record, plan: { ...outcome.job.plan, frames } };
  } finally {
    worker.terminate();
  }
}
