/** The runner's folder on disk: what `remove` does with files, folders, nothing and a refusal. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskFolder } from './diskFolder';

let dir: string | undefined;
afterEach(async () => {
  if (dir) {
    spawnSync('chattr', ['-a', join(dir, 'kept')]);
    await rm(dir, { recursive: true, force: true });
  }
});

describe('DiskFolder remove', () => {
  it('removes a file, a folder with what it holds, and nothing without an error', async () => {
    dir = await mkdtemp(join(tmpdir(), 'disk-folder-'));
    const folder = new DiskFolder(dir);
    await folder.write('a/b/one.bin', new Uint8Array([1]));
    await folder.write('a/two.bin', new Uint8Array([2]));
    await folder.remove('a/two.bin');
    expect(await readdir(join(dir, 'a'))).toEqual(['b']);
    await folder.remove('a');
    expect(await readdir(dir)).toEqual([]);
    await folder.remove('a/missing.bin');
    // A folder removed is made again when a file is written into it.
    await folder.write('a/b/three.bin', new Uint8Array([3]));
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['three.bin']);
  });

  it('says a refused delete as it is (EPERM), not as the ENOTDIR rm makes of it', async (ctx) => {
    dir = await mkdtemp(join(tmpdir(), 'disk-folder-'));
    const folder = new DiskFolder(dir);
    await folder.write('kept/part.bin', new Uint8Array([1]));
    // An append-only folder (root on ext4) deletes nothing, as a bucket mounted without
    // --allow-delete.
    if (spawnSync('chattr', ['+a', join(dir, 'kept')]).status !== 0)
      return ctx.skip('chattr +a needs root on a file system that has it');
    await expect(folder.remove('kept/part.bin')).rejects.toThrow(
      `Writing to ${dir} was refused (EPERM)`,
    );
  });
});
