/**
 * Flow control without knobs: how many requests to keep in flight, and how fast to send them once
 * the service has said "slow down". Both are pure (time is passed in) so tests can drive them.
 *
 * - InFlightTuner: AIMD on the in-flight limit. Every window it compares throughput with the window
 *   before. It starts by growing the limit by a factor while that pays off (slow start); then it
 *   probes a step up or down now and then, keeping a rise that paid off and a step down after which
 *   throughput did not fall, and taking back the others. Throttling, or throughput falling hard at
 *   the same limit, cuts the limit by a factor.
 * - SendRate: a client-side rate cap that exists only after throttling, in the spirit of the AWS
 *   SDKs' "adaptive" retry mode: on a 429 the cap becomes a fraction of the rate just measured,
 *   then grows back a little every second without throttling, and goes away once it is far above
 *   what the job sends anyway. In-flight limits alone cannot do this: 429s come back fast, so even
 *   one request in flight can exceed a quota.
 */

export interface TunerConfig {
  min: number;
  max: number;
  start: number;
  /** additive step */
  step: number;
  /** multiplicative decrease factor */
  decrease: number;
  windowMs: number;
  /** a raise counts as paying off when throughput grows by more than this fraction */
  gain: number;
  /** throughput falling by more than this fraction, two windows running, cuts the limit */
  fall: number;
  /** after a raise that did not pay off, hold this long before probing again */
  holdMs: number;
  /** slow start: the limit grows by this factor per window while throughput grows by gain / 2 */
  slowStartFactor: number;
}

export const DEFAULT_TUNER: TunerConfig = {
  min: 2,
  max: 64,
  start: 16,
  step: 4,
  decrease: 0.7,
  windowMs: 1000,
  gain: 0.04,
  fall: 0.3,
  holdMs: 8000,
  slowStartFactor: 1.5,
};

export type TunerMove = 'up' | 'down' | 'back' | 'hold' | 'cut';

export class InFlightTuner {
  limit: number;
  private readonly config: TunerConfig;
  private windowStart: number | undefined;
  private windowBytes = 0;
  private previous: number | undefined;
  /** what the last window decided: the next one judges an 'up' or a 'down' */
  private lastMove: TunerMove = 'hold';
  private holdUntil = 0;
  private lastCut = -Infinity;
  private falling = 0;
  /**
   * Slow start: from the first windows, the limit grows by a factor while throughput grows; the
   * first window without growth ends it, keeping the limit reached. Short jobs reach a good limit
   * in a few seconds instead of one step per probe.
   */
  private slowStart = true;
  private probeDown = true;
  /** the limit before the last probe (up or down), to go back to */
  private beforeProbe: number;

  constructor(config: Partial<TunerConfig> = {}) {
    this.config = { ...DEFAULT_TUNER, ...config };
    this.limit = clamp(this.config.start, this.config.min, this.config.max);
    this.beforeProbe = this.limit;
  }

  /** Bytes of frames that finished (the first call starts the first window). */
  observe(now: number, bytes: number): void {
    this.windowStart ??= now;
    this.windowBytes += bytes;
  }

  /** A 429: cut at once, at most once per window. Returns the new limit, or undefined. */
  throttled(now: number): number | undefined {
    if (now - this.lastCut < this.config.windowMs) return undefined;
    this.cut(now);
    return this.limit;
  }

  /** Call often (e.g. every 250 ms). Returns the new limit when it changes. */
  tick(now: number): number | undefined {
    if (this.windowStart === undefined || now - this.windowStart < this.config.windowMs)
      return undefined;
    const rate = (this.windowBytes * 1000) / (now - this.windowStart);
    this.windowStart = now;
    this.windowBytes = 0;
    const before = this.limit;
    const prev = this.previous;
    this.previous = rate;
    const c = this.config;
    let move: TunerMove = 'hold';
    if (prev === undefined || now - this.lastCut < c.windowMs) {
      move = 'hold';
    } else if (this.lastMove === 'up' && this.slowStart) {
      if (rate > prev * (1 + c.gain / 2)) move = this.raise();
      else {
        // Slow start ends at the first window without growth, and keeps the limit it reached:
        // the last factor cost nothing measurable, and on this kind of curve (throughput still
        // creeping up with more in flight, windows ±10 % noisy) a step back lost more often than
        // it saved. Throttling or throughput falling hard still cut it.
        this.slowStart = false;
        this.holdUntil = now + c.holdMs;
      }
    } else if (this.lastMove === 'up') {
      if (rate > prev * (1 + c.gain)) move = this.raise();
      else {
        // The raise bought nothing: take it back and stay there for a while.
        this.limit = this.beforeProbe;
        move = 'back';
        this.holdUntil = now + c.holdMs;
      }
    } else if (this.lastMove === 'down') {
      // A step down stays only if throughput did not fall: with ±10 % noise per window, keeping
      // every step down that cost "less than the noise" walked the limit down a gentle slope.
      if (rate < prev) {
        this.limit = this.beforeProbe;
        move = 'back';
      }
      this.holdUntil = now + c.holdMs;
    } else if (rate < prev * (1 - c.fall) && ++this.falling >= 2) {
      move = this.cut(now);
    } else if (now >= this.holdUntil) {
      // Probe, alternately up and down: on a plateau the limit drifts to its low end.
      this.probeDown = !this.probeDown;
      if (this.probeDown && this.limit - c.step >= c.min) {
        this.beforeProbe = this.limit;
        this.limit -= c.step;
        move = 'down';
      } else move = this.raise();
    }
    if (move !== 'cut' && rate >= prev! * (1 - c.fall)) this.falling = 0;
    this.lastMove = move;
    return this.limit !== before ? this.limit : undefined;
  }

  private raise(): TunerMove {
    const c = this.config;
    const next = clamp(
      this.slowStart ? Math.round(this.limit * c.slowStartFactor) : this.limit + c.step,
      c.min,
      c.max,
    );
    this.beforeProbe = this.limit;
    this.limit = next;
    if (next > this.beforeProbe) return 'up';
    // At the ceiling a raise changes nothing, so there is nothing to judge next window.
    this.slowStart = false;
    return 'hold';
  }

  private cut(now: number): 'cut' {
    this.limit = clamp(
      Math.floor(this.limit * this.config.decrease),
      this.config.min,
      this.config.max,
    );
    this.lastMove = 'cut';
    this.slowStart = false;
    this.lastCut = now;
    this.falling = 0;
    this.holdUntil = now + this.config.windowMs * 2;
    return 'cut';
  }
}

export interface SendRateConfig {
  /** the cap after a 429 is this fraction of the rate measured then */
  decrease: number;
  /** growth per second without throttling, as a fraction of the cap (at least 1 request/s) */
  growth: number;
  /** cuts at most this often, ms: the 429s of one burst count once */
  cooldownMs: number;
  /** the cap goes away when it is this many times the measured rate */
  liftAt: number;
  minRate: number;
}

export const DEFAULT_SEND_RATE: SendRateConfig = {
  decrease: 0.7,
  growth: 0.05,
  cooldownMs: 500,
  liftAt: 2,
  minRate: 1,
};

/** Requests per second allowed; 0 means no cap. */
export class SendRate {
  rate = 0;
  private readonly config: SendRateConfig;
  private lastCut = -Infinity;
  private lastTick: number | undefined;

  constructor(config: Partial<SendRateConfig> = {}) {
    this.config = { ...DEFAULT_SEND_RATE, ...config };
  }

  /**
   * A 429 while `measured` requests/s were getting through (accepted, not throttled). Returns the
   * new cap, or undefined.
   */
  throttled(now: number, measured: number): number | undefined {
    if (now - this.lastCut < this.config.cooldownMs) return undefined;
    this.lastCut = now;
    // Nothing got through in the last second: halve what we had (or start from a modest guess).
    const base =
      measured > 0
        ? this.rate > 0
          ? Math.min(this.rate, measured)
          : measured
        : this.rate / 2 || 10;
    this.rate = Math.max(this.config.minRate, base * this.config.decrease);
    this.lastTick = now;
    return this.rate;
  }

  /** Grows the cap back; lifts it when it no longer binds. Returns the cap when it changes. */
  tick(now: number, measured: number): number | undefined {
    if (this.rate === 0) return undefined;
    const dt = (now - (this.lastTick ?? now)) / 1000;
    this.lastTick = now;
    if (now - this.lastCut < this.config.cooldownMs * 2) return undefined;
    const before = this.rate;
    this.rate += Math.max(1, this.rate * this.config.growth) * dt;
    if (measured > 0 && this.rate > measured * this.config.liftAt) this.rate = 0;
    return this.rate !== before ? this.rate : undefined;
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
