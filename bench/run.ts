/**
 * `npm run bench`: the local AHI server with the synthetic series, the production build, and
 * headless Chromium driven over a minimal CDP client (no Network domain: the browser's network
 * path costs what it costs a user). Per scenario it measures the ceiling in the same run (a bare
 * fetch loop from one worker; a decode-only loop per worker) and the app (medians of --runs),
 * then prints one table and writes bench-results/<time>.json.
 *
 *   npm run bench -- [--runs 3] [--frames 2000] [--workers 2] [--inflight 20]
 *                    [--scenarios loopback,home] [--formats jph,raw,mem]
 *
 * "home" is a line of 500 Mbit/s with 20 ms added latency and 20 streams per connection.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseConfig } from '../ahi-server/knobs';
import { startLocalAhi } from '../ahi-server/index';
import { launch, openPage } from './cdp';
import { chromiumRssMb, cpuDelta, sampleCpu } from './cpu';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const runs = Number(args.get('runs') ?? 3);
const frames = Number(args.get('frames') ?? 2000);
const workers = Number(args.get('workers') ?? 2);
const inflight = Number(args.get('inflight') ?? 20);
const scenarios = (args.get('scenarios') ?? 'loopback,home').split(',');
const formats = (args.get('formats') ?? 'jph,raw,mem').split(',');

const LINES: Record<string, Record<string, number>> = {
  loopback: {},
  home: { bandwidthMbps: 500, latencyMs: 20, maxStreams: 20 },
};

const LONG_TASKS = `window.__longTasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

interface AppRun {
  framesPerSecond: number;
  mbPerSecond: number;
  firstFrameMs: number;
  retries: number;
  peakMemoryMb: number;
  longestTaskMs: number;
  longestTaskAfterStartMs: number;
  cpuMsPerFrame: Record<string, number>;
  stageMsPerFrame: Record<string, number>;
}

async function appRun(appUrl: string, format: string): Promise<AppRun> {
  const browser = await launch();
  try {
    const cpu0 = sampleCpu();
    let peak = 0;
    const rss = setInterval(() => (peak = Math.max(peak, chromiumRssMb())), 200);
    const url = `${appUrl}?autostart=synthetic-ct&format=${format}&workers=${workers}&inflight=${inflight}`;
    const { evaluate } = await openPage(browser, url, LONG_TASKS);
    const t0 = Date.now();
    let text = '';
    while (!/^(Done|Stopped)/.test(text)) {
      await new Promise((r) => setTimeout(r, 250));
      text = await evaluate<string>(`document.querySelector('[role=status]')?.textContent ?? ''`);
      if (Date.now() - t0 > 600_000) throw new Error(`timed out: ${text}`);
    }
    clearInterval(rss);
    const cpu = cpuDelta(cpu0, sampleCpu());
    const r = await evaluate<{
      first: number;
      done: number;
      running: number;
      tasks: { start: number; duration: number }[];
      job: { bytes: number; retries: number; verified: number; stored: number };
      workers: Record<string, number>[];
    }>(`(() => {
      const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      const job = window.ahiDiagnostics.snapshot();
      return { first: m('ahi:first-frame'), done: m('ahi:done'), running: m('ahi:running'),
        tasks: window.__longTasks, job, workers: job.workers };
    })()`);
    const n = r.job.verified + r.job.stored;
    const seconds = (r.done - r.running) / 1000;
    const sum = (k: string) => r.workers.reduce((a, w) => a + (w[k] ?? 0), 0);
    const done = sum('done') + sum('failed') || 1;
    return {
      framesPerSecond: n / seconds,
      mbPerSecond: r.job.bytes / 1e6 / seconds,
      firstFrameMs: r.first - r.running,
      retries: r.job.retries,
      peakMemoryMb: peak,
      longestTaskMs: Math.max(0, ...r.tasks.map((t) => t.duration)),
      longestTaskAfterStartMs: Math.max(
        0,
        ...r.tasks.filter((t) => t.start >= r.running).map((t) => t.duration),
      ),
      cpuMsPerFrame: Object.fromEntries(
        Object.entries(cpu)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => [k, v / n]),
      ),
      stageMsPerFrame: {
        wait: sum('requestMs') / done,
        body: sum('bodyMs') / done,
        decode: sum('decodeMs') / Math.max(1, sum('decoded')),
        crc: sum('crcMs') / done,
        store: sum('storeMs') / done,
      },
    };
  } finally {
    await browser.close();
  }
}

async function ceiling(appUrl: string) {
  const browser = await launch();
  try {
    const { evaluate } = await openPage(browser, `${appUrl}bench.html`);
    for (let i = 0; i < 100; i++) {
      const ready = await evaluate<boolean>(
        `document.readyState === 'complete' && typeof window.ahiBench === 'object'`,
      ).catch(() => false);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const fetch = await evaluate<{ frames: number; bytes: number; ms: number }>(
      `window.ahiBench.fetchLoop('synthetic-ct', ${frames}, ${inflight}, 'reader')`,
    );
    const decode = await evaluate<{ frames: number; ms: number }[]>(
      `window.ahiBench.decodeLoop('synthetic-ct', 200, ${workers}, 3)`,
    );
    const perWorker = median(decode.map((d) => (d.frames * 1000) / d.ms));
    const fetchRate = (fetch.frames * 1000) / fetch.ms;
    return {
      fetchFramesPerSecond: fetchRate,
      fetchMbPerSecond: fetch.bytes / 1e3 / fetch.ms,
      decodeFramesPerSecondPerWorker: perWorker,
      /** fetch and decode sharing the cores: 1 / (1/fetch + 1/decode per core) × cores */
      idealVerifiedFramesPerSecond: Math.min(
        fetchRate,
        (1 / (1 / fetchRate + 1 / perWorker)) * Math.min(workers, cpus().length),
      ),
    };
  } finally {
    await browser.close();
  }
}

const config = parseConfig(['--port', '0', '--app-port', '0', '--app', 'dist'], {});
const ahi = await startLocalAhi(config, (l) => console.log(l));
const appUrl = `${ahi.app!.url.replace('localhost', '127.0.0.1')}/`.replace(/\/+$/, '/');
const load = () => loadavg()[0]!.toFixed(2);
console.log(
  `bench: ${frames} frames of synthetic CT (512×512, 16-bit, ~192 KB HTJ2K), ${workers} workers, ${inflight} in flight, ${runs} runs each; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${load()}`,
);
const results: Record<string, unknown> = {};
const rows: string[][] = [];
for (const scenario of scenarios) {
  ahi.api.setKnobs({ ...LINES[scenario] });
  const c = await ceiling(appUrl);
  results[`${scenario}/ceiling`] = c;
  rows.push([
    scenario,
    'bare fetch loop',
    c.fetchFramesPerSecond.toFixed(0),
    c.fetchMbPerSecond.toFixed(1),
    (c.fetchMbPerSecond * 8).toFixed(0),
    '',
    '',
    '',
    '',
    `decode ${c.decodeFramesPerSecondPerWorker.toFixed(0)}/s per worker; ideal verified ${c.idealVerifiedFramesPerSecond.toFixed(0)}/s`,
  ]);
  for (const format of formats) {
    const all: AppRun[] = [];
    for (let i = 0; i < runs; i++) all.push(await appRun(appUrl, format));
    const med = (f: (r: AppRun) => number) => median(all.map(f));
    const fps = med((r) => r.framesPerSecond);
    results[`${scenario}/${format}`] = { runs: all, medianFramesPerSecond: fps };
    const stages = all[0]!.stageMsPerFrame;
    rows.push([
      scenario,
      `app ${format}`,
      fps.toFixed(0),
      med((r) => r.mbPerSecond).toFixed(1),
      (med((r) => r.mbPerSecond) * 8).toFixed(0),
      `${((100 * fps) / c.fetchFramesPerSecond).toFixed(0)} %`,
      med((r) => r.firstFrameMs).toFixed(0),
      med((r) => r.peakMemoryMb).toFixed(0),
      `${med((r) => r.longestTaskAfterStartMs).toFixed(0)} (${med((r) => r.longestTaskMs).toFixed(0)})`,
      `retries ${med((r) => r.retries)}; renderer ${med((r) => r.cpuMsPerFrame['renderer'] ?? 0).toFixed(1)} ms/frame; wait ${stages['wait']!.toFixed(1)} body ${stages['body']!.toFixed(1)} decode ${stages['decode']!.toFixed(1)} crc ${stages['crc']!.toFixed(1)} store ${stages['store']!.toFixed(1)} ms`,
    ]);
    console.log(
      `  ${scenario} ${format}: ${all.map((r) => r.framesPerSecond.toFixed(0)).join(', ')} frames/s (load ${load()})`,
    );
  }
}
await ahi.close();

const header = [
  'line',
  'what',
  'frames/s',
  'MB/s',
  'Mbps',
  'of bare loop',
  'first frame ms',
  'peak MB',
  'longest task ms (after Start)',
  'notes',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
for (const r of rows) console.log(line(r));
await mkdir('bench-results', { recursive: true });
const file = `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(
  file,
  JSON.stringify({ frames, workers, inflight, runs, load: loadavg(), results }, null, 2),
);
console.log(`\nwrote ${file}; load average now ${load()}`);
