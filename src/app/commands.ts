/**
 * App commands: the one place that wires io (client, credentials, IndexedDB), pool and state
 * together. The UI calls these; it never touches workers, the network or the database itself.
 */
import { RetrieveError, toErrorInfo } from '../core/errors';
import { AHI_ID_RE } from '../core/ids';
import { buildPlan, enrichPlan, type ManifestSource } from '../core/manifest';
import type { Plan } from '../core/plan';
import { AhiClient } from '../io/ahiClient';
import { CredentialManager, checkStatic, type CredentialInput } from '../io/credentials';
import {
  deleteJob as dbDeleteJob,
  getJob,
  listJobs,
  storedFrameKeys,
  type JobRecord,
  type PersistedSettings,
} from '../io/db';
import { checkEndpoint, checkRegion } from '../io/endpoint';
import { readManifestFile } from '../io/files';
import {
  appStore,
  initialJob,
  REMEMBERED_SETTINGS,
  setJobs,
  setPreview,
  updateCredentials,
  updateJob,
  updateSettings,
  type DemoImageSet,
  type SettingsSlice,
} from '../state/store';
import { JobRunner } from './jobRunner';

const SETTINGS_KEY = 'ahi-web-retrieve:settings';

let runner: JobRunner | undefined;

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
    workers: Math.max(1, Math.min(16, Math.floor(settings.workers))),
    inFlight: Math.max(1, Math.min(500, Math.floor(settings.inFlight))),
  };
}

/** Fetches GetImageSetMetadata, retrying 409 ConflictException (an image set being updated). */
async function fetchMetadata(
  client: AhiClient,
  datastoreId: string,
  imageSetId: string,
  version?: string,
): Promise<unknown> {
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

type JobSource = JobRecord['sources'][number] & { role?: 'manifest' | 'metadata' };

/** The plan for a job: manifests, enriched by the metadata stored with the job. */
function planFromSources(sources: JobSource[]): Plan {
  const manifests = sources.filter((s) => s.role !== 'metadata');
  const metadata = sources.filter((s) => s.role === 'metadata');
  let plan = buildPlan(manifests);
  for (const m of metadata) plan = enrichPlan(plan, buildPlan([m]));
  return plan;
}

/** Reads the sources the settings name: files, pasted JSON, or metadata fetched by IDs. */
async function gatherSources(settings: SettingsSlice, client: AhiClient): Promise<JobSource[]> {
  if (settings.source === 'ids') {
    const ds = settings.datastoreId.trim();
    const is = settings.imageSetId.trim();
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
    const version = settings.version.trim();
    if (version && !/^\d+$/.test(version))
      throw new RetrieveError('BadInput', `Version "${version}" should be a whole number.`);
    const doc = await fetchMetadata(client, ds, is, version || undefined);
    return [
      {
        name: `image set ${is}${version ? ` v${version}` : ''}`,
        content: JSON.stringify(doc),
        role: 'manifest',
      },
    ];
  }
  if (settings.manifestFiles.length > 0)
    return settings.manifestFiles.map((f) => ({ ...f, role: 'manifest' as const }));
  return [{ name: 'pasted JSON', content: settings.manifestText, role: 'manifest' }];
}

/** Adds metadata documents for image sets whose manifest has no checksums. */
async function addMetadata(
  plan: Plan,
  sources: JobSource[],
  client: AhiClient,
): Promise<JobSource[]> {
  const out = sources.slice();
  for (const set of plan.imageSets) {
    if (set.hasChecksums) continue;
    const doc = await fetchMetadata(client, set.datastoreId, set.imageSetId);
    out.push({
      name: `metadata of ${set.imageSetId}`,
      content: JSON.stringify(doc),
      role: 'metadata',
    });
  }
  return out;
}

async function run(record: JobRecord, plan: Plan, credentials: CredentialManager): Promise<void> {
  const stored = await storedFrameKeys(record.id);
  const todo = plan.frames.filter((f) => !stored.has(f.key));
  runner = new JobRunner(record, plan, todo, credentials, () => void refreshJobs());
  updateJob({ duplicates: plan.duplicates.reduce((n, d) => n + d.extra, 0) });
  await runner.start();
  void runner.ended.then(() => {
    runner = undefined;
    void refreshJobs();
  });
  void refreshJobs();
}

/** Starts a new job from the current settings. Errors end up in the job slice, never thrown. */
export async function start(): Promise<void> {
  if (runner) await cancel();
  const { settings } = appStore.getState();
  setPreview(undefined);
  updateJob({ ...initialJob(), phase: 'preparing' });
  rememberSettings();
  try {
    const region = checkRegion(settings.region);
    const endpoint = checkEndpoint(settings.endpoint, region);
    const credentials = await CredentialManager.create(credentialInput());
    const client = new AhiClient(endpoint, region, credentials.credentials);
    let sources = await gatherSources(settings, client);
    const plan0 = planFromSources(sources);
    sources = await addMetadata(plan0, sources, client);
    const plan = planFromSources(sources);
    const record: JobRecord = {
      id: crypto.randomUUID(),
      name: plan.sources.join(', ').slice(0, 120),
      createdAt: Date.now(),
      updatedAt: Date.now(),
      state: 'running',
      settings: persistedSettings(settings, endpoint, region),
      sources,
      totals: { frames: plan.frames.length, verified: 0, stored: 0, failed: 0, bytes: 0 },
    };
    await run(record, plan, credentials);
  } catch (e) {
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
    const record = id ? await getJob(id) : undefined;
    if (!record)
      throw new RetrieveError('BadInput', 'There is no stored job to resume: press Start.');
    if (runner) await cancel();
    updateJob({ ...initialJob(), id: record.id, phase: 'preparing' });
    const credentials = await CredentialManager.create(credentialInput());
    const plan = planFromSources(record.sources);
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

/** Moves frames to the front of the queue (for a viewer's "show this now"). */
export function prioritise(keys: string[]): void {
  runner?.prioritise(keys);
}

/** Terminates one worker as a crash would (exposed for the fault tests). */
export function terminateWorker(id: number): void {
  runner?.terminateWorker(id);
}

export async function deleteStoredJob(id: string): Promise<void> {
  if (runner?.record.id === id) await cancel();
  await dbDeleteJob(id);
  await refreshJobs();
}

export async function refreshJobs(): Promise<void> {
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
  } catch {
    setJobs([]);
  }
}

/** After a reload: show the latest unfinished job, ready to Resume. */
async function offerUnfinishedJob(): Promise<void> {
  const jobs = await listJobs().catch(() => []);
  const unfinished = jobs.find((j) => j.state !== 'done');
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
  await refreshJobs();
  if (await autostart()) return;
  await offerUnfinishedJob();
}

/**
 * `?autostart=<demo name>[&format=jph|raw|mem][&workers=N][&inflight=N]` starts a demo job at
 * once: for benchmarks and scripts that drive a browser without clicking (and without the
 * instrumentation a click-driving tool adds).
 */
async function autostart(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const name = params.get('autostart');
  if (!name) return false;
  const set = appStore.getState().settings.demo.find((d) => d.name === name);
  if (!set) {
    updateJob({
      phase: 'failed',
      error: { code: 'BadInput', message: `autostart: no demo image set named ${name}` },
    });
    return true;
  }
  const format = params.get('format');
  const workers = Number(params.get('workers'));
  const inFlight = Number(params.get('inflight'));
  updateSettings({
    ...(format === 'jph' || format === 'raw' || format === 'mem' ? { format } : {}),
    ...(workers > 0 ? { workers } : {}),
    ...(inFlight > 0 ? { inFlight } : {}),
  });
  await loadDemoManifest(set);
  void start();
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
  if (first && !appStore.getState().settings.manifestText) await loadDemoManifest(first);
}

/** Loads a demo image set's manifest from the local server into the paste area. */
export async function loadDemoManifest(set: DemoImageSet): Promise<void> {
  try {
    const response = await fetch(set.manifest);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    updateSettings({
      manifestText: JSON.stringify(await response.json(), null, 2),
      manifestFiles: [],
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

export type { ManifestSource };
