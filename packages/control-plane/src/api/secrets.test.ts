import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromWireAssignment, secretsOfWire } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';
import { parseValueFrom } from '../dispatcher/task-secrets';

const SM = 'secretsmanager';
const VALUE = 'hunter2-but-much-longer-0123456789';
const REGISTRY = JSON.stringify({ username: 'robot', password: 'registry-pass-9876543210' });

let dir: string;
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
  h = await startTestControlPlane({ dataDir: dir });
  await h.call('CreateCluster', { clusterName: 's' });
  // The execution role the agent reads the secrets as: its policy is checked at each read.
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['*'] }] };
  assert.equal((await h.call('CreateRole', { roleName: 'app-exec', policyDocument: JSON.stringify(policy) }, 'Stevedore_20261125.CreateRole')).status, 200);
});
after(async () => {
  await h.cp.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sm = (op: string, body: unknown) => h.call(op, body, `${SM}.${op}`);

test('the Secrets Manager operations: create, get, put, describe, list, delete, with its error names', async () => {
  const created = await sm('CreateSecret', { Name: 'app/db-password', SecretString: VALUE, Description: 'db' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.match(created.body['ARN'], /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/db-password-[A-Za-z0-9]{6}$/);
  const arn = created.body['ARN'] as string;
  assert.equal((await sm('CreateSecret', { Name: 'app/db-password', SecretString: 'x' })).body['__type'], 'ResourceExistsException');
  for (const id of ['app/db-password', arn, arn.slice(0, -7)]) {
    const got = await sm('GetSecretValue', { SecretId: id });
    assert.equal(got.body['SecretString'], VALUE, id);
    assert.deepEqual(got.body['VersionStages'], ['AWSCURRENT']);
  }
  const put = await sm('PutSecretValue', { SecretId: 'app/db-password', SecretString: `${VALUE}-2` });
  assert.notEqual(put.body['VersionId'], created.body['VersionId']);
  assert.equal((await sm('GetSecretValue', { SecretId: arn })).body['SecretString'], `${VALUE}-2`);
  const desc = await sm('DescribeSecret', { SecretId: arn });
  assert.equal(desc.body['Description'], 'db');
  assert.deepEqual(desc.body['VersionIdsToStages'], { [put.body['VersionId']]: ['AWSCURRENT'] });
  assert.ok(!JSON.stringify(desc.body).includes(VALUE));
  const list = await sm('ListSecrets', {});
  assert.deepEqual(list.body['SecretList'].map((s: { Name: string }) => s.Name), ['app/db-password']);
  assert.ok(!JSON.stringify(list.body).includes(VALUE));

  assert.equal((await sm('GetSecretValue', { SecretId: 'nope' })).body['__type'], 'ResourceNotFoundException');
  assert.equal((await sm('CreateSecret', { Name: 'bad name!', SecretString: 'x' })).body['__type'], 'InvalidParameterException');
  assert.equal((await sm('CreateSecret', { Name: 'b', SecretBinary: 'AAAA' })).body['__type'], 'InvalidParameterException');
  assert.equal((await sm('CreateSecret', { Name: 'big', SecretString: 'x'.repeat(65_537) })).body['__type'], 'InvalidParameterException');

  const del = await sm('DeleteSecret', { SecretId: 'app/db-password', RecoveryWindowInDays: 7 });
  assert.ok(del.body['DeletionDate'] > Date.now() / 1000 + 6 * 86_400);
  assert.equal((await sm('GetSecretValue', { SecretId: arn })).body['__type'], 'InvalidRequestException');
  assert.equal((await sm('ListSecrets', {})).body['SecretList'].length, 0);
  await sm('DeleteSecret', { SecretId: arn, ForceDeleteWithoutRecovery: true });
  assert.equal((await sm('DescribeSecret', { SecretId: arn })).body['__type'], 'ResourceNotFoundException');
});

test('valueFrom: names, ARNs and the ECS json-key suffix; SSM parameters by ARN', () => {
  assert.deepEqual(parseValueFrom('db'), { kind: 'secretsmanager', id: 'db' });
  assert.deepEqual(parseValueFrom('db:password::'), { kind: 'secretsmanager', id: 'db', jsonKey: 'password' });
  const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf';
  assert.deepEqual(parseValueFrom(arn), { kind: 'secretsmanager', id: arn });
  assert.deepEqual(parseValueFrom(`${arn}:user:AWSCURRENT:`), { kind: 'secretsmanager', id: arn, jsonKey: 'user', stage: 'AWSCURRENT' });
  assert.deepEqual(parseValueFrom('arn:aws:ssm:us-east-1:1:parameter/x'), { kind: 'ssm', name: 'x' });
});

test('a task\'s secrets go only to its agent, beside the spec; never in Describe responses, labels or the database file', async () => {
  await sm('CreateSecret', { Name: 'token', SecretString: VALUE });
  await sm('CreateSecret', { Name: 'json', SecretString: JSON.stringify({ user: 'admin', pass: 'json-pass-value-42' }) });
  const reg = await sm('CreateSecret', { Name: 'registry', SecretString: REGISTRY });
  const td = await h.call('RegisterTaskDefinition', {
    family: 'sec',
    executionRoleArn: 'app-exec',
    containerDefinitions: [
      {
        name: 'app',
        image: 'registry.example/app:1',
        memory: 32,
        repositoryCredentials: { credentialsParameter: reg.body['ARN'] },
        secrets: [
          { name: 'TOKEN', valueFrom: 'token' },
          { name: 'JSON_PASS', valueFrom: 'json:pass::' },
        ],
      },
    ],
  });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  const agent = await new FakeAgent(h.agentAddress).connect({ cluster: 's' });
  const run = await h.call('RunTask', { cluster: 's', taskDefinition: 'sec' });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const taskArn = run.body['tasks'][0].taskArn as string;
  const wire = await eventually(() => agent.messages.flatMap((m) => m.assignments).find((w) => w.task_arn === taskArn), 'assignment');
  assert.deepEqual(secretsOfWire(wire), {
    environment: [
      { container: 'app', name: 'TOKEN', value: VALUE },
      { container: 'app', name: 'JSON_PASS', value: 'json-pass-value-42' },
    ],
    registryAuth: [{ container: 'app', username: 'robot', password: 'registry-pass-9876543210' }],
  });
  assert.ok(wire.spec && !JSON.stringify(wire.spec).includes(VALUE) && !JSON.stringify(wire.spec).includes('registry-pass'), 'not in the spec the agent journals');
  assert.deepEqual(fromWireAssignment(wire).containers[0]!.secrets, [{ name: 'TOKEN', valueFrom: 'token' }, { name: 'JSON_PASS', valueFrom: 'json:pass::' }]);

  const responses = JSON.stringify([
    await h.call('DescribeTasks', { cluster: 's', tasks: [taskArn] }),
    await h.call('DescribeTaskDefinition', { taskDefinition: 'sec' }),
    run,
  ]);
  for (const v of [VALUE, 'json-pass-value-42', 'registry-pass-9876543210']) assert.ok(!responses.includes(v), `${v} in an API response`);

  // Missing secret: the agent is told why, in ECS's words.
  await h.call('RegisterTaskDefinition', { family: 'missing', executionRoleArn: 'app-exec', containerDefinitions: [{ name: 'app', image: 'img', memory: 32, secrets: [{ name: 'X', valueFrom: 'does-not-exist' }] }] });
  const miss = await h.call('RunTask', { cluster: 's', taskDefinition: 'missing' });
  const missArn = miss.body['tasks'][0].taskArn as string;
  const missWire = await eventually(() => agent.messages.flatMap((m) => m.assignments).find((w) => w.task_arn === missArn), 'assignment');
  assert.match(secretsOfWire(missWire)!.error!, /^unable to pull secrets or registry auth: .*does-not-exist/);
  agent.close();

  // At rest: sealed. Neither the database nor its WAL/SHM holds a value in the clear.
  h.cp.store.db.pragma('wal_checkpoint(PASSIVE)');
  for (const f of ['stevedore.db', 'stevedore.db-wal', 'stevedore.db-shm']) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) continue;
    const raw = fs.readFileSync(file);
    for (const v of [VALUE, 'json-pass-value-42', 'registry-pass-9876543210', Buffer.from(VALUE).toString('base64').slice(0, 20)]) assert.equal(raw.indexOf(v), -1, `${v} in ${f}`);
  }
});
