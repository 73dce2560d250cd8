/**
 * The frames of every syntax AHI stores besides HTJ2K, made by independent encoders from Debian
 * (opj_compress from libopenjp2-tools, cjpeg from libjpeg-turbo-progs, cjxl from libjxl-tools) out
 * of real images (NEMA WG-04 CT1 and US1), with each frame's reference pixels decoded by the
 * matching independent decoder (opj_decompress, djpeg, djxl). The local server serves them (the
 * "syntaxes" image set), and the codecs' golden tests compare our WASM decoders with the
 * references. `npx tsx ahi-server/syntax-fixtures.ts` remakes fixtures/syntaxes/ (committed, so
 * neither the demo nor the browser tests need the tools); a unit test checks that Debian's
 * decoders still give the committed references.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const SYNTAX_FIXTURES = join(import.meta.dirname, 'fixtures', 'syntaxes');

/** One frame of the set: its codestream file, what it is, and its reference pixels. */
export interface SyntaxFixture {
  /** the codestream (or uncompressed bytes) as AHI would store it */
  file: string;
  syntax: string;
  contentType: string;
  photometric: string;
  width: number;
  height: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  /** the independent decoder's pixels: little-endian, interleaved (1-bit frames: as stored) */
  reference: string;
  /** CRC-32 of the reference pixels: what AHI's metadata would carry */
  crc32: number;
  /** the encoder and decoder that made it */
  madeWith: string;
  lossy: boolean;
  /** what this app cannot do with it, when it cannot decode it (it keeps it as received) */
  unsupported?: string;
}

/** US1's geometry: 640×480, 8-bit RGB. */
export const US1_GEOMETRY = {
  width: 640,
  height: 480,
  samples: 3,
  bitsAllocated: 8,
  bitsStored: 8,
  signed: false,
};

const W = 512;
const H = 512;

/** CT1's 16-bit signed pixels windowed to 8 bits (a greyscale 8-bit image of real anatomy). */
function grey8FromCt1(ct1: Uint8Array): Uint8Array {
  const view = new DataView(ct1.buffer, ct1.byteOffset, ct1.byteLength);
  const out = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) {
    const hu = view.getInt16(i * 2, true) - 1024;
    out[i] = Math.max(0, Math.min(255, Math.round(((hu + 160) / 400) * 255)));
  }
  return out;
}

/** A binary segmentation of the 8-bit image (over mid-grey), packed 8 pixels a byte, LSB first. */
function segmentation(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(grey.length / 8));
  for (let i = 0; i < grey.length; i++) if (grey[i]! > 128) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

const pnm = (magic: 'P5' | 'P6', w: number, h: number, max: number, data: Uint8Array) =>
  Buffer.concat([Buffer.from(`${magic}\n${w} ${h}\n${max}\n`), data]);

/** The pixel bytes of a binary PGM/PPM (8-bit, or 16-bit big-endian turned little-endian). */
export function pnmPixels(file: Uint8Array): {
  width: number;
  height: number;
  samples: number;
  pixels: Uint8Array;
} {
  // Header: magic, width, height, maxval, each after white space or # comments; then one byte.
  const tokens: string[] = [];
  let i = 0;
  while (tokens.length < 4 && i < file.length) {
    const c = file[i]!;
    if (c === 0x23) while (i < file.length && file[i] !== 0x0a) i++;
    else if (c <= 0x20) i++;
    else {
      let t = '';
      while (i < file.length && file[i]! > 0x20) t += String.fromCharCode(file[i++]!);
      tokens.push(t);
    }
  }
  const [magic, w, h, max] = tokens;
  if (magic !== 'P5' && magic !== 'P6') throw new Error('not a binary PGM/PPM');
  const samples = magic === 'P6' ? 3 : 1;
  const data = file.subarray(i + 1);
  if (Number(max) < 256) return { width: +w!, height: +h!, samples, pixels: data };
  const le = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 2) {
    le[i] = data[i + 1]!;
    le[i + 1] = data[i]!;
  }
  return { width: +w!, height: +h!, samples, pixels: le };
}

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * Decodes a committed fixture with the independent decoder that made its reference (for the test
 * that the committed references are still what Debian's decoders give).
 */
export function decodeIndependently(f: SyntaxFixture): Uint8Array {
  const tmp = mkdtempSync(join(tmpdir(), 'ahi-syntax-'));
  const source = join(SYNTAX_FIXTURES, f.file);
  try {
    const pnmOut = (cmd: string, args: string[], dst: string) => {
      run(cmd, args);
      return pnmPixels(readFileSync(dst)).pixels;
    };
    const ext = f.samples === 3 ? 'ppm' : 'pgm';
    const dst = join(tmp, `out.${ext}`);
    switch (f.contentType) {
      case 'image/j2c': {
        if (f.bitsAllocated > 8) {
          const raw = join(tmp, 'out.rawl');
          run('opj_decompress', ['-i', source, '-o', raw, '-quiet']);
          return readFileSync(raw);
        }
        return pnmOut('opj_decompress', ['-i', source, '-o', dst, '-quiet'], dst);
      }
      case 'image/jpeg':
        return pnmOut('djpeg', ['-pnm', '-outfile', dst, source], dst);
      case 'image/jxl':
        return pnmOut('djxl', [source, dst, '--quiet'], dst);
      default:
        return readFileSync(source);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Makes every fixture into fixtures/syntaxes/ with the Debian tools, and their index. */
export function makeSyntaxFixtures(): SyntaxFixture[] {
  const tmp = mkdtempSync(join(tmpdir(), 'ahi-syntax-'));
  const fixtures = join(import.meta.dirname, 'fixtures');
  mkdirSync(SYNTAX_FIXTURES, { recursive: true });
  const ct1 = readFileSync(join(fixtures, 'htj2k', 'CT1.RAW'));
  const us1 = readFileSync(join(fixtures, 'htj2k', 'US1.RAW'));
  const grey = grey8FromCt1(ct1);
  writeFileSync(join(tmp, 'ct1.rawl'), ct1);
  // CT1 as unsigned 16-bit (HU + 2048 of the stored values), big-endian for a 16-bit PGM.
  const ct1u = Buffer.alloc(W * H * 2);
  for (let i = 0; i < W * H; i++) ct1u.writeUInt16BE(ct1.readInt16LE(i * 2) + 2048, i * 2);
  writeFileSync(join(tmp, 'ct1u16.pgm'), pnm('P5', W, H, 65535, ct1u));
  writeFileSync(join(tmp, 'grey.pgm'), pnm('P5', W, H, 255, grey));
  writeFileSync(join(tmp, 'us1.ppm'), pnm('P6', 640, 480, 255, us1));
  const out: SyntaxFixture[] = [];
  const add = (
    f: Omit<SyntaxFixture, 'crc32' | 'reference'>,
    encode: (target: string) => void,
    decode: (source: string) => Uint8Array,
  ) => {
    const target = join(SYNTAX_FIXTURES, f.file);
    encode(target);
    const pixels = decode(target);
    const reference = f.file.replace(/\.[a-z0-9]+$/, '.ref.raw');
    writeFileSync(join(SYNTAX_FIXTURES, reference), pixels);
    out.push({ ...f, reference, crc32: crc32(pixels) >>> 0 });
  };
  const viaPnm =
    (cmd: string, args: (src: string, dst: string) => string[], ext: string) =>
    (source: string) => {
      const dst = join(tmp, `decoded.${ext}`);
      run(cmd, args(source, dst));
      return pnmPixels(readFileSync(dst)).pixels;
    };
  const opjDecode = (ext: 'pgm' | 'ppm') =>
    viaPnm('opj_decompress', (s, d) => ['-i', s, '-o', d, '-quiet'], ext);
  const mono = {
    photometric: 'MONOCHROME2',
    samples: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    signed: false,
  };
  const rgb = US1_GEOMETRY;

  add(
    {
      file: 'ct1-jpeg2000-lossless.j2c',
      syntax: '1.2.840.10008.1.2.4.90',
      contentType: 'image/j2c',
      photometric: 'MONOCHROME2',
      width: W,
      height: H,
      samples: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      signed: true,
      madeWith: 'opj_compress (reversible 5/3) → opj_decompress',
      lossy: false,
    },
    (t) => run('opj_compress', ['-i', join(tmp, 'ct1.rawl'), '-o', t, '-F', `${W},${H},1,16,s`]),
    (s) => {
      const dst = join(tmp, 'decoded.rawl');
      run('opj_decompress', ['-i', s, '-o', dst, '-quiet']);
      return readFileSync(dst);
    },
  );
  add(
    {
      file: 'us1-jpeg2000-lossy.j2c',
      syntax: '1.2.840.10008.1.2.4.91',
      contentType: 'image/j2c',
      photometric: 'YBR_ICT',
      ...rgb,
      madeWith: 'opj_compress -I -r 20 (irreversible 9/7, ICT) → opj_decompress',
      lossy: true,
    },
    (t) => run('opj_compress', ['-i', join(tmp, 'us1.ppm'), '-o', t, '-I', '-r', '20']),
    opjDecode('ppm'),
  );
  add(
    {
      file: 'ct1-grey8-jpeg.jpg',
      syntax: '1.2.840.10008.1.2.4.50',
      contentType: 'image/jpeg',
      width: W,
      height: H,
      ...mono,
      madeWith: 'cjpeg -grayscale -quality 90 → djpeg',
      lossy: true,
    },
    (t) => run('cjpeg', ['-grayscale', '-quality', '90', '-outfile', t, join(tmp, 'grey.pgm')]),
    viaPnm('djpeg', (s, d) => ['-pnm', '-outfile', d, s], 'pgm'),
  );
  add(
    {
      file: 'us1-jpeg-ybr422.jpg',
      syntax: '1.2.840.10008.1.2.4.50',
      contentType: 'image/jpeg',
      photometric: 'YBR_FULL_422',
      ...rgb,
      madeWith: 'cjpeg -quality 90 -sample 2x1 → djpeg (YCbCr to RGB)',
      lossy: true,
    },
    (t) => run('cjpeg', ['-quality', '90', '-sample', '2x1', '-outfile', t, join(tmp, 'us1.ppm')]),
    viaPnm('djpeg', (s, d) => ['-pnm', '-outfile', d, s], 'ppm'),
  );
  add(
    {
      file: 'ct1-grey8-jpegxl-lossless.jxl',
      syntax: '1.2.840.10008.1.2.4.110',
      contentType: 'image/jxl',
      width: W,
      height: H,
      ...mono,
      madeWith: 'cjxl -d 0 → djxl',
      lossy: false,
    },
    (t) => run('cjxl', [join(tmp, 'grey.pgm'), t, '-d', '0', '--quiet']),
    viaPnm('djxl', (s, d) => [s, d, '--quiet'], 'pgm'),
  );
  add(
    {
      file: 'ct1-u16-jpegxl-lossless.jxl',
      syntax: '1.2.840.10008.1.2.4.110',
      contentType: 'image/jxl',
      photometric: 'MONOCHROME2',
      width: W,
      height: H,
      samples: 1,
      bitsAllocated: 16,
      bitsStored: 13,
      signed: false,
      madeWith: 'cjxl -d 0 (16 bits) → djxl',
      lossy: false,
      unsupported: 'the JPEG XL decoder here gives 8 bits per sample',
    },
    (t) => run('cjxl', [join(tmp, 'ct1u16.pgm'), t, '-d', '0', '--quiet']),
    viaPnm('djxl', (s, d) => [s, d, '--quiet'], 'pgm'),
  );
  add(
    {
      file: 'us1-jpegxl-lossy.jxl',
      syntax: '1.2.840.10008.1.2.4.112',
      contentType: 'image/jxl',
      photometric: 'RGB',
      ...rgb,
      madeWith: 'cjxl -d 1 → djxl',
      lossy: true,
    },
    (t) => run('cjxl', [join(tmp, 'us1.ppm'), t, '-d', '1', '--quiet']),
    viaPnm('djxl', (s, d) => [s, d, '--quiet'], 'ppm'),
  );
  add(
    {
      file: 'ct1-segmentation-1bit.bin',
      syntax: '1.2.840.10008.1.2.1',
      contentType: 'application/octet-stream',
      photometric: 'MONOCHROME2',
      width: W,
      height: H,
      samples: 1,
      bitsAllocated: 1,
      bitsStored: 1,
      signed: false,
      madeWith:
        'packed here from the 8-bit image (over 128), 8 pixels a byte, first in the lowest bit',
      lossy: false,
    },
    (t) => writeFileSync(t, segmentation(grey)),
    (s) => readFileSync(s),
  );
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(join(SYNTAX_FIXTURES, 'index.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** The committed fixtures' index. */
export function syntaxFixtures(): SyntaxFixture[] {
  return JSON.parse(readFileSync(join(SYNTAX_FIXTURES, 'index.json'), 'utf8')) as SyntaxFixture[];
}

if (process.argv[1]?.endsWith('syntax-fixtures.ts')) {
  for (const f of makeSyntaxFixtures()) console.log(`${f.file}: crc32 ${f.crc32} (${f.madeWith})`);
}
