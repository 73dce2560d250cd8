import { describe, expect, it } from 'vitest';
import { unpackBits } from './bits';

describe('1-bit frames', () => {
  it('unpacks 8 pixels per byte, the first in the lowest bit', () => {
    const view = {
      width: 5,
      height: 2,
      bitsPerSample: 1,
      signed: false,
      components: 1,
      pixels: Uint8Array.of(0b10100101, 0b00000010),
    };
    const out = unpackBits(view);
    expect(out.bitsPerSample).toBe(8);
    expect([...out.pixels]).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 0, 1]);
  });

  it('leaves other depths as they are', () => {
    const view = {
      width: 1,
      height: 1,
      bitsPerSample: 8,
      signed: false,
      components: 1,
      pixels: Uint8Array.of(9),
    };
    expect(unpackBits(view)).toBe(view);
  });
});
