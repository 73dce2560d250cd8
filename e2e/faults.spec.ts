/**
 * Faults from the local server's knobs, against the 2,000-frame synthetic series. Every scenario
 * checks the same invariant: each frame ends stored-and-verified or failed-with-reason, none is
 * stored twice, and the server saw no retry storm (requests ≤ 1.3 × frames unless said otherwise).
 */
import type { Page } from '@playwright/test';
import {
  chooseDemo,
  openApp,
  resetKnobs,
  waitForFrames,
  resetServer,
  serverStats,
  setKnobs,
} from './helpers';
import { expect, expectAllStoredAndVerified, readDb, test } from './fixtures';

const FRAMES = 2000;

test.afterEach(resetKnobs);

async function startJob(page: Page, workers?: number) {
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  if (workers !== undefined) await page.getByLabel('Workers').fill(String(workers));
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
}

async function expectAllVerified(page: Page, maxRequestsFactor = 1.3) {
  await expectAllStoredAndVerified(page, FRAMES, { timeout: 240_000 });
  const stats = await serverStats();
  expect(stats.byOperation['getImageFrame']).toBeLessThanOrEqual(FRAMES * maxRequestsFactor);
  console.log(
    `${test.info().title.split(':')[0]}: ${FRAMES} verified, 0 failed, ${stats.byOperation['getImageFrame']} GetImageFrame requests`,
  );
  return stats;
}

test('5 % 503s and 2 % streams reset mid-body: every frame verified', async ({
  persistent: { page },
}) => {
  await setKnobs({ errorRate: 0.05, resetRate: 0.02, seed: 11 });
  await startJob(page);
  const stats = await expectAllVerified(page);
  expect(stats.errorsByType['ServiceUnavailableException']).toBeGreaterThan(50);
  expect(await page.locator('.numbers').textContent()).toMatch(/retries \(.*ServerError \d+.*\)/);
  console.log(`503s + resets: ${stats.byOperation['getImageFrame']} requests for ${FRAMES} frames`);
});

test('throttling with bursts: every frame verified, the rate backs off, no retry storm', async ({
  persistent: { page },
}) => {
  // The 300 requests/s never binds here: on 2 cores under Playwright the app tops out near
  // 75 frames/s. A quota about half of that does: without the send-rate cap (checked by turning
  // it off) 30/s left the job at 1,397 of 2,000 frames after 4 minutes of 429s and backoff.
  const rps = Number(process.env.E2E_THROTTLE_RPS ?? 40);
  await setKnobs({ throttleRps: rps, throttleBurst: 20 });
  await startJob(page);
  // The send rate drops below the quota once AHI says so, and the status line says by how much.
  await expect(page.locator('.numbers')).toContainText(
    /slowed to \d+ requests\/s after throttling/,
    { timeout: 60_000 },
  );
  const stats = await expectAllVerified(page);
  const throttled = stats.errorsByType['ThrottlingException'] ?? 0;
  expect(throttled).toBeGreaterThan(0);
  await expect(
    page.getByRole('region', { name: 'Problems' }).locator('tr[data-code="Throttled"]'),
  ).toContainText(String(throttled));
  console.log(
    `throttled at ${rps}/s: ${stats.byOperation['getImageFrame']} requests for ${FRAMES} frames, ${throttled} answered 429`,
  );
});

test('corrupted bodies: checksum mismatch detected and fetched again; one that stays corrupt is reported', async ({
  persistent: { page },
}) => {
  await setKnobs({ corruptRate: 0.02, seed: 5 });
  await startJob(page);
  // A frame is fetched once more after a mismatch; corrupted twice (1 in 2,500 here), it
  // fails with ChecksumMismatch: every frame is verified or failed with that reason.
  await expect(page.getByRole('status')).toHaveText(
    new RegExp(`^Done: ${FRAMES} of ${FRAMES} frames`),
    { timeout: 240_000 },
  );
  const text = (await page.getByRole('status').textContent()) ?? '';
  const verified = Number(/(\d+) verified/.exec(text)?.[1]);
  const failed = Number(/(\d+) failed/.exec(text)?.[1] ?? 0);
  expect(verified + failed).toBe(FRAMES);
  // Corrupted twice: 0.02² × 2,000 = 0.8 frames expected; more than 5 has odds of 2 in 10,000.
  expect(failed).toBeLessThanOrEqual(5);
  if (failed > 0)
    await expect(page.locator('.failures li').first()).toContainText('ChecksumMismatch');
  const { frames } = await readDb(page);
  expect(frames).toHaveLength(verified);
  expect(frames.every((f) => f.verified)).toBe(true);
  expect((await page.locator('.numbers').textContent()) ?? '').toMatch(/ChecksumMismatch (\d+)/);
  const stats = await serverStats();
  expect(stats.byOperation['getImageFrame']).toBeLessThanOrEqual(FRAMES * 1.3);
  console.log(
    `corruption: ${stats.byOperation['getImageFrame']} requests, ${stats.corrupted} corrupted bodies, ${failed} frames failed`,
  );
});

test('frames that failed (corrupt twice) are stored by Retry failed frames, and their failure records go', async ({
  persistent: { page },
}) => {
  // The NEMA demo set in raw format: every body corrupt, so every frame fails (ChecksumMismatch,
  // or DecodeFailed where the damage breaks the codestream).
  await setKnobs({ corruptRate: 1 });
  await openApp(page);
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  const status = page.getByRole('status');
  await expect(status).toHaveText(/^Done: 16 of 16 frames, 0 verified, 16 failed/, {
    timeout: 60_000,
  });
  // The failure records are written when the job's state is saved, just after "Done".
  await expect.poll(async () => (await readDb(page)).failures.length).toBe(16);
  expect((await readDb(page)).frames).toHaveLength(0);

  await setKnobs({ corruptRate: 0 });
  await page.getByRole('button', { name: 'Retry failed frames' }).click();
  await expect(status).toHaveText(/^Done: 16 of 16 frames, 16 verified \(/, {
    timeout: 60_000,
  });
  const { frames, failures, jobs } = await readDb(page);
  expect(jobs).toHaveLength(1);
  expect(frames).toHaveLength(16);
  expect(frames.every((f) => f.verified)).toBe(true);
  // Each stored frame's failure record went in the transaction that stored it.
  expect(failures).toHaveLength(0);
  await expect(page.locator('.failures li')).toHaveCount(0);
});

test('latency with jitter (50 ± 40 ms): every frame verified', async ({ persistent: { page } }) => {
  await setKnobs({ latencyMs: 50, jitterMs: 40, seed: 3 });
  await startJob(page);
  const stats = await expectAllVerified(page, 1.0);
  expect(stats.errorsByType).toEqual({});
});

test('workers killed mid-run, three times: their frames are requeued, none lost, none stored twice', async ({
  persistent: { page },
}) => {
  await startJob(page, 2);
  await expect
    .poll(() => page.evaluate(() => window.ahiDiagnostics?.snapshot().workers.length))
    .toBe(2);
  // Each kill spawns a replacement that opens a frame file of its own while the job runs.
  for (const [frames, worker] of [
    [300, 0],
    [800, 1],
    [1300, 0],
  ] as const) {
    await waitForFrames(page, frames);
    await page.evaluate((id) => window.ahiDiagnostics?.terminateWorker(id), worker);
  }
  await expectAllVerified(page);
});

test('cancel mid-run, then start again: no orphaned requests, no duplicate records', async ({
  persistent: { page },
}) => {
  await startJob(page);
  await waitForFrames(page, 300);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Cancelled after \d+ of 2000 frames/);
  await expect
    .poll(async () => (await serverStats()).currentStreams, { timeout: 10_000 })
    .toBeLessThanOrEqual(1);
  const stored = (await readDb(page)).frames.length;
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 2000 of 2000 frames, 2000 verified/, {
    timeout: 240_000,
  });
  const { frames, jobs } = await readDb(page);
  // A new job stores every frame again under its own ID; within each job, no frame twice.
  expect(jobs).toHaveLength(2);
  for (const job of jobs) {
    const keys = frames.filter((f) => f.jobId === job.id).map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
  }
  expect(frames.length).toBe(stored + 2000);
  console.log(
    `cancel and start again: ${stored} stored before the cancel, then 2000 verified by the new job; ${(await serverStats()).byOperation['getImageFrame']} requests over both runs`,
  );
});
