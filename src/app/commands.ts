/**
 * App commands: the one place that wires io (client, credentials, storage), pool and state
 * together. The UI calls these; it never touches workers, the network or the database itself.
 */
import { RetrieveError, toErrorInfo } from '../core/errors';
import type { Plan } from '../core/plan';
import { CredentialManager, checkStatic, type CredentialInput } from '../io/credentials';
import {
  deleteJob as dbDeleteJob,
  failureKeys,
  getFailures,
  listJobs,
  storedFrameKeys,
} from '../io/db';
import { isUnfinished, type JobRecord, type PersistedSettings } from '../core/job';
import { checkEndpoint, checkRegion } from '../io/endpoint';
import { readManifestFile } from '../io/files';
import { exportFolder, exportZip, type ExportProgress } from '../pool/libraryWorker';
import type { BundleSummary } from '../core/protocol';
import { bundleBaseName } from '../core/bundleName';
import { formatBytes } from '../core/format';
import type { JobMetrics } from '../state/metrics';
import * as viewer from './viewer';
import {
  appStore,
  initialJob,
  REMEMBERED_SETTINGS,
  setJobs,
  setStorage,
  updateCredentials,
  updateExport,
  updateJob,
  updateSettings,
  updateViewer,
  type DemoImageSet,
  type SettingsSlice,
} from '../state/store';
import { inPlanWorker, keepPlanWorkerReady } from '../pool/planWorker';
import { JobRunner, startPool } from './jobRunner';
import { keepStandby, NO_POOL_EVENTS, type WorkerPool } from '../pool/workerPool';
import type { PlannedFrame } from '../core/plan';
import { proxy } from 'comlink';

const SETTINGS_KEY = 'ahi-web-retrieve:settings';
const LIST_REFRESH_MS = 5000;

let runner: JobRunner | undefined;
/** the latest run's metrics: the chart keeps showing a finished run */
let lastMetrics: JobMetrics | undefined;

/** Live metrics of the current (or last) run, for the chart's animation loop. */
export function liveMetrics(): JobMetrics | undefined {
  return lastMetrics;
}

function credentialInput(): CredentialInput {
  const { settings, credentials } = appStore.getState();
  if (settings.credentialKind === 'cognito') {
    return {
      kind: 'cognito',
      identityPoolId: settings.identityPoolId,
      region: settings.identityPoolId.split(':')[0] || settings.region,
      login: settings.cognitoLogin,
      endpoint: settings.cognitoEndpoint,
    };
  }
  return { kind: 'static', ...credentials };
}

function persistedSettings(
  settings: SettingsSlice,
  endpoint: string,
  region: string,
): PersistedSettings {
  return {
    endpoint,
    region,
    format: settings.format,
    verify: settings.verify,
    workers: workerCount(settings.workers),
    inFlight: Math.max(1, Math.min(500, Math.floor(settings.inFlight))),
    autoTune: settings.autoTune,
  };
}

async function run(
  record: JobRecord,
  plan: Plan,
  credentials: CredentialManager,
  /** a new job's pool, started while it was prepared; a new job has nothing stored or failed */
  fresh?: Promise<WorkerPool>,
): Promise<void> {
  const [stored, failed] = fresh
    ? [new Set<string>(), new Set<string>()]
    : await Promise.all([storedFrameKeys(record.id), failureKeys(record.id)]);
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
    const credentials = await CredentialManager.create(credentialInput());
    const jobId = crypto.randomUUID();
    const persisted = persistedSettings(settings, endpoint, region);
    // The workers spawn and load their codec while the job is prepared (100-150 ms saved before
    // the first frame); a job that cannot be prepared ends them.
    const pool = startPool(jobId, persisted, credentials);
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
            source: settings.source,
            files: settings.manifestFiles,
            text: settings.manifestText,
            datastoreId: settings.datastoreId,
            imageSetId: settings.imageSetId,
            version: settings.version,
            settings: persisted,
            credentials: credentials.credentials,
          },
          proxy(firstFrame),
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
      await runner.resume(input.kind === 'static' ? checkStatic(input) : undefined);
      return;
    }
    const id = jobId ?? appStore.getState().job.id;
    if (!id) throw new RetrieveError('BadInput', 'There is no stored job to resume: press Start.');
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

export const selectFrame = viewer.select;
export const stepFrame = viewer.step;
export const framePainted = viewer.painted;
export const setViewerWindow = viewer.setWindow;
export const setViewerFit = viewer.setFit;
export const storedThumbnailOf = viewer.thumbnail;

/** What an export wrote, where, how fast, and whether the bundle is partial. */
function exportMessage(s: BundleSummary, where: string): string {
  const mb = s.bytes / 1e6;
  const secs = s.ms / 1000;
  let text = `Exported ${s.frames} frames (${formatBytes(s.bytes)}) ${where} in ${secs.toFixed(1)} s (${(mb / Math.max(secs, 1e-3)).toFixed(0)} MB/s).`;
  if (s.partial)
    text += ` The job is ${s.state === 'done' ? 'done with frames missing' : s.state}: the bundle holds the ${s.frames} of ${s.totalFrames} frames stored so far.`;
  return text;
}

type SavePicker = (options: {
  suggestedName: string;
  types: { description: string; accept: Record<string, string[]> }[];
}) => Promise<FileSystemFileHandle>;
type FolderPicker = (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;

/** Runs one export with its progress, outcome and message in the export slice. */
async function runExport(
  jobId: string,
  kind: 'zip' | 'folder',
  write: (progress: ExportProgress) => Promise<{ summary: BundleSummary; where: string }>,
): Promise<void> {
  updateExport({ jobId, kind, phase: 'running', frames: 0, bytes: 0, message: undefined });
  try {
    const { summary, where } = await write((frames, bytes) => updateExport({ frames, bytes }));
    updateExport({
      phase: 'done',
      frames: summary.frames,
      bytes: summary.bytes,
      message: exportMessage(summary, where),
    });
  } catch (e) {
    updateExport({ phase: 'failed', message: `Export failed: ${exportError(e)}` });
  }
}

/**
 * Exports a stored job as a zip: streamed to a file the user picks where the browser can
 * (File System Access), else built as a download. Works for unfinished jobs (what is stored).
 */
export async function exportJobZip(jobId: string): Promise<void> {
  const job = appStore.getState().jobs.find((j) => j.id === jobId);
  const picker = (window as unknown as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  let target: FileSystemFileHandle | undefined;
  if (picker) {
    try {
      target = await picker({
        suggestedName: `${bundleBaseName(job?.name ?? '')}.zip`,
        types: [{ description: 'Zip bundle', accept: { 'application/zip': ['.zip'] } }],
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      target = undefined; // the picker is unavailable here (policy, headless): download instead
    }
  }
  await runExport(jobId, 'zip', async (progress) => {
    const { summary, blob } = await exportZip(jobId, target, progress);
    if (!blob) return { summary, where: `to ${target?.name ?? 'the file'}` };
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${summary.name}.zip`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return { summary, where: 'as a download' };
  });
}

/** Exports a stored job into a folder the user picks, in the same layout as the zip. */
export async function exportJobFolder(jobId: string): Promise<void> {
  const picker = (window as unknown as { showDirectoryPicker?: FolderPicker }).showDirectoryPicker;
  if (!picker) {
    updateExport({
      jobId,
      kind: 'folder',
      phase: 'failed',
      message: 'This browser cannot write to folders (File System Access API): use Export zip.',
    });
    return;
  }
  let root: FileSystemDirectoryHandle;
  try {
    root = await picker({ mode: 'readwrite' });
  } catch (e) {
    if ((e as Error).name !== 'AbortError')
      updateExport({ jobId, kind: 'folder', phase: 'failed', message: exportError(e) });
    return;
  }
  await runExport(jobId, 'folder', async (progress) => ({
    summary: await exportFolder(jobId, root, progress),
    where: `to the folder ${root.name}`,
  }));
}

function exportError(e: unknown): string {
  const err = e as Error;
  if (err.name === 'QuotaExceededError') return 'the disk is full.';
  if (err.name === 'NotAllowedError') return 'the browser refused to write there.';
  return err.message || String(e);
}

/** Storage used and available, and whether the browser keeps it under pressure. */
export async function refreshStorage(): Promise<void> {
  try {
    const [estimate, persisted] = await Promise.all([
      navigator.storage.estimate(),
      navigator.storage.persisted(),
    ]);
    setStorage({
      ...(estimate.usage !== undefined ? { usage: estimate.usage } : {}),
      ...(estimate.quota !== undefined ? { quota: estimate.quota } : {}),
      persisted,
    });
  } catch {
    setStorage({});
  }
}

/** Asks the browser not to evict stored frames under storage pressure. */
export async function persistStorage(): Promise<void> {
  try {
    await navigator.storage.persist();
  } finally {
    await refreshStorage();
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
        done: j.totals.verified + j.totals.stored,
        bytes: j.totals.bytes,
      })),
    );
    return jobs;
  } catch {
    setJobs([]);
    return [];
  }
}

/** After a reload: show the latest unfinished job, ready to Resume. */
async function offerUnfinishedJob(jobs: JobRecord[]): Promise<void> {
  const unfinished = jobs.find((j) => isUnfinished(j.state));
  if (!unfinished || runner) return;
  const stored = await storedFrameKeys(unfinished.id);
  updateJob({
    ...initialJob(),
    id: unfinished.id,
    phase: 'paused',
    total: unfinished.totals.frames,
    skipped: stored.size,
    error: {
      code: 'Cancelled',
      message: `A job was interrupted with ${stored.size} of ${unfinished.totals.frames} frames stored: press Resume to fetch the rest.`,
    },
  });
}

/**
 * Once the page is idle and no job runs, retrieval workers wait warmed up for the next Start (see
 * keepStandby): the first frame then does not wait for workers and codec.
 */
function standbyWhenIdle(): void {
  const keep = () => {
    if (runner || appStore.getState().job.phase === 'preparing') return;
    keepStandby(workerCount(appStore.getState().settings.workers));
    keepPlanWorkerReady();
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(keep, { timeout: 2000 });
  else setTimeout(keep, 500);
}

const workerCount = (n: number) => Math.max(1, Math.min(16, Math.floor(n)));

export function rememberSettings(): void {
  const s = appStore.getState().settings;
  const keep: Record<string, unknown> = {};
  for (const k of REMEMBERED_SETTINGS) keep[k] = s[k];
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(keep));
  } catch {
    // storage disabled: settings are simply not remembered
  }
}

function restoreSettings(): void {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    if (!raw) return;
    const saved = JSON.parse(raw) as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const k of REMEMBERED_SETTINGS) if (k in saved) patch[k] = saved[k];
    updateSettings(patch);
  } catch {
    // a damaged entry is ignored
  }
}

export async function setManifestFiles(files: (Blob & { name: string })[]): Promise<void> {
  const read = await Promise.all(files.map(readManifestFile));
  updateSettings({ manifestFiles: read, source: 'manifest' });
}

export { updateCredentials, updateSettings };

/** Start-up: remembered settings, the local server's prefill when present, an unfinished job. */
export async function initialise(): Promise<void> {
  restoreSettings();
  await loadLocalConfig();
  const jobs = await refreshJobs();
  void refreshStorage();
  standbyWhenIdle();
  if (await autostart()) return;
  await offerUnfinishedJob(jobs);
  if (jobs[0] && !runner) await viewStoredJob(jobs[0].id);
}

/**
 * `?demo=<name>[&format=jph|raw|mem][&workers=N][&inflight=N|auto]` prefills the form with a demo
 * image set and those settings and marks `ahi:ready` once it can start; `?autostart=` does the same
 * and presses Start at once. For benchmarks and scripts that drive a browser without the
 * instrumentation a click-driving tool adds. Returns whether the URL asked for either.
 */
async function autostart(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const name = params.get('autostart') ?? params.get('demo');
  if (!name) return false;
  const set = appStore.getState().settings.demo.find((d) => d.name === name);
  if (!set) {
    updateJob({
      phase: 'failed',
      error: { code: 'BadInput', message: `No demo image set is named "${name}".` },
    });
    return true;
  }
  const format = params.get('format');
  const workers = Number(params.get('workers'));
  const inFlightParam = params.get('inflight');
  const inFlight = Number(inFlightParam);
  updateSettings({
    ...(format === 'jph' || format === 'raw' || format === 'mem' ? { format } : {}),
    ...(workers > 0 ? { workers } : {}),
    ...(inFlight > 0 ? { inFlight, autoTune: false } : {}),
    ...(inFlightParam === 'auto' ? { autoTune: true } : {}),
  });
  await loadDemoManifest(set);
  performance.mark('ahi:ready');
  if (params.has('autostart')) void start();
  return true;
}

/** Prefills the form when the app is served by the local AHI server (which serves /ahi-local.json). */
async function loadLocalConfig(): Promise<void> {
  let config: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    identityPoolId?: string;
    cognitoEndpoint?: string;
    imageSets: DemoImageSet[];
  };
  try {
    const response = await fetch('./ahi-local.json', { cache: 'no-store' });
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return;
    config = (await response.json()) as typeof config;
  } catch {
    return;
  }
  updateSettings({
    endpoint: config.endpoint,
    region: config.region,
    demo: config.imageSets,
    ...(config.identityPoolId ? { identityPoolId: config.identityPoolId } : {}),
    ...(config.cognitoEndpoint ? { cognitoEndpoint: config.cognitoEndpoint } : {}),
  });
  updateCredentials({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    sessionToken: config.sessionToken ?? '',
  });
  const first = config.imageSets.find((s) => s.name === 'nema') ?? config.imageSets[0];
  const { manifestText, manifestFiles } = appStore.getState().settings;
  if (first && !manifestText && manifestFiles.length === 0) await loadDemoManifest(first);
}

/**
 * Loads a demo image set's manifest from the local server as a manifest file (not into the paste
 * area: thousands of frames of JSON in a textarea cost the page tens of MB and long tasks).
 */
export async function loadDemoManifest(set: DemoImageSet): Promise<void> {
  try {
    const response = await fetch(set.manifest);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    updateSettings({
      manifestFiles: [{ name: `${set.name}-manifest.json`, content: await response.text() }],
      manifestText: '',
      source: 'manifest',
    });
  } catch (e) {
    updateJob({
      error: {
        code: 'Network',
        message: `Could not load the demo manifest from ${set.manifest}: ${(e as Error).message}. Open that address once to accept the local server's certificate.`,
      },
    });
  }
}
