import { describe, expect, it } from 'vitest';
import { release } from './buffers';

describe('release', () => {
  it('detaches the buffer so its memory is gone now, not at the next GC', () => {
    const b = new ArrayBuffer(1024);
    const view = new Uint8Array(b);
    release(b);
    expect(b.byteLength).toBe(0);
    expect(view.length).toBe(0);
  });

  it('accepts a buffer that is already released, and no buffer', () => {
    const b = new ArrayBuffer(8);
    release(b);
    expect(() => release(b)).not.toThrow();
    expect(() => release(undefined)).not.toThrow();
  });
});
