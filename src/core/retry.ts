/**
 * Retry policy, modelled on the AWS SDK v3 "standard" mode: full jitter, a higher base for
 * throttling, Retry-After honoured, and a shared retry budget so a dead server is not hammered.
 * A bulk download is more patient than an SDK call (more attempts), but a frame still gives up
 * after a clear limit and is then reported as failed with its last error, never dropped.
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
  /** tokens refunded by each success */
  successRefund: number;
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
  { retry: true; delayMs: number } | { retry: false; reason: 'permanent' | 'attempts' | 'budget' };

export class RetryPolicy {
  private tokens: number;
  constructor(
    readonly config: RetryConfig = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {
    this.tokens = config.budget;
  }

  /** Tokens left in the retry budget. */
  get budgetLeft(): number {
    return this.tokens;
  }

  /** Decides what to do after attempt number `attempt` (1-based) failed with `error`. */
  decide(error: ErrorInfo, attempt: number): RetryDecision {
    if (!TRANSIENT.has(error.code)) return { retry: false, reason: 'permanent' };
    if (attempt >= this.config.maxAttempts) return { retry: false, reason: 'attempts' };
    const throttled = error.code === 'Throttled';
    const cost = throttled ? this.config.throttleCost : this.config.retryCost;
    if (this.tokens < cost) return { retry: false, reason: 'budget' };
    this.tokens -= cost;
    const base = throttled ? this.config.throttleBaseMs : this.config.baseMs;
    const cap = Math.min(base * 2 ** (attempt - 1), this.config.maxDelayMs);
    let delayMs = Math.floor(this.random() * cap);
    if (error.retryAfterMs !== undefined)
      delayMs = Math.max(delayMs, Math.min(error.retryAfterMs, this.config.maxDelayMs));
    return { retry: true, delayMs };
  }

  /** A success refunds a little of the budget, so long jobs with rare faults never run dry. */
  succeeded(): void {
    this.tokens = Math.min(this.config.budget, this.tokens + this.config.successRefund);
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
