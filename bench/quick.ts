/** Quick Playwright-free timing of one demo job: `npx tsx bench/quick.ts [format] [workers] [inflight]`. */
import { launch, openPage } from './cdp';

const [format = 'mem', workers = '1', inflight = '20'] = process.argv.slice(2);
const app = process.env.APP_URL ?? 'https://127.0.0.1:8544/';
const browser = await launch();
try {
  const page = await openPage(
    browser,
    `${app}?autostart=synthetic-ct&format=${format}&workers=${workers}&inflight=${inflight}`,
  );
  const t0 = Date.now();
  let text = '';
  while (!/^(Done|Stopped)/.test(text)) {
    await new Promise((r) => setTimeout(r, 200));
    text =
      (await page.evaluate<string | null>(
        `document.querySelector('[role=status]')?.textContent ?? ''`,
      )) ?? '';
    if (Date.now() - t0 > 300_000) throw new Error(`timed out: ${text}`);
  }
  const numbers = await page.evaluate<string>(
    `document.querySelector('.numbers')?.textContent ?? ''`,
  );
  const table = await page.evaluate<string>(
    `[...document.querySelectorAll('table.workers tbody tr')].map(r => r.textContent).join(' / ')`,
  );
  console.log(table);
  console.log(
    `${format} workers=${workers} inflight=${inflight}: ${text} | ${numbers} | wall ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
} finally {
  await browser.close();
}
