import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { ecsError, startFakeEcs } from './testing/fake-ecs-server';

const KEY = { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', roleName: 'deployer', status: 'Active', createDate: 1_795_000_000 };

test('iam create-access-key prints a shared-credentials block (secret on stdout only), list and delete', async (t) => {
  const fake = await startFakeEcs({
    CreateAccessKey: (b) => ({ accessKey: { ...KEY, roleName: b['roleName'], secretAccessKey: 'S'.repeat(40) } }),
    ListAccessKeys: (b) => (b['nextToken'] ? { accessKeys: [{ ...KEY, accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ' }] } : { accessKeys: [KEY], nextToken: 't' }),
    DeleteAccessKey: () => ({ accessKey: KEY }),
  });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['iam', 'create-access-key', '--role', 'deployer', '--profile-name', 'deploy'], io), 0);
  assert.equal(io.out(), `[deploy]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\naws_secret_access_key = ${'S'.repeat(40)}\n`);
  assert.match(io.err(), /shown only now/);
  assert.ok(!io.err().includes('SSSS'), 'the secret never goes to stderr');
  assert.equal(fake.calls[0]!.target, 'Stevedore_20261125.CreateAccessKey');
  assert.deepEqual(fake.calls[0]!.body, { roleName: 'deployer' });

  const list = captureIo({ env });
  assert.equal(await run(['iam', 'list-access-keys'], list), 0);
  assert.match(list.out(), /ACCESS KEY ID\s+ROLE\s+STATUS/);
  assert.match(list.out(), /AKIAABCDEFGHIJKLMNOP\s+deployer\s+Active/);
  assert.match(list.out(), /AKIAZZZZZZZZZZZZZZZZ/);

  const del = captureIo({ env });
  assert.equal(await run(['iam', 'delete-access-key', 'AKIAABCDEFGHIJKLMNOP'], del), 0);
  assert.match(del.out(), /deleted access key AKIAABCDEFGHIJKLMNOP/);
});

test('iam create-role sends the policy file as text; list-roles summarises statements; API errors exit 254', async (t) => {
  const policy = '{"Statement":[{"Effect":"Allow","Action":["ecs:RunTask"],"Resource":["arn:aws:ecs:*:*:cluster/prod"]}]}';
  const role = { roleName: 'deployer', arn: 'arn:aws:iam::000000000000:role/deployer', builtIn: false, policyDocument: JSON.parse(policy) };
  const fake = await startFakeEcs({
    CreateRole: (b) => (b['roleName'] === 'taken' ? ecsError('ResourceInUseException', 'Role with name taken already exists.') : { role }),
    ListRoles: () => ({ roles: [{ ...role, roleName: 'admin', builtIn: true, policyDocument: { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] } }, role] }),
  });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env, files: { 'p.json': policy } });
  assert.equal(await run(['iam', 'create-role', 'deployer', '--policy', 'p.json'], io), 0);
  assert.equal(fake.calls[0]!.body['policyDocument'], policy);
  assert.match(io.out(), /created role deployer .*\nAllow ecs:RunTask on arn:aws:ecs:\*:\*:cluster\/prod/);
  const taken = captureIo({ env, files: { 'p.json': policy } });
  assert.equal(await run(['iam', 'create-role', 'taken', '--policy', 'p.json'], taken), 254);
  assert.match(taken.err(), /ResourceInUseException/);
  const badFile = captureIo({ env, files: { 'p.json': '{' } });
  assert.equal(await run(['iam', 'create-role', 'x', '--policy', 'p.json'], badFile), 2);
  const list = captureIo({ env });
  assert.equal(await run(['iam', 'list-roles'], list), 0);
  assert.match(list.out(), /admin\s+yes\s+Allow \* on \*/);
});

test('iam put-role-permissions-boundary sends the boundary file as text; delete-role-permissions-boundary removes it', async (t) => {
  const boundary = '{"Statement":[{"Effect":"Deny","Action":["elasticloadbalancing:RegisterTargets"],"Resource":["*"]}]}';
  const role = { roleName: 'AWSServiceRoleForECS', arn: 'arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS', builtIn: true, policyDocument: { Statement: [] } };
  const fake = await startFakeEcs({ PutRolePermissionsBoundary: () => ({ role }), DeleteRolePermissionsBoundary: () => ({ role }) });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const put = captureIo({ env, files: { 'b.json': boundary } });
  assert.equal(await run(['iam', 'put-role-permissions-boundary', 'AWSServiceRoleForECS', '--policy', 'b.json'], put), 0);
  assert.equal(fake.calls[0]!.target, 'Stevedore_20261125.PutRolePermissionsBoundary');
  assert.deepEqual(fake.calls[0]!.body, { roleName: 'AWSServiceRoleForECS', permissionsBoundary: boundary });
  assert.match(put.out(), /set the permissions boundary of AWSServiceRoleForECS/);
  const del = captureIo({ env });
  assert.equal(await run(['iam', 'delete-role-permissions-boundary', 'AWSServiceRoleForECS'], del), 0);
  const listed = await startFakeEcs({ ListRoles: () => ({ roles: [{ ...role, policyDocument: { Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }] }, permissionsBoundary: JSON.parse(boundary) }] }) });
  t.after(() => listed.close());
  const list = captureIo({ env: { STEVEDORE_ENDPOINT: listed.endpoint } });
  assert.equal(await run(['iam', 'list-roles'], list), 0);
  assert.match(list.out(), /Allow sts:AssumeRole on \*.*\n\s+boundary: Deny elasticloadbalancing:RegisterTargets on \*/);
  assert.match(del.out(), /removed the permissions boundary of AWSServiceRoleForECS/);
});
