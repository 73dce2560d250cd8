/**
 * Job commands: Start, Pause, Resume, Cancel, the in-flight limit, and the stored jobs (view,
 * continue, delete). The one place that wires a job's pieces together: credentials (io), the plan
 * worker and the retrieval pool (pool), the runner, the viewer, and the job slice (state). The UI
 * calls these; it never touches workers, the network or the database itself.
 */
import { proxy } from 'comlink';
import { RetrieveError, toErrorInfo } from '../core/errors';
import type { JobRecord } from '../core/job';
import type { Plan, PlannedFrame } from '../core/plan';
import { CredentialManager, checkStatic } from '../io/credentials';
import {
  deleteJob as dbDeleteJob,
  failureKeys,
  getFailures,
  getJob,
  listJobs,
  storedFrameKeys,
} from '../io/store';
import { checkEndpoint, checkRegion } from '../io/endpoint';
import { readManifestFiles } from '../io/files';
import { destinationIntact, retryDestination } from '../pool/libraryWorker';
import { inPlanWorker, keepPlanWorkerReady } from '../pool/planWorker';
import { keepStandby, NO_POOL_EVENTS, type WorkerPool } from '../pool/workerPool';
import type { JobMetrics } from '../state/metrics';
import { rememberSettings } from '../state/settingsPersistence';
import {
  appStore,
  initialJob,
  setJobs,
  updateDestination,
  updateJob,
  updateSettings,
  updateViewer,
} from '../state/store';
import { allowWriting, destinationForStart } from './destination';
import { credentialInput, persistedSettings, sourceRequest, workerCount } from './form';
import { JobRunner, startPool } from './jobRunner';
import { checkSize } from './size';
import { refreshStorage } from './storage';
import * as viewer from './viewer';

const LIST_REFRESH_MS = 5000;

let runner: JobRunner | undefined;
/** the latest run's metrics: the chart keeps showing a finished run */
let lastMetrics: JobMetrics | undefined;

/** A job is running in this page (or paused, its workers kept). */
export const hasRunningJob = (): boolean => runner !== undefined;

/** Live metrics of the current (or last) run, for the chart's animation loop. */
export function liveMetrics(): JobMetrics | undefined {
  return lastMetrics;
}

async function run(
  record: JobRecord,
  plan: Plan,
  credentials: CredentialManager,
  /** a new job's pool, started while it was prepared; a new job has nothing stored or failed */
  fresh?: Promise<WorkerPool>,
): Promise<void> {
  // A destination folder's frames count when their file is as written (size and CRC-32).
  const [stored, failed] = fresh
    ? [new Set<string>(), new Set<string>()]
    : await Promise.all([
        record.destination ? destinationIntact(record.id) : storedFrameKeys(record.id),
        failureKeys(record.id),
      ]);
  const todo = plan.frames.filter((f) => !stored.has(f.key));
  // The runner refreshes the stored-jobs list itself whenever it saves a new state.
  const r = new JobRunner(record, plan, todo, credentials, {
    stateSaved: () => void refreshJobs(),
    frame: viewer.frameArrived,
    published: viewer.publishProgress,
    pixels: viewer.pixelsArrived,
    failedBefore: failed,
    shown: viewer.shows,
  });
  // The stored-jobs list and the storage line follow a long run every few seconds.
  const refresher = setInterval(() => {
    void refreshJobs();
    void refreshStorage();
  }, LIST_REFRESH_MS);
  runner = r;
  lastMetrics = r.metrics;
  // A cohort's plan is 200,000 frames: the runner and the viewer's maps each took 100-150 ms of
  // the page's thread, so they go in tasks of their own.
  await new Promise((next) => setTimeout(next));
  viewer.openJob(record.id, plan, record.settings.format, stored, {
    pending: (k) => r.pending(k),
    prioritise: (keys) => r.prioritise(keys),
  });
  updateJob({ duplicates: plan.duplicates.reduce((n, d) => n + d.extra, 0) });
  void r.ended.then(() => {
    clearInterval(refresher);
    if (runner !== r) return;
    runner = undefined;
    viewer.detachJob();
    void refreshStorage();
    standbyWhenIdle();
  });
  // The page renders the job's view (series, progress bars, thumbnails) in this task and the
  // runner starts its workers in the next: together they made one task of 20-25 ms of CPU, 50 ms
  // and more on a busy machine.
  await new Promise((next) => setTimeout(next));
  await r.start(fresh);
}

/** Starts a new job from the current settings. Errors end up in the job slice, never thrown. */
export async function start(): Promise<void> {
  performance.mark('ahi:start');
  if (runner) await cancel();
  const { settings } = appStore.getState();
  viewer.starting();
  updateJob({ ...initialJob(), phase: 'preparing' });
  try {
    const region = checkRegion(settings.region);
    const endpoint = checkEndpoint(settings.endpoint, region);
    // Remembered once they make sense: a mistyped endpoint is not there again after a reload.
    rememberSettings();
    // A folder written while downloading decides what the workers keep (codestreams or pixels);
    // its permission is asked for first, while the click still counts.
    const chosen = persistedSettings(settings, endpoint, region);
    const { destination, format } = destinationForStart(chosen.format);
    const persisted = { ...chosen, format };
    if (destination) {
      await allowWriting(destination.root);
      updateDestination({ phase: 'writing', message: undefined });
    }
    const credentials = await CredentialManager.create(credentialInput());
    const jobId = crypto.randomUUID();
    // The workers spawn and load their codec while the job is prepared (100-150 ms saved before
    // the first frame); a job that cannot be prepared ends them.
    const pool = startPool(jobId, persisted, credentials, destination);
    pool.catch(() => {}); // its failure is the runner's to report, when it awaits the pool
    // The first frame is fetched and shown as soon as the manifest names it, while the plan
    // worker fetches metadata and saves the job; its task then uses that response. (The plan
    // worker names it before it answers, so this listener is set before the runner's.)
    const firstFrame = (frame: PlannedFrame) =>
      void pool.then(
        (p) => {
          p.listen({
            ...NO_POOL_EVENTS,
            pixels: (_w, px) => viewer.pixelsAhead(px.key, px.pixels),
          });
          p.prefetch({
            key: frame.key,
            datastoreId: frame.datastoreId,
            imageSetId: frame.imageSetId,
            frameId: frame.frameId,
            attempt: 1,
          });
        },
        () => {},
      );
    let prepared;
    try {
      // Parsing, metadata and saving happen in a worker: the page stays responsive.
      prepared = await inPlanWorker((api) =>
        api.prepare(
          {
            jobId,
            source: sourceRequest(settings),
            settings: persisted,
            credentials: credentials.credentials,
            ...(destination ? { destination } : {}),
          },
          proxy(firstFrame),
          proxy((done: number, total: number) => updateJob({ gathering: { done, total } })),
        ),
      );
    } catch (e) {
      void pool.then(
        (p) => p.terminate(),
        () => {},
      );
      throw e;
    }
    await run(prepared.record, prepared.plan, credentials, pool);
  } catch (e) {
    if (!runner) viewer.reset(); // not prepared: a first frame shown meanwhile goes
    updateJob({ phase: 'failed', error: toErrorInfo(e), finishedAt: performance.now() });
  }
}

export async function pause(): Promise<void> {
  await runner?.pause();
}

/**
 * Resumes: the running job (with the credentials now in the form, if they are static keys), or,
 * after a reload, the stored job shown in the status (fetching only the frames it lacks).
 */
export async function resume(jobId?: string): Promise<void> {
  try {
    if (runner && (!jobId || jobId === runner.record.id)) {
      const input = credentialInput();
      const { destination } = runner.record;
      if (destination) {
        // Asked from the click: a folder whose permission was withdrawn is asked for again.
        await allowWriting(destination.root);
        await retryDestination(runner.record.id);
      }
      await runner.resume(input.kind === 'static' ? checkStatic(input) : undefined);
      return;
    }
    const id = jobId ?? appStore.getState().job.id;
    if (!id) throw new RetrieveError('BadInput', 'There is no stored job to resume: press Start.');
    // After a reload or a restart the browser asks again before the page writes to the folder.
    const destination = (await getJob(id))?.destination;
    if (destination) await allowWriting(destination.root);
    if (runner) await cancel();
    updateJob({ ...initialJob(), id, phase: 'preparing' });
    const credentials = await CredentialManager.create(credentialInput());
    const { record, plan } = await inPlanWorker((api) => api.reload(id));
    await run(record, plan, credentials);
  } catch (e) {
    updateJob({ phase: 'failed', error: toErrorInfo(e) });
  }
}

export async function cancel(): Promise<void> {
  const r = runner;
  runner = undefined;
  await r?.cancel();
}

export function setInFlight(n: number): void {
  updateSettings({ inFlight: n });
  runner?.setInFlight(n);
}

/** Fetches a finished job's failed (and any missing) frames again. */
export async function retryFailed(): Promise<void> {
  await resume(appStore.getState().job.id);
}

/** Opens a stored job in the viewer (its plan is rebuilt from the stored sources, off-thread). */
export async function viewStoredJob(id: string): Promise<void> {
  if (runner?.record.id === id) return;
  try {
    const { record, plan } = await inPlanWorker((api) => api.reload(id));
    const [stored, failures] = await Promise.all([storedFrameKeys(id), getFailures(id)]);
    viewer.openJob(
      id,
      plan,
      record.settings.format,
      stored,
      undefined,
      failures.map((f) => f.key),
    );
  } catch (e) {
    updateViewer({ status: 'missing', message: toErrorInfo(e).message });
  }
}

/** The job's numbers, per-worker statistics included, for benchmarks and scripts. */
export function snapshot() {
  return { ...appStore.getState().job, latency: lastMetrics?.latency() };
}

/** Terminates one worker as a crash would (exposed for the fault tests). */
export function terminateWorker(id: number): void {
  runner?.terminateWorker(id);
}

export async function deleteStoredJob(id: string): Promise<void> {
  if (runner?.record.id === id) await cancel();
  await dbDeleteJob(id);
  if (appStore.getState().viewer.jobId === id) viewer.reset();
  await refreshJobs();
  await refreshStorage();
}

/** Re-reads the stored jobs into the list; returns them (none when storage is unavailable). */
export async function refreshJobs(): Promise<JobRecord[]> {
  try {
    const jobs = await listJobs();
    setJobs(
      jobs.map((j) => ({
        id: j.id,
        name: j.name,
        state: j.state,
        createdAt: j.createdAt,
        frames: j.totals.frames,
        done: j.totals.verified + j.totals.stored + (j.totals.unverifiable ?? 0),
        bytes: j.totals.bytes,
      })),
    );
    return jobs;
  } catch {
    setJobs([]);
    return [];
  }
}

/**
 * Once the page is idle and no job runs, retrieval workers wait warmed up for the next Start (see
 * keepStandby): the first frame then does not wait for workers and codec.
 */
export function standbyWhenIdle(): void {
  const keep = () => {
    if (runner || appStore.getState().job.phase === 'preparing') return;
    keepStandby(workerCount(appStore.getState().settings.workers));
    keepPlanWorkerReady();
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(keep, { timeout: 2000 });
  else setTimeout(keep, 500);
}

export async function setManifestFiles(files: (Blob & { name: string })[]): Promise<void> {
  try {
    const read = (await Promise.all(files.map(readManifestFiles))).flat();
    updateSettings({ manifestFiles: read, source: 'manifest' });
    void checkSize();
  } catch (e) {
    updateJob({ error: toErrorInfo(e) });
  }
}
