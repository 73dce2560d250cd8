/**
 * The runner's folder on disk: what `remove` does with files, folders, nothing and a refusal; what
 * an in-place write (Mountpoint for Amazon S3) leaves when it is refused.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

describe('DiskFolder in place', () => {
  it('leaves a file it may not replace as it was (refused at the open: nothing written)', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root, to run the write as another user');
    // A read-only file in a folder its owner may write (as a bucket mounted with --allow-delete
    // but not --allow-overwrite): the open is refused, a delete would not be.
    const nobody = 65534;
    dir = await mkdtemp(join(tmpdir(), 'disk-folder-'));
    const kept = join(dir, 'kept.bin');
    await writeFile(kept, 'intact');
    await chown(dir, nobody, nobody);
    await chown(kept, nobody, nobody);
    await chmod(kept, 0o444);
    const module = new URL('./diskFolder.ts', import.meta.url).href;
    const script = `
      const { DiskFolder } = await import(${JSON.stringify(module)});
      try {
        await new DiskFolder(${JSON.stringify(dir)}, true).write('kept.bin', 'replaced');
        console.log('written');
      } catch (e) {
        console.log(e.message);
      }`;
    const ran = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        uid: nobody,
        gid: nobody,
        encoding: 'utf8',
      },
    );
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(
      `${dir} refused to replace ${kept} (EACCES): a bucket mounted by Mountpoint for Amazon S3 replaces files only when mounted with --allow-overwrite.`,
    );
    expect(await readFile(kept, 'utf8')).toBe('intact');
  });
});
