/**
 * A datastore created with losslessStorageFormat JPEG_2000_LOSSLESS: AHI then stores every
 * lossless frame as JPEG 2000 lossless (.4.90, `image/j2c`). Here: the synthetic CT's slices
 * (2,000 by default), transcoded by Debian's opj_compress (reversible 5/3) on first start (about
 * 30 slices a second on 2 cores) and cached like the HTJ2K series; every CHECK_EVERY-th decoded
 * back with opj_decompress to check its checksum, the slice's own (a lossless transcode keeps the
 * pixels). Without opj_compress the set is left out, and the server says so in one line.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { J2K_DATASTORE_ID, type ImageSet } from '../imageSet';
import type { EncodedSlice } from '../synthetic';
import { syntheticSet } from './syntheticCt';

const run = promisify(execFile);
const CACHE_VERSION = 1;
/** every this many slices, the transcode is decoded back with opj_decompress and checked */
const CHECK_EVERY = 25;

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function transcode(
  slices: EncodedSlice[],
  log: (line: string) => void,
): Promise<Uint8Array[]> {
  const m = await createOpenJph({ print: () => {}, printErr: () => {} });
  const decoder = new m.HTJ2KDecoder();
  const tmp = await mkdtemp(join(tmpdir(), 'ahi-j2k-'));
  const out = new Array<Uint8Array>(slices.length);
  let next = 0;
  let lastLog = performance.now();
  const worker = async (w: number) => {
    for (let i = next++; i < slices.length; i = next++) {
      const s = slices[i]!;
      decoder.getEncodedBuffer(s.codestream.length).set(s.codestream);
      decoder.decode();
      const pixels = decoder.getDecodedBuffer().slice();
      const raw = join(tmp, `${w}.rawl`);
      const j2c = join(tmp, `${w}.j2c`);
      await writeFile(raw, pixels);
      await run('opj_compress', ['-i', raw, '-o', j2c, '-F', '512,512,1,16,u']);
      out[i] = new Uint8Array(await readFile(j2c));
      if (i % CHECK_EVERY === 0) {
        const back = join(tmp, `${w}.back.rawl`);
        await run('opj_decompress', ['-i', j2c, '-o', back, '-quiet']);
        const checksum = crc32(await readFile(back)) >>> 0;
        if (checksum !== s.levels[s.levels.length - 1]!.checksum)
          throw new Error(`slice ${i}: opj_decompress gives CRC-32 ${checksum}, not the slice's`);
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  ${i + 1} / ${slices.length} slices transcoded to JPEG 2000`);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, availableParallelism()) }, (_, w) => worker(w)),
  );
  decoder.delete();
  await rm(tmp, { recursive: true, force: true });
  return out;
}

/** The slices as JPEG 2000 lossless codestreams: from the cache, or transcoded and cached. */
async function loadTranscoded(
  slices: EncodedSlice[],
  cacheDir: string,
  log: (line: string) => void,
): Promise<Uint8Array[]> {
  const base = join(cacheDir, `synthetic-ct-j2k-v${CACHE_VERSION}-${slices.length}`);
  if (existsSync(`${base}.json`) && existsSync(`${base}.bin`)) {
    const lengths = JSON.parse(await readFile(`${base}.json`, 'utf8')) as number[];
    const blob = await readFile(`${base}.bin`);
    if (lengths.length === slices.length) {
      let offset = 0;
      return lengths.map((n) => blob.subarray(offset, (offset += n)));
    }
  }
  const started = performance.now();
  log(
    `transcoding the synthetic CT to JPEG 2000 lossless with opj_compress (once; cached in ${cacheDir})…`,
  );
  const codestreams = await transcode(slices, log);
  await mkdir(cacheDir, { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  await writeFile(`${base}.bin${tmp}`, Buffer.concat(codestreams));
  await writeFile(`${base}.json${tmp}`, JSON.stringify(codestreams.map((c) => c.length)));
  await rename(`${base}.bin${tmp}`, `${base}.bin`);
  await rename(`${base}.json${tmp}`, `${base}.json`);
  log(
    `transcoded ${slices.length} slices in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return codestreams;
}

/** The JPEG_2000_LOSSLESS datastore's image set; undefined (and a line said) without the tools. */
export async function buildJpeg2000Datastore(
  slices: EncodedSlice[],
  cacheDir: string,
  log: (line: string) => void,
): Promise<ImageSet | undefined> {
  if (!hasTool('opj_compress') || !hasTool('opj_decompress')) {
    log(
      'left out the JPEG 2000 lossless datastore: opj_compress is not installed (apt-get install libopenjp2-tools)',
    );
    return undefined;
  }
  const codestreams = await loadTranscoded(slices, cacheDir, log);
  return syntheticSet(slices, slices.length, {
    name: 'synthetic-ct-j2k',
    datastoreId: J2K_DATASTORE_ID,
    syntax: '1.2.840.10008.1.2.4.90',
    contentType: 'image/j2c',
    bytes: (i) => codestreams[i]!,
    fullResolutionOnly: true,
    description: `A JPEG_2000_LOSSLESS datastore: the synthetic CT's ${slices.length} slices as JPEG 2000 lossless (opj_compress)`,
  });
}
