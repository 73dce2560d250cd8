/**
 * The command-line runner and the app, one job: the NEMA set downloaded in the browser and
 * exported as a zip in each format, and the same manifest fetched by the runner (a child process
 * against the same server) into a folder in the same format. Every file of the zip is in the
 * folder with the same bytes, and the folder holds nothing else but the runner's journal; the same
 * for real multi-frame instances, each file assembled from its frames.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from '@playwright/test';
import { gunzipSync } from 'node:zlib';
import { AwsClient } from 'aws4fetch';
import { COHORT_DATASTORE_ID } from '../ahi-server/imageSet';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';
import { sendSigned } from '../ahi-server/testing';
import { API_URL } from '../playwright.config';
import { expect, test } from './fixtures';
import {
  chooseDemoFiles,
  downloadZip,
  filesUnder,
  openApp,
  resetKnobs,
  serverText,
  unzip,
} from './helpers';

/** Every file under `dir` (the runner's journal left out) by path, with its SHA-256. */
function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of filesUnder(dir)) {
    const path = relative(dir, f);
    if (path.startsWith('.ahi-web-retrieve/')) continue;
    out[path] = createHash('sha256').update(readFileSync(f)).digest('hex');
  }
  return out;
}

async function exportZip(page: Page, dir: string): Promise<void> {
  await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  const download = await downloadZip(page);
  const zip = join(dir, 'export.zip');
  await download.saveAs(zip);
  unzip('-qq', zip, '-d', join(dir, 'zip'));
  rmSync(zip);
}

function runner(manifest: string, format: string, out: string): string {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './runner/platform/register.mjs',
      'runner/cli.ts',
      ...['-i', manifest, '-f', format, '--out', out, '-r', 'us-east-1', '-e', API_URL],
      ...['-a', EXAMPLE_CREDENTIALS.accessKeyId, '-s', EXAMPLE_CREDENTIALS.secretAccessKey],
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(process.cwd(), '.cache/tls/cert.pem') },
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

/** The app's zip export of the job shown and the runner's folder of `input`: the same files. */
async function sameFiles(
  page: Page,
  dir: string,
  runnerFormat: string,
  input: string,
  files: number,
): Promise<void> {
  await exportZip(page, dir);
  runner(input, runnerFormat, join(dir, 'runner'));
  const app = digests(join(dir, 'zip'));
  const cli = digests(join(dir, 'runner'));
  expect(Object.keys(app).length, runnerFormat).toBe(files);
  expect(cli, runnerFormat).toEqual(app);
  console.log(`runner = app export, ${runnerFormat}: ${files} files`);
}

test.beforeEach(() => resetKnobs());

test('the runner writes what the app exports, byte for byte: ahi-retrieve, DICOM in both syntaxes, NIfTI', async ({
  persistent: { page },
}) => {
  const work = mkdtempSync(join(tmpdir(), 'ahi-runner-'));
  try {
    await openApp(page);
    await page.getByLabel('Format', { exact: true }).selectOption('jph');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified/, {
      timeout: 60_000,
    });
    // The manifest the app was given, under the name the app knows it by.
    const manifest = join(work, 'nema-manifest.json');
    writeFileSync(manifest, await serverText('/demo/nema/manifest.json'));

    const formats: {
      runner: string;
      choose: () => Promise<void>;
    }[] = [
      {
        runner: 'jph',
        choose: () => page.getByLabel('Export format').selectOption('ahi-retrieve').then(),
      },
      {
        runner: 'dicom',
        choose: async () => {
          await page.getByLabel('Export format').selectOption('DICOM');
          await page.getByLabel('DICOM transfer syntax').selectOption({ label: 'As stored' });
        },
      },
      {
        runner: 'dicom-explicit',
        choose: async () => {
          await page.getByLabel('Export format').selectOption('DICOM');
          await page
            .getByLabel('DICOM transfer syntax')
            .selectOption({ label: 'Explicit VR Little Endian' });
        },
      },
    ];
    const compare = (runnerFormat: string, input: string, files: number) =>
      sameFiles(page, join(work, runnerFormat), runnerFormat, input, files);
    for (const format of formats) {
      await format.choose();
      // NEMA's 16 frames and the sources and indexes; DICOM: 16 files and the two indexes.
      await compare(format.runner, manifest, format.runner === 'jph' ? 20 : 18);
    }

    // NIfTI: a series that forms a volume (NEMA's single frames form none), one of the research
    // cohort's CT series; the runner is given its metadata document, as the app's job got it.
    const aws = new AwsClient({
      ...EXAMPLE_CREDENTIALS,
      service: 'medical-imaging',
      region: 'us-east-1',
      retries: 0,
    });
    const ca = readFileSync('.cache/tls/cert.pem');
    const found = await sendSigned(
      await aws.sign(`${API_URL}/datastore/${COHORT_DATASTORE_ID}/searchImageSets`, {
        method: 'POST',
        body: JSON.stringify({
          filters: [{ operator: 'EQUAL', values: [{ DICOMAccessionNumber: 'ACC-23-0314' }] }],
        }),
      }),
      ca,
    );
    const imageSetId = (
      JSON.parse(found.body.toString()) as { imageSetsMetadataSummaries: { imageSetId: string }[] }
    ).imageSetsMetadataSummaries[0]!.imageSetId;
    const metadata = await sendSigned(
      await aws.sign(
        `${API_URL}/datastore/${COHORT_DATASTORE_ID}/imageSet/${imageSetId}/getImageSetMetadata`,
        { method: 'POST' },
      ),
      ca,
    );
    const cohort = join(work, 'cohort.json');
    writeFileSync(cohort, gunzipSync(metadata.body));
    await page.getByLabel('Datastore ID').fill(COHORT_DATASTORE_ID);
    await page.getByLabel('Image set ID').fill(imageSetId);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText(/^Done: 13 of 13 frames, 13 verified/, {
      timeout: 60_000,
    });
    await page.getByLabel('Export format').selectOption('NIfTI');
    for (const [label, runnerFormat] of [
      ['.nii (uncompressed)', 'nifti-nii'],
      ['.nii.gz (gzipped)', 'nifti'],
    ] as const) {
      await page.getByLabel('NIfTI file').selectOption({ label });
      // The CT volume with its JSON sidecar, the localizer, and metadata.csv.
      await compare(runnerFormat, cohort, 3);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('multi-frame instances: the runner assembles each from its frames as the app exports it, DICOM in both syntaxes', async ({
  persistent: { page },
}) => {
  const work = mkdtempSync(join(tmpdir(), 'ahi-runner-'));
  try {
    // Both manifests in one folder (the runner's -i takes it), under the names the app knows.
    await openApp(page);
    const texts = await chooseDemoFiles(page, ['multiframe-ct', 'multiframe-mr']);
    const inputs = join(work, 'inputs');
    mkdirSync(inputs);
    for (const [name, text] of Object.entries(texts))
      writeFileSync(join(inputs, `${name}-manifest.json`), text);
    await page.getByLabel('Format', { exact: true }).selectOption('jph');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText(/^Done: 12 of 12 frames, 12 verified/, {
      timeout: 60_000,
    });
    await page.getByLabel('Export format').selectOption('DICOM');
    for (const [label, runnerFormat] of [
      ['As stored', 'dicom'],
      ['Explicit VR Little Endian', 'dicom-explicit'],
    ] as const) {
      await page.getByLabel('DICOM transfer syntax').selectOption({ label });
      // One file per instance (2 and 10 frames), and the two indexes.
      await sameFiles(page, join(work, runnerFormat), runnerFormat, inputs, 4);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
