/**
 * One run of the command-line runner: the app's engine without a browser. The same modules plan
 * the job (src/io/sources, src/io/planning), split it (src/core/shard.ts), fetch, decode and verify
 * (the app's WorkerPool and Scheduler over worker_threads running workers/retrieve.ts, with its
 * retry, throttling, outage and auto-tuning policy), and write the folder (the app's destination
 * sink, assembler and index, over node:fs and the folder's journal instead of a picked folder and
 * IndexedDB). A run first checks what the folder already holds (size and CRC-32 of each file the
 * journal names) and fetches only the rest.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { assembles, retrievalFormat } from '../src/core/destination';
import { RetrieveError, toErrorInfo, type ErrorInfo } from '../src/core/errors';
import { frameCount, mergeManifests, toAhiRetrieveManifest } from '../src/core/manifestParts';
import type { PlannedFrame } from '../src/core/plan';
import type { Format, FrameResult } from '../src/core/protocol';
import { shardOf, shardOfCut } from '../src/core/shard';
import type { StoredFrame } from '../src/core/sink';
import { AhiClient } from '../src/io/ahiClient';
import { Assembler } from '../src/io/destination/assembler';
import { intactFrames } from '../src/io/destination/intact';
import { checkEndpoint, checkRegion } from '../src/io/endpoint';
import { planSources } from '../src/io/planning';
import { Scheduler } from '../src/pool/scheduler';
import { WorkerPool } from '../src/pool/workerPool';
import type { RunOptions } from './args';
import { RunnerCredentials } from './credentials';
import { DiskFolder } from './diskFolder';
import { JOURNAL_DIR, JournalRecords, JournalWriter, readJournal } from './journal';
import { writesInPlace } from './mounts';
import type { Counts, ProgressReporter } from './progress';
import { runnerSources, saveManifests } from './sources';
import { nodeThreads } from './threads';

/** Exit codes (USAGE says them too). */
export const EXIT = { ok: 0, failed: 1, badInput: 2, stopped: 3 } as const;

const TUNE_MS = 250;

/** The export format a --format writes its folder as: ahi-retrieve's layout for jph, raw, mem. */
export const exportFormatOf = (format: string) =>
  format === 'jph' || format === 'raw' || format === 'mem' ? 'ahi-retrieve' : format;

/** What the threads keep of each frame: ahi-retrieve's choice, or what the export format needs. */
const keptAs = (format: string): Format =>
  format === 'jph' || format === 'raw' || format === 'mem'
    ? format
    : retrievalFormat(format, 'jph');

/**
 * A shard's index files (the .csv files) carry its number, so shards writing one folder never
 * overwrite them; the documents the job was planned from are the same in every shard.
 */
const indexNamer = (shard: RunOptions['shard']) => (name: string) =>
  name.replace(/\.csv$/, `${shardSuffix(shard)}.csv`);

/** What a shard's own files carry in their names: `.shard-K-of-N`; nothing unsharded. */
const shardSuffix = (shard: RunOptions['shard']) =>
  shard.count <= 1 ? '' : `.shard-${shard.index}-of-${shard.count}`;

/** The failed frames as ahi-retrieve manifests, one per image set (what -i takes). */
function failedManifests(
  sources: { name: string; content: string; role: string }[],
  failed: Set<string>,
): { name: string; content: string }[] {
  const manifests = mergeManifests(
    sources
      .filter((s) => s.role === 'manifest')
      .map((s) => toAhiRetrieveManifest(JSON.parse(s.content) as unknown, s.name)),
  );
  const out: { name: string; content: string }[] = [];
  for (const m of manifests) {
    for (const [seriesUid, series] of Object.entries(m.Study.Series)) {
      for (const [sop, instance] of Object.entries(series.Instances)) {
        instance.ImageFrames = instance.ImageFrames.filter((f) =>
          failed.has(`${m.ImageSetID}/${f.ID}`),
        );
        if (instance.ImageFrames.length === 0) delete series.Instances[sop];
      }
      if (Object.keys(series.Instances).length === 0) delete m.Study.Series[seriesUid];
    }
    if (frameCount(m) > 0)
      out.push({ name: `${m.ImageSetID}.json`, content: `${JSON.stringify(m, undefined, 1)}\n` });
  }
  return out;
}

/** Whether a record holds what this format keeps (a folder written as jph is refetched as raw). */
const keptKind = (format: string) => (keptAs(format) === 'jph' ? 'codestream' : 'pixels');

export async function run(options: RunOptions, say: ProgressReporter): Promise<number> {
  const log = (level: string, message: string) => {
    const levels = ['OFF', 'FATAL', 'ERROR', 'INFO', 'DEBUG', 'TRACE'];
    if (levels.indexOf(options.logLevel) >= levels.indexOf(level)) say.say(message);
  };
  const region = checkRegion(options.region);
  const endpoint = checkEndpoint(options.endpoint, region);
  const credentials = await RunnerCredentials.resolve(options);
  const format = exportFormatOf(options.format);
  const assembled = assembles(format);
  const client = new AhiClient(endpoint, region, credentials.current);
  if (options.saveManifests !== undefined) {
    await saveManifests(options, client, say).finally(() => credentials.close());
    return EXIT.ok;
  }
  const { sources: gathered, cut } = await runnerSources(options, client, say).catch(
    (e: unknown) => {
      credentials.close();
      throw e;
    },
  );
  const { sources, plan } = await planSources(
    gathered,
    client,
    assembled,
    undefined,
    options.verify,
  );
  const groupOf = format.startsWith('dicom')
    ? (f: PlannedFrame) => f.instanceUid
    : format.startsWith('nifti')
      ? (f: PlannedFrame) => f.seriesUid
      : undefined;
  const frames = cut
    ? shardOfCut(plan.frames, options.shard, cut, (f) => f.imageSetId, groupOf)
    : shardOf(plan.frames, options.shard, (f) => f.imageSetId, groupOf);
  const mine = new Set(frames.map((f) => f.key));
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const keeps = options.format !== 'mem';
  const inPlace = await writesInPlace(options.mountpoint, options.out, log);
  const folder = new DiskFolder(options.out, inPlace);
  // A Mountpoint folder that refuses what a run needs is said now, before any frame is fetched.
  if (inPlace && keeps) await folder.checkInPlace(`${JOURNAL_DIR}/probe-${runId}`);

  // What the folder already holds, intact, of this shard's frames.
  const journal = new Map<string, StoredFrame>();
  if (keeps)
    for (const [k, r] of await readJournal(folder))
      if (mine.has(k) && (r.leftOut || r.kind === keptKind(options.format))) journal.set(k, r);
  const writer = new JournalWriter(folder, `${runId}-main`);
  const records = new JournalRecords(journal, writer);
  const { intact } = keeps ? await intactFrames(records, folder) : { intact: new Set<string>() };
  for (const k of [...journal.keys()]) if (!intact.has(k)) journal.delete(k);
  const todo = frames.filter((f) => !intact.has(f.key));
  if (intact.size) log('INFO', `${intact.size} frames already intact in ${folder.dir}`);

  // Every format that keeps frames writes its index through the app's assembler (which, for
  // ahi-retrieve's layout, assembles nothing).
  const assembler = keeps
    ? await Assembler.over({
        jobId: runId,
        destination: { format, ...(options.layout ? { template: options.layout } : {}) },
        sources,
        files: folder,
        records,
        indexName: indexNamer(options.shard),
        keepWorkDir: true,
        ...(options.shard.count > 1 ? { within: mine } : {}),
      })
    : undefined;
  assembler?.resumeFrom(intact, journal);

  // The threads post each written frame's record here: the assembler needs them as they come
  // (a file is assembled once its frames are in); ahi-retrieve's layout only at the end, from the
  // journal on disk.
  const recordsChannel = `ahi-web-retrieve-${runId}`;
  const channel = new BroadcastChannel(recordsChannel);
  if (assembled && assembler)
    channel.onmessage = (e: MessageEvent<StoredFrame>) => {
      journal.set(e.data.key, e.data);
      assembler.partsIn([e.data.key]);
    };

  const counts: Counts = {
    total: frames.length,
    skipped: intact.size,
    verified: 0,
    stored: 0,
    unverifiable: 0,
    failed: 0,
    bytes: 0,
    retries: {},
    inFlightLimit: options.inFlight,
  };
  const failures = new Map<string, ErrorInfo>();
  let stoppedBy: ErrorInfo | undefined;

  const pool = await WorkerPool.create(
    options.workers,
    {
      endpoint,
      region,
      format: keptAs(options.format),
      verify: options.verify,
      jobId: runId,
      sink: { kind: 'path', dir: folder.dir, format },
    },
    credentials.current,
    undefined,
    {
      spawn: nodeThreads({
        streamsPerConnection: options.streamsPerConnection,
        runId,
        recordsChannel,
        inPlace,
      }),
    },
  );
  credentials.onChange((c) => void pool.setCredentials(c));
  let timers: ReturnType<typeof setInterval>[] = [];
  // When frames began to be fetched and the last one ended: the run's rate leaves out planning,
  // the threads' start and the index at the end.
  let fetchStart = 0;
  let fetchEnd = 0;
  let cpuStart = process.cpuUsage();
  let cpuFetching = cpuStart;
  let stages: Record<string, number> = {};
  try {
    await new Promise<void>((resolve) => {
      const scheduler = new Scheduler(
        pool,
        todo,
        {
          frameDone(frame: PlannedFrame, result: FrameResult) {
            counts.bytes += result.bytes;
            if (result.outcome === 'failed') {
              counts.failed++;
              failures.set(frame.key, result.error ?? { code: 'ServerError', message: '?' });
              log('ERROR', `frame ${frame.key} failed: ${result.error?.message ?? ''}`);
            } else {
              counts[result.outcome]++;
              log('TRACE', `frame ${frame.key} ${result.outcome}`);
            }
          },
          retrying(frame, error, delayMs) {
            counts.retries[error.code] = (counts.retries[error.code] ?? 0) + 1;
            log('INFO', `frame ${frame.key}: ${error.message}; again in ${Math.round(delayMs)} ms`);
          },
          blocked(error) {
            if (error.code === 'ExpiredCredentials') {
              counts.waiting = 'credentials expired: fetching new ones';
              void credentials.refresh().then(
                async (renewed) => {
                  if (!renewed) throw new RetrieveError(error.code, error.message);
                  await pool.setCredentials(credentials.current);
                  delete counts.waiting;
                  scheduler.resume();
                },
                (e: unknown) => {
                  stoppedBy = toErrorInfo(e);
                  resolve();
                },
              );
              return;
            }
            stoppedBy = error;
            resolve();
          },
          finished: () => resolve(),
          waiting(error, delayMs) {
            counts.waiting = `${error.message}: waiting, next try in ${Math.round(delayMs / 1000)} s`;
          },
          reconnected() {
            delete counts.waiting;
          },
        },
        { inFlight: options.inFlight, autoTune: options.autoTune },
      );
      pool.listen({
        report: (w, report) => scheduler.onReport(w, report.results),
        workerLost: (_w, lost, reason) => {
          log('ERROR', reason);
          scheduler.takeBack(lost);
        },
        returned: (_w, tasks) => scheduler.takeBack(tasks),
        workerReady: (w) => scheduler.onWorkerReady(w),
        pixels: () => {},
        queued: () => scheduler.queued,
      });
      timers = [
        setInterval(() => {
          scheduler.tune();
          counts.inFlightLimit = scheduler.inFlightLimit;
        }, TUNE_MS),
        setInterval(() => say.report(counts), options.progressMs),
      ];
      fetchStart = performance.now();
      cpuStart = process.cpuUsage();
      scheduler.start();
    });
    fetchEnd = performance.now();
    cpuFetching = process.cpuUsage(cpuStart);
    // Where the threads' time went, ms per frame fetched (summed over threads).
    const all = pool.workers.map((w) => w.stats).filter((x) => x !== undefined);
    const fetched = Math.max(
      1,
      all.reduce((n, x) => n + x.done + x.failed, 0),
    );
    const per = (f: (x: (typeof all)[number]) => number) =>
      Math.round((all.reduce((n, x) => n + f(x), 0) / fetched) * 100) / 100;
    stages = {
      request: per((x) => x.requestMs),
      body: per((x) => x.bodyMs),
      decode: per((x) => x.decodeMs),
      crc: per((x) => x.crcMs),
      store: per((x) => x.storeMs),
    };
    // The threads' last journal lines (an in-place folder's last segments) on disk.
    await pool.closeSinks().catch((e: unknown) => {
      stoppedBy ??= toErrorInfo(e);
    });
  } finally {
    for (const t of timers) clearInterval(t);
    pool.terminate();
  }
  say.report(counts);

  // Every record the threads wrote, from the journal on disk (the channel may lag behind).
  if (keeps)
    for (const [k, r] of await readJournal(folder))
      if (mine.has(k) && !journal.has(k) && r.kind === keptKind(options.format)) {
        journal.set(k, r);
        assembler?.partsIn([k]);
      }
  channel.close();

  let summaryNote = '';
  try {
    const s = await assembler?.finish(frames.length);
    if (s && assembled)
      summaryNote = `${s.frames} frames in their files${s.leftOut ? `, ${s.leftOut} verified but with no place in ${options.format} (metadata.csv says why)` : ''}`;
  } catch (e) {
    stoppedBy ??= toErrorInfo(e);
  } finally {
    await writer.close();
    credentials.close();
  }

  let failedFile = '';
  if (failures.size > 0) {
    const dir =
      options.failedFile ?? join(folder.dir, `failed-frames${shardSuffix(options.shard)}`);
    const failedFolder = new DiskFolder(dir, await writesInPlace(options.mountpoint, dir, log));
    for (const m of failedManifests(sources, new Set(failures.keys())))
      await failedFolder.write(m.name, m.content);
    failedFile = `${failedFolder.dir} (run again with -i ${failedFolder.dir})`;
  }
  const fetchSeconds = (fetchEnd - fetchStart) / 1000;
  const cpu = cpuFetching;
  say.summary(
    counts,
    {
      fetching:
        todo.length > 0 && fetchSeconds > 0
          ? `${(todo.length / fetchSeconds).toFixed(0)} frames/s over ${fetchSeconds.toFixed(1)} s from the first request to the last frame; CPU ${((cpu.user + cpu.system) / 1000 / Math.max(1, todo.length)).toFixed(1)} ms per frame meanwhile (this process, all threads); per frame, summed over threads: ${Object.entries(
              stages,
            )
              .map(([k, v]) => `${k} ${v} ms`)
              .join(', ')}`
          : '',
      folder: keeps ? folder.dir : '',
      shard: options.shard.count > 1 ? `${options.shard.index} of ${options.shard.count}` : '',
      written: summaryNote,
      failedFrames: failedFile,
      stopped: stoppedBy ? stoppedBy.message : '',
    },
    {
      fetched: todo.length,
      fetchSeconds,
      cpuMs: (cpu.user + cpu.system) / 1000,
      stageMsPerFrame: stages,
    },
  );
  if (stoppedBy) return EXIT.stopped;
  return counts.failed > 0 || counts.verified + counts.stored + counts.unverifiable < todo.length
    ? EXIT.failed
    : EXIT.ok;
}
