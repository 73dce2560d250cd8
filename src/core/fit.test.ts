import { describe, expect, it } from 'vitest';
import { storageFit } from './fit';

describe('storageFit', () => {
  it('compares what the format keeps with what the browser leaves', () => {
    expect(storageFit(500, 'raw', { usage: 100, quota: 1000 })).toMatchObject({
      needed: 500,
      free: 900,
      fits: true,
      advice: [],
    });
    const tight = storageFit(2000, 'raw', { usage: 100, quota: 1000, persisted: false });
    expect(tight).toMatchObject({ needed: 2000, free: 900, fits: false });
    expect(tight.advice.join(' ')).toMatch(/persistent storage.*fewer image sets.*jph/s);
    expect(
      storageFit(2000, 'jph', { usage: 0, quota: 1000, persisted: true }).advice.join(' '),
    ).not.toMatch(/persistent|choose the jph/);
    // mem keeps nothing; an unknown quota is no reason to warn.
    expect(storageFit(2000, 'mem', { usage: 0, quota: 1000 }).fits).toBe(true);
    expect(storageFit(2000, 'raw', {}).fits).toBe(true);
    // The store's probe overrules an estimate that says there is room.
    expect(storageFit(500, 'raw', { usage: 0, quota: 1000 }, false)).toMatchObject({
      fits: false,
      refused: true,
    });
    expect(storageFit(500, 'mem', { usage: 0, quota: 1000 }, false).fits).toBe(true);
    expect(storageFit(500, 'raw', { usage: 0, quota: 1000 }, true).fits).toBe(true);
  });
});
