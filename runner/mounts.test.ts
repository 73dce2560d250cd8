import { describe, expect, it } from 'vitest';
import { isMountpointS3, mountOf, parseMountinfo } from './mounts';

// A mount table as Linux writes it, with a Mountpoint for Amazon S3 mount of a bucket at
// /data/s3 and a path with a space (mountinfo writes it as \040).
const MOUNTINFO = [
  '27 1 0:25 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
  '30 27 8:1 / /data rw,relatime shared:5 - ext4 /dev/sda1 rw',
  '41 30 0:44 / /data/s3 rw,nosuid,nodev,noatime shared:20 - fuse mountpoint-s3 rw,user_id=0,group_id=0,default_permissions,allow_other',
  '42 30 0:45 / /data/my\\040disk rw - fuse.sshfs user@host:/x rw',
  '',
].join('\n');

describe('finding a Mountpoint for Amazon S3 mount', () => {
  const mounts = parseMountinfo(MOUNTINFO);

  it('reads where each mount is, its type and source', () => {
    expect(mounts.map((m) => [m.at, m.type, m.source])).toEqual([
      ['/', 'overlay', 'overlay'],
      ['/data', 'ext4', '/dev/sda1'],
      ['/data/s3', 'fuse', 'mountpoint-s3'],
      ['/data/my disk', 'fuse.sshfs', 'user@host:/x'],
    ]);
  });

  it('takes the deepest mount holding a path, not one whose name merely begins alike', () => {
    expect(isMountpointS3(mountOf('/data/s3', mounts))).toBe(true);
    expect(isMountpointS3(mountOf('/data/s3/out/shard-1', mounts))).toBe(true);
    expect(isMountpointS3(mountOf('/data/s3x/out', mounts))).toBe(false);
    expect(mountOf('/data/s3x/out', mounts)?.at).toBe('/data');
    expect(isMountpointS3(mountOf('/data/my disk/out', mounts))).toBe(false);
    expect(mountOf('/tmp/out', mounts)?.at).toBe('/');
  });
});
