import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskAssignment } from '@stevedore/core';
import { startTestControlPlane } from '../testing/harness';
import { resolveEfsVolumes } from '../dispatcher/efs-volumes';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const T = 'Stevedore_20261125.';
const call = (op: string, body: unknown) => h.call(op, body, `${T}${op}`);

before(async () => {
  h = await startTestControlPlane();
});
after(async () => {
  await h.cp.stop();
});

test('file systems: validated (nothing can be smuggled into the NFS options), idempotent by creation token, access points, delete rules', async () => {
  for (const [body, field] of [
    [{ server: 'nfs.local,port=1' }, 'server'],
    [{ server: 'nfs.local', path: 'relative' }, 'path'],
    [{ server: 'nfs.local', path: '/a,b' }, 'path'],
    [{ server: 'nfs.local', path: '/a/../etc' }, 'path'],
    [{ server: 'nfs.local', mountOptions: 'addr=10.0.0.1' }, 'mountOptions'],
    [{ server: 'nfs.local', mountOptions: 'noatime,x y' }, 'mountOptions'],
    [{ server: 'nfs.local', nfsVersion: '5' }, 'nfsVersion'],
  ] as const) {
    const r = await call('CreateFileSystem', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body['message'], new RegExp(field), JSON.stringify(r.body));
  }
  const fs = await call('CreateFileSystem', { server: '10.0.0.5', path: '/exports/a', creationToken: 'one', mountOptions: 'noatime,actimeo=30' });
  assert.equal(fs.status, 200, JSON.stringify(fs.body));
  assert.match(fs.body['fileSystemId'], /^fs-[0-9a-f]{17}$/);
  assert.equal(fs.body['fileSystemArn'], `arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/${fs.body['fileSystemId']}`);
  assert.equal(fs.body['nfsVersion'], '4.1');
  assert.equal((await call('CreateFileSystem', { server: '10.0.0.5', path: '/exports/a', creationToken: 'one' })).body['fileSystemId'], fs.body['fileSystemId'], 'same token, same file system');
  assert.equal((await call('CreateFileSystem', { server: '10.0.0.6', creationToken: 'one' })).body['__type'], 'ResourceInUseException');
  const id = fs.body['fileSystemId'] as string;
  assert.equal((await call('CreateAccessPoint', { fileSystemId: id, rootDirectory: { path: '/../x' } })).status, 400);
  const ap = await call('CreateAccessPoint', { fileSystemId: id, rootDirectory: { path: '/app' }, posixUser: { uid: 1000, gid: 1000 } });
  assert.equal(ap.status, 200, JSON.stringify(ap.body));
  assert.equal((await call('DescribeAccessPoints', { fileSystemId: id })).body['accessPoints'].length, 1);
  assert.equal((await call('DescribeFileSystems', { fileSystemId: 'fs-00000000000000000' })).body['__type'], 'ResourceNotFoundException');
  assert.equal((await call('DeleteFileSystem', { fileSystemId: id })).body['__type'], 'ResourceInUseException', 'access points first');

  // What the agent receives for a task's efsVolumeConfiguration volumes.
  const task = (volumes: TaskAssignment['volumes']) => ({ volumes, desiredStatus: 'RUNNING' }) as unknown as TaskAssignment;
  const store = h.cp.store;
  assert.deepEqual(resolveEfsVolumes(store, task([{ name: 'v', efsVolumeConfiguration: { fileSystemId: id, authorizationConfig: { accessPointId: ap.body['accessPointId'] } } }])), [
    { name: 'v', fileSystemId: id, server: '10.0.0.5', path: '/exports/a/app', nfsVersion: '4.1', mountOptions: 'noatime,actimeo=30', transitEncryption: 'DISABLED' },
  ]);
  assert.equal(resolveEfsVolumes(store, task([{ name: 'v', efsVolumeConfiguration: { fileSystemId: id, rootDirectory: '/x/../../etc' } }]))![0]!.error?.includes("without '..'"), true);
  assert.match(resolveEfsVolumes(store, task([{ name: 'v', efsVolumeConfiguration: { fileSystemId: 'fs-00000000000000001' } }]))![0]!.error!, /is not registered/);
  assert.match(resolveEfsVolumes(store, task([{ name: 'v', efsVolumeConfiguration: { fileSystemId: id, authorizationConfig: { accessPointId: 'fsap-00000000000000000' } } }]))![0]!.error!, /access point .* does not exist/);

  // authorizationConfig.iam ENABLED: the task role's policy decides (ClientMount to mount, ClientWrite or the mount is read-only).
  const fsArn = `arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/${id}`;
  const mk = async (roleName: string, actions: string[]) =>
    assert.equal((await call('CreateRole', { roleName, policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: actions, Resource: [fsArn] }] }) })).status, 200);
  await mk('efs-rw', ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
  await mk('efs-ro', ['elasticfilesystem:ClientMount']);
  await mk('efs-none', ['elasticfilesystem:DescribeFileSystems']);
  const iamTask = (taskRoleArn: string | undefined) =>
    ({ ...task([{ name: 'v', efsVolumeConfiguration: { fileSystemId: id, transitEncryption: 'ENABLED', authorizationConfig: { iam: 'ENABLED' } } }]), ...(taskRoleArn ? { taskRoleArn } : {}) }) as TaskAssignment;
  assert.equal(resolveEfsVolumes(store, iamTask('efs-rw'))![0]!.mountOptions, 'noatime,actimeo=30');
  assert.equal(resolveEfsVolumes(store, iamTask('arn:aws:iam::000000000000:role/efs-ro'))![0]!.mountOptions, 'noatime,actimeo=30,ro');
  assert.match(
    resolveEfsVolumes(store, iamTask('efs-none'))![0]!.mountError!,
    /^failed to invoke EFS utils commands to set up EFS volumes: stderr: mount\.nfs4: access denied by server while mounting [^ ]+ \(volume v: the task role efs-none is not authorized to perform: elasticfilesystem:ClientMount on resource: arn:aws:elasticfilesystem:[^)]+\) : unsuccessful EFS utils command execution; code: 32$/,
  );
  assert.match(resolveEfsVolumes(store, iamTask(undefined))![0]!.error!, /no task role/);

  assert.equal((await call('DeleteAccessPoint', { accessPointId: ap.body['accessPointId'] })).status, 200);
  assert.equal((await call('DeleteFileSystem', { fileSystemId: id })).status, 200);
});
