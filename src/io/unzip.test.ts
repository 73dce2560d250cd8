/** The zip reader against archives Python's zipfile writes (deflated and stored) and our own. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isZip, unzip } from './unzip';
import { zipStream } from './zip';

const dir = mkdtempSync(join(tmpdir(), 'unzip-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('unzip', () => {
  it('reads what Python’s zipfile writes, deflated and stored, folders left out', async () => {
    const path = join(dir, 'py.zip');
    execFileSync('python3', [
      '-c',
      `import zipfile
z = zipfile.ZipFile(${JSON.stringify(path)}, 'w')
z.writestr('part-1-of-2/', '')
z.writestr('part-1-of-2/a.json', '{"a": ' + '1' * 5000 + '}', zipfile.ZIP_DEFLATED)
z.writestr('b.json', '{"b": 2}', zipfile.ZIP_STORED)
z.close()`,
    ]);
    const bytes = readFileSync(path);
    expect(isZip(bytes)).toBe(true);
    const files = await unzip(new Blob([bytes]), 'py.zip');
    expect(files.map((f) => f.name)).toEqual(['part-1-of-2/a.json', 'b.json']);
    expect(text(files[0]!.data)).toBe(`{"a": ${'1'.repeat(5000)}}`);
    expect(text(files[1]!.data)).toBe('{"b": 2}');
  });

  it('reads our own zips, and refuses a cut one', async () => {
    const blob = await new Response(zipStream([{ name: 'x/y.json', data: '{"y":1}' }])).blob();
    expect((await unzip(blob, 'ours.zip')).map((f) => [f.name, text(f.data)])).toEqual([
      ['x/y.json', '{"y":1}'],
    ]);
    await expect(unzip(blob.slice(0, blob.size - 30), 'cut.zip')).rejects.toThrow(
      /cut\.zip: not a complete zip/,
    );
  });
});
