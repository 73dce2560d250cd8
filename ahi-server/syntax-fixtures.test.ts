/**
 * The committed syntax fixtures against Debian's independent decoders (installed by .ci/run):
 * each codestream still decodes, with opj_decompress, djpeg or djxl, to exactly its committed
 * reference pixels, whose CRC-32 the index (and so the local server's metadata) carries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeIndependently, SYNTAX_FIXTURES, syntaxFixtures } from './syntax-fixtures';

describe('syntax fixtures', () => {
  const fixtures = syntaxFixtures();

  it('cover every syntax AHI stores besides HTJ2K and video', () => {
    expect(new Set(fixtures.map((f) => f.syntax))).toEqual(
      new Set([
        '1.2.840.10008.1.2.4.90',
        '1.2.840.10008.1.2.4.91',
        '1.2.840.10008.1.2.4.50',
        '1.2.840.10008.1.2.4.110',
        '1.2.840.10008.1.2.4.112',
        '1.2.840.10008.1.2.1',
      ]),
    );
  });

  for (const f of fixtures) {
    it(`${f.file}: ${f.madeWith.split('→')[1]?.trim() ?? 'as stored'} gives the committed reference`, () => {
      const pixels = decodeIndependently(f);
      const reference = readFileSync(join(SYNTAX_FIXTURES, f.reference));
      expect(pixels.length).toBe(
        (f.width * f.height * f.samples * Math.max(1, f.bitsAllocated / 8)) /
          (f.bitsAllocated === 1 ? 8 : 1),
      );
      expect(Buffer.compare(Buffer.from(pixels), reference)).toBe(0);
      expect(crc32(reference) >>> 0).toBe(f.crc32);
    });
  }
});
