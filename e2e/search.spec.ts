/**
 * Finding data, as a new user would: list the datastores, search the research cohort by patient and
 * by a study date range, page through all of it, select image sets on different pages, see their
 * size (and the warning when the browser's quota is low), download them as one verified job, save
 * the selection as manifests split in two and load them back, and the messages for a control plane
 * the browser cannot call, bad filters, refused credentials and throttling. What the table shows
 * is compared with what SearchImageSets answers a client outside the browser.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { AwsClient } from 'aws4fetch';
import { COHORT_DATASTORE_ID } from '../ahi-server/imageSet';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';
import { sendSigned } from '../ahi-server/testing';
import { API_URL, APP_URL } from '../playwright.config';
import { expect, test } from './fixtures';
import {
  checkZip,
  openApp,
  resetKnobs,
  resetServer,
  serverStats,
  setKnobs,
  unzip,
} from './helpers';

const ca = readFileSync('.cache/tls/cert.pem');
const aws = new AwsClient({
  ...EXAMPLE_CREDENTIALS,
  service: 'medical-imaging',
  region: 'us-east-1',
  retries: 0,
});

interface Summary {
  imageSetId: string;
  DICOMTags: Record<string, string | number>;
}

/** Every image set a search finds, in AHI's order, asked outside the browser. */
async function searchApi(criteria: unknown): Promise<Summary[]> {
  const out: Summary[] = [];
  let token: string | undefined;
  do {
    const q = `?maxResults=50${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const r = await sendSigned(
      await aws.sign(`${API_URL}/datastore/${COHORT_DATASTORE_ID}/searchImageSets${q}`, {
        method: 'POST',
        body: JSON.stringify(criteria),
      }),
      ca,
    );
    const page = JSON.parse(r.body.toString()) as {
      imageSetsMetadataSummaries: Summary[];
      nextToken?: string;
    };
    out.push(...page.imageSetsMetadataSummaries);
    token = page.nextToken;
  } while (token);
  return out;
}

/** Image set IDs in the results table, in the order shown. */
const shownIds = (page: Page) =>
  page
    .locator('table.image-sets tbody input[type=checkbox]')
    .evaluateAll((boxes) => boxes.map((b) => b.getAttribute('aria-label')!));
const status = (page: Page) => page.getByRole('status');
const count = (page: Page) => page.locator('.results-bar > span[aria-live]');

async function chooseCohort(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'List datastores' }).click();
  const table = page.getByRole('table', { name: 'Datastores' });
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table).toContainText('research-cohort');
  await expect(table).toContainText('JPEG_2000_LOSSLESS');
  await page.getByRole('button', { name: 'Use datastore research-cohort' }).click();
  await expect(page.getByLabel('Datastore to search')).toHaveValue(COHORT_DATASTORE_ID);
}

async function addFilter(page: Page, n: number, field: string, ...values: string[]): Promise<void> {
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel(`Filter ${n} attribute`).selectOption({ label: field });
  if (values.length === 2) {
    await page.getByLabel(`Filter ${n} operator`).selectOption('BETWEEN');
    await page.getByLabel(`Filter ${n} from`).fill(values[0]!);
    await page.getByLabel(`Filter ${n} to`).fill(values[1]!);
  } else await page.getByLabel(`Filter ${n} value`).fill(values[0]!);
}

const searchButton = (page: Page) => page.getByRole('button', { name: 'Search image sets' });

test.beforeEach(async () => {
  await resetKnobs();
});

test('a new user finds a patient’s studies, sees their size, downloads them verified, and leaves with the bundle', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await chooseCohort(page);
  await addFilter(page, 1, 'Patient ID', 'COH-0001');
  await searchButton(page).click();
  await expect(count(page)).toHaveText(/^3 image sets found on 1 page$/);
  const expected = await searchApi({
    filters: [{ operator: 'EQUAL', values: [{ DICOMPatientId: 'COH-0001' }] }],
  });
  expect(await shownIds(page)).toEqual(expected.map((s) => s.imageSetId));
  await expect(page.getByRole('table', { name: 'Image sets found' })).toContainText('MR BRAIN');

  // A look at one image set's series before downloading.
  const mr = expected.find((s) => s.DICOMTags['DICOMStudyDescription'] === 'MR BRAIN')!.imageSetId;
  await page.getByRole('button', { name: `Series of ${mr}` }).click();
  const series = page.getByRole('table', { name: `Series of ${mr}` });
  await expect(series).toContainText('All 3 series');
  await expect(series.getByRole('row')).toHaveCount(5);

  await page.getByRole('button', { name: 'select all' }).click();
  await resetServer();
  await page.getByRole('button', { name: 'Download selected' }).click();
  await expect(page.getByLabel('Search selection')).toBeChecked();
  // 13 + 13 + 6 frames; bytes from FrameSizeInBytes.
  await expect(page.locator('.size-check')).toContainText(
    /^32 frames in 3 image sets, [\d.]+ MB decoded · browser storage free: /,
  );
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(status(page)).toHaveText(/^Done: 32 of 32 frames, 32 verified/, { timeout: 60_000 });
  // The size check read the metadata once; Start used it.
  const stats = await serverStats();
  expect(stats.byOperation['getImageSetMetadata']).toBe(3);
  expect(stats.distinctFramesServed).toBe(32);

  await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export zip', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('cohort-of-3-image-sets.zip');
  await checkZip(download, (_path, names) => {
    expect(names.filter((n) => n.endsWith('.raw'))).toHaveLength(32);
    for (const s of expected) expect(names.some((n) => n.includes(s.imageSetId))).toBe(true);
  });

  // The search form is remembered (the keys are not: they come from the local server again).
  await page.reload();
  await openApp(page, '/', false);
  await expect(page.getByLabel('Datastore to search')).toHaveValue(COHORT_DATASTORE_ID);
  await expect(page.getByLabel('Filter 1 value')).toHaveValue('COH-0001');
  expect(
    await page.evaluate(() => localStorage.getItem('ahi-web-retrieve:search') ?? ''),
  ).not.toMatch(/wJalr|AKID/);
});

test('search by a study date range and page through every image set; 3 picked on different pages make one verified job', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await chooseCohort(page);
  await addFilter(page, 1, 'Study date', '2024-01-01', '2024-12-31');
  await searchButton(page).click();
  const in2024 = await searchApi({
    filters: [
      {
        operator: 'BETWEEN',
        values: [
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20240101' } },
          { DICOMStudyDateAndTime: { DICOMStudyDate: '20241231' } },
        ],
      },
    ],
  });
  expect(in2024.length).toBeGreaterThan(20);
  await expect(count(page)).toHaveText(new RegExp(`^${in2024.length} image sets found on 1 page$`));
  expect(await shownIds(page)).toEqual(in2024.map((s) => s.imageSetId));
  // The table sorts by a column (and back), without asking AHI again.
  await page.getByRole('button', { name: 'Study date' }).click();
  const dates = await page.locator('table.image-sets tbody tr td:nth-child(4)').allTextContents();
  expect(dates).toEqual([...dates].sort());
  expect(dates.every((d) => d.startsWith('2024-'))).toBe(true);

  // Every image set, page by page: 50, then more, then the rest.
  await page.getByRole('button', { name: 'remove' }).click();
  await searchButton(page).click();
  await expect(count(page)).toHaveText(/^50 image sets found on 1 page, more on AHI$/);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(count(page)).toHaveText(/^100 image sets found on 2 pages, more on AHI$/);
  await page.getByRole('button', { name: 'Load all pages' }).click();
  await expect(count(page)).toHaveText(/^126 image sets found on 3 pages$/);
  const all = await shownIds(page);
  expect(new Set(all).size).toBe(126);
  expect(all).toEqual((await searchApi({})).map((s) => s.imageSetId));

  // One from each page; shift-click then extends a range and takes it back.
  const picks = [all[3]!, all[61]!, all[118]!];
  for (const id of picks) await page.getByRole('checkbox', { name: id }).click();
  await page.getByRole('checkbox', { name: all[121]! }).click({ modifiers: ['Shift'] });
  // 118 to 121: 3 more.
  await expect(count(page)).toContainText('· 6 selected');
  // From 121 back to 119, which was selected: the range is cleared, 118 stays.
  await page.getByRole('checkbox', { name: all[119]! }).click({ modifiers: ['Shift'] });
  await expect(count(page)).toContainText('· 3 selected');
  for (const id of picks) await expect(page.getByRole('checkbox', { name: id })).toBeChecked();
  await page.getByRole('button', { name: 'Download selected' }).click();
  const size = page.locator('.size-check');
  await expect(size).toContainText(/ frames in 3 image sets/);
  const frames = Number(/^(\d+) frames/.exec((await size.textContent()) ?? '')?.[1]);
  expect(frames).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(status(page)).toHaveText(
    new RegExp(`^Done: ${frames} of ${frames} frames, ${frames} verified`),
    {
      timeout: 60_000,
    },
  );
});

test('the size warning when the browser’s quota is low, and the selection saved as 2 manifests and loaded back', async ({
  persistent: { context, page },
}) => {
  await openApp(page);
  await chooseCohort(page);
  await addFilter(page, 1, 'Patient ID', 'COH-0001');
  await searchButton(page).click();
  await expect(count(page)).toHaveText(/^3 image sets found/);
  await page.getByRole('button', { name: 'select all' }).click();
  await page.getByRole('button', { name: 'Download selected' }).click();
  const size = page.locator('.size-check');
  await expect(size).toContainText(/^32 frames in 3 image sets, ([\d.]+) MB decoded/);
  await expect(page.getByText('This job will not fit')).toHaveCount(0);

  const cdp = await context.newCDPSession(page);
  const origin = new URL(APP_URL).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * 1024 * 1024 });
  try {
    await page.getByRole('button', { name: 'check the size again' }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'This job will not fit' });
    // estimate() ignores the override (Chromium reports usage + 10 GiB): the store's probe finds it.
    await expect(warning).toContainText(
      /it may store 16\.8 MB, and the browser refused to set that much aside for this site/,
    );
    await expect(warning).toContainText('persistent storage');
    await expect(warning).toContainText('choose the jph format');
    // jph: codestreams are smaller, but the warning stays with its caveat.
    await page.getByLabel('Format', { exact: true }).selectOption('jph');
    await expect(warning).toContainText('(at most; codestreams are smaller)');
    await page.getByLabel('Format', { exact: true }).selectOption('mem');
    await expect(warning).toHaveCount(0);
    await page.getByLabel('Format', { exact: true }).selectOption('raw');
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }

  // Saved split in 2: ahi-retrieve manifests, one per image set and part, cut as the runner's
  // --shard cuts (core/shard.ts): by image set ID, then by frame, so one image set is in both.
  await page.getByLabel('Manifest parts').fill('2');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save manifest' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('selection-manifests-2-parts.zip');
  const dir = mkdtempSync(join(tmpdir(), 'ahi-manifests-'));
  try {
    const zip = join(dir, 'manifests.zip');
    await download.saveAs(zip);
    const names = unzip('-Z', '-1', zip).toString().trim().split('\n').sort();
    expect(names).toHaveLength(4);
    expect(names.filter((n) => n.startsWith('part-1-of-2/'))).toHaveLength(2);
    const part = (k: number) =>
      names
        .filter((n) => n.startsWith(`part-${k}-of-2/`))
        .map(
          (n) =>
            JSON.parse(unzip('-p', zip, n).toString()) as {
              Study: {
                Series: Record<string, { Instances: Record<string, { ImageFrames: unknown[] }> }>;
              };
            },
        );
    const framesOf = (ms: ReturnType<typeof part>) =>
      ms.reduce(
        (n, m) =>
          n +
          Object.values(m.Study.Series).reduce(
            (k, s) => k + Object.values(s.Instances).reduce((j, i) => j + i.ImageFrames.length, 0),
            0,
          ),
        0,
      );
    // 32 frames make 16 and 16.
    expect([framesOf(part(1)), framesOf(part(2))]).toEqual([16, 16]);
    await checkZip(download, () => {});

    // Loaded back (the zip dropped as is): the same 32 frames, and they download verified.
    await page.getByLabel('Manifest', { exact: true }).setInputFiles(zip);
    await expect(page.getByText(/Using 4 files: manifests\.zip\/part-1-of-2\//)).toBeVisible();
    await expect(size).toContainText(/^32 frames in 3 image sets/);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(status(page)).toHaveText(/^Done: 32 of 32 frames, 32 verified/, {
      timeout: 60_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every search error in words: the control plane refused, a bad filter, refused credentials, throttling', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await setKnobs({ controlPlaneNoCors: 1 });
  await page.getByRole('button', { name: 'List datastores' }).click();
  await expect(page.locator('.datastores')).toContainText(
    /ListDatastores: the browser could not call AHI's control plane at https:\/\/127\.0\.0\.1:\d+\. AWS documents no CORS for it.*Type the datastore ID instead/,
  );
  await resetKnobs();
  // Typed instead.
  await page.getByLabel('Datastore to search').fill(COHORT_DATASTORE_ID);

  await addFilter(page, 1, 'Study date', '2025-01-01', '2024-01-01');
  await searchButton(page).click();
  await expect(page.locator('.search').getByRole('alert')).toHaveText(
    'Filter 1 (Study date): "from" is after "to".',
  );
  await page.getByRole('button', { name: 'remove' }).click();

  await page.getByLabel('Secret access key').fill('wrong-secret');
  await searchButton(page).click();
  await expect(page.locator('.search').getByRole('alert')).toContainText(
    /SearchImageSets: InvalidSignatureException: .*The credentials were refused/,
  );
  await page.getByLabel('Secret access key').fill(EXAMPLE_CREDENTIALS.secretAccessKey);

  // Past the quota, pages are retried (in words while they wait) until every one is in.
  await setKnobs({ searchThrottleRps: 2 });
  await page.getByLabel('Page size').fill('10');
  await searchButton(page).click();
  await expect(count(page)).toHaveText(/^10 image sets found/);
  await page.getByRole('button', { name: 'Load all pages' }).click();
  await expect(
    page.getByText(/SearchImageSets: ThrottlingException: Rate exceeded.*trying again in/),
  ).toBeVisible({
    timeout: 20_000,
  });
  await expect(count(page)).toHaveText(/^126 image sets found on 13 pages$/, { timeout: 60_000 });
  expect((await serverStats()).errorsByType['ThrottlingException']).toBeGreaterThan(0);
  await resetKnobs();
});
