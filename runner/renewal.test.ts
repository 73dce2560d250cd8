/**
 * The app's worker pool renewing its workers (src/pool/workerPool.ts `renewAfter`: in the browser,
 * a worker writing to a picked folder is replaced every RENEW_FOLDER_AFTER frames), run on the
 * runner's threads against the local server, with the app's scheduler: a worker is renewed after
 * its frames while at least that many wait in the queue, and no successor is started for a job's
 * last frames, which it would never be given.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalAhi } from '../ahi-server/index';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';
import { startTestServer } from '../ahi-server/testing';
import { buildPlan } from '../src/core/manifest';
import type { FrameOutcome } from '../src/core/protocol';
import { Scheduler } from '../src/pool/scheduler';
import { WorkerPool, type SpawnThread } from '../src/pool/workerPool';
import { nodeThreads } from './threads';

const FRAMES = 200;
const RENEW_AFTER = 20;

let local: LocalAhi;

beforeAll(async () => {
  local = await startTestServer({}, 6, FRAMES);
});

afterAll(async () => {
  await local?.close();
});

it('renews a worker after its frames while as many wait, and starts none for the last ones', async () => {
  const long = local.imageSets.find((s) => s.name === 'synthetic-long')!;
  // Its metadata document as the manifest: each frame's checksum in it, every frame verified.
  const plan = buildPlan([{ name: 'long.json', content: long.metadata }]);
  expect(plan.frames).toHaveLength(FRAMES);
  const threads = nodeThreads({
    streamsPerConnection: 20,
    runId: 'renewal',
    recordsChannel: 'renewal',
    inPlace: false,
  });
  // The frames waiting in the queue when each thread started: the first, then each successor.
  const queuedAtStart: number[] = [];
  let scheduler: Scheduler | undefined;
  const spawn: SpawnThread = (name) => {
    queuedAtStart.push(scheduler?.queued ?? FRAMES);
    return threads(name);
  };
  // The local server's certificate: NODE_EXTRA_CA_CERTS is read when a process starts, and this
  // one started before the server made it. Threads copy the environment when they start; the
  // runner's own trust is tested in runner.test.ts.
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  // One worker: its renewals fall at fixed counts of frames, the last at the job's end.
  const pool = await WorkerPool.create(
    1,
    {
      endpoint: local.api.url,
      region: 'us-east-1',
      format: 'mem',
      verify: true,
      sink: { kind: 'browser' },
    },
    EXAMPLE_CREDENTIALS,
    undefined,
    { spawn, renewAfter: RENEW_AFTER },
  );
  const outcomes = new Map<string, FrameOutcome>();
  try {
    await new Promise<void>((resolve, reject) => {
      const s = new Scheduler(
        pool,
        plan.frames,
        {
          frameDone: (frame, result) => {
            expect(outcomes.has(frame.key), frame.key).toBe(false);
            outcomes.set(frame.key, result.outcome);
          },
          blocked: (error) => reject(new Error(error.message)),
          finished: () => resolve(),
        },
        { inFlight: 8 },
      );
      scheduler = s;
      pool.listen({
        report: (w, report) => s.onReport(w, report.results),
        workerLost: (_w, lost, reason) => reject(new Error(`${reason} (${lost.length} tasks)`)),
        returned: (_w, tasks) => s.takeBack(tasks),
        workerReady: (w) => s.onWorkerReady(w),
        pixels: () => {},
        queued: () => s.queued,
      });
      s.start();
    });
  } finally {
    pool.terminate();
    delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  }
  expect([...outcomes.values()].filter((o) => o === 'verified')).toHaveLength(FRAMES);
  // Renewed every 20 frames while at least 20 wait in the queue (the worker's own backlog is not
  // in it); not after, nor at the end.
  expect(pool.renewed).toBeGreaterThanOrEqual(3);
  expect(queuedAtStart.length).toBe(1 + pool.renewed);
  for (const queued of queuedAtStart.slice(1)) expect(queued).toBeGreaterThanOrEqual(RENEW_AFTER);
});
