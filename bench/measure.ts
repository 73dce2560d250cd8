/**
 * One measured run of the app (memory, CPU per process kind, the page's main thread, long tasks,
 * first frame), and the ceiling in the same harness: a bare fetch loop from one worker and a
 * decode-only loop per worker, with the CPU every process spent on them.
 */
import { cpus } from 'node:os';
import { launch, openPage } from './cdp';
import {
  chromiumResidentMb,
  chromiumRssMb,
  cpuDelta,
  mainThreadSched,
  pageRenderer,
  processTree,
  sampleCpu,
  schedOver,
  type SchedSample,
} from './cpu';

/** the in-flight limit of the ceiling's bare fetch loop */
export const CEILING_INFLIGHT = 20;

/** The folder picker answering with a new OPFS folder (Chromium's own needs a person). */
const FOLDER_PICKER = `window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('bench-' + crypto.randomUUID(), { create: true });`;
const LONG_TASKS = `window.__longTasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });`;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

export interface AppRun {
  frames: number;
  framesPerSecond: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  /** peak browser memory over the first and the second half of the frames */
  peakFirstHalfMb: number;
  peakSecondHalfMb: number;
  /** PSS per Chromium process type at the peak */
  peakByProcessMb: Record<string, number>;
  /** peak PSS of each process type over the first and the second half of the frames */
  halvesByProcessMb: Record<string, [number, number]>;
  mbPerSecond: number;
  /** from Start to the first decoded frame on screen (painted in the preview canvas): preparing
   * the job (plan worker, manifest, saving it, workers and codec) included */
  firstFrameFromStartMs: number;
  /** how long the bench waited, after the page was ready, for the browser to go quiet before it
   * pressed Start (see pressStartWhenQuiet) */
  quietWaitMs: number;
  retries: number;
  peakMemoryMb: number;
  longestTaskMs: number;
  longestTaskAfterStartMs: number;
  /** main-thread tasks over 50 ms after Start: when (ms after Start; the job was running from
   * `runningAtMs`), how long, and what the scheduler says of the page's main thread over the
   * sampled window around the task (`windowMs`, sampled every 10 ms, so a little longer than the
   * task): ms it ran on a core (the task's own CPU is at most this) and ms it was runnable but
   * waiting for a core */
  longTasksAfterStart: LongTask[];
  /** the page's main thread from Start to Done: ms on a core per frame, and the share of its
   * runnable time it spent waiting for a core */
  mainThread: { runMsPerFrame: number; waitShare: number };
  runningAtMs: number;
  /** CPU per frame by Chromium process kind, and `server`: this process, the local AHI server */
  cpuMsPerFrame: Record<string, number>;
  stageMsPerFrame: Record<string, number>;
}

export interface LongTask {
  atMs: number;
  ms: number;
  windowMs?: number;
  runMs?: number;
  waitMs?: number;
}

/**
 * Samples the scheduler's counters of the page's main thread every 10 ms from this process: no
 * instrumentation inside the browser. The page's renderer is looked for every 250 ms until found
 * (its first worker starts before the page is ready).
 */
function schedSampler(tree: () => Set<number>) {
  const samples: SchedSample[] = [];
  let renderer: number | undefined;
  let calls = 0;
  const timer = setInterval(() => {
    if (renderer === undefined) {
      if (calls++ % 25 === 0) renderer = pageRenderer(tree());
      return;
    }
    const s = mainThreadSched(renderer);
    if (s) samples.push({ t: performance.timeOrigin + performance.now(), ...s });
  }, 10);
  return {
    over: (from: number, to: number) => schedOver(samples, from, to),
    stop: () => clearInterval(timer),
  };
}

/** CPU ms of this process (the local AHI server runs in it) since `from`. */
const serverCpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/**
 * Waits for the page to be ready (demo manifest loaded and settings applied: the `ahi:ready` mark),
 * then for the browser to go quiet, and presses Start as a person would. A freshly launched headless
 * Chromium loads its own "WebUI Top Renderer" for the first second or two after the first
 * navigation (in one trace, 310 ms of its main thread and 200 ms of its thread pool in the 330 ms
 * after Start): pressing Start the moment the page loaded measured that, on 2 cores, more than the
 * app. Quiet: the browser's processes used under 5 % of a core over half a second (at most 15 s).
 * Returns how long it waited after the page was ready.
 */
async function pressStartWhenQuiet(
  evaluate: <T>(expr: string) => Promise<T>,
  tree: () => Set<number>,
): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (!(await evaluate<boolean>(`performance.getEntriesByName('ahi:ready').length > 0`))) {
    if (Date.now() > deadline) throw new Error('the page did not get ready to start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const ready = Date.now();
  for (;;) {
    const before = sampleCpu(tree());
    await new Promise((r) => setTimeout(r, 500));
    const used = Object.values(cpuDelta(before, sampleCpu(tree()))).reduce((a, b) => a + b, 0);
    if (used < 25 || Date.now() - ready > 15_000) break;
  }
  await evaluate(
    `[...document.querySelectorAll('button')].find((b) => b.textContent === 'Start').click()`,
  );
  return Date.now() - ready;
}

export async function appRun(
  workers: number,
  appUrl: string,
  format: string,
  inflight: string,
  set = 'synthetic-ct',
  /** "Save to folder while downloading", a folder of OPFS standing in for the picker */
  folder = false,
): Promise<AppRun> {
  const browser = await launch();
  const tree = () => processTree(browser.process.pid!);
  const sched = schedSampler(tree);
  try {
    const cpu0 = sampleCpu(tree());
    const server0 = process.cpuUsage();
    // Memory against progress: frames done (from the status line) and PSS. The watching costs
    // CPU the app needs (PSS of every process every 250 ms took 11 % of a core), so: resident
    // memory (cheap) every 250 ms, PSS at each new high of it and at least every 2 s, the process
    // list every 2 s, the status line every 500 ms.
    const memory: { done: number; mb: number; byType: Record<string, number> }[] = [];
    let peakMb = 0;
    let peakByType: Record<string, number> = {};
    let done = 0;
    const url = `${appUrl}?demo=${set}&format=${format}&workers=${workers}&inflight=${inflight}`;
    const { evaluate } = await openPage(
      browser,
      url,
      folder ? LONG_TASKS + FOLDER_PICKER : LONG_TASKS,
    );
    if (folder) {
      await evaluate(`(async () => {
        for (let i = 0; i < 200 && !document.querySelector('.destination input'); i++) await new Promise((r) => setTimeout(r, 50));
        document.querySelector('.destination input').click();
        for (let i = 0; i < 200 && !document.querySelector('.destination strong'); i++) await new Promise((r) => setTimeout(r, 50));
      })()`);
    }
    const quietWaitMs = await pressStartWhenQuiet(evaluate, tree);
    const t0 = Date.now();
    let text = '';
    let pids = tree();
    let highRss = 0;
    for (let tick = 0; !/^(Done|Stopped)/.test(text); tick++) {
      await new Promise((r) => setTimeout(r, 250));
      if (tick % 2 === 0) {
        text = await evaluate<string>(`document.querySelector('[role=status]')?.textContent ?? ''`);
        done = Number(/^(?:Done: )?(\d+) of/.exec(text)?.[1] ?? done);
      }
      if (tick % 8 === 0) pids = tree();
      const rss = chromiumResidentMb(pids);
      if (rss <= highRss && tick % 8 !== 0) continue;
      highRss = Math.max(highRss, rss);
      const byType: Record<string, number> = {};
      const mb = chromiumRssMb(byType, pids);
      if (mb > peakMb) {
        peakMb = mb;
        peakByType = byType;
      }
      memory.push({ done, mb, byType });
      if (Date.now() - t0 > 1_200_000) throw new Error(`timed out: ${text}`);
    }
    const total = done || 1;
    const peakOf = (xs: { mb: number }[]) => Math.max(0, ...xs.map((m) => m.mb));
    const peak = peakOf(memory);
    const cpu = { ...cpuDelta(cpu0, sampleCpu(tree())), server: serverCpuMs(server0) };
    const r = await evaluate<{
      /** the page's performance.timeOrigin, ms since the epoch */
      origin: number;
      first: number;
      done: number;
      running: number;
      /** Start pressed */
      started: number;
      /** the first frame painted in the preview canvas */
      painted: number;
      tasks: { start: number; duration: number }[];
      job: {
        bytes: number;
        retries: number;
        verified: number;
        stored: number;
        latency?: { p50: number; p95: number };
      };
      workers: Record<string, number>[];
    }>(`(() => {
      const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      const job = window.ahiDiagnostics.snapshot();
      return { origin: performance.timeOrigin, first: m('ahi:first-frame'), done: m('ahi:done'), running: m('ahi:running'),
        started: m('ahi:start'), painted: m('ahi:first-paint'),
        tasks: window.__longTasks, job, workers: job.workers };
    })()`);
    const n = r.job.verified + r.job.stored;
    const seconds = (r.done - r.running) / 1000;
    const sum = (k: string) => r.workers.reduce((a, w) => a + (w[k] ?? 0), 0);
    const finished = sum('done') + sum('failed') || 1;
    const job = sched.over(r.origin + r.started, r.origin + r.done);
    return {
      frames: n,
      framesPerSecond: n / seconds,
      latencyP50Ms: r.job.latency?.p50 ?? NaN,
      latencyP95Ms: r.job.latency?.p95 ?? NaN,
      peakFirstHalfMb: peakOf(memory.filter((m) => m.done <= total / 2)),
      peakSecondHalfMb: peakOf(memory.filter((m) => m.done > total / 2)),
      mbPerSecond: r.job.bytes / 1e6 / seconds,
      firstFrameFromStartMs: r.painted - r.started,
      quietWaitMs,
      retries: r.job.retries,
      peakMemoryMb: peak,
      peakByProcessMb: peakByType,
      halvesByProcessMb: Object.fromEntries(
        Object.keys(peakByType).map((type) => {
          const half = (first: boolean) =>
            Math.max(
              0,
              ...memory
                .filter((m) => m.done <= total / 2 === first)
                .map((m) => m.byType[type] ?? 0),
            );
          return [type, [half(true), half(false)]];
        }),
      ),
      longestTaskMs: Math.max(0, ...r.tasks.map((t) => t.duration)),
      longTasksAfterStart: r.tasks
        .filter((t) => t.start >= r.started)
        .map((t) => ({
          atMs: Math.round(t.start - r.started),
          ms: t.duration,
          ...sched.over(r.origin + t.start, r.origin + t.start + t.duration),
        })),
      mainThread: {
        runMsPerFrame: job ? job.runMs / n : NaN,
        waitShare: job ? job.waitMs / (job.runMs + job.waitMs) : NaN,
      },
      runningAtMs: Math.round(r.running - r.started),
      longestTaskAfterStartMs: Math.max(
        0,
        ...r.tasks.filter((t) => t.start >= r.started).map((t) => t.duration),
      ),
      cpuMsPerFrame: Object.fromEntries(
        Object.entries(cpu)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => [k, v / n]),
      ),
      stageMsPerFrame: {
        wait: sum('requestMs') / finished,
        body: sum('bodyMs') / finished,
        decode: sum('decodeMs') / Math.max(1, sum('decoded')),
        crc: sum('crcMs') / finished,
        store: sum('storeMs') / finished,
      },
    };
  } finally {
    sched.stop();
    await browser.close();
  }
}

/** Waits (up to 10 s) for the bench page to load its script. */
async function benchPageReady(evaluate: <T>(expr: string) => Promise<T>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ready = await evaluate<boolean>(
      `document.readyState === 'complete' && typeof window.ahiBench === 'object'`,
    ).catch(() => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function ceiling(appUrl: string, frames: number, workers: number) {
  const browser = await launch();
  try {
    const { evaluate } = await openPage(browser, `${appUrl}bench/ceiling.html`);
    await benchPageReady(evaluate);
    // CPU of everything the machine spends on a loop: Chromium's processes and the server.
    const withCpu = async <T>(f: () => Promise<T>) => {
      const chromium0 = sampleCpu(processTree(browser.process.pid!));
      const server0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await f();
      const byKind = cpuDelta(chromium0, sampleCpu(processTree(browser.process.pid!)));
      const chromiumMs = Object.values(byKind).reduce((a, b) => a + b, 0);
      return { result, chromiumMs, serverMs: serverCpuMs(server0), wallMs: performance.now() - t0 };
    };
    // Two ways of reading bodies: a stream reader (what the app does, into one buffer) and
    // arrayBuffer(); the faster is the ceiling.
    const loop = (read: string) =>
      withCpu(() =>
        evaluate<{ frames: number; bytes: number; ms: number }>(
          `window.ahiBench.fetchLoop('synthetic-ct', ${frames}, ${CEILING_INFLIGHT}, '${read}')`,
        ),
      );
    const readerRun = await loop('reader');
    const wholeRun = await loop('arrayBuffer');
    const [reader, whole] = [readerRun.result, wholeRun.result];
    const fetchRun = reader.ms / reader.frames <= whole.ms / whole.frames ? readerRun : wholeRun;
    const fetch = fetchRun.result;
    await evaluate(`window.ahiBench.decodePrepare('synthetic-ct', 200, ${workers})`);
    const decodeRun = await withCpu(() =>
      evaluate<{ frames: number; ms: number }[]>(`window.ahiBench.decodeLoop(3)`),
    );
    const decode = decodeRun.result;
    const perWorker = median(decode.map((d) => (d.frames * 1000) / d.ms));
    const fetchRate = (fetch.frames * 1000) / fetch.ms;
    const fetchCpu = {
      chromium: fetchRun.chromiumMs / fetch.frames,
      server: fetchRun.serverMs / fetch.frames,
    };
    const decodeCpu = decodeRun.chromiumMs / decode.reduce((a, d) => a + d.frames, 0);
    return {
      readerFramesPerSecond: (reader.frames * 1000) / reader.ms,
      arrayBufferFramesPerSecond: (whole.frames * 1000) / whole.ms,
      fetchFramesPerSecond: fetchRate,
      fetchMbPerSecond: fetch.bytes / 1e3 / fetch.ms,
      decodeFramesPerSecondPerWorker: perWorker,
      /** fetch and decode sharing the cores: 1 / (1/fetch + 1/decode per core) × cores */
      idealVerifiedFramesPerSecond: Math.min(
        fetchRate,
        (1 / (1 / fetchRate + 1 / perWorker)) * Math.min(workers, cpus().length),
      ),
      /** CPU ms per frame of the bare loop: Chromium's processes, and the server (this process) */
      fetchCpuMsPerFrame: fetchCpu,
      /** cores busy during the bare loop (all of Chromium and the server) */
      fetchCoresBusy: (fetchRun.chromiumMs + fetchRun.serverMs) / fetchRun.wallMs,
      /** CPU ms per frame of decode + CRC-32 in the decode-only loop */
      decodeCpuMsPerFrame: decodeCpu,
      /**
       * The most verified frames/s this machine's cores can give when every frame costs at least
       * the bare loop's CPU (browser and server) plus the decode loop's: an upper bound for the app.
       */
      cpuBoundVerifiedFramesPerSecond: Math.min(
        fetchRate,
        (cpus().length * 1000) / (fetchCpu.chromium + fetchCpu.server + decodeCpu),
      ),
    };
  } finally {
    await browser.close();
  }
}

/**
 * Decode-only time of each frame of the "syntaxes" demo set in one worker (one core), through the
 * app's codec registry (WASM): ms per decode and CRC-32, by codec.
 */
export async function codecCeilings(appUrl: string, repeat: number) {
  const browser = await launch();
  try {
    const { evaluate } = await openPage(browser, `${appUrl}bench/ceiling.html`);
    await benchPageReady(evaluate);
    return await evaluate<
      { name: string; contentType: string; msPerFrame: number; error?: string }[]
    >(`window.ahiBench.decodeEach('syntaxes', ${repeat})`);
  } finally {
    await browser.close();
  }
}

/** What planning a cohort cost: the search and size check before Start, then Start to running. */
export interface CohortRun {
  imageSets: number;
  frames: number;
  /** every page of SearchImageSets, then every image set's metadata (the size check) */
  searchMs: number;
  sizeMs: number;
  /** Start pressed until the job ran (plan built, job saved, frames handed to the page) */
  planMs: number;
  /** the page's longest main-thread task while it searched and checked the size, and while it planned */
  longestTaskBeforeStartMs: number;
  longestTaskPlanningMs: number;
  /** main-thread tasks over 50 ms from Start until running */
  planningTasks: LongTask[];
  /** the page's main thread from Start until running: ms on a core, and ms waiting for one */
  planningMainThread: { runMs: number; waitMs: number };
}

/**
 * Opens the app on `?cohort=<datastore>` (every image set searched, selected, size checked), then
 * presses Start and waits until the job runs: planning a cohort, measured without downloading it.
 */
export async function cohortRun(
  appUrl: string,
  datastoreId: string,
  workers: number,
): Promise<CohortRun> {
  const browser = await launch();
  const tree = () => processTree(browser.process.pid!);
  const sched = schedSampler(tree);
  try {
    const url = `${appUrl}?cohort=${datastoreId}&format=mem&workers=${workers}&inflight=auto`;
    const { evaluate } = await openPage(browser, url, LONG_TASKS);
    const deadline = Date.now() + 600_000;
    while (!(await evaluate<boolean>(`performance.getEntriesByName('ahi:ready').length > 0`))) {
      if (Date.now() > deadline)
        throw new Error('the cohort was not searched and sized in 10 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    await pressStartWhenQuiet(evaluate, tree);
    while (!(await evaluate<boolean>(`performance.getEntriesByName('ahi:running').length > 0`))) {
      if (Date.now() > deadline) throw new Error('the cohort job did not start running');
      const text = await evaluate<string>(
        `document.querySelector('[role=status]')?.textContent ?? ''`,
      );
      if (/^Stopped/.test(text)) throw new Error(text);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A second of running: the page's first work with the job's frames (viewer, strips) is in.
    await new Promise((r) => setTimeout(r, 1000));
    const r = await evaluate<{
      origin: number;
      search: number;
      found: number;
      sized: number;
      ready: number;
      started: number;
      running: number;
      tasks: { start: number; duration: number }[];
      total: number;
      imageSets: number;
    }>(`(() => {
      const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      return { origin: performance.timeOrigin, search: m('ahi:cohort-search'), found: m('ahi:cohort-found'), sized: m('ahi:cohort-sized'),
        ready: m('ahi:ready'), started: m('ahi:start'), running: m('ahi:running'), tasks: window.__longTasks,
        total: window.ahiDiagnostics.snapshot().total,
        imageSets: document.querySelectorAll('.strips details.image-set').length };
    })()`);
    const settledAt = r.running + 1000;
    const planning = r.tasks.filter((t) => t.start >= r.started && t.start <= settledAt);
    const before = r.tasks.filter((t) => t.start < r.started);
    const main = sched.over(r.origin + r.started, r.origin + r.running);
    return {
      imageSets: r.imageSets,
      frames: r.total,
      searchMs: r.found - r.search,
      sizeMs: r.sized - r.found,
      planMs: r.running - r.started,
      longestTaskBeforeStartMs: Math.max(0, ...before.map((t) => t.duration)),
      longestTaskPlanningMs: Math.max(0, ...planning.map((t) => t.duration)),
      planningTasks: planning.map((t) => ({
        atMs: Math.round(t.start - r.started),
        ms: t.duration,
        ...sched.over(r.origin + t.start, r.origin + t.start + t.duration),
      })),
      planningMainThread: main
        ? { runMs: main.runMs, waitMs: main.waitMs }
        : { runMs: NaN, waitMs: NaN },
    };
  } finally {
    sched.stop();
    await browser.close();
  }
}

export interface ExportRun {
  format: string;
  frames: number;
  mb: number;
  seconds: number;
  mbPerSecond: number;
  /** CPU of the browser's processes over the export, ms per MB written */
  cpuMsPerMb: number;
}

/**
 * A job downloaded in the app (`retrieval`: jph or raw), then written by **Export to folder** in
 * an export format (a folder of OPFS standing in for the picker's): the app's own message gives
 * frames, MB and seconds.
 */
export async function exportRun(
  workers: number,
  appUrl: string,
  retrieval: string,
  choices: { 'Export format': string; 'DICOM transfer syntax'?: string; 'NIfTI file'?: string },
): Promise<ExportRun> {
  const browser = await launch();
  const tree = () => processTree(browser.process.pid!);
  try {
    const url = `${appUrl}?demo=synthetic-ct&format=${retrieval}&workers=${workers}&inflight=auto`;
    const { evaluate } = await openPage(browser, url, LONG_TASKS + FOLDER_PICKER);
    await pressStartWhenQuiet(evaluate, tree);
    const status = () =>
      evaluate<string>(`document.querySelector('[role=status]')?.textContent ?? ''`);
    for (let t0 = Date.now(); !/^Done/.test(await status());) {
      if (Date.now() - t0 > 600_000) throw new Error(`the job did not finish: ${await status()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const [label, value] of Object.entries(choices))
      await evaluate(`(async () => {
        let select;
        for (let i = 0; i < 100 && !select; i++) {
          select = [...document.querySelectorAll('label')].find((l) => l.firstChild?.textContent?.trim() === ${JSON.stringify(label)})?.querySelector('select');
          if (!select) await new Promise((r) => setTimeout(r, 50));
        }
        const option = [...select.options].find((o) => o.textContent === ${JSON.stringify(value)});
        Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(select, option.value);
        select.dispatchEvent(new Event('change', { bubbles: true }));
      })()`);
    const cpu0 = sampleCpu(tree());
    await evaluate(
      `[...document.querySelectorAll('button')].find((b) => b.textContent === 'Export to folder').click()`,
    );
    let text = '';
    for (let t0 = Date.now(); !/^Exported|failed|error/i.test(text);) {
      if (Date.now() - t0 > 900_000) throw new Error(`the export did not finish: ${text}`);
      await new Promise((r) => setTimeout(r, 250));
      text = await evaluate<string>(`document.querySelector('.export-status')?.textContent ?? ''`);
    }
    const m = /^Exported (\d+) frames \(([\d.]+) (B|kB|MB|GB)\).* in ([\d.]+) s/.exec(text);
    if (!m) throw new Error(`the export did not say what it wrote: ${text}`);
    const mb =
      Number(m[2]) * ({ B: 1e-6, kB: 1e-3, MB: 1, GB: 1e3 } as Record<string, number>)[m[3]!]!;
    const seconds = Number(m[4]);
    const cpu = Object.values(cpuDelta(cpu0, sampleCpu(tree()))).reduce((a, b) => a + b, 0);
    return {
      format: Object.values(choices).join(', '),
      frames: Number(m[1]),
      mb,
      seconds,
      mbPerSecond: mb / seconds,
      cpuMsPerMb: cpu / mb,
    };
  } finally {
    await browser.close();
  }
}
