/**
 * Job metrics outside React: counters updated per frame, and fixed-size ring buffers of samples
 * (one every SAMPLE_MS) for the live chart. Readers pull; nothing here triggers a render.
 */
import type { FrameOutcome } from '../core/protocol';

export const SAMPLE_MS = 250;
/** about five minutes of samples */
export const CAPACITY = (5 * 60 * 1000) / SAMPLE_MS;
const LATENCY_SAMPLE = 1 << 15;

export class Ring {
  readonly data: Float64Array;
  private start = 0;
  length = 0;
  /** values pushed since creation, the ones dropped included */
  pushed = 0;
  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    const i = (this.start + this.length) % this.capacity;
    this.data[i] = v;
    this.pushed++;
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }
  /** Values oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.length);
    for (let k = 0; k < this.length; k++) out[k] = this.data[(this.start + k) % this.capacity]!;
    return out;
  }
  last(): number | undefined {
    return this.length ? this.data[(this.start + this.length - 1) % this.capacity] : undefined;
  }
}

/**
 * Rings of equal length (pushed together) as at most `maxPoints` points each, for drawing: each
 * point is the mean of a bucket of consecutive samples (its time the mean time). Buckets hold a
 * power of two of samples, aligned on the count of samples pushed since the start, so a new
 * sample changes only the last point (or adds one) and, once the ring is full, the first: the
 * line does not shift under the eye at every sample. Fewer samples than `maxPoints` come out as
 * they are.
 */
export function bucketMeans(rings: readonly Ring[], maxPoints: number): number[][] {
  const n = rings[0]?.length ?? 0;
  const first = (rings[0]?.pushed ?? 0) - n;
  const last = first + n - 1;
  let size = 1;
  while (n > 0 && Math.floor(last / size) - Math.floor(first / size) + 1 > maxPoints) size *= 2;
  return rings.map((ring) => {
    const values = ring.toArray();
    if (size === 1) return values;
    const out: number[] = [];
    let sum = 0;
    let count = 0;
    for (let k = 0; k < n; k++) {
      sum += values[k]!;
      count++;
      if ((first + k + 1) % size === 0 || k === n - 1) {
        out.push(sum / count);
        sum = 0;
        count = 0;
      }
    }
    return out;
  });
}

export interface Totals {
  frames: number;
  verified: number;
  stored: number;
  unverifiable: number;
  failed: number;
  bytes: number;
  decoded: number;
  retries: number;
}

/** Counters plus sampled series: time (s since start), MB/s, frames/s, decoded/s, in flight, retries/s. */
export class JobMetrics {
  readonly totals: Totals = {
    frames: 0,
    verified: 0,
    stored: 0,
    unverifiable: 0,
    failed: 0,
    bytes: 0,
    decoded: 0,
    retries: 0,
  };
  readonly series = {
    t: new Ring(CAPACITY),
    mbps: new Ring(CAPACITY),
    frames: new Ring(CAPACITY),
    decoded: new Ring(CAPACITY),
    inFlight: new Ring(CAPACITY),
    retries: new Ring(CAPACITY),
  };
  private last = { t: 0, bytes: 0, frames: 0, decoded: 0, retries: 0 };
  /** bytes and frames per second over the last few seconds */
  rate = { bytesPerSecond: 0, framesPerSecond: 0 };
  private window: { t: number; bytes: number; frames: number }[] = [];
  private readonly latencies = new Float64Array(LATENCY_SAMPLE);
  private latencyCount = 0;

  constructor(readonly startedAt: number) {}

  frameDone(outcome: FrameOutcome, bytes: number, decoded: boolean): void {
    this.totals.bytes += bytes;
    if (decoded) this.totals.decoded++;
    this.totals[outcome]++;
    if (outcome !== 'failed') this.totals.frames++;
  }

  /**
   * A finished request's latency (fetch start to the body's last byte), ms. Kept as a bounded
   * uniform sample (reservoir), so a 100,000-frame job costs the same memory as a small one.
   */
  requestTimed(ms: number): void {
    const i =
      this.latencyCount < LATENCY_SAMPLE
        ? this.latencyCount
        : Math.floor(Math.random() * (this.latencyCount + 1));
    if (i < LATENCY_SAMPLE) this.latencies[i] = ms;
    this.latencyCount++;
  }

  /** Median and 95th percentile of the request latencies so far, ms. */
  latency(): { p50: number; p95: number; count: number } {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLE);
    const sorted = this.latencies.slice(0, n).sort();
    const at = (q: number) => (n ? sorted[Math.min(n - 1, Math.floor(q * n))]! : NaN);
    return { p50: at(0.5), p95: at(0.95), count: this.latencyCount };
  }

  /** One attempt failed and will be retried (counts by cause live with the job's problems). */
  retry(): void {
    this.totals.retries++;
  }

  /**
   * Takes one sample; call every SAMPLE_MS. A sample closer than half a period to the previous one
   * (the final one, when a job ends just after a tick) is skipped: over so short a span a few
   * frames would read as a spike of hundreds per second.
   */
  sample(now: number, inFlight: number): void {
    if (this.series.t.length > 0 && now - this.last.t < SAMPLE_MS / 2) return;
    const dt = Math.max(1e-3, (now - this.last.t) / 1000);
    const s = this.series;
    s.t.push((now - this.startedAt) / 1000);
    s.mbps.push((this.totals.bytes - this.last.bytes) / 1e6 / dt);
    s.frames.push((this.totals.frames - this.last.frames) / dt);
    s.decoded.push((this.totals.decoded - this.last.decoded) / dt);
    s.inFlight.push(inFlight);
    s.retries.push((this.totals.retries - this.last.retries) / dt);
    this.last = {
      t: now,
      bytes: this.totals.bytes,
      frames: this.totals.frames,
      decoded: this.totals.decoded,
      retries: this.totals.retries,
    };
    this.window.push({ t: now, bytes: this.totals.bytes, frames: this.totals.frames });
    while (this.window.length > 1 && now - this.window[0]!.t > 3000) this.window.shift();
    const first = this.window[0]!;
    const span = (now - first.t) / 1000;
    this.rate =
      span > 0
        ? {
            bytesPerSecond: (this.totals.bytes - first.bytes) / span,
            framesPerSecond: (this.totals.frames - first.frames) / span,
          }
        : this.rate;
  }
}
