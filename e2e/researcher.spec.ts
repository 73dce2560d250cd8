/**
 * The researcher's view in Debian Chromium against the local server: the live chart moves while a
 * job runs, and catches up when a hidden tab shows again; the series' bar and count follow what
 * is stored; deleting the job being viewed empties the viewer; a click on a frame far ahead in
 * the queue shows it before the job ends (click-to-pixels is reported); the viewer's pixels equal
 * the DICOM windowing of the stored pixels (presets, rescale, MONOCHROME1, RGB, dragging); zip and
 * folder exports hold exactly what the server sent, in ahi-retrieve's layout, for finished and
 * paused jobs. Screenshots of each state are saved.
 *
 * Longer than 400 lines for a reason: the scenarios share one browser profile's stored jobs and
 * this file's helpers for reading the canvas and the store, and run in order.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { API_URL } from '../playwright.config';
import { expect, readDb, storedBytes, test } from './fixtures';
import {
  checkZip,
  chooseDemo,
  demoIndex,
  demoMetadata,
  downloadZip,
  openApp,
  resetKnobs,
  resetServer,
  serverDigests,
  serverStats,
  unzip,
  waitForFrames,
  waitForPainted,
} from './helpers';

const SCREENS = 'test-results/screens';

/** Long main-thread tasks, collected from page start (read back with longTasks()). */
const observeLongTasks = () => {
  const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      w.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
};

const chartPixels = (page: Page) =>
  page
    .getByRole('img', { name: 'Download rate and frames per second' })
    .locator('canvas')
    .first()
    .evaluate((c: HTMLCanvasElement) => c.toDataURL());

async function framesDone(page: Page): Promise<number> {
  const text = (await page.getByRole('status').textContent()) ?? '';
  return Number(/(\d+) of \d+ frames/.exec(text)?.[1] ?? -1);
}

/** The series' progress bar, one row of it: fractions of its columns stored and pending. */
async function barColumns(page: Page) {
  return page.locator('canvas.progress-bar').evaluate((c: HTMLCanvasElement) => {
    const row = c.getContext('2d')!.getImageData(0, 2, c.width, 1).data;
    const is = (x: number, rgb: number) =>
      row[4 * x] === rgb >> 16 &&
      row[4 * x + 1] === ((rgb >> 8) & 255) &&
      row[4 * x + 2] === (rgb & 255);
    let stored = 0;
    let pending = 0;
    for (let x = 0; x < c.width; x++) {
      if (is(x, 0x2f9e44)) stored++;
      else if (is(x, 0xdee2e6)) pending++;
    }
    const last = c.width - 1;
    return {
      stored: stored / c.width,
      pending: pending / c.width,
      firstStored: is(0, 0x2f9e44),
      lastPending: is(last, 0xdee2e6),
    };
  });
}

const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

test.beforeEach(async () => {
  await resetKnobs();
  await resetServer();
});

test('watch a run, jump ahead to a frame not downloaded yet, export while paused', async ({
  persistent: { page },
}, testInfo) => {
  await page.addInitScript(observeLongTasks);
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct');
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByLabel('Workers').fill('2');
  const startedAt = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForFrames(page, 60);

  // The chart redraws as samples arrive.
  const before = await chartPixels(page);
  await page.waitForTimeout(1200);
  expect(await chartPixels(page)).not.toBe(before);
  await page.screenshot({ path: `${SCREENS}/running.png` });

  // Jump far ahead: frame 1901 of 2000 is nowhere near the front of the queue.
  const bar = page.getByLabel(/^Frames of CT 1: Synthetic .* click to view one$/);
  const box = (await bar.boundingBox())!;
  const target = 1900;
  await bar.click({ position: { x: ((target + 0.5) / 2000) * box.width, y: box.height / 2 } });
  // A bar pixel covers about three frames: the one under the pointer is chosen.
  await expect(page.getByLabel('Frame number')).toHaveValue(/^19\d\d$/);
  const chosen = Number(await page.getByLabel('Frame number').inputValue());
  expect(Math.abs(chosen - (target + 1))).toBeLessThanOrEqual(2);
  const canvas = page.getByLabel('Decoded frame');
  await expect(canvas).toHaveAttribute('data-frame', /\w{32}\/\w{32}/, { timeout: 20_000 });
  const doneWhenShown = await framesDone(page);
  expect(doneWhenShown).toBeGreaterThan(0);
  expect(doneWhenShown).toBeLessThan(1900); // shown long before the queue would have reached it
  const clickToPixels = Number(
    await page.locator('[data-click-to-pixels]').getAttribute('data-click-to-pixels'),
  );
  expect(clickToPixels).toBeGreaterThan(0);
  console.log(`click-to-pixels: ${clickToPixels} ms, ${doneWhenShown} frames done then`);
  testInfo.annotations.push({
    type: 'click-to-pixels',
    description: `${clickToPixels} ms (frame ${chosen} of 2000, ${doneWhenShown} frames done at that moment)`,
  });
  await page.screenshot({ path: `${SCREENS}/jumped-ahead.png` });

  // Arrow keys step through the series; the neighbours were fetched with it.
  await page.keyboard.press('ArrowRight');
  await expect(page.getByLabel('Frame number')).toHaveValue(String(chosen + 1));
  await expect(canvas).toHaveAttribute('data-frame', /\w{32}\/\w{32}/);

  // Pause, and export what is stored so far: the bundle says it is partial.
  const pausedAt = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Paused: \d+ of 2000 frames/);
  // Requests in flight at the pause still land: wait until the count settles in the database.
  let paused = -1;
  await expect
    .poll(async () => {
      const stored = (await readDb(page)).frames.length;
      const shown = await framesDone(page);
      paused = stored;
      return stored === shown && (await page.getByRole('cell', { name: /^\d+$/ }).count()) >= 0;
    })
    .toBe(true);
  // The series' count and bar say the same: the first frames stored, the last still to come.
  await expect(page.getByText(`${paused} of 2000 done`)).toBeVisible();
  const pausedBar = await barColumns(page);
  expect(pausedBar).toMatchObject({ firstStored: true, lastPending: true });
  expect(Math.abs(pausedBar.stored - paused / 2000)).toBeLessThan(0.02);
  expect(Math.abs(pausedBar.pending - (2000 - paused) / 2000)).toBeLessThan(0.02);
  await page.evaluate(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  const download = await downloadZip(page);
  const inName = Number(
    /^synthetic-ct-manifest-partial-(\d+)-of-2000\.zip$/.exec(download.suggestedFilename())?.[1],
  );
  expect(inName).toBeGreaterThanOrEqual(paused);
  expect(inName).toBeLessThan(2000);
  await expect(
    page.getByText(/^Exported \d+ frames .* The job is paused: the bundle holds/),
  ).toBeVisible();
  await checkZip(download, (_path, names) => {
    expect(names.filter((n) => n.endsWith('.jph'))).toHaveLength(inName);
  });

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 2000 of 2000 frames, 2000 verified/, {
    timeout: 150_000,
  });
  await page.screenshot({ path: `${SCREENS}/done.png` });
  await expect(page.getByText('2000 of 2000 done')).toBeVisible();
  // All stored but the 3 px marking the frame looked at.
  const doneBar = await barColumns(page);
  expect(doneBar.stored).toBeGreaterThan(0.99);
  expect(doneBar.pending).toBe(0);
  // Nothing fetched twice for all the jumping, pausing and exporting.
  const stats = await serverStats();
  expect(stats.distinctFramesServed).toBe(2000);
  expect(stats.framesServed).toBe(2000);

  // Long tasks while the job ran and the user watched, clicked and stepped (before the pause,
  // after which the test itself reads the stored frames on the page's thread).
  const longTasks = await page.evaluate(
    ([t0, t1]) =>
      (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks
        .filter((t) => t.start >= t0! && t.start < t1!)
        .map((t) => `${Math.round(t.duration)} ms at +${Math.round(t.start - t0!)} ms`),
    [startedAt, pausedAt],
  );
  console.log(`long tasks after Start: ${longTasks.join(', ') || 'none'}`);
  testInfo.annotations.push({
    type: 'long tasks after Start (ms)',
    description: longTasks.length ? longTasks.join(', ') : 'none',
  });
});

interface Dicom {
  RescaleSlope?: string;
  RescaleIntercept?: string;
  WindowCenter?: string;
  WindowWidth?: string;
  PhotometricInterpretation: string;
  BitsAllocated: number;
  PixelRepresentation: number;
  SamplesPerPixel: number;
  Columns: number;
}

/** Each NEMA frame's DICOM attributes, by frame ID, from the metadata document the server serves. */
async function nemaAttributes(): Promise<Map<string, Dicom>> {
  const doc = (await demoMetadata('nema')) as {
    Study: {
      Series: Record<
        string,
        { Instances: Record<string, { DICOM: Dicom; ImageFrames: { ID: string }[] }> }
      >;
    };
  };
  const out = new Map<string, Dicom>();
  for (const s of Object.values(doc.Study.Series))
    for (const i of Object.values(s.Instances)) out.set(i.ImageFrames[0]!.ID, i.DICOM);
  return out;
}

/** About 100 pixels of the canvas and the same pixels' stored bytes (raw format: pixels). */
async function shownAndStored(page: Page) {
  await waitForPainted(page);
  const shown = await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('canvas[aria-label="Decoded frame"]')!;
    const [center, width] = c.dataset['window']!.split(',').map(Number);
    const rgba = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const n = rgba.length / 4;
    const rgb: { at: number; rgb: number[] }[] = [];
    for (let i = 0; i < n; i += Math.floor(n / 97))
      rgb.push({ at: i, rgb: [rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!] });
    return { key: c.dataset['frame']!, center: center!, width: width!, n, rgb };
  });
  // The stored bytes straight from the browser's storage, not through the app.
  const stored = await storedBytes(page, shown.key);
  const bytesPerPixel = stored.length / shown.n;
  const samples = shown.rgb.map(({ at, rgb }) => ({
    rgb,
    bytes: Array.from(stored.subarray(at * bytesPerPixel, (at + 1) * bytesPerPixel)),
  }));
  return { key: shown.key, center: shown.center, width: shown.width, samples };
}

/** DICOM PS3.3 C.11.2.1.2 linear VOI, written out independently of the app. */
function expectedGrey(value: number, d: Dicom, center: number, width: number): number {
  const x = value * Number(d.RescaleSlope ?? 1) + Number(d.RescaleIntercept ?? 0);
  const c = center - 0.5;
  const w = width - 1;
  let y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255;
  if (d.PhotometricInterpretation === 'MONOCHROME1') y = 255 - y;
  return y;
}

function checkPixels(shown: Awaited<ReturnType<typeof shownAndStored>>, d: Dicom) {
  for (const { rgb, bytes } of shown.samples) {
    if (d.SamplesPerPixel === 3) {
      expect(rgb).toEqual(bytes);
      continue;
    }
    let v = d.BitsAllocated <= 8 ? bytes[0]! : bytes[0]! | (bytes[1]! << 8);
    if (d.BitsAllocated > 8 && d.PixelRepresentation === 1 && v >= 0x8000) v -= 0x10000;
    const want = expectedGrey(v, d, shown.center, shown.width);
    expect(Math.abs(rgb[0]! - want)).toBeLessThanOrEqual(1);
  }
  expect(shown.samples.length).toBeGreaterThan(90);
}

test('a job that ends while the tab is hidden is drawn on the chart when the tab shows again', async ({
  persistent: { page },
}) => {
  await openApp(page);
  // The page reports itself hidden (as a background tab would) from before Start.
  await page.evaluate(() => {
    const w = window as unknown as { __hidden: boolean };
    w.__hidden = true;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => w.__hidden });
  });
  const empty = await chartPixels(page);
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames/, { timeout: 60_000 });
  await page.waitForTimeout(500);
  expect(await chartPixels(page)).toBe(empty); // nothing drawn while hidden
  await page.evaluate(() => {
    (window as unknown as { __hidden: boolean }).__hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await expect.poll(() => chartPixels(page)).not.toBe(empty);
});

test('deleting the job being viewed empties the viewer and removes its frames', async ({
  persistent: { page },
}) => {
  await openApp(page);
  const before = new Set((await readDb(page)).jobs.map((j) => j.id));
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames/, { timeout: 60_000 });
  const stored = await readDb(page);
  const job = stored.jobs.find((j) => !before.has(j.id));
  expect(job).toBeDefined();
  expect(stored.frames.filter((f) => f.jobId === job!.id).length).toBeGreaterThan(0);
  const series = page.getByRole('region', { name: 'Series' });
  await expect(series).toBeVisible();
  await page
    .locator('.jobs li.viewing')
    .getByRole('button', { name: /^Delete job from / })
    .click();
  await expect(series).toHaveCount(0);
  await expect(page.locator('.jobs li.viewing')).toHaveCount(0);
  const after = await readDb(page);
  expect(after.jobs.map((j) => j.id)).not.toContain(job!.id);
  expect(after.frames.filter((f) => f.jobId === job!.id)).toHaveLength(0);
});

test('the viewer windows real frames as DICOM says: presets, rescale, MONOCHROME1, RGB, drag', async ({
  persistent: { page },
}) => {
  const attributes = await nemaAttributes();
  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified/, {
    timeout: 60_000,
  });
  const canvas = page.getByLabel('Decoded frame');

  // MR2: rescale slope 3.77 and a WindowCenter/Width preset (1000/2000), applied by default.
  await page.getByRole('button', { name: /^Frame 1 of MR \d+: NEMA MR2 \(/ }).click();
  await expect(canvas).toHaveAttribute('data-window', '1000,2000');
  let shown = await shownAndStored(page);
  checkPixels(shown, attributes.get(shown.key.split('/')[1]!)!);
  await page.screenshot({ path: `${SCREENS}/viewer-mr2-preset.png` });

  // Min/max from the metadata's MinPixelValue/MaxPixelValue, rescaled.
  await page.getByRole('button', { name: 'Min/max' }).click();
  await expect(canvas).not.toHaveAttribute('data-window', '1000,2000');
  shown = await shownAndStored(page);
  checkPixels(shown, attributes.get(shown.key.split('/')[1]!)!);

  // Dragging right widens the window, dragging down raises the level.
  const before = await canvas.getAttribute('data-window');
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 40, { steps: 4 });
  await page.mouse.up();
  const after = (await canvas.getAttribute('data-window'))!.split(',').map(Number);
  const [c0, w0] = before!.split(',').map(Number);
  expect(after[1]).toBeGreaterThan(w0!);
  expect(after[0]).toBeGreaterThan(c0!);
  shown = await shownAndStored(page);
  checkPixels(shown, attributes.get(shown.key.split('/')[1]!)!);

  // Auto goes back to the preset; the window stays when stepping to the next frame.
  await page.getByRole('button', { name: 'Auto' }).click();
  await expect(canvas).toHaveAttribute('data-window', '1000,2000');

  // RG3: MONOCHROME1, shown inverted.
  await page.getByRole('button', { name: /NEMA RG3 .* \(1 frame\)$/ }).click();
  await expect(page.getByText(/MONOCHROME1/).first()).toBeVisible();
  shown = await shownAndStored(page);
  const rg3 = attributes.get(shown.key.split('/')[1]!)!;
  expect(rg3.PhotometricInterpretation).toBe('MONOCHROME1');
  checkPixels(shown, rg3);
  await page.screenshot({ path: `${SCREENS}/viewer-rg3-monochrome1.png` });

  // US1: RGB, passed through.
  await page.getByRole('button', { name: /NEMA US1 \(RGB\) \(/ }).click();
  shown = await shownAndStored(page);
  const us1 = attributes.get(shown.key.split('/')[1]!)!;
  expect(us1.SamplesPerPixel).toBe(3);
  checkPixels(shown, us1);

  // CT1: signed 16-bit with intercept -1024; then the arrow key moves to the next series.
  await page.getByRole('button', { name: /NEMA CT1 \(1 frame\)$/ }).click();
  shown = await shownAndStored(page);
  const ct1 = attributes.get(shown.key.split('/')[1]!)!;
  checkPixels(shown, ct1);
  const ct1Key = shown.key;
  await page.keyboard.press('ArrowRight');
  await expect(canvas).not.toHaveAttribute('data-frame', ct1Key);
  await expect(canvas).toHaveAttribute('data-frame', /\w{32}\/\w{32}/);

  // The classic JPEG 2000 frame (OpenJPEG in WASM) shows CT1's pixels, windowed as CT1's are.
  await page.getByRole('button', { name: /NEMA CT1 as classic JPEG 2000/ }).click();
  shown = await shownAndStored(page);
  checkPixels(shown, attributes.get(shown.key.split('/')[1]!)!);
  await page.screenshot({ path: `${SCREENS}/viewer-jpeg2000.png` });

  // A frame that fails (here: the manifest names a frame AHI does not have): the viewer says
  // why, and Retry failed frames fetches exactly that one again (it fails again, for that reason).
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  const manifest = await page.request.get(API_URL + nema.manifest).then((r) => r.text());
  const doc = (await demoMetadata('nema')) as {
    Study: {
      Series: Record<
        string,
        {
          Instances: Record<
            string,
            { StoredTransferSyntaxUID: string; ImageFrames: { ID: string }[] }
          >;
        }
      >;
    };
  };
  const missing = Object.values(doc.Study.Series)
    .flatMap((x) => Object.values(x.Instances))
    .find((i) => i.StoredTransferSyntaxUID === '1.2.840.10008.1.2.4.90')!.ImageFrames[0]!.ID;
  await page.getByRole('radio', { name: 'Manifest files or JSON' }).check();
  await page.getByLabel('Manifest JSON').fill(manifest.replace(missing, 'e'.repeat(32)));
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 16 of 16 frames, 15 verified, 1 failed/,
    {
      timeout: 60_000,
    },
  );
  // The metadata has no frame of that ID, so its series has no label of its own.
  await page.getByLabel(/^Frames of Series \d+ \(1 frame\)/).click();
  await expect(page.getByText(/This frame failed: .*e{32} not found/)).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/viewer-failed-frame.png` });
  const framesAsked = (await serverStats()).byOperation['getImageFrame'] ?? 0;
  await page.getByRole('button', { name: 'Retry failed frames' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 16 of 16 frames, 0 verified, 15 already stored, 1 failed/,
    { timeout: 30_000 },
  );
  expect((await serverStats()).byOperation['getImageFrame']).toBe(framesAsked + 1);
});

test('zip and folder exports hold exactly what the server sent, in ahi-retrieve layout', async ({
  persistent: { page },
}, testInfo) => {
  // A folder picker backed by OPFS (headless Chromium has no file chooser); no save picker, so
  // the zip arrives as a download.
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    delete w['showSaveFilePicker'];
    w['showDirectoryPicker'] = async () => {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('picked', { recursive: true }).catch(() => {});
      return root.getDirectoryHandle('picked', { create: true });
    };
  });
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  const digests = await serverDigests(nema.imageSetId);
  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames/, { timeout: 60_000 });
  const { frames } = await readDb(page);
  expect(frames).toHaveLength(16);

  const download = await downloadZip(page);
  expect(download.suggestedFilename()).toBe('nema-manifest.zip');
  const message = page.getByText(/^Exported 16 frames/);
  await expect(message).toBeVisible();
  testInfo.annotations.push({
    type: 'zip export (16 NEMA frames)',
    description: (await message.textContent()) ?? '',
  });
  await page.screenshot({ path: `${SCREENS}/exported.png` });

  await checkZip(download, (path, entries) => {
    const names = entries.sort();
    const extension: Record<string, string> = {
      'image/jph': 'jph',
      'image/j2c': 'j2c',
      'application/octet-stream': 'raw',
    };
    const expected = frames
      .map((f) => `${nema.datastoreId}/${nema.imageSetId}/${f.frameId}.${extension[f.contentType]}`)
      .concat([
        'checksums.csv',
        'metadata.csv',
        'nema-manifest.json',
        `${nema.imageSetId}-metadata.json`,
      ])
      .sort();
    expect(names).toEqual(expected);
    for (const f of frames) {
      const bytes = unzip(
        '-p',
        path,
        `${nema.datastoreId}/${nema.imageSetId}/${f.frameId}.${extension[f.contentType]}`,
      );
      expect(sha256(bytes), f.frameId).toBe(digests[f.frameId]);
    }
    // CRC-32s the zip itself records, checked by unzip -t above; the checksums file lists AHI's.
    const csv = unzip('-p', path, 'checksums.csv').toString().trim().split('\n');
    expect(csv[0]).toBe(
      'ImageFrameID,DatastoreID,ImageSetID,File,Format,Bytes,PixelCRC32,Verified',
    );
    expect(csv).toHaveLength(17);
    for (const f of frames) {
      const row = csv.find((l) => l.startsWith(`${f.frameId},`))!.split(',');
      expect(row[5]).toBe(String(f.size));
      expect(row[6]).toBe(f.checksum === undefined ? '' : String(f.checksum));
      expect(row[7]).toBe(f.verified ? 'yes' : 'no');
    }
    const manifest = JSON.parse(unzip('-p', path, 'nema-manifest.json').toString()) as {
      ImageSetID: string;
    };
    expect(manifest.ImageSetID).toBe(nema.imageSetId);
    readFileSync(path); // the download is a complete file
  });

  // The same bundle into a folder (OPFS stands in for the picked folder).
  await page.getByRole('button', { name: 'Export to folder', exact: true }).click();
  await expect(page.getByText(/^Exported 16 frames .* to the folder picked/)).toBeVisible();
  const written = await page.evaluate(
    async ({ ds, is }) => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked');
      const set = await (await root.getDirectoryHandle(ds)).getDirectoryHandle(is);
      const out: Record<string, string> = {};
      for await (const [name, handle] of set as unknown as AsyncIterable<
        [string, FileSystemFileHandle]
      >) {
        const d = new Uint8Array(
          await crypto.subtle.digest('SHA-256', await (await handle.getFile()).arrayBuffer()),
        );
        out[name] = [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
      }
      const top: string[] = [];
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys())
        top.push(name);
      return { files: out, top: top.sort() };
    },
    { ds: nema.datastoreId, is: nema.imageSetId },
  );
  expect(written.top).toEqual(
    [
      nema.datastoreId,
      'checksums.csv',
      'metadata.csv',
      'nema-manifest.json',
      `${nema.imageSetId}-metadata.json`,
    ].sort(),
  );
  expect(Object.keys(written.files)).toHaveLength(16);
  for (const [name, digest] of Object.entries(written.files))
    expect(digest, name).toBe(digests[name.split('.')[0]!]);
});
