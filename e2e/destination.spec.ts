/**
 * "Save to folder while downloading", in Chromium with a folder of the origin private file system
 * standing in for the folder picker (the real one needs a person): jobs written while they
 * download, in each format, byte for byte what an export of the same job writes; a reload
 * mid-job, then Resume fetching only what is missing, and a file damaged on disk between runs
 * found and fetched again; the quota used up pausing the job with nothing lost.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Download, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  chooseDemo,
  downloadZip,
  openApp,
  resetKnobs,
  resetServer,
  serverStats,
  unzip,
} from './helpers';

test.beforeEach(() => resetKnobs());

/** The folder picker answers with OPFS folder `picked/<name>`, the name set by `pickFolder`. */
async function standInPicker(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (window as unknown as { showDirectoryPicker: unknown }).showDirectoryPicker = async () => {
      const name = localStorage.getItem('test:picked-folder') ?? 'folder';
      const root = await navigator.storage.getDirectory();
      const picked = await root.getDirectoryHandle('picked', { create: true });
      return picked.getDirectoryHandle(name, { create: true });
    };
  });
}

/** Ticks "Save to folder while downloading", the picker answering with folder `name`. */
async function pickFolder(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => localStorage.setItem('test:picked-folder', n), name);
  const box = page.getByLabel('Save to folder while downloading');
  // The box is ticked once a folder is picked; "Change folder" picks another.
  if (await box.isChecked()) await page.getByRole('button', { name: 'Change folder' }).click();
  else await box.click();
  await expect(page.locator('.destination strong')).toHaveText(name);
}

/** SHA-256 of every file in OPFS folder `picked/<name>`, by path. */
function folderDigests(page: Page, name: string): Promise<Record<string, string>> {
  return page.evaluate(async (n) => {
    const out: Record<string, string> = {};
    const hex = (b: ArrayBuffer) =>
      [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    async function walk(dir: FileSystemDirectoryHandle, prefix: string) {
      for await (const [entry, handle] of (
        dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
      ).entries()) {
        const path = prefix ? `${prefix}/${entry}` : entry;
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, path);
        else {
          const data = await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer();
          out[path] = hex(await crypto.subtle.digest('SHA-256', data));
        }
      }
    }
    const root = await navigator.storage.getDirectory();
    const picked = await root.getDirectoryHandle('picked');
    await walk(await picked.getDirectoryHandle(n), '');
    return out;
  }, name);
}

/** SHA-256 of every file in a downloaded zip (unzipped by Info-ZIP), by path. */
async function zipDigests(download: Download): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'ahi-dest-'));
  try {
    await download.saveAs(join(dir, 'b.zip'));
    unzip('-qq', join(dir, 'b.zip'), '-d', join(dir, 'x'));
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else
          out[relative(join(dir, 'x'), p)] = createHash('sha256')
            .update(readFileSync(p))
            .digest('hex');
      }
    };
    walk(join(dir, 'x'));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Choice = {
  format: 'ahi-retrieve' | 'DICOM' | 'NIfTI';
  syntax?: 'As stored' | 'Explicit VR Little Endian';
};

async function chooseFormat(page: Page, c: Choice): Promise<void> {
  await page.getByLabel('Export format').selectOption(c.format);
  if (c.syntax) await page.getByLabel('DICOM transfer syntax').selectOption({ label: c.syntax });
}

const status = (page: Page) => page.getByRole('status');

test('NEMA set streamed to a folder in each format equals the zip export of the same job', async ({
  persistent: { page },
}) => {
  await standInPicker(page);
  await openApp(page);
  await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  const choices: Choice[] = [
    { format: 'ahi-retrieve' },
    { format: 'DICOM', syntax: 'As stored' },
    { format: 'DICOM', syntax: 'Explicit VR Little Endian' },
  ];
  // Into the browser, then exported.
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(status(page)).toHaveText(/^Done: 16 of 16 frames, 16 verified/, { timeout: 60_000 });
  const zips: Record<string, string>[] = [];
  for (const c of choices) {
    await chooseFormat(page, c);
    zips.push(await zipDigests(await downloadZip(page)));
  }
  // Streamed, one folder per format.
  for (const [i, c] of choices.entries()) {
    await chooseFormat(page, c);
    await pickFolder(page, `nema-${i}`);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(status(page)).toHaveText(/^Done: 16 of 16 frames, 16 verified/, {
      timeout: 60_000,
    });
    await expect(page.locator('.destination-status')).toContainText('Saved in the folder');
    const folder = await folderDigests(page, `nema-${i}`);
    expect(folder).toEqual(zips[i]);
  }
});
