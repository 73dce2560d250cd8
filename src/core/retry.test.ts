import { describe, expect, it } from 'vitest';
import type { ErrorInfo } from './errors';
import { DEFAULT_RETRY, RetryPolicy, parseRetryAfter } from './retry';

const err = (code: ErrorInfo['code'], extra: Partial<ErrorInfo> = {}): ErrorInfo => ({
  code,
  message: code,
  ...extra,
});

describe('retry policy', () => {
  it('uses full jitter under an exponential cap: 50 ms base, 1 s for throttling', () => {
    const max = new RetryPolicy(DEFAULT_RETRY, () => 0.999999);
    expect(
      [1, 2, 3, 4].map((a) => (max.decide(err('ServerError'), a) as { delayMs: number }).delayMs),
    ).toEqual([49, 99, 199, 399]);
    expect(
      [1, 2, 3].map((a) => (max.decide(err('Throttled'), a) as { delayMs: number }).delayMs),
    ).toEqual([999, 1999, 3999]);
    const min = new RetryPolicy(DEFAULT_RETRY, () => 0);
    expect(min.decide(err('Network'), 3)).toEqual({ retry: true, delayMs: 0 });
  });

  it('caps the delay at 20 s', () => {
    const p = new RetryPolicy({ ...DEFAULT_RETRY, maxAttempts: 50 }, () => 0.999999);
    expect(p.decide(err('Throttled'), 30)).toEqual({ retry: true, delayMs: 19999 });
  });

  it('honours Retry-After as a lower bound', () => {
    const p = new RetryPolicy(DEFAULT_RETRY, () => 0);
    expect(p.decide(err('Throttled', { retryAfterMs: 3000 }), 1)).toEqual({
      retry: true,
      delayMs: 3000,
    });
  });

  it('never retries permanent errors', () => {
    const p = new RetryPolicy();
    for (const code of [
      'AccessDenied',
      'NotFound',
      'Validation',
      'UnsupportedSyntax',
      'DecodeFailed',
      'ChecksumMismatch',
    ] as const) {
      expect(p.decide(err(code), 1)).toEqual({ retry: false, reason: 'permanent' });
    }
  });

  it('gives up after the attempt limit', () => {
    const p = new RetryPolicy();
    expect(p.decide(err('ServerError'), DEFAULT_RETRY.maxAttempts - 1).retry).toBe(true);
    expect(p.decide(err('ServerError'), DEFAULT_RETRY.maxAttempts)).toEqual({
      retry: false,
      reason: 'attempts',
    });
  });

  it('spends a shared budget (14 per retry, 5 per throttling retry); when it is empty, retries wait instead of failing', () => {
    let now = 0;
    const p = new RetryPolicy(
      { ...DEFAULT_RETRY, budget: 30, refillPerSecond: 14 },
      () => 0,
      () => now,
    );
    expect(p.decide(err('ServerError'), 1)).toEqual({ retry: true, delayMs: 0 });
    expect(p.decide(err('ServerError'), 1)).toEqual({ retry: true, delayMs: 0 });
    expect(p.budgetLeft).toBe(2);
    // 12 tokens short at 14 tokens/s: wait 858 ms rather than give up.
    expect(p.decide(err('ServerError'), 1)).toEqual({ retry: true, delayMs: 858 });
    expect(p.budgetLeft).toBe(-12);
    now = 2000;
    expect(p.budgetLeft).toBe(16);
    p.succeeded(true);
    expect(p.budgetLeft).toBe(30);
    p.succeeded();
    expect(p.budgetLeft).toBe(30);
    expect(p.decide(err('Throttled'), 1).retry).toBe(true);
    expect(p.budgetLeft).toBe(25);
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(
      parseRetryAfter('Sat, 21 Nov 2026 00:00:10 GMT', Date.parse('Sat, 21 Nov 2026 00:00:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
