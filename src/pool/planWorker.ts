/**
 * Runs one job preparation in a short-lived worker (parsing, metadata, saving) and ends it, so the
 * page never parses megabytes of JSON on its own thread; the plan's frames come over in slices.
 * Surveys and manifests run in the spare worker and leave it running: the documents they fetched
 * stay there for the preparation that takes it next.
 */
import { wrap } from 'comlink';
import { RetrieveError } from '../core/errors';
import type { PlannedFrame } from '../core/plan';
import { FRAMES_PER_MESSAGE, type PlanWorkerApi, type PreparedJob } from '../core/protocol';

const newPlanWorker = () =>
  new Worker(new URL('../../workers/plan.worker.ts', import.meta.url), {
    type: 'module',
    name: 'plan',
  });

/** a plan worker started ahead, its module loaded, for the next preparation */
let spare: Worker | undefined;

/**
 * Starts a plan worker ahead of the next preparation (a Start waited 20-30 ms for one to start
 * and compile its module, in traces); see keepStandby for what waiting costs.
 */
export function keepPlanWorkerReady(): void {
  spare ??= newPlanWorker();
}

/** Calls the spare plan worker (started if need be) and keeps it for the next preparation. */
export async function inSparePlanWorker<T>(
  call: (api: ReturnType<typeof wrap<PlanWorkerApi>>) => Promise<T>,
): Promise<T> {
  spare ??= newPlanWorker();
  return call(apiOf(spare));
}

/** Calls a plan worker of its own (the spare and its documents stay as they are), then ends it. */
export async function inOwnPlanWorker<T>(
  call: (api: ReturnType<typeof wrap<PlanWorkerApi>>) => Promise<T>,
): Promise<T> {
  const worker = newPlanWorker();
  try {
    return await call(apiOf(worker));
  } finally {
    worker.terminate();
  }
}

const apis = new WeakMap<Worker, ReturnType<typeof wrap<PlanWorkerApi>>>();
/** One comlink proxy per worker (each proxy listens to its worker's messages). */
function apiOf(worker: Worker) {
  let api = apis.get(worker);
  if (!api) apis.set(worker, (api = wrap<PlanWorkerApi>(worker)));
  return api;
}

export async function inPlanWorker(
  call: (api: ReturnType<typeof wrap<PlanWorkerApi>>) => ReturnType<PlanWorkerApi['prepare']>,
): Promise<PreparedJob> {
  const worker = spare ?? newPlanWorker();
  spare = undefined;
  try {
    const api = apiOf(worker);
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
