/**
 * Start-up: remembered settings, the local server's prefill (endpoint, demo credentials and image
 * sets) when the app is served by it, the `?demo=` / `?autostart=` URL for benchmarks and scripts,
 * and, after a reload, the latest unfinished job offered for Resume.
 */
import type { JobRecord } from '../core/job';
import { isUnfinished } from '../core/job';
import { storedFrameKeys } from '../io/store';
import { restoreSearch, restoreSettings } from '../state/settingsPersistence';
import {
  appStore,
  initialJob,
  updateCredentials,
  updateJob,
  updateSettings,
  type DemoImageSet,
} from '../state/store';
import { hasRunningJob, refreshJobs, standbyWhenIdle, start, viewStoredJob } from './jobs';
import { selectWholeDatastore } from './search';
import { sourceChanged } from './size';
import { refreshStorage } from './storage';

/** After a reload: show the latest unfinished job, ready to Resume. */
async function offerUnfinishedJob(jobs: JobRecord[]): Promise<void> {
  const unfinished = jobs.find((j) => isUnfinished(j.state));
  if (!unfinished || hasRunningJob()) return;
  const stored = await storedFrameKeys(unfinished.id);
  updateJob({
    ...initialJob(),
    id: unfinished.id,
    phase: 'paused',
    total: unfinished.totals.frames,
    skipped: stored.size,
    error: {
      code: 'Cancelled',
      message: unfinished.destination
        ? `A job was interrupted with ${stored.size} of ${unfinished.totals.frames} frames written to the folder "${unfinished.destination.root.name}": press Resume to check them there and fetch the rest (the browser may ask to allow writing to the folder again).`
        : `A job was interrupted with ${stored.size} of ${unfinished.totals.frames} frames stored: press Resume to fetch the rest.`,
    },
  });
}

/** Start-up: remembered settings, the local server's prefill when present, an unfinished job. */
export async function initialise(): Promise<void> {
  restoreSettings();
  restoreSearch();
  await loadLocalConfig();
  const jobs = await refreshJobs();
  void refreshStorage();
  standbyWhenIdle();
  if (await autostart()) return;
  await offerUnfinishedJob(jobs);
  if (jobs[0] && !hasRunningJob()) await viewStoredJob(jobs[0].id);
}

/**
 * `?demo=<name>[&format=jph|raw|mem][&workers=N][&inflight=N|auto]` prefills the form with a demo
 * image set and those settings and marks `ahi:ready` once it can start; `?autostart=` does the same
 * and presses Start at once; `?cohort=<datastore ID>` puts every image set of that datastore into
 * the form instead (searched, selected, size checked: marks `ahi:cohort-search` and
 * `ahi:cohort-sized`). For benchmarks and scripts that drive a browser without the
 * instrumentation a click-driving tool adds. Returns whether the URL asked for either.
 */
async function autostart(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const cohort = params.get('cohort');
  const name = params.get('autostart') ?? params.get('demo');
  if (!name && !cohort) return false;
  const set = appStore.getState().settings.demo.find((d) => d.name === name);
  if (!cohort && !set) {
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
  if (cohort) {
    performance.mark('ahi:cohort-search');
    if (!(await selectWholeDatastore(cohort))) return true;
    performance.mark('ahi:cohort-sized');
  } else await loadDemoManifest(set!);
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
    sourceChanged();
  } catch (e) {
    updateJob({
      error: {
        code: 'Network',
        message: `Could not load the demo manifest from ${set.manifest}: ${(e as Error).message}. Open that address once to accept the local server's certificate.`,
      },
    });
  }
}
