import { describe, expect, it } from 'vitest';
import { BufferPool } from './bufferPool';

describe('BufferPool', () => {
  it('hands a given-back buffer to the next body that fits it, and not to one it would waste', () => {
    const pool = new BufferPool();
    const a = pool.take(190_000);
    expect(a.byteLength).toBeGreaterThanOrEqual(190_000);
    pool.give(a);
    // A body of a nearby size gets the same memory.
    expect(pool.take(170_000)).toBe(a);
    pool.give(a);
    // A much smaller one would leave most of it idle: a new buffer.
    const small = pool.take(20_000);
    expect(small).not.toBe(a);
    expect(small.byteLength).toBeLessThan(100_000);
    // A larger one does not fit.
    expect(pool.take(400_000)).not.toBe(a);
    expect(pool.stats.buffers).toBe(1);
  });

  it('takes the smallest buffer that fits', () => {
    const pool = new BufferPool();
    const big = pool.take(300_000);
    const mid = pool.take(200_000);
    pool.give(big);
    pool.give(mid);
    expect(pool.take(190_000)).toBe(mid);
  });

  it('drops detached buffers and buffers past its bound, and refuses one given back twice', () => {
    const pool = new BufferPool(256 * 1024);
    const a = pool.take(200_000);
    const b = pool.take(200_000);
    pool.give(a);
    pool.give(b); // 2 × 256 KB > the bound: left to the garbage collector
    expect(pool.stats).toEqual({ buffers: 1, bytes: a.byteLength });
    expect(() => pool.give(a)).toThrow(/twice/);
    const c = pool.take(100);
    structuredClone(c, { transfer: [c] }); // detaches c
    pool.give(c);
    expect(pool.stats.buffers).toBe(1);
  });
});
