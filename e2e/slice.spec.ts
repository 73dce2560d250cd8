/**
 * The first slice, end to end: the real app in Debian's Chromium against the local AHI server over
 * HTTP/2. Start downloads the real NEMA set, decodes and verifies it in a worker, and shows a frame.
 */
import { expect, test } from '@playwright/test';
import { openApp, resetServer, serverStats, waitForPainted } from './helpers';

test('downloads, decodes and verifies the NEMA demo set over one HTTP/2 session', async ({
  page,
}) => {
  await resetServer();
  await openApp(page);
  await expect(page.getByLabel('Endpoint')).toHaveValue(/^https:\/\/127\.0\.0\.1:\d+$/);
  await page.getByRole('button', { name: 'Start' }).click();
  const status = page.getByRole('status');
  await expect(status).toContainText('Done', { timeout: 60_000 });
  // 16 frames, the classic JPEG 2000 one included (OpenJPEG): the demo's first run fails none.
  await expect(status).toHaveText(/Done: 16 of 16 frames, 16 verified \(/);
  await expect(page.getByRole('region', { name: 'Problems' })).toHaveCount(0);

  // A decoded frame is on the canvas: not blank.
  const canvas = page.getByLabel('Decoded frame');
  await expect(canvas).toHaveAttribute('data-frame', /\w+\/\w{32}/);
  await waitForPainted(page);
  const distinct = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i]!);
    return { width: c.width, height: c.height, distinct: seen.size };
  });
  expect(distinct.width).toBe(512);
  expect(distinct.distinct).toBeGreaterThan(50);

  await page.screenshot({ path: 'test-results/screens/slice-done.png' });

  const stats = await serverStats();
  expect(stats.byOperation['getImageFrame']).toBe(16);
  expect(stats.byOperation['getImageSetMetadata']).toBe(1);
  expect(stats.http1Requests).toBe(0);
  // Page and workers share one HTTP/2 connection to the API.
  expect(stats.http2Sessions).toBe(1);
  expect(stats.errorsByType).toEqual({});
});
