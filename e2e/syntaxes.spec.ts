/**
 * Every syntax AHI stores, end to end: the "syntaxes" image set (JPEG 2000 lossless and lossy,
 * JPEG greyscale and YBR_FULL_422, JPEG XL lossless, lossy and 16-bit, a 1-bit segmentation,
 * HTJ2K RPCL lossy; made by Debian's encoders) in raw and in jph. Each frame ends verified, stored
 * not verifiable with its reason, or failed with its reason; exports carry each syntax's own
 * extension. A Content-Type that contradicts the metadata's syntax is reported. The 2,000-frame
 * series of a JPEG_2000_LOSSLESS datastore downloads in raw, every frame verified.
 */
import { expect, readDb, storedDigests, test } from './fixtures';
import {
  checkZip,
  chooseDemo,
  damageFrames,
  demoIndex,
  demoMetadata,
  downloadZip,
  openApp,
  resetServer,
  serverDigests,
  serverStats,
  unzip,
} from './helpers';

/**
 * 11 frames: 7 that decode to AHI's checksums, 1 lossy JPEG XL that does not, 1 16-bit JPEG XL,
 * and 2 videos (H.264 in MP4, MPEG-2), which carry no checksum.
 */
const FRAMES = 11;

test('raw: every frame decoded and verified, or stored not verifiable with the reason, or failed with it', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await chooseDemo(page, 'syntaxes');
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  const status = page.getByRole('status');
  await expect(status).toHaveText(
    new RegExp(
      `^Done: ${FRAMES} of ${FRAMES} frames, 7 verified, 3 stored, not verifiable, 1 failed`,
    ),
    { timeout: 60_000 },
  );
  // Why the lossy JPEG XL frame is not verifiable, in words; it was fetched twice to rule out
  // a damaged transfer.
  await expect(page.getByRole('note', { name: 'Stored, not verifiable' })).toContainText(
    /JPEG XL may be lossy, and this decoder's pixels differ from the ones AHI checksummed/,
  );
  await expect(page.getByRole('note', { name: 'Stored, not verifiable' })).toContainText(
    /video is stored as received and never decoded frame by frame/,
  );
  expect((await serverStats()).byOperation['getImageFrame']).toBe(FRAMES + 1);
  // The 16-bit JPEG XL frame fails alone, saying what to do.
  await expect(page.getByRole('region', { name: 'Problems' }).locator('.failures li')).toHaveText([
    /UnsupportedSyntax.*8 bits per sample.*jph format/,
  ]);
  const { frames } = await readDb(page);
  expect(frames).toHaveLength(FRAMES - 1);
  expect(frames.filter((f) => f.kind === 'pixels')).toHaveLength(FRAMES - 3);
  expect(
    frames
      .filter((f) => f.kind === 'codestream')
      .map((f) => f.contentType)
      .sort(),
  ).toEqual(['video/mp4', 'video/mpeg']);
  expect(frames.filter((f) => f.verified)).toHaveLength(7);
  expect(frames.filter((f) => f.note)).toHaveLength(3);
  // Each decodable series shows its frame (greyscale, YBR_FULL_422 as RGB, the 1-bit mask).
  for (const series of [
    /ct1-grey8-jpeg\.jpg/,
    /us1-jpeg-ybr422\.jpg/,
    /ct1-segmentation-1bit\.bin/,
    /HTJ2K RPCL, irreversible/,
  ]) {
    await page.getByLabel(new RegExp(`^Frames of .*${series.source}`)).click();
    await expect(page.getByLabel('Decoded frame')).toHaveAttribute('data-frame', /\w{32}\/\w{32}/);
    await expect(page.getByText(/This frame (failed|is stored as)/)).toHaveCount(0);
  }
  // Video is kept as received and played where the browser can: Chromium plays H.264 in MP4,
  // and says in words that it cannot play MPEG-2.
  await page.getByLabel(/^Frames of .*us1-h264\.mp4/).click();
  const video = page.getByLabel('Video frame');
  await expect(video).toHaveAttribute('data-frame', /\w{32}\/\w{32}/);
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight, v.error]))
    .toEqual([320, 240, null]);
  await expect(page.getByLabel('Decoded frame')).toBeHidden();
  await page.screenshot({ path: 'test-results/screens/syntaxes-video.png' });
  await page.getByLabel(/^Frames of .*us1-mpeg2\.mpg/).click();
  await expect(
    page.getByText(/This browser cannot play MPEG-2 video \(video\/mpeg\)/),
  ).toBeVisible();
  await expect(video).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screens/syntaxes-raw.png' });
});

test('jph: the bytes as AHI sent them, each syntax with its own extension in the zip', async ({
  persistent: { page },
}) => {
  await page.addInitScript(() => {
    delete (window as unknown as Record<string, unknown>)['showSaveFilePicker'];
  });
  await openApp(page);
  await chooseDemo(page, 'syntaxes');
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    new RegExp(`^Done: ${FRAMES} of ${FRAMES} frames, 7 verified, 4 stored, not verifiable \\(`),
    { timeout: 60_000 },
  );
  const set = (await demoIndex()).imageSets.find((s) => s.name === 'syntaxes')!;
  expect(await storedDigests(page)).toEqual(await serverDigests(set.imageSetId));
  const { frames } = await readDb(page);
  const download = await downloadZip(page);
  await checkZip(download, (path, names) => {
    const extensions = names
      .filter((n) => n.startsWith(`${set.datastoreId}/`))
      .map((n) => n.split('.').pop())
      .sort();
    expect(extensions).toEqual([
      'j2c',
      'j2c',
      'jpg',
      'jpg',
      'jph',
      'jxl',
      'jxl',
      'jxl',
      'mp4',
      'mpg',
      'raw',
    ]);
    const csv = unzip('-p', path, 'checksums.csv').toString('utf8').trim().split('\n').slice(1);
    expect(csv.filter((l) => l.endsWith(',not verifiable'))).toHaveLength(4);
    expect(csv.filter((l) => l.endsWith(',yes'))).toHaveLength(7);
    expect(frames.find((f) => f.contentType === 'image/jphc')?.verified).toBe(true);
  });
});

test('a damaged frame of each syntax fails alone with DecodeFailed, and a retry recovers it', async ({
  persistent: { page },
}) => {
  type Doc = {
    Study: {
      Series: Record<
        string,
        {
          Instances: Record<
            string,
            {
              StoredTransferSyntaxUID: string;
              DICOM: Record<string, unknown>;
              ImageFrames: { ID: string }[];
            }
          >;
        }
      >;
    };
  };
  const doc = (await demoMetadata('syntaxes')) as Doc;
  const instances = Object.values(doc.Study.Series).flatMap((s) => Object.values(s.Instances));
  // Every decodable frame (not the videos, not the 16-bit JPEG XL), stored damaged at AHI.
  const decodable = instances.filter(
    (i) =>
      !/^1\.2\.840\.10008\.1\.2\.4\.10\d$/.test(i.StoredTransferSyntaxUID) &&
      !(
        i.StoredTransferSyntaxUID.startsWith('1.2.840.10008.1.2.4.11') &&
        i.DICOM['BitsAllocated'] === 16
      ),
  );
  expect(decodable).toHaveLength(8);
  const damaged = decodable.map((i) => i.ImageFrames[0]!.ID);
  await openApp(page);
  await chooseDemo(page, 'syntaxes');
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await damageFrames(damaged);
  try {
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByRole('status')).toHaveText(/^Done: 11 of 11 frames, .*/, {
      timeout: 60_000,
    });
  } finally {
    await damageFrames([]);
  }
  // Each damaged frame fails by itself, saying why; the videos and the 16-bit JPEG XL end as
  // they do undamaged.
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 11 of 11 frames, 0 verified, 2 stored, not verifiable, 9 failed/,
  );
  const failures = page.getByRole('region', { name: 'Problems' }).locator('.failures li');
  const texts = await failures.allTextContents();
  const byFrame = new Map(damaged.map((id) => [id, texts.find((t) => t.includes(id))]));
  for (const [id, text] of byFrame)
    expect(text, `frame ${id}`).toMatch(
      /DecodeFailed (JPEG 2000|JPEG|JPEG XL|HTJ2K) decode failed|DecodeFailed Uncompressed frame of \d+ bytes/,
    );
  expect(texts.filter((t) => t.includes('UnsupportedSyntax'))).toHaveLength(1);
  // Stored intact at AHI again, the failed frames are retried: every one verified, nothing else
  // fetched again.
  await resetServer();
  await page.getByRole('button', { name: 'Retry failed frames' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 11 of 11 frames, 7 verified, 1 stored, not verifiable, 2 already stored, 1 failed/,
    { timeout: 60_000 },
  );
  expect((await serverStats()).byOperation['getImageFrame']).toBe(damaged.length + 1 + 1);
});

test('a Content-Type that contradicts the metadata is reported, not guessed at', async ({
  persistent: { page },
}) => {
  await openApp(page);
  const doc = (await demoMetadata('syntaxes')) as {
    Study: {
      Series: Record<string, { Instances: Record<string, { StoredTransferSyntaxUID: string }> }>;
    };
  };
  // The metadata now says the greyscale JPEG frame is JPEG 2000: AHI sends image/jpeg.
  const jpeg = Object.values(doc.Study.Series)
    .flatMap((s) => Object.values(s.Instances))
    .filter((i) => i.StoredTransferSyntaxUID === '1.2.840.10008.1.2.4.50')[0]!;
  jpeg.StoredTransferSyntaxUID = '1.2.840.10008.1.2.4.90';
  await page.getByRole('radio', { name: 'Manifest files or JSON' }).check();
  await page.getByLabel('Manifest JSON').fill(JSON.stringify(doc));
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 11 of 11 frames, 6 verified, .*2 failed/,
    {
      timeout: 60_000,
    },
  );
  await expect(
    page.getByRole('region', { name: 'Problems' }).locator('.failures li').first(),
  ).toContainText(
    /SyntaxMismatch.*stores it as JPEG 2000 lossless \(image\/j2c\), but AHI sent image\/jpeg/,
  );
});

test('a JPEG_2000_LOSSLESS datastore: 2,000 JPEG 2000 frames in raw, every one verified', async ({
  persistent: { page },
}) => {
  const set = (await demoIndex()).imageSets.find((s) => s.name === 'synthetic-ct-j2k');
  test.skip(!set, 'the local server was started without opj_compress (libopenjp2-tools)');
  await openApp(page);
  await chooseDemo(page, 'synthetic-ct-j2k');
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await resetServer();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Done: 2000 of 2000 frames, 2000 verified \(/,
    {
      timeout: 170_000,
    },
  );
  const stats = await serverStats();
  expect(stats.distinctFramesServed).toBe(2000);
  expect(stats.byOperation['getImageFrame']).toBe(2000);
});
