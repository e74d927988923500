import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import { nfsExportScript } from './commands/file-system-exports';

const FS = { fileSystemId: 'fs-0123456789abcdef0', server: 'nfs.internal', path: '/exports/data', nfsVersion: '4.1', numberOfAccessPoints: 2 };
const APS = [
  { accessPointId: 'fsap-0000000000000000a', fileSystemId: FS.fileSystemId, rootDirectory: { path: '/app' }, posixUser: { uid: 1000, gid: 1001 } },
  { accessPointId: 'fsap-0000000000000000b', fileSystemId: FS.fileSystemId, rootDirectory: { path: '/shared/' } },
];

test('the NFS server script imposes each access point\'s POSIX user with all_squash on its own export, root created as that user', () => {
  const script = nfsExportScript(FS, APS, '10.0.0.0/16');
  assert.match(script, /^install -d -o 1000 -g 1001 -m 0755 \/exports\/data\/app$/m);
  assert.match(script, /^\/exports\/data\/app {2}10\.0\.0\.0\/16\(rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1001\)$/m);
  assert.match(script, /^install -d -m 0755 \/exports\/data\/shared$/m);
  assert.match(script, /^\/exports\/data\/shared {2}10\.0\.0\.0\/16\(rw,sync,no_subtree_check,root_squash\)$/m);
  assert.match(script, /^\/exports\/data {2}10\.0\.0\.0\/16\(rw,sync,no_subtree_check,root_squash\)$/m);
});

test('stevedore fs exports reads the file system and its access points; an unknown id is a usage error', async (t) => {
  const fake = await startFakeEcs({ DescribeFileSystems: () => ({ fileSystems: [FS] }), DescribeAccessPoints: (b) => ({ accessPoints: b['fileSystemId'] === FS.fileSystemId ? APS : [] }) });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['fs', 'exports', FS.fileSystemId, '--clients', '10.0.0.0/16'], io), 0);
  assert.equal(io.out(), nfsExportScript(FS, APS, '10.0.0.0/16'));
  const missing = captureIo({ env });
  assert.notEqual(await run(['fs', 'exports', 'fs-00000000000000000'], missing), 0);
  assert.match(missing.err(), /file system fs-00000000000000000 not found/);
});
