/**
 * The worker pool with real retrieval workers in Chromium: workers kept on standby (spawned and
 * warmed up before there is a job) are what the next pool starts with, and the ones it does not
 * need can be ended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keepStandby, standbyCount, WorkerPool } from './workerPool';

const config = {
  endpoint: 'https://127.0.0.1:9',
  region: 'us-east-1',
  format: 'mem' as const,
  verify: true,
  sink: { kind: 'browser' as const },
};
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('workers on standby', () => {
  afterEach(() => keepStandby(0));

  it('are taken by the next pool, first, and the ones left over can be ended', async () => {
    keepStandby(3);
    expect(standbyCount()).toBe(3);
    keepStandby(3); // already there: none added
    expect(standbyCount()).toBe(3);
    const created = WorkerPool.create(2, config, credentials);
    // Taken when the pool is created, before it is ready: a Start never waits for new ones.
    expect(standbyCount()).toBe(1);
    const pool = await created;
    try {
      expect(pool.workers).toHaveLength(2);
      for (const w of pool.workers) {
        expect(w.ready).toBe(true);
        expect(w.codec?.simdLevel).toBeGreaterThan(0);
      }
      keepStandby(0);
      expect(standbyCount()).toBe(0);
      // A pool with none waiting spawns its own.
      const other = await WorkerPool.create(1, config, credentials);
      expect(other.workers[0]?.ready).toBe(true);
      other.terminate();
    } finally {
      pool.terminate();
    }
  });
});
