/** Shared e2e helpers: the local server's counters and knobs, read over HTTPS like any client. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, request, type Download, type Page } from '@playwright/test';
import { API_URL } from '../playwright.config';
import { DEFAULT_KNOBS } from '../ahi-server/knobs';
import type { Stats } from '../ahi-server/server';

export type ServerStats = Stats;

declare global {
  interface Window {
    /** what the app exposes for tests and benchmarks (src/ui/App.tsx) */
    ahiDiagnostics?: {
      terminateWorker(id: number): void;
      snapshot(): { workers: { workerId: number }[]; workersRenewed: number };
    };
  }
}

/** How many retrieval workers the running (or last) job renewed so far. */
export function workersRenewed(page: Page): Promise<number> {
  return page.evaluate(() => window.ahiDiagnostics?.snapshot().workersRenewed ?? 0);
}

async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  data?: unknown,
  base = API_URL,
): Promise<T> {
  const ctx = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response =
      method === 'GET'
        ? await ctx.get(`${base}${path}`)
        : await ctx.post(`${base}${path}`, { data: data ?? {} });
    if (!response.ok())
      throw new Error(`${method} ${path}: ${response.status()} ${await response.text()}`);
    return (await response.json()) as T;
  } finally {
    await ctx.dispose();
  }
}

/** A local path's body as text, byte for byte (a demo manifest as the app receives it). */
export async function serverText(path: string): Promise<string> {
  const ctx = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response = await ctx.get(`${API_URL}${path}`);
    if (!response.ok()) throw new Error(`GET ${path}: ${response.status()}`);
    return await response.text();
  } finally {
    await ctx.dispose();
  }
}

export const serverStats = (base = API_URL) =>
  api<ServerStats>('GET', '/__ahi/stats', undefined, base);
export const resetServer = () => api<ServerStats>('POST', '/__ahi/reset');
export const setKnobs = (knobs: Record<string, number>) =>
  api<Record<string, number>>('POST', '/__ahi/knobs', knobs);
/** From now on these frames are served damaged (their codestream cut to a quarter); [] undoes it. */
export const damageFrames = (frameIds: string[]) =>
  api<{ damaged: number }>('POST', '/__ahi/damage', { frameIds });
export const demoIndex = () =>
  api<{
    imageSets: {
      name: string;
      datastoreId: string;
      imageSetId: string;
      frames: number;
      manifest: string;
    }[];
  }>('GET', '/demo/');

/** A demo image set's metadata document, as GetImageSetMetadata would return it. */
export const demoMetadata = (name: string) => api<unknown>('GET', `/demo/${name}/metadata.json`);

/** Temporary credentials (ASIA key, secret, session token) from the local server, valid `ttlSeconds`. */
export const mintCredentials = (ttlSeconds: number) =>
  api<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string }>(
    'POST',
    `/demo/credentials?ttlSeconds=${ttlSeconds}`,
  );

/** Types static credentials into the form. */
export async function fillCredentials(
  page: Page,
  c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Promise<void> {
  await page.getByLabel('Access key ID').fill(c.accessKeyId);
  await page.getByLabel('Secret access key').fill(c.secretAccessKey);
  await page.getByLabel('Session token').fill(c.sessionToken ?? '');
}

/**
 * Waits until the viewer's canvas holds the frame and window it says it shows (data-frame and
 * data-window change when they are chosen; the canvas paints a task later and sets data-painted).
 */
export async function waitForPainted(page: Page): Promise<void> {
  await expect
    .poll(() =>
      page
        .getByLabel('Decoded frame')
        .evaluate(
          (c: HTMLElement) =>
            c.dataset['painted'] === `${c.dataset['frame']}@${c.dataset['window']}`,
        ),
    )
    .toBe(true);
}

/** Opens the app (at `url`, default the test server's) and waits until the local config has prefilled the form. */
export async function openApp(page: Page, url = '/', navigate = true): Promise<void> {
  if (navigate) await page.goto(url);
  await page.getByLabel('Access key ID').and(page.locator('[value="AKIDEXAMPLE"]')).waitFor();
  await page.getByText('Using 1 file: nema-manifest.json').waitFor();
}

export async function serverDigests(imageSetId: string): Promise<Record<string, string>> {
  return api<Record<string, string>>('GET', `/__ahi/digests/${imageSetId}`);
}

/** Picks a demo image set by name (loads its manifest into the paste area). */
export async function chooseDemo(
  page: Page,
  name: 'nema' | 'synthetic-ct' | 'syntaxes' | 'synthetic-ct-j2k',
): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${name} \\(`) }).click();
  await page.getByText(`Using 1 file: ${name}-manifest.json`).waitFor();
}

/**
 * Gives the app several demo image sets' manifests as files (as a person choosing them would),
 * each named `<name>-manifest.json`; returns their texts by name.
 */
export async function chooseDemoFiles(
  page: Page,
  names: string[],
): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const name of names) texts[name] = await serverText(`/demo/${name}/manifest.json`);
  await page.getByRole('radio', { name: 'Manifest files or JSON' }).check();
  await page.getByLabel('Manifest', { exact: true }).setInputFiles(
    names.map((name) => ({
      name: `${name}-manifest.json`,
      mimeType: 'application/json',
      buffer: Buffer.from(texts[name]!),
    })),
  );
  return texts;
}

/** Every fault knob back off (the server is shared by all specs). */
export const resetKnobs = () => setKnobs({ ...DEFAULT_KNOBS });

/** Waits until the status line says at least `n` frames are done. */
export async function waitForFrames(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (min) =>
      Number(
        /^(\d+) of/.exec(document.querySelector('[role=status]')?.textContent ?? '')?.[1] ?? 0,
      ) >= min,
    n,
  );
}

/** Every file under `dir`, at any depth, by path. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Runs Info-ZIP's `unzip` (an independent reader of the app's zips). */
export function unzip(...args: string[]): Buffer {
  return execFileSync('unzip', args, { maxBuffer: 1 << 30 });
}

/** Clicks Export zip and waits for the download (the page must have no save picker). */
export async function downloadZip(page: Page): Promise<Download> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export zip', exact: true }).click(),
  ]);
  return download;
}

/**
 * Saves a downloaded zip to a temporary file, checks it with `unzip -t`, and hands its path and
 * entry names to `check`; the file is removed afterwards.
 */
export async function checkZip(
  download: Download,
  check: (path: string, names: string[]) => void | Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ahi-zip-'));
  try {
    const path = join(dir, 'bundle.zip');
    await download.saveAs(path);
    unzip('-t', '-qq', path);
    await check(path, unzip('-Z', '-1', path).toString().trim().split('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
