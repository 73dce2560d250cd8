/** Sampled rates: steady input reads steady, and an end just after a tick makes no spike. */
import { describe, expect, it } from 'vitest';
import { JobMetrics, Ring, SAMPLE_MS } from './metrics';

describe('JobMetrics', () => {
  it('samples frames and MB per second, and skips a sample too close to the last one', () => {
    const m = new JobMetrics(0);
    let t = 0;
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 25; k++) m.frameDone('verified', 200_000, true); // 100 frames/s
      t += SAMPLE_MS;
      m.sample(t, 20);
    }
    expect(m.series.frames.last()).toBeCloseTo(100);
    expect(m.series.mbps.last()).toBeCloseTo(20);
    expect(m.rate.framesPerSecond).toBeCloseTo(100);
    // the job ends 5 ms after a tick with 3 more frames: no 600 frames/s spike
    for (let k = 0; k < 3; k++) m.frameDone('verified', 200_000, true);
    m.sample(t + 5, 0);
    expect(m.series.t.length).toBe(8);
    expect(Math.max(...m.series.frames.toArray())).toBeLessThanOrEqual(101);
  });

  it('request latency percentiles, from a bounded sample when there are many', () => {
    const m = new JobMetrics(0);
    expect(m.latency().count).toBe(0);
    for (let i = 1; i <= 100; i++) m.requestTimed(i);
    expect(m.latency()).toEqual({ p50: 51, p95: 96, count: 100 });
    // 200,000 more, uniform 0..1000 ms: the sample is bounded but the percentiles hold.
    const big = new JobMetrics(0);
    for (let i = 0; i < 200_000; i++) big.requestTimed((i * 7919) % 1000);
    const l = big.latency();
    expect(l.count).toBe(200_000);
    expect(l.p50).toBeGreaterThan(470);
    expect(l.p50).toBeLessThan(530);
    expect(l.p95).toBeGreaterThan(930);
  });

  it('keeps the newest samples in a ring', () => {
    const r = new Ring(3);
    [1, 2, 3, 4].forEach((v) => r.push(v));
    expect(r.toArray()).toEqual([2, 3, 4]);
    expect(r.last()).toBe(4);
  });
});
