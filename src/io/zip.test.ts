/**
 * Zip bundles checked by Info-ZIP's own `unzip`, the tool a pipeline would use: contents round
 * trip, and an archive of 65,536 entries (past the classic format's 65,535) is accepted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rechunk, zipStream, type ZipEntry } from './zip';

const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

async function writeZip(name: string, entries: Iterable<ZipEntry>): Promise<string> {
  const path = join(dir, name);
  const chunks = await collect(zipStream(entries));
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

function unzip(...args: string[]): string {
  return execFileSync('unzip', args, { encoding: 'latin1', maxBuffer: 1 << 28 });
}

describe('zipStream', () => {
  it('stores files under their paths, byte for byte', async () => {
    const frame = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const path = await writeZip('small.zip', [
      { name: 'ds/set/0123.jph', data: frame },
      { name: 'checksums.csv', data: 'ImageFrameID,CRC32\n0123,42\n' },
    ]);
    expect(unzip('-t', '-qq', path)).toBe('');
    expect(Buffer.from(unzip('-p', path, 'ds/set/0123.jph'), 'latin1').equals(frame)).toBe(true);
    expect(unzip('-p', path, 'checksums.csv')).toBe('ImageFrameID,CRC32\n0123,42\n');
    // store mode: nothing deflated
    expect(unzip('-v', path)).toMatch(/Stored/);
    expect(unzip('-v', path)).not.toMatch(/Defl/);
  });

  it('writes a valid archive of 65,536 entries (ZIP64 end record under 4 GiB)', async () => {
    function* entries(): Generator<ZipEntry> {
      for (let i = 0; i < 65_536; i++) {
        yield { name: `ds/set/${i.toString(16).padStart(32, '0')}.raw`, data: `frame ${i}` };
      }
    }
    const path = await writeZip('many.zip', entries());
    // unzip -t exits non-zero (and execFileSync throws) on a damaged archive
    expect(unzip('-t', '-qq', path)).toBe('');
    expect(unzip('-Z', '-1', path).trim().split('\n')).toHaveLength(65_536);
    expect(unzip('-p', path, `ds/set/${(65_535).toString(16).padStart(32, '0')}.raw`)).toBe(
      'frame 65535',
    );
  }, 120_000);

  it('leaves archives of up to 65,535 entries as client-zip wrote them', async () => {
    const names = Array.from({ length: 65_535 }, (_, i) => `f${i}`);
    const path = await writeZip(
      'edge.zip',
      names.map((name) => ({ name, data: '' })),
    );
    expect(unzip('-t', '-qq', path)).toBe('');
    expect(unzip('-Z', '-1', path).trim().split('\n')).toHaveLength(65_535);
  }, 120_000);
});

describe('rechunk', () => {
  it('regroups small chunks into large ones without losing or reordering bytes', async () => {
    const input = Array.from({ length: 100 }, (_, i) => new Uint8Array(i * 37).fill(i));
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of input) c.enqueue(chunk);
        c.close();
      },
    });
    const out = await collect(source.pipeThrough(rechunk(4096)));
    expect(Buffer.concat(out).equals(Buffer.concat(input))).toBe(true);
    expect(out.slice(0, -1).every((c) => c.length >= 4096)).toBe(true);
    expect(out.length).toBeLessThan(input.length / 2);
  });
});
