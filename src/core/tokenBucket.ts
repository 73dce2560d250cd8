/**
 * A token bucket: `rate` tokens a second up to `burst`, one taken per request. The retrieval
 * worker caps its send rate with one after throttling; the local server throttles with one. Time
 * is passed in (ms, any monotonic clock), so the logic is tested without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private rate: number,
    private burst: number,
    /** tokens at the start (the server starts full; a new send cap with one) */
    initial: number,
    now: number,
  ) {
    this.tokens = Math.min(initial, burst);
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(
      this.burst,
      this.tokens + (Math.max(0, now - this.at) / 1000) * this.rate,
    );
    this.at = now;
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until the next token, ms (0 when there is one now). */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Changes the rate and burst from `now` on; what had accrued until now is kept. */
  setRate(rate: number, burst: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }
}
