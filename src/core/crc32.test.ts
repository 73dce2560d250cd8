import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type * as crcModule from './crc32';
import { crc32, loadCrc32 } from './crc32';

describe('CRC-32', () => {
  it('matches zlib on the standard check value and on a frame-sized buffer', async () => {
    await loadCrc32();
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const frame = new Uint8Array(512 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    expect(crc32(frame)).toBe(zlibCrc32(frame) >>> 0);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('refuses to run before it is loaded in a fresh realm', async () => {
    const fresh = (await import(`./crc32?fresh=${Date.now()}`)) as typeof crcModule;
    expect(() => fresh.crc32(new Uint8Array(1))).toThrow(/not loaded/);
  });
});
