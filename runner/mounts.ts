/**
 * Whether the output folder is on a Mountpoint for Amazon S3 mount, read from the kernel's mount
 * table (/proc/self/mountinfo): Mountpoint mounts its FUSE file system under the name
 * `mountpoint-s3`. Such a folder writes each file once, from its start, and neither renames nor
 * appends (awslabs/mountpoint-s3 doc/SEMANTICS.md), so the runner writes it that way (see
 * DiskFolder's `inPlace` and the journal's segments).
 */
import { readFile, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** One line of /proc/self/mountinfo: where it is mounted, its type and source. */
interface Mount {
  at: string;
  type: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash in paths as octal (`\040`). */
const unescape = (path: string) =>
  path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** The mounts a mountinfo text lists (proc(5): fields, then ` - `, type, source, options). */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const at = before.split(' ')[4];
    const [type, source] = after.split(' ');
    if (at && type && source) mounts.push({ at: unescape(at), type, source: unescape(source) });
  }
  return mounts;
}

/** The mount that holds `path` (an absolute path with no symbolic links): the deepest one. */
export function mountOf(path: string, mounts: Mount[]): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const inside = m.at === '/' || path === m.at || path.startsWith(`${m.at}/`);
    // The later of two mounts at one place is the one seen there.
    if (inside && (!best || m.at.length >= best.at.length)) best = m;
  }
  return best;
}

/** Whether a mount is Mountpoint for Amazon S3's. */
export const isMountpointS3 = (m: Mount | undefined): boolean =>
  m !== undefined && m.type.startsWith('fuse') && m.source === 'mountpoint-s3';

/** The folder itself, or the nearest of its parents that exists, with its links resolved. */
async function existing(dir: string): Promise<string> {
  let path = resolve(dir);
  for (;;) {
    try {
      return await realpath(path);
    } catch {
      const up = dirname(path);
      if (up === path) return path;
      path = up;
    }
  }
}

/** Whether `dir` (made or not yet) lies on a Mountpoint for Amazon S3 mount; false off Linux. */
async function onMountpointS3(dir: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  return isMountpointS3(mountOf(await existing(dir), parseMountinfo(text)));
}

/**
 * Whether `dir` is written in place: --mountpoint says so, or it lies on a Mountpoint for Amazon
 * S3 mount (which `log` is told, when given).
 */
export async function writesInPlace(
  flag: boolean,
  dir: string,
  log?: (level: string, message: string) => void,
): Promise<boolean> {
  if (flag) return true;
  if (!(await onMountpointS3(dir))) return false;
  log?.(
    'INFO',
    `${dir} is on Mountpoint for Amazon S3: each file is written in place, the journal in segments`,
  );
  return true;
}
