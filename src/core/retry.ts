/**
 * Retry policy, modelled on the AWS SDK v3 "standard" mode: full jitter, a higher base for
 * throttling, Retry-After honoured, and a shared retry budget (tokens) so a struggling server is
 * not hammered. Where the SDK fails a request when the budget is empty, a bulk download must not
 * drop frames: here an empty budget delays retries until tokens come back (successes refund them,
 * and a slow refill keeps a dead server probed about once a second). A frame gives up only after
 * maxAttempts, and is then reported as failed with its last error, never dropped.
 */
import type { ErrorCode, ErrorInfo } from './errors';

export interface RetryConfig {
  /** attempts per frame, the first one included */
  maxAttempts: number;
  baseMs: number;
  throttleBaseMs: number;
  maxDelayMs: number;
  /** retry budget (tokens), as in the SDK's retry quota */
  budget: number;
  retryCost: number;
  throttleCost: number;
  /** tokens a success refunds (a retried success refunds its cost, as in the SDK) */
  successRefund: number;
  /** tokens that come back per second on their own */
  refillPerSecond: number;
}

export const DEFAULT_RETRY: RetryConfig = {
  maxAttempts: 8,
  baseMs: 50,
  throttleBaseMs: 1000,
  maxDelayMs: 20_000,
  budget: 500,
  retryCost: 14,
  throttleCost: 5,
  successRefund: 1,
  refillPerSecond: 14,
};

/** Errors worth another attempt of the same frame. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set([
  'Throttled',
  'ServerError',
  'Network',
  'Truncated',
  'Conflict',
]);

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; reason: 'permanent' | 'attempts' };

export class RetryPolicy {
  private tokens: number;
  private last: number;

  constructor(
    readonly config: RetryConfig = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = config.budget;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.config.budget,
      this.tokens + ((t - this.last) / 1000) * this.config.refillPerSecond,
    );
    this.last = t;
  }

  /** Tokens left in the retry budget. */
  get budgetLeft(): number {
    this.refill();
    return this.tokens;
  }

  /** Decides what to do after attempt number `attempt` (1-based) failed with `error`. */
  decide(error: ErrorInfo, attempt: number): RetryDecision {
    if (!TRANSIENT.has(error.code)) return { retry: false, reason: 'permanent' };
    if (attempt >= this.config.maxAttempts) return { retry: false, reason: 'attempts' };
    this.refill();
    const throttled = error.code === 'Throttled';
    const cost = throttled ? this.config.throttleCost : this.config.retryCost;
    // Spend now; a negative balance is a debt that later retries wait out.
    const debtMs =
      this.tokens >= cost ? 0 : ((cost - this.tokens) / this.config.refillPerSecond) * 1000;
    this.tokens -= cost;
    const base = throttled ? this.config.throttleBaseMs : this.config.baseMs;
    const cap = Math.min(base * 2 ** (attempt - 1), this.config.maxDelayMs);
    let delayMs = Math.floor(this.random() * cap);
    if (error.retryAfterMs !== undefined)
      delayMs = Math.max(delayMs, Math.min(error.retryAfterMs, this.config.maxDelayMs));
    return { retry: true, delayMs: Math.max(delayMs, Math.ceil(debtMs)) };
  }

  /** A success refunds budget: its cost if it was a retry, a little otherwise. */
  succeeded(wasRetry = false): void {
    this.refill();
    this.tokens = Math.min(
      this.config.budget,
      this.tokens + (wasRetry ? this.config.retryCost : this.config.successRefund),
    );
  }
}

/** Parses Retry-After (seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
