import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random';
import { InFlightTuner, SendRate } from './tuning';

/**
 * A system whose throughput grows with requests in flight up to a knee (latency-bound below it,
 * capacity-bound above), with ±`noise` multiplicative noise per window.
 */
function simulate(
  tuner: InFlightTuner,
  opts: { perRequest: number; capacity: number; noise: number; seconds: number; seed?: number },
) {
  const rand = mulberry32(opts.seed ?? 1);
  const limits: number[] = [];
  const rates: number[] = [];
  for (let t = 0; t < opts.seconds * 4; t++) {
    const now = t * 250;
    const ideal = Math.min(tuner.limit * opts.perRequest, opts.capacity);
    const rate = ideal * (1 + (rand() * 2 - 1) * opts.noise);
    tuner.observe(now, rate / 4);
    tuner.tick(now + 250);
    limits.push(tuner.limit);
    rates.push(rate);
  }
  return { limits, rates };
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

describe('InFlightTuner', () => {
  it('climbs from a low start to the knee and stays near it', () => {
    // 10 MB/s per request in flight, 200 MB/s capacity: the knee is at 20.
    const tuner = new InFlightTuner({ start: 4, min: 2 });
    const { limits, rates } = simulate(tuner, {
      perRequest: 10,
      capacity: 200,
      noise: 0.05,
      seconds: 120,
    });
    const late = limits.slice(-200);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(16);
    expect(Math.max(...late)).toBeLessThanOrEqual(40);
    expect(mean(rates.slice(-200))).toBeGreaterThan(0.95 * 200);
  });

  it('slow start reaches a distant knee within seconds, then settles near it', () => {
    // 5 MB/s per request in flight up to 200 MB/s: the knee is at 40; start at 8.
    const tuner = new InFlightTuner({ start: 8, min: 2 });
    const { limits } = simulate(tuner, { perRequest: 5, capacity: 200, noise: 0.03, seconds: 60 });
    expect(limits[4 * 8]).toBeGreaterThanOrEqual(30);
    expect(Math.max(...limits.slice(-120))).toBeLessThanOrEqual(64);
    expect(Math.min(...limits.slice(-120))).toBeGreaterThanOrEqual(32);
  });

  it('does not run away above the knee when more in flight buys nothing', () => {
    const tuner = new InFlightTuner({ start: 24, min: 2 });
    const { limits } = simulate(tuner, { perRequest: 50, capacity: 100, noise: 0.1, seconds: 300 });
    // Noise lets a raise look like a gain now and then, but each is taken back after a hold.
    expect(mean(limits.slice(-400))).toBeLessThan(48);
  });

  it('cuts by the factor on throttling, once per window', () => {
    const tuner = new InFlightTuner({ start: 20, decrease: 0.7, windowMs: 1000 });
    expect(tuner.throttled(0)).toBe(14);
    expect(tuner.throttled(100)).toBeUndefined();
    expect(tuner.limit).toBe(14);
    expect(tuner.throttled(1100)).toBe(9);
  });

  it('cuts when throughput falls hard two windows running, not on one bad window', () => {
    const tuner = new InFlightTuner({ start: 20, step: 4, holdMs: 60_000 });
    const window = (t: number, bytes: number) => {
      tuner.observe(t, bytes);
      return tuner.tick(t + 1000);
    };
    window(0, 100); // first window: baseline
    window(1000, 100); // slow start: 20 × 1.5
    window(2000, 100); // no gain: slow start ends where it got to, hold
    expect(tuner.limit).toBe(30);
    expect(window(3000, 50)).toBeUndefined(); // one bad window
    window(4000, 100);
    window(5000, 60);
    expect(window(6000, 30)).toBe(21); // two falls in a row: 30 × 0.7
  });

  it('on a gentle slope (noisy windows), ends near the limit that pays, not below where it started', () => {
    // Throughput still creeping up with more in flight, as measured on the bench's home line
    // (8 → 76, 20 → 88, 40 → 106 frames/s): about limit^0.2, ±10 % per window.
    const rates: number[] = [];
    const limits: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const tuner = new InFlightTuner({ start: 20, min: 2 });
      const rand = mulberry32(seed);
      let sum = 0;
      for (let t = 0; t < 20 * 4; t++) {
        const rate = 100 * (tuner.limit / 40) ** 0.2 * (1 + (rand() * 2 - 1) * 0.1);
        tuner.observe(t * 250, rate / 4);
        tuner.tick(t * 250 + 250);
        sum += rate;
      }
      rates.push(sum / 80);
      limits.push(tuner.limit);
    }
    // Within 5 % of a fixed 40 (100) in 9 runs of 10, over 20-second runs like the bench's.
    const sorted = [...rates].sort((a, b) => a - b);
    expect(sorted[5]).toBeGreaterThan(95);
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(20);
  });

  it('never goes below min or above max', () => {
    const tuner = new InFlightTuner({ start: 3, min: 2, max: 8 });
    for (let i = 0; i < 10; i++) tuner.throttled(i * 2000);
    expect(tuner.limit).toBe(2);
    const up = new InFlightTuner({ start: 4, min: 2, max: 8 });
    simulate(up, { perRequest: 1000, capacity: 1e9, noise: 0, seconds: 60 });
    expect(up.limit).toBe(8);
  });
});

describe('SendRate', () => {
  it('has no cap until throttled, then caps at a fraction of the accepted rate', () => {
    const r = new SendRate({ decrease: 0.7 });
    expect(r.tick(0, 100)).toBeUndefined();
    expect(r.rate).toBe(0);
    expect(r.throttled(1000, 100)).toBeCloseTo(70);
    // The rest of the same burst of 429s does not cut again.
    expect(r.throttled(1200, 90)).toBeUndefined();
    expect(r.throttled(1600, 60)).toBeCloseTo(42);
  });

  it('grows back without throttling and lifts the cap once it no longer binds', () => {
    const r = new SendRate({ decrease: 0.5, growth: 0.1, liftAt: 2 });
    r.throttled(0, 100);
    let t = 0;
    while (t < 5000) r.tick((t += 250), 50);
    expect(r.rate).toBeGreaterThan(50 * 1.4);
    // The job only sends 20/s now (say, CPU-bound): a cap far above that is lifted.
    r.tick((t += 250), 20);
    expect(r.rate).toBe(0);
  });

  it('with nothing getting through, starts from half the cap it had', () => {
    const r = new SendRate({ decrease: 0.7 });
    r.throttled(0, 100);
    expect(r.throttled(1000, 0)).toBeCloseTo(70 * 0.5 * 0.7);
  });

  it('against a token-bucket quota: few 429s and most of the quota used', () => {
    // Server: 60 requests/s, burst 20. Client: would send 200/s; each 429 comes back at once.
    const quota = 60;
    const r = new SendRate();
    let bucket = 20;
    let sent = 0;
    let throttled = 0;
    let accepted = 0;
    const acceptedAt: number[] = [];
    let credit = 0;
    for (let ms = 0; ms < 60_000; ms++) {
      bucket = Math.min(20, bucket + quota / 1000);
      const want = r.rate > 0 ? r.rate : 200;
      credit = Math.min(credit + want / 1000, 2);
      while (credit >= 1) {
        credit--;
        sent++;
        while (acceptedAt.length && acceptedAt[0]! < ms - 1000) acceptedAt.shift();
        if (bucket >= 1) {
          bucket--;
          accepted++;
          acceptedAt.push(ms);
        } else {
          throttled++;
          r.throttled(ms, acceptedAt.length);
        }
      }
      if (ms % 250 === 0) r.tick(ms, acceptedAt.length);
    }
    expect(accepted / 60).toBeGreaterThan(0.75 * quota);
    expect(throttled / sent).toBeLessThan(0.1);
  });
});
