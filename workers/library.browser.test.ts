/**
 * The worker API's storage side in real Chromium IndexedDB: frames written through the group
 * commit come back as thumbnails (HTJ2K at a reduced resolution, stored pixels subsampled).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCrc32, crc32 } from '../src/core/crc32';
import { FrameWriter, deleteJob, openDb, storedFrameKeys, type StoredFrame } from '../src/io/db';
import { api } from './api';
import { loadCodec } from './codec/htj2k';

const urls = import.meta.glob('../ahi-server/fixtures/htj2k/CT1.*', {
  query: '?url',
  import: 'default',
  eager: true,
});
const bytesOf = async (name: string) =>
  new Uint8Array(
    await (await fetch(urls[`../ahi-server/fixtures/htj2k/${name}`] as string)).arrayBuffer(),
  );

const base = (key: string): StoredFrame => ({
  jobId: 'test-job',
  key,
  datastoreId: 'd'.repeat(32),
  imageSetId: 'i'.repeat(32),
  frameId: key,
  kind: 'codestream',
  contentType: 'image/jph',
  size: 0,
  verified: true,
  storedAt: Date.now(),
});

describe('stored frames and thumbnails', () => {
  beforeAll(async () => {
    await Promise.all([loadCodec(), loadCrc32()]);
    await deleteJob('test-job');
  });

  it('group-commits frames and turns them into thumbnails', async () => {
    const writer = new FrameWriter(await openDb());
    const j2c = await bytesOf('CT1.j2c');
    const raw = await bytesOf('CT1.RAW');
    await Promise.all([
      writer.put({ ...base('a'), size: j2c.length }, j2c.slice().buffer),
      writer.put(
        {
          ...base('b'),
          kind: 'pixels',
          size: raw.length,
          width: 512,
          height: 512,
          bitsPerSample: 16,
          signed: true,
          components: 1,
        },
        raw.slice().buffer,
      ),
    ]);
    expect(writer.pendingBytes).toBe(0);
    expect([...(await storedFrameKeys('test-job'))].sort()).toEqual(['a', 'b']);

    const fromCodestream = await api.thumbnail('test-job', 'a', 128);
    expect([fromCodestream?.width, fromCodestream?.height]).toEqual([128, 128]);
    expect(crc32(new Uint8Array(fromCodestream!.data))).toBe(2361158747);

    const fromPixels = await api.thumbnail('test-job', 'b', 128);
    expect([fromPixels?.width, fromPixels?.height, fromPixels?.signed]).toEqual([128, 128, true]);
    const px = new Int16Array(fromPixels!.data);
    const src = new Int16Array(raw.buffer);
    expect(px[0]).toBe(src[0]);
    expect(px[129]).toBe(src[4 * 512 + 4]);

    expect(await api.thumbnail('test-job', 'missing', 128)).toBeUndefined();
    await deleteJob('test-job');
    expect((await storedFrameKeys('test-job')).size).toBe(0);
  });
});
