/**
 * Faults that interrupt a job rather than a frame: credentials that expire, the browser closed and
 * started again, the server killed and restarted, the disk quota used up. Each ends with the same
 * invariant as the other fault scenarios: every frame stored and verified (or the job paused with
 * its reason and every stored frame intact), none stored twice, nothing fetched again that was
 * already stored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import {
  checkZip,
  chooseDemo,
  downloadZip,
  fillCredentials,
  mintCredentials,
  openApp,
  resetKnobs,
  resetServer,
  serverStats,
  setKnobs,
  waitForFrames,
} from './helpers';
import {
  expect,
  expectAllStoredAndVerified,
  launchProfile,
  newProfileDir,
  readDb,
  settledCount,
  test,
} from './fixtures';
import { APP_URL } from '../playwright.config';

const FRAMES = 2000;

test.afterEach(resetKnobs);

const status = (page: Page) => page.getByRole('status');

async function startSynthetic(page: Page, url?: string) {
  await openApp(page, url);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
}

/** Done, with `kept` frames stored by an earlier run of the job (after a restart). */
const expectDone = (page: Page, kept = 0) =>
  expectAllStoredAndVerified(page, FRAMES, { kept, timeout: 150_000 });

test('static temporary credentials expire mid-run: the job pauses and asks; new keys resume it without refetching', async ({
  persistent: { page },
}) => {
  await startSynthetic(page);
  await fillCredentials(page, await mintCredentials(6));
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(status(page)).toHaveText(/^Paused: \d+ of 2000 frames\. .*expired/, {
    timeout: 60_000,
  });
  await expect(
    page.getByText('The credentials expired: enter new ones (or refresh Cognito) to continue.'),
  ).toBeVisible();
  const before = await settledCount(page);
  expect(before).toBeGreaterThan(0);
  const expiredAnswers = (await serverStats()).errorsByType['ExpiredTokenException'] ?? 0;
  // The frames in flight when the token expired, not a storm: at most one in-flight limit's worth
  // (auto-tune never goes above 64).
  expect(expiredAnswers).toBeGreaterThan(0);
  expect(expiredAnswers).toBeLessThanOrEqual(64);

  await fillCredentials(page, await mintCredentials(3600));
  await resetServer();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expectDone(page);
  const stats = await serverStats();
  expect(stats.framesServed).toBe(FRAMES - before);
  expect(stats.distinctFramesServed).toBe(FRAMES - before);
  console.log(
    `static expiry: paused at ${before} frames after ${expiredAnswers} expired-token answers; resume fetched ${stats.framesServed}`,
  );
});

test('browser closed mid-run and started again on the same profile: Resume fetches only what is missing', async () => {
  const dir = await newProfileDir();
  try {
    let context = await launchProfile(dir);
    let page = context.pages()[0] ?? (await context.newPage());
    await startSynthetic(page);
    // Slowed down, so the job cannot finish between the count and the close (it once did, on an
    // idle machine: 2,000 of 2,000 stored and the job done, nothing to resume).
    await setKnobs({ bandwidthMbps: 200 });
    await page.getByRole('button', { name: 'Start' }).click();
    await waitForFrames(page, 400);
    await context.close();

    context = await launchProfile(dir);
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/');
    const before = (await readDb(page)).frames.length;
    expect(before).toBeGreaterThanOrEqual(400);
    await expect(status(page)).toContainText(`interrupted with ${before} of 2000 frames stored`);
    await resetServer();
    await setKnobs({ bandwidthMbps: 0 });
    await page.getByRole('button', { name: 'Resume' }).click();
    await expectDone(page, before);
    const stats = await serverStats();
    expect(stats.framesServed).toBe(FRAMES - before);
    expect(stats.distinctFramesServed).toBe(FRAMES - before);
    console.log(`browser restart: ${before} kept, resume fetched ${stats.framesServed}`);
    await context.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A local AHI server in its own process (so it can be killed), serving the app too. */
async function spawnServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'ahi-server/cli.ts',
      '--app',
      'dist',
      '--port',
      String(port),
      '--app-port',
      String(port + 1),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Local AHI server ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return child;
}

test('server killed mid-run and restarted: the job waits, then finishes; nothing lost or fetched twice', async ({
  persistent: { page },
}) => {
  const port = 8643;
  const api = `https://127.0.0.1:${port}`;
  let server = await spawnServer(port);
  try {
    await startSynthetic(page, `https://127.0.0.1:${port + 1}/`);
    await page.getByRole('button', { name: 'Start' }).click();
    await waitForFrames(page, 300);
    server.kill('SIGKILL');
    await expect(page.getByRole('alert')).toContainText(
      'Waiting for the endpoint to answer again',
      { timeout: 30_000 },
    );
    // Down for a few probes: the job must not burn through frames' attempts meanwhile.
    await page.waitForTimeout(4000);
    const stored = (await readDb(page)).frames.length;
    const statusWhileDown = (await status(page).textContent()) ?? '';
    expect(statusWhileDown).not.toContain('failed');
    server = await spawnServer(port);
    await expectDone(page);
    await expect(page.getByRole('alert')).toHaveCount(0);
    const stats = await serverStats(api);
    expect(stats.distinctFramesServed).toBe(FRAMES - stored);
    expect(stats.byOperation['getImageFrame']).toBeLessThanOrEqual((FRAMES - stored) * 1.3);
    console.log(
      `server restart: ${stored} stored before the kill; the new server served ${stats.framesServed} frames (${stats.byOperation['getImageFrame']} requests)`,
    );
  } finally {
    server.kill('SIGKILL');
  }
});

test('storage quota used up mid-run: the job pauses with a clear message, stored frames intact, export works', async ({
  persistent: { context, page },
}) => {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(APP_URL).origin,
    quotaSize: 60 * 1024 * 1024,
  });
  await startSynthetic(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(status(page)).toHaveText(
    /^Paused: \d+ of 2000 frames\. The browser ran out of storage/,
    { timeout: 120_000 },
  );
  await expect(page.getByText('The browser ran out of storage for this site.')).toBeVisible();
  const shown = await settledCount(page);
  const { frames } = await readDb(page);
  expect(frames.length).toBe(shown);
  expect(shown).toBeGreaterThan(100);
  expect(new Set(frames.map((f) => f.key)).size).toBe(frames.length);
  expect(frames.every((f) => f.verified)).toBe(true);
  // Nothing failed: the frames that did not fit wait for room.
  expect((await status(page).textContent()) ?? '').not.toContain('failed');

  await page.evaluate(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  const download = await downloadZip(page);
  expect(download.suggestedFilename()).toBe(`synthetic-ct-manifest-partial-${shown}-of-2000.zip`);
  await checkZip(download, (_path, names) => {
    expect(names.filter((n) => n.endsWith('.jph'))).toHaveLength(shown);
  });
  // Room again (a person freed space): Resume finishes the job.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(APP_URL).origin });
  await setKnobs({});
  await page.getByRole('button', { name: 'Resume' }).click();
  await expectDone(page);
  console.log(`quota: paused at ${shown} frames (60 MB), zip exported, resumed to 2000`);
});
