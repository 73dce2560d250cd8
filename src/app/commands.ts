/**
 * App commands: the one place that wires io (client, manifests), pool (workers, scheduler) and
 * state together. The UI calls these; it never touches workers or the network itself.
 */
import { RetrieveError, toErrorInfo, type ErrorInfo } from '../core/errors';
import { buildPlan, enrichPlan } from '../core/manifest';
import type { Plan, PlannedFrame } from '../core/plan';
import type { Credentials, FrameResult } from '../core/protocol';
import { AhiClient } from '../io/ahiClient';
import { checkEndpoint, checkRegion } from '../io/endpoint';
import { Scheduler } from '../pool/scheduler';
import { WorkerPool } from '../pool/workerPool';
import {
  appStore,
  initialJob,
  setPreview,
  updateCredentials,
  updateJob,
  updateSettings,
  type DemoImageSet,
} from '../state/store';

const MAX_LISTED_FAILURES = 200;
const FLUSH_MS = 100;

interface Running {
  pool: WorkerPool;
  scheduler: Scheduler;
}
let running: Running | undefined;

function credentialsFromState(): Credentials {
  const c = appStore.getState().credentials;
  if (!c.accessKeyId.trim())
    throw new RetrieveError(
      'BadInput',
      'Enter an access key ID (for the local demo server: AKIDEXAMPLE).',
    );
  if (!c.secretAccessKey.trim())
    throw new RetrieveError(
      'BadInput',
      'Enter the secret access key that goes with the access key ID.',
    );
  if (c.accessKeyId.trim().startsWith('ASIA') && !c.sessionToken.trim()) {
    throw new RetrieveError(
      'BadInput',
      'Access keys starting with ASIA are temporary: they need their session token too.',
    );
  }
  return {
    accessKeyId: c.accessKeyId.trim(),
    secretAccessKey: c.secretAccessKey.trim(),
    ...(c.sessionToken.trim() ? { sessionToken: c.sessionToken.trim() } : {}),
  };
}

/** Fetches metadata for image sets whose manifest had no checksums; 409 is retried after a pause. */
async function addMetadata(plan: Plan, client: AhiClient): Promise<Plan> {
  let enriched = plan;
  for (const set of plan.imageSets) {
    if (set.hasChecksums) continue;
    let doc: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        doc = await client.getImageSetMetadata(set.datastoreId, set.imageSetId);
        break;
      } catch (e) {
        if (e instanceof RetrieveError && e.code === 'Conflict' && attempt < 5) {
          await new Promise((r) => setTimeout(r, 2000 * attempt));
          continue;
        }
        throw e;
      }
    }
    enriched = enrichPlan(
      enriched,
      buildPlan([{ name: `metadata of ${set.imageSetId}`, content: doc }]),
    );
  }
  return enriched;
}

/** Starts a job from the current settings. Errors end up in the job slice, never thrown to the UI. */
export async function start(): Promise<void> {
  if (running) return;
  const { settings } = appStore.getState();
  setPreview(undefined);
  updateJob({ ...initialJob(), phase: 'preparing', startedAt: performance.now() });
  let pool: WorkerPool | undefined;
  try {
    const region = checkRegion(settings.region);
    const endpoint = checkEndpoint(settings.endpoint, region);
    const credentials = credentialsFromState();
    const plan0 = buildPlan([{ name: settings.manifestName, content: settings.manifestText }]);
    const client = new AhiClient(endpoint, region, credentials);
    const plan = await addMetadata(plan0, client);
    updateJob({
      total: plan.frames.length,
      duplicates: plan.duplicates.reduce((n, d) => n + d.extra, 0),
    });
    pool = await WorkerPool.create(
      Math.max(1, settings.workers),
      { endpoint, region, format: settings.format, verify: settings.verify },
      credentials,
    );
    await runPlan(pool, plan);
  } catch (e) {
    updateJob({ phase: 'failed', error: toErrorInfo(e), finishedAt: performance.now() });
  } finally {
    pool?.terminate();
    running = undefined;
  }
}

async function runPlan(pool: WorkerPool, plan: Plan): Promise<void> {
  const counts = { verified: 0, stored: 0, failed: 0, bytes: 0, retries: 0 };
  const failures: { key: string; error: ErrorInfo }[] = [];
  let fatal: ErrorInfo | undefined;
  const previewKey = plan.frames[0]?.key;
  const flush = () => updateJob({ ...counts, failures: failures.slice() });
  const timer = setInterval(flush, FLUSH_MS);
  const scheduler = new Scheduler(
    pool,
    plan.frames,
    {
      frameDone(frame: PlannedFrame, result: FrameResult) {
        counts.bytes += result.bytes;
        if (result.outcome === 'verified') counts.verified++;
        else if (result.outcome === 'stored') counts.stored++;
        else {
          counts.failed++;
          if (failures.length < MAX_LISTED_FAILURES && result.error)
            failures.push({ key: frame.key, error: result.error });
        }
        if (result.pixels)
          setPreview({
            key: frame.key,
            pixels: result.pixels,
            ...(frame.pixel ? { description: frame.pixel } : {}),
          });
      },
      retrying() {
        counts.retries++;
      },
      fatal(error) {
        fatal = error;
        scheduler.stop();
        wakeWaiters();
      },
    },
    { inFlight: appStore.getState().settings.inFlight, wantPixels: (f) => f.key === previewKey },
  );
  running = { pool, scheduler };
  updateJob({ phase: 'running' });
  scheduler.start();
  await Promise.race([
    scheduler.finished,
    new Promise<void>((resolve) => stopWaiters.add(resolve)),
  ]);
  clearInterval(timer);
  flush();
  const phase = appStore.getState().job.phase;
  if (fatal) updateJob({ phase: 'failed', error: fatal, finishedAt: performance.now() });
  else if (phase !== 'cancelled') updateJob({ phase: 'done', finishedAt: performance.now() });
}

const stopWaiters = new Set<() => void>();
function wakeWaiters() {
  for (const w of stopWaiters) w();
  stopWaiters.clear();
}

export function pause(): void {
  if (!running) return;
  running.scheduler.pause();
  updateJob({ phase: 'paused' });
}

export function resume(): void {
  if (!running) return;
  running.scheduler.resume();
  updateJob({ phase: 'running' });
}

export function cancel(): void {
  if (!running) return;
  running.scheduler.stop();
  updateJob({ phase: 'cancelled', finishedAt: performance.now() });
  wakeWaiters();
}

export function setInFlight(n: number): void {
  updateSettings({ inFlight: n });
  running?.scheduler.setInFlightLimit(n);
}

export { updateCredentials, updateSettings };

/** Prefills the form when the app is served by the local AHI server (which serves /ahi-local.json). */
export async function loadLocalConfig(): Promise<void> {
  let config: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    imageSets: DemoImageSet[];
  };
  try {
    const response = await fetch('./ahi-local.json', { cache: 'no-store' });
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return;
    config = (await response.json()) as typeof config;
  } catch {
    return;
  }
  updateSettings({ endpoint: config.endpoint, region: config.region, demo: config.imageSets });
  updateCredentials({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    sessionToken: config.sessionToken ?? '',
  });
  const first = config.imageSets.find((s) => s.name === 'nema') ?? config.imageSets[0];
  if (first) await loadDemoManifest(first);
}

/** Loads a demo image set's manifest from the local server into the paste area. */
export async function loadDemoManifest(set: DemoImageSet): Promise<void> {
  try {
    const response = await fetch(set.manifest);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    updateSettings({
      manifestText: JSON.stringify(await response.json(), null, 2),
      manifestName: `${set.name} demo manifest`,
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
