import { describe, expect, it } from 'vitest';
import { TokenBucket } from './tokenBucket';

describe('TokenBucket', () => {
  it('gives its burst at once, then one token per 1/rate s', () => {
    const b = new TokenBucket(10, 3, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.msUntilToken(0)).toBe(100);
    expect(b.take(99)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });

  it('never holds more than its burst, however long it waits', () => {
    const b = new TokenBucket(100, 2, 0, 0);
    let taken = 0;
    while (b.take(60_000)) taken++;
    expect(taken).toBe(2);
  });

  it('starts with what it is given, and waits the exact time for the rest', () => {
    const b = new TokenBucket(4, 1, 0.5, 1000);
    expect(b.take(1000)).toBe(false);
    expect(b.msUntilToken(1000)).toBe(125);
    expect(b.take(1125)).toBe(true);
  });

  it('keeps what accrued when the rate changes, and uses the new rate after', () => {
    const b = new TokenBucket(1, 5, 0, 0);
    b.setRate(100, 5, 500); // 0.5 token accrued at 1/s
    expect(b.take(500)).toBe(false);
    expect(b.msUntilToken(500)).toBe(5); // the other 0.5 at 100/s
    expect(b.take(505)).toBe(true);
    b.setRate(100, 1, 10_000); // a smaller burst caps what is held
    expect([b.take(10_000), b.take(10_000)]).toEqual([true, false]);
  });

  it('does not count time that runs backwards', () => {
    const b = new TokenBucket(10, 1, 0, 100);
    expect(b.take(50)).toBe(false);
    expect(b.msUntilToken(50)).toBe(100);
  });
});
