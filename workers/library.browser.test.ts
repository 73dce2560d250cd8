/**
 * The storage side in real Chromium (IndexedDB records, OPFS frame files): frames written by a
 * FrameWriter in a worker, as the retrieval workers write them, come back through the library API as full frames and thumbnails (HTJ2K at a
 * reduced resolution, stored pixels subsampled), and as export bundles in a real OPFS folder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCrc32, crc32 } from '../src/core/crc32';
import type { DecodedPixels, Unavailable } from '../src/core/protocol';
import { gzipMembers, memberCuts } from '../src/io/exports/nifti/gzip';
import { createJob, deleteJob, putFrameRecords, storedFrameKeys } from '../src/io/store';
import { testWriter } from '../test-support/frameWriter';
import { storedFrame } from '../test-support/storedFrame';
import { library as api } from './library';
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

const base = (key: string) => storedFrame('test-job', key);

/** The pixels the library gives for a frame (failing with its reason when there are none). */
function bytesShown(v: DecodedPixels | Unavailable): Uint8Array {
  if ('unavailable' in v) throw new Error(v.unavailable);
  return new Uint8Array(v.data);
}

describe('stored frames and thumbnails', () => {
  beforeAll(async () => {
    await Promise.all([loadCodec(), loadCrc32()]);
    await deleteJob('test-job');
  });

  it('stores frames by group commit; reads them back as frames, thumbnails and bundles', async () => {
    const writer = testWriter();
    const j2c = await bytesOf('CT1.j2c');
    const raw = await bytesOf('CT1.RAW');
    const { outcomes, pendingBytes } = await writer.putAll([
      { frame: { ...base('a'), size: j2c.length }, bytes: j2c.slice() },
      {
        frame: {
          ...base('b'),
          kind: 'pixels',
          size: raw.length,
          width: 512,
          height: 512,
          bitsPerSample: 16,
          signed: true,
          components: 1,
        },
        bytes: raw.slice(),
      },
    ]);
    expect(outcomes).toEqual(['stored', 'stored']);
    expect(pendingBytes).toBe(0);
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

    // Full frames: the codestream decoded, the pixels as stored; both equal the reference.
    expect(bytesShown(await api.frame('test-job', 'a'))).toEqual(raw);
    expect(bytesShown(await api.frame('test-job', 'b'))).toEqual(raw);
    expect(await api.frame('test-job', 'missing')).toEqual({
      unavailable: 'This frame is not stored.',
    });

    // Export in ahi-retrieve's layout to a real OPFS folder.
    await createJob(
      {
        id: 'test-job',
        name: 'ct1-manifest.json',
        createdAt: Date.now(),
        updatedAt: Date.now(),
        state: 'paused',
        settings: {
          endpoint: 'https://127.0.0.1/',
          region: 'us-east-1',
          format: 'jph',
          verify: true,
          workers: 1,
          inFlight: 1,
          autoTune: false,
        },
        totals: { frames: 3, verified: 2, stored: 0, failed: 0, bytes: 0 },
      },
      [{ name: 'ct1-manifest.json', content: '{"the":"manifest"}', role: 'manifest' }],
    );
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry('export', { recursive: true }).catch(() => {});
    const out = await opfs.getDirectoryHandle('export', { create: true });
    const progress: number[] = [];
    const folder = await api.export(
      {
        exportId: 'e1',
        jobId: 'test-job',
        format: 'ahi-retrieve',
        target: { kind: 'folder', root: out },
      },
      (n) => progress.push(n),
    );
    if (!folder.ok) throw new Error(folder.error.message);
    const summary = folder.summary;
    expect(summary).toMatchObject({ frames: 2, totalFrames: 3, partial: true });
    expect(summary.name).toBe('ct1-manifest-partial-2-of-3');
    const dir = await (
      await out.getDirectoryHandle('d'.repeat(32))
    ).getDirectoryHandle('i'.repeat(32));
    const read = async (d: FileSystemDirectoryHandle, name: string) =>
      new Uint8Array(await (await (await d.getFileHandle(name)).getFile()).arrayBuffer());
    expect(await read(dir, 'a.jph')).toEqual(j2c);
    expect(await read(dir, 'b.raw')).toEqual(raw);
    const csv = new TextDecoder()
      .decode(await read(out, 'checksums.csv'))
      .trim()
      .split('\n');
    expect(csv).toEqual([
      'ImageFrameID,DatastoreID,ImageSetID,File,Format,Bytes,PixelCRC32,Verified',
      `a,${'d'.repeat(32)},${'i'.repeat(32)},${'d'.repeat(32)}/${'i'.repeat(32)}/a.jph,image/jph,${j2c.length},,yes`,
      `b,${'d'.repeat(32)},${'i'.repeat(32)},${'d'.repeat(32)}/${'i'.repeat(32)}/b.raw,raw,${raw.length},,yes`,
    ]);
    expect(new TextDecoder().decode(await read(out, 'ct1-manifest.json'))).toBe(
      '{"the":"manifest"}',
    );

    // The zip is a Blob when there is no file to write to.
    const zip = await api.export(
      { exportId: 'e2', jobId: 'test-job', format: 'ahi-retrieve', target: { kind: 'zip' } },
      () => {},
    );
    if (!zip.ok) throw new Error(zip.error.message);
    expect(zip.summary.frames).toBe(2);
    const head = new Uint8Array(await zip.blob!.slice(0, 4).arrayBuffer());
    expect([...head]).toEqual([0x50, 0x4b, 3, 4]);
    expect(zip.blob!.size).toBeGreaterThan(j2c.length + raw.length);

    // Cancelled at once: it ends Cancelled (an error code, not a string), having written nothing.
    const stopped = api.export(
      { exportId: 'e3', jobId: 'test-job', format: 'ahi-retrieve', target: { kind: 'zip' } },
      () => {},
    );
    api.cancelExport('e3');
    expect(await stopped).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    // A job that is not stored, and a format that does not exist, are named in their errors.
    expect(
      await api.export(
        { exportId: 'e4', jobId: 'no-such-job', format: 'ahi-retrieve', target: { kind: 'zip' } },
        () => {},
      ),
    ).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(
      await api.export(
        { exportId: 'e5', jobId: 'test-job', format: 'tiff', target: { kind: 'zip' } },
        () => {},
      ),
    ).toMatchObject({
      ok: false,
      error: { code: 'BadInput', message: 'There is no export format "tiff".' },
    });

    writer.terminate();
    await deleteJob('test-job');
    expect((await storedFrameKeys('test-job')).size).toBe(0);
  });

  it('reads a frame where a destination folder holds it: at its offset, or its .nii.gz member alone', async () => {
    const raw = await bytesOf('CT1.RAW');
    const jobId = 'folder-job';
    await deleteJob(jobId);
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry('dest', { recursive: true }).catch(() => {});
    const root = await opfs.getDirectoryHandle('dest', { create: true });
    // A volume's bytes: a 352-byte header and three slices (the CT1 slice, then it inverted, then
    // shifted), gzipped as members from slice boundaries, as a destination writes a .nii.gz.
    const slices = [raw, raw.map((b) => 255 - b), raw.map((b) => (b + 1) & 0xff)];
    const volume = new Uint8Array(352 + 3 * raw.length);
    slices.forEach((px, k) => volume.set(px, 352 + k * raw.length));
    const cuts = memberCuts(352, raw.length, 3);
    expect(cuts).toHaveLength(2);
    const { stream, members } = gzipMembers(cuts);
    const gz = new Uint8Array(
      await new Response(new Blob([volume]).stream().pipeThrough(stream)).arrayBuffer(),
    );
    const write = async (name: string, data: Uint8Array) => {
      const w = await (await root.getFileHandle(name, { create: true })).createWritable();
      await w.write(data as FileSystemWriteChunkType);
      await w.close();
    };
    await write('v.nii.gz', gz);
    await write('v.nii', volume);
    await createJob(
      {
        id: jobId,
        name: 'folder',
        createdAt: Date.now(),
        updatedAt: Date.now(),
        state: 'done',
        settings: {
          endpoint: 'https://127.0.0.1/',
          region: 'us-east-1',
          format: 'raw',
          verify: true,
          workers: 1,
          inFlight: 1,
          autoTune: false,
        },
        totals: { frames: 4, verified: 4, stored: 0, failed: 0, bytes: 0 },
        destination: { root, format: 'nifti' },
      },
      [],
    );
    const pixels = (key: string) => ({
      ...storedFrame(jobId, key, raw.length),
      kind: 'pixels' as const,
      width: 512,
      height: 512,
      bitsPerSample: 16,
      signed: true,
      components: 1,
    });
    const member = (k: number) => {
      const at = 352 + k * raw.length;
      const m = members.findLastIndex((x) => x.from <= at);
      return {
        offset: members[m]!.at,
        gzipLength: (members[m + 1]?.at ?? gz.length) - members[m]!.at,
        inflatedOffset: at - members[m]!.from,
      };
    };
    await putFrameRecords([
      // The third slice, in the second member; the second, at the end of the first.
      { ...pixels('s2'), file: 'v.nii.gz', fileSize: gz.length, fileCrc: 0, ...member(2) },
      { ...pixels('s1'), file: 'v.nii.gz', fileSize: gz.length, fileCrc: 0, ...member(1) },
      {
        ...pixels('n1'),
        file: 'v.nii',
        fileSize: volume.length,
        fileCrc: 0,
        offset: 352 + raw.length,
      },
      { ...pixels('left'), leftOut: 'the series forms no volume: a single slice' },
      { ...pixels('gone'), file: 'deleted.nii', fileSize: 10, fileCrc: 0, offset: 0 },
    ]);
    // Compared by CRC-32: a failing toEqual of half a megabyte takes minutes to print.
    const crcs = slices.map((px) => crc32(px));
    expect(new Set(crcs).size).toBe(3);
    expect(crc32(bytesShown(await api.frame(jobId, 's2')))).toBe(crcs[2]);
    expect(crc32(bytesShown(await api.frame(jobId, 's1')))).toBe(crcs[1]);
    expect(crc32(bytesShown(await api.frame(jobId, 'n1')))).toBe(crcs[1]);
    expect(await api.frame(jobId, 'left')).toEqual({
      unavailable:
        'This frame was verified but not written to the folder: the series forms no volume: a single slice.',
    });
    expect(await api.frame(jobId, 'gone')).toMatchObject({
      unavailable: expect.stringMatching(
        /^This frame is in deleted\.nii of the job's folder, which cannot be read now/,
      ) as unknown,
    });
    await deleteJob(jobId);
  });
});
