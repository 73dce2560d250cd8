/**
 * The fault knobs in force: what stands in for a real line (latency, jitter, a bandwidth cap per
 * connection) and for a misbehaving service (throttling, 503s, streams reset mid-body, corrupted
 * bodies, 409s on metadata). The dice are seeded, so a run's faults are reproducible.
 */
import { mulberry32 } from '../src/core/random';
import { TokenBucket } from '../src/core/tokenBucket';
import type { Knobs } from './knobs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fair FIFO bandwidth shaping for one connection: each chunk waits for its slot on the line. */
export class Shaper {
  private nextFree = 0;
  constructor(private bytesPerMs: number) {}
  async take(bytes: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + bytes / this.bytesPerMs;
    const wait = this.nextFree - now;
    if (wait >= 1) await sleep(wait);
  }
}

export class Faults {
  private dice: () => number;
  private bucket: TokenBucket | undefined;
  private searchBucket: TokenBucket | undefined;
  private metadataConflictsLeft: number;
  private readonly shapers = new WeakMap<object, Shaper>();

  constructor(readonly knobs: Knobs) {
    this.dice = mulberry32(knobs.seed);
    const now = performance.now();
    const burst = knobs.throttleBurst || knobs.throttleRps;
    this.bucket =
      knobs.throttleRps > 0 ? new TokenBucket(knobs.throttleRps, burst, burst, now) : undefined;
    this.metadataConflictsLeft = knobs.metadataConflicts;
    const rps = knobs.searchThrottleRps;
    this.searchBucket = rps > 0 ? new TokenBucket(rps, rps, rps, now) : undefined;
  }

  /** This SearchImageSets is over its rate (429). */
  searchThrottled(): boolean {
    return this.searchBucket !== undefined && !this.searchBucket.take(performance.now());
  }

  /** This GetImageFrame is over the throttling rate (429). */
  throttled(): boolean {
    return this.bucket !== undefined && !this.bucket.take(performance.now());
  }

  /** This GetImageFrame gets a 503. */
  unavailable(): boolean {
    return this.knobs.errorRate > 0 && this.dice() < this.knobs.errorRate;
  }

  /** This GetImageSetMetadata gets a 409 (the first `metadataConflicts` of them). */
  metadataConflict(): boolean {
    if (this.metadataConflictsLeft <= 0) return false;
    this.metadataConflictsLeft--;
    return true;
  }

  /** Waits the latency knob, with its jitter, before a response head. */
  async delay(): Promise<void> {
    const { latencyMs, jitterMs } = this.knobs;
    if (latencyMs <= 0 && jitterMs <= 0) return;
    const ms = Math.max(0, latencyMs + (this.dice() * 2 - 1) * jitterMs);
    if (ms > 0) await sleep(ms);
  }

  /** The body to send: a corrupted copy now and then (it still parses but decodes wrong). */
  corrupt(bytes: Uint8Array): Uint8Array | undefined {
    if (this.knobs.corruptRate <= 0 || this.dice() >= this.knobs.corruptRate) return undefined;
    const body = Uint8Array.from(bytes);
    // Flip bytes well inside the coded data so the codestream still parses but decodes wrong.
    for (let i = Math.floor(body.length / 2); i < body.length - 2; i += 997) body[i]! ^= 0x5a;
    return body;
  }

  /** This body's stream is reset halfway through. */
  resetMidBody(): boolean {
    return this.knobs.resetRate > 0 && this.dice() < this.knobs.resetRate;
  }

  /** The bandwidth shaper of a connection, when the knob caps bandwidth. */
  shaperFor(connection: object): Shaper | undefined {
    if (this.knobs.bandwidthMbps <= 0) return undefined;
    let s = this.shapers.get(connection);
    if (!s) {
      s = new Shaper((this.knobs.bandwidthMbps * 1e6) / 8 / 1000);
      this.shapers.set(connection, s);
    }
    return s;
  }
}
