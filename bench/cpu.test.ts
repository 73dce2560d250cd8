import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { mainThreadSched, schedOver, type SchedSample } from './cpu';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('schedOver', () => {
  // cumulative counters sampled every 10 ms: 6 ms on a core and 3 waiting per 10 ms, but 1 and 8 from 30 to 40
  const samples: SchedSample[] = [0, 10, 20, 30, 40].map((t) => ({
    t,
    runMs: t === 40 ? 18 + 1 : (t / 10) * 6,
    waitMs: t === 40 ? 9 + 8 : (t / 10) * 3,
  }));

  it('takes the smallest sampled window that holds the span', () => {
    expect(schedOver(samples, 12, 27)).toEqual({ windowMs: 20, runMs: 12, waitMs: 6 });
    expect(schedOver(samples, 20, 30)).toEqual({ windowMs: 10, runMs: 6, waitMs: 3 });
    expect(schedOver(samples, 31, 39)).toEqual({ windowMs: 10, runMs: 1, waitMs: 8 });
    expect(schedOver(samples, 0, 40)).toEqual({ windowMs: 40, runMs: 19, waitMs: 17 });
  });

  it('says nothing of a span the samples do not cover', () => {
    expect(schedOver(samples, -1, 5)).toBeUndefined();
    expect(schedOver(samples, 35, 41)).toBeUndefined();
    expect(schedOver([], 0, 1)).toBeUndefined();
  });
});

describe('mainThreadSched (Linux)', () => {
  it("counts this process's main thread on a core while it computes, not while it sleeps", async () => {
    const a = mainThreadSched(process.pid)!;
    busy(200);
    const b = mainThreadSched(process.pid)!;
    await new Promise((r) => setTimeout(r, 200));
    const c = mainThreadSched(process.pid)!;
    expect(b.runMs - a.runMs).toBeGreaterThan(100);
    expect(b.runMs - a.runMs).toBeLessThan(260);
    expect(c.runMs - b.runMs).toBeLessThan(50);
  });

  it('counts the time it waits for a core while more threads than cores compute', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const spinners = Array.from(
      { length: cpus().length },
      () =>
        new Worker(
          `const f = require('node:worker_threads').workerData;
           Atomics.add(f, 1, 1);
           while (Atomics.load(f, 0) === 0);`,
          { eval: true, workerData: flag },
        ),
    );
    try {
      while (Atomics.load(flag, 1) < spinners.length) await new Promise((r) => setTimeout(r, 5));
      const a = mainThreadSched(process.pid)!;
      busy(400);
      const b = mainThreadSched(process.pid)!;
      // cores + 1 threads computing: this one gets about cores / (cores + 1) of one core
      expect(b.waitMs - a.waitMs).toBeGreaterThan(20);
    } finally {
      Atomics.store(flag, 0, 1);
      await Promise.all(spinners.map((w) => w.terminate()));
    }
  });
});
