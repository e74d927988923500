import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ephemeralStorageFor, mountOptionsOf, storageQuotaSupport, type StorageFacts } from './storage-quota';

describe('storageQuotaSupport: does Docker enforce --storage-opt size on this host', () => {
  const cases: [string, StorageFacts, boolean, RegExp?][] = [
    ['devicemapper', { driver: 'devicemapper' }, true],
    ['btrfs', { driver: 'btrfs' }, true],
    ['zfs', { driver: 'zfs' }, true],
    ['overlay2 on xfs with prjquota (as the kernel lists it)', { driver: 'overlay2', backingFilesystem: 'xfs', mountOptions: ['rw', 'relatime', 'attr2', 'inode64', 'prjquota'] }, true],
    ['overlay2 on xfs with pquota (as fstab says it)', { driver: 'overlay2', backingFilesystem: 'xfs', mountOptions: ['rw', 'pquota'] }, true],
    ['overlay2 on xfs without project quotas', { driver: 'overlay2', backingFilesystem: 'xfs', mountOptions: ['rw', 'relatime', 'noquota'] }, false, /without project quotas \(mount it with pquota\)/],
    ['overlay2 on xfs with quotas accounted, not enforced', { driver: 'overlay2', backingFilesystem: 'xfs', mountOptions: ['rw', 'pqnoenforce'] }, false, /without project quotas/],
    ['overlay2 on xfs, mount options unknown (remote dockerd)', { driver: 'overlay2', backingFilesystem: 'xfs' }, false, /unknown/],
    ['overlay2 on ext4 (this machine)', { driver: 'overlay2', backingFilesystem: 'extfs', mountOptions: ['rw'] }, false, /overlay2 on extfs: .*xfs mounted with pquota/],
    ['vfs on xfs with pquota', { driver: 'vfs', backingFilesystem: 'xfs', mountOptions: ['prjquota'] }, true],
    ['aufs', { driver: 'aufs' }, false, /storage driver aufs/],
  ];
  for (const [name, facts, enforced, reason] of cases) {
    it(name, () => {
      const s = storageQuotaSupport(facts);
      assert.equal(s.enforced, enforced);
      if (reason && !s.enforced) assert.match(s.reason, reason);
    });
  }
});

describe('mountOptionsOf', () => {
  const mountinfo = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
    '30 22 8:17 / /var/lib/docker rw,noatime shared:9 - xfs /dev/sdb1 rw,attr2,inode64,logbufs=8,prjquota',
    '31 22 8:33 / /var/lib/dockerish rw shared:10 - xfs /dev/sdc1 rw,noquota',
    '40 30 0:50 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw,lowerdir=x',
  ].join('\n');
  it("the longest mount point holding the dir: its mount and superblock options (xfs's prjquota is a superblock option)", () => {
    assert.deepEqual(mountOptionsOf(mountinfo, '/var/lib/docker'), ['rw', 'noatime', 'rw', 'attr2', 'inode64', 'logbufs=8', 'prjquota']);
    assert.ok(mountOptionsOf(mountinfo, '/var/lib/docker/volumes')!.includes('prjquota'));
  });
  it('a sibling with a common prefix is not a parent; the root holds the rest', () => {
    assert.ok(!mountOptionsOf(mountinfo, '/var/lib/dockerd')!.includes('prjquota'));
    assert.deepEqual(mountOptionsOf(mountinfo, '/srv/docker'), ['rw', 'relatime', 'rw', 'errors=remount-ro']);
    assert.equal(mountOptionsOf('', '/var/lib/docker'), undefined);
  });
});

describe('ephemeralStorageFor', () => {
  const fargate = { launchType: 'FARGATE' as const, ephemeralStorageGiB: 21 };
  it('enforced: the size for Docker and a label that says so', () => {
    assert.deepEqual(ephemeralStorageFor(fargate, { enforced: true }), { sizeGiB: 21, label: '21 GiB, enforced (writable layer of each container)' });
  });
  it('not enforced: no size (Docker would refuse the option), the reason in the label', () => {
    const r = ephemeralStorageFor(fargate, { enforced: false, reason: 'storage driver overlay2 on extfs: ...' });
    assert.equal(r?.sizeGiB, undefined);
    assert.equal(r?.label, '21 GiB, not enforced on this host: storage driver overlay2 on extfs: ...');
  });
  it('EC2 tasks, or none given: nothing', () => {
    assert.equal(ephemeralStorageFor({ ephemeralStorageGiB: 21 }, { enforced: true }), undefined);
    assert.equal(ephemeralStorageFor({ launchType: 'FARGATE' }, { enforced: true }), undefined);
  });
});
