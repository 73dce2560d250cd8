/**
 * The retrieval engine end to end, in Debian's Chromium against the local AHI server over HTTP/2:
 * the 2,000-frame synthetic CT in raw mode into the browser's storage, resume after a reload, byte-exact jph
 * storage, fast failure on a wrong secret, and Cognito credentials.
 */
import { API_URL } from '../playwright.config';
import {
  demoIndex,
  openApp,
  resetKnobs,
  waitForFrames,
  resetServer,
  serverDigests,
  serverStats,
  setKnobs,
  chooseDemo,
} from './helpers';
import { expect, readDb, storedDigests, test } from './fixtures';

test.afterEach(resetKnobs);

test('2,000-frame synthetic CT in raw mode: all stored (records in IndexedDB, bytes in OPFS), all verified, one HTTP/2 session', async ({
  persistent: { page },
}) => {
  await resetServer();
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 2000 of 2000 frames, 2000 verified \(/,
    { timeout: 240_000 },
  );
  const seconds = (Date.now() - t0) / 1000;
  const stats = await serverStats();
  console.log(
    `raw, 2000 frames: ${seconds.toFixed(1)} s from Start to Done, ${(2000 / seconds).toFixed(0)} frames/s (includes metadata and worker start-up)`,
  );
  expect(stats.byOperation['getImageFrame']).toBe(2000);
  expect(stats.distinctFramesServed).toBe(2000);
  expect(stats.http2Sessions).toBe(1);
  expect(stats.http1Requests).toBe(0);
  const { frames, jobs } = await readDb(page);
  expect(jobs).toHaveLength(1);
  expect(jobs[0]?.state).toBe('done');
  expect(frames).toHaveLength(2000);
  expect(frames.every((f) => f.verified && f.kind === 'pixels' && f.size === 512 * 512 * 2)).toBe(
    true,
  );
});

test('reload mid-job, then Resume: only the missing frames are fetched', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await setKnobs({ bandwidthMbps: 400 });
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^(\d{3,4}) of 2000 frames/, {
    timeout: 60_000,
  });
  await waitForFrames(page, 400);
  await page.reload();
  await setKnobs({ bandwidthMbps: 0 });
  const before = (await readDb(page)).frames.length;
  expect(before).toBeGreaterThanOrEqual(400);
  expect(before).toBeLessThan(2000);
  await expect(page.getByRole('status')).toContainText(
    `interrupted with ${before} of 2000 frames stored`,
  );
  await resetServer();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByRole('status')).toHaveText(
    new RegExp(`^Done: 2000 of 2000 frames, .*${before} already stored`),
    { timeout: 120_000 },
  );
  const stats = await serverStats();
  expect(stats.framesServed).toBe(2000 - before);
  expect(stats.distinctFramesServed).toBe(2000 - before);
  const { frames } = await readDb(page);
  expect(frames).toHaveLength(2000);
  expect(new Set(frames.map((f) => f.key)).size).toBe(2000);
});

test('jph mode stores exactly the bytes the server holds, and verifies every frame, classic JPEG 2000 included', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified \(/, {
    timeout: 60_000,
  });
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  const expected = await serverDigests(nema.imageSetId);
  expect(await storedDigests(page)).toEqual(expected);
  const { frames } = await readDb(page);
  expect(frames.map((f) => f.contentType).sort()).toEqual(
    [...Array<string>(14).fill('image/jph'), 'application/octet-stream', 'image/j2c'].sort(),
  );
});

test('a wrong secret fails fast, with one message and fewer than 10 requests', async ({
  persistent: { page },
}) => {
  await openApp(page);
  // The metadata document carries checksums, so frames are the first signed requests.
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  const metadata = await page.evaluate(
    async (url) => (await fetch(url)).text(),
    API_URL + nema.manifest.replace('manifest.json', 'metadata.json'),
  );
  await page.getByLabel('Manifest JSON').fill(metadata);
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  const status = page.getByRole('status');
  await expect(status).toHaveText(
    /^Stopped: GetImageFrame \w{32}: InvalidSignatureException: The request signature we calculated does not match/,
  );
  await expect(
    page.getByText(
      'The credentials were refused: check the access key, secret, session token and region.',
    ),
  ).toBeVisible();
  const stats = await serverStats();
  expect(stats.requests).toBeLessThan(10);
  expect(stats.errorsByType['InvalidSignatureException']).toBe(stats.requests);
  // The secret appears nowhere on the page.
  expect(await page.content()).not.toContain('not-the-secret');
  // With the right secret, Resume finishes the job.
  await page.getByLabel('Secret access key').fill('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(status).toHaveText(/^Done: 16 of 16 frames, 16 verified \(/, {
    timeout: 60_000,
  });
});

test('Cognito identity pool: credentials from the real provider, refreshed while they expire mid-run', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('mem');
  await page.getByText('Cognito identity pool').click();
  await expect(page.getByLabel('Identity pool ID')).toHaveValue(/^us-east-1:/);
  await setKnobs({ credentialsTtlSeconds: 3, bandwidthMbps: 300 });
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 2000 of 2000 frames, 2000 verified/, {
    timeout: 120_000,
  });
  const stats = await serverStats();
  expect(stats.credentialsIssued).toBeGreaterThanOrEqual(3);
  expect(stats.distinctFramesServed).toBe(2000);
});

test('by image set ID: metadata fetched (a 409 ConflictException waited out), a missing frame fails alone with NotFound', async ({
  persistent: { page },
}) => {
  await openApp(page);
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  await page.getByLabel('Datastore ID').fill(nema.datastoreId);
  await page.getByLabel('Image set ID').fill(nema.imageSetId);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await setKnobs({ metadataConflicts: 1 });
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified \(/, {
    timeout: 60_000,
  });
  const stats = await serverStats();
  expect(stats.errorsByType).toEqual({ ConflictException: 1 });
  expect(stats.byOperation['getImageSetMetadata']).toBe(2);

  // A manifest naming a frame the image set does not have: that frame fails, the rest succeed.
  const manifest = await page.evaluate(
    async (url) => (await fetch(url)).text(),
    API_URL + nema.manifest,
  );
  const firstId = /"ID":\s*"([0-9a-z]{32})"/.exec(manifest)![1]!;
  await page.getByLabel('Manifest JSON').fill(manifest.replace(firstId, 'e'.repeat(32)));
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 16 of 16 frames, 15 verified, 1 failed \(/,
    { timeout: 60_000 },
  );
  await expect(page.getByRole('region', { name: 'Problems' }).locator('.failures li')).toHaveText([
    /NotFound.*ImageFrame e{32} not found/,
  ]);
});
