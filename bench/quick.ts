/**
 * Quick Playwright-free timing of demo jobs: `npx tsx bench/quick.ts [format,…] [workers,…] [inflight]`.
 * Prints frames/s from the first to the last frame, peak browser memory and the longest
 * main-thread task for each combination.
 */
import { launch, openPage } from './cdp';
import { chromiumRssMb, cpuDelta, sampleCpu } from './cpu';

const [formats = 'mem,jph,raw', workerCounts = '1', inflight = '20', set = 'synthetic-ct'] =
  process.argv.slice(2);
const app = process.env.APP_URL ?? 'https://127.0.0.1:8544/';
const LONG_TASKS = `window.__longTasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });`;

for (const format of formats.split(',')) {
  for (const workers of workerCounts.split(',')) {
    const browser = await launch();
    try {
      const cpu0 = sampleCpu();
      let peak = 0;
      const rss = setInterval(() => (peak = Math.max(peak, chromiumRssMb())), 200);
      const url = `${app}?autostart=${set}&format=${format}&workers=${workers}&inflight=${inflight}`;
      const { evaluate } = await openPage(browser, url, LONG_TASKS);
      const t0 = Date.now();
      let text = '';
      while (!/^(Done|Stopped)/.test(text)) {
        await new Promise((r) => setTimeout(r, 250));
        text =
          (await evaluate<string>(`document.querySelector('[role=status]')?.textContent ?? ''`)) ??
          '';
        if (Date.now() - t0 > 300_000) throw new Error(`timed out: ${text}`);
      }
      clearInterval(rss);
      const cpu = cpuDelta(cpu0, sampleCpu());
      const numbers = await evaluate<string>(
        `document.querySelector('.numbers')?.textContent ?? ''`,
      );
      const longest = await evaluate<number>(`Math.max(0, ...window.__longTasks)`);
      const longTasks = await evaluate<number[]>(`window.__longTasks.map(Math.round)`);
      const frames = Number(/of (\d+) frames/.exec(text)?.[1] ?? 0);
      const marks = await evaluate<{ first: number; done: number } | null>(
        `(() => { const f = performance.getEntriesByName('ahi:first-frame')[0]; const d = performance.getEntriesByName('ahi:done')[0]; const s = performance.getEntriesByName('ahi:running')[0]; return f && d && s ? { first: f.startTime - s.startTime, done: d.startTime - s.startTime } : null; })()`,
      );
      const rate = marks ? (frames / (marks.done / 1000)).toFixed(0) : '?';
      console.log(
        `${set} ${format} workers=${workers} inflight=${inflight}: ${rate} frames/s (running→done ${marks ? (marks.done / 1000).toFixed(1) : '?'} s, first frame after ${marks ? marks.first.toFixed(0) : '?'} ms) | peak browser RSS ${peak.toFixed(0)} MB | longest main-thread task ${longest.toFixed(0)} ms | CPU ms/frame ${Object.entries(
          cpu,
        )
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${(v / frames).toFixed(1)}`)
          .join(', ')}`,
      );
      console.log(`   ${text} | ${numbers}`);
      console.log(`   long tasks (ms): ${longTasks.join(', ') || 'none'}`);
    } finally {
      await browser.close();
    }
  }
}
