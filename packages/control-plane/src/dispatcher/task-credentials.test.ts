import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';
import type { AccessKey } from '../testing/signed-client';

// Task role credentials through the real gRPC channel and the real API:
// issued only to the task's own agent, signed requests authorized by the
// role's policy, refused once the task stops.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: FakeAgent;
let other: FakeAgent;
const C = 'roles';
const SV = 'Stevedore_20261125.';

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: C });
  agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: C });
  agent.openSession();
  other = new FakeAgent(h.agentAddress);
  await other.register({ cluster: C });
  await eventually(() => agent.messages.length > 0, 'COMPLETE message');
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:ListClusters', 'ecs:DescribeClusters'], Resource: ['*'] }] };
  assert.equal((await h.call('CreateRole', { roleName: 'app', policyDocument: JSON.stringify(policy) }, `${SV}CreateRole`)).status, 200);
  const container = { name: 'web', image: 'busybox', memory: 16 };
  assert.equal((await h.call('RegisterTaskDefinition', { family: 'with-role', taskRoleArn: 'arn:aws:iam::000000000000:role/app', containerDefinitions: [container] })).status, 200);
  assert.equal((await h.call('RegisterTaskDefinition', { family: 'missing-role', taskRoleArn: 'nobody', containerDefinitions: [container] })).status, 200);
  assert.equal((await h.call('RegisterTaskDefinition', { family: 'no-role', containerDefinitions: [container] })).status, 200);
});
after(async () => {
  agent.close();
  other.close();
  await h.cp.stop();
});

async function start(family: string): Promise<string> {
  const arn = (await h.call('ListContainerInstances', { cluster: C })).body['containerInstanceArns'].find((a: string) => a.endsWith(agent.instanceId));
  const r = await h.call('StartTask', { cluster: C, taskDefinition: family, containerInstances: [arn] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['tasks'][0].taskArn as string;
}

const grpcFailure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return `${(e as { code: number }).code} ${(e as { details: string }).details}`;
  }
  assert.fail('the call succeeded');
};

test('the task\'s own agent gets temporary keys of the task role; the role\'s policy decides; a wrong or missing token is refused', async () => {
  const taskArn = await start('with-role');
  const creds = await agent.getTaskCredentials(taskArn);
  assert.match(creds.access_key_id, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(creds.role_arn, 'arn:aws:iam::000000000000:role/app');
  assert.ok(creds.secret_access_key.length >= 40 && creds.session_token.length > 40);
  const ttl = creds.expiration_ms - Date.now();
  assert.ok(ttl > 0 && ttl <= 6 * 3600_000, `expires within 6 hours (${ttl} ms)`);
  const key: AccessKey = { accessKeyId: creds.access_key_id, secretAccessKey: creds.secret_access_key, sessionToken: creds.session_token };

  const allowed = await h.callAs(key, 'ListClusters', {});
  assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  const denied = await h.callAs(key, 'RunTask', { cluster: C, taskDefinition: 'no-role' });
  assert.equal(denied.status, 400);
  assert.equal(denied.body['__type'], 'AccessDeniedException');
  const taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  assert.match(denied.body['message'], new RegExp(`^User: arn:aws:sts::000000000000:assumed-role/app/${taskId} is not authorized to perform: ecs:RunTask`));

  const noToken = await h.callAs({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, 'ListClusters', {});
  assert.equal(noToken.body['__type'], 'UnrecognizedClientException');
  const wrongToken = await h.callAs({ ...key, sessionToken: `${key.sessionToken}x` }, 'ListClusters', {});
  assert.equal(wrongToken.body['__type'], 'UnrecognizedClientException');

  // A rotation: a new key, and the old one keeps working until it expires.
  const next = await agent.getTaskCredentials(taskArn);
  assert.notEqual(next.access_key_id, creds.access_key_id);
  assert.equal((await h.callAs(key, 'ListClusters', {})).status, 200);

  // Another instance's agent never gets them.
  assert.match(await grpcFailure(other.getTaskCredentials(taskArn)), /^7 .*not assigned to instance/);

  // Stopping the task revokes every key it got.
  assert.equal((await h.call('StopTask', { cluster: C, task: taskArn })).status, 200);
  for (const k of [key, { accessKeyId: next.access_key_id, secretAccessKey: next.secret_access_key, sessionToken: next.session_token }]) {
    const after = await h.callAs(k, 'ListClusters', {});
    assert.equal(after.body['__type'], 'UnrecognizedClientException');
    assert.match(after.body['message'], /task it was issued to has stopped/);
  }
  assert.match(await grpcFailure(agent.getTaskCredentials(taskArn)), /^9 .*stopping or stopped/);
});

test('a task without that role, with a role that does not exist, or an unknown task gets no credentials', async () => {
  assert.match(await grpcFailure(agent.getTaskCredentials(await start('no-role'))), /^9 the task has no taskRoleArn/);
  assert.match(await grpcFailure(agent.getTaskCredentials(await start('missing-role'))), /^9 taskRoleArn nobody: no such role/);
  assert.match(await grpcFailure(agent.getTaskCredentials(await start('with-role'), 'TaskExecution')), /^9 the task has no executionRoleArn/);
  assert.match(await grpcFailure(agent.getTaskCredentials('arn:aws:ecs:us-east-1:000000000000:task/roles/nope')), /^5 unknown task/);
  assert.match(await grpcFailure(agent.getTaskCredentials('x', 'Admin')), /^3 role_type/);
});

test('the control plane issues them under its ECS service-linked role: listed with the roles, scoped, never usable with a key', async () => {
  const roles = (await h.call('ListRoles', {}, `${SV}ListRoles`)).body['roles'] as { roleName: string; serviceLinked?: boolean; arn: string; policyDocument: { Statement: { Action: string[] }[] } }[];
  const ecs = roles.find((r) => r.roleName === 'AWSServiceRoleForECS');
  assert.ok(ecs, 'listed');
  assert.equal(ecs.serviceLinked, true);
  assert.equal(ecs.arn, 'arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS');
  assert.deepEqual(ecs.policyDocument.Statement.flatMap((s) => s.Action).sort(), ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:RegisterTargets', 'sts:AssumeRole']);
  const key = await h.call('CreateAccessKey', { roleName: 'AWSServiceRoleForECS' }, `${SV}CreateAccessKey`);
  assert.equal(key.status, 400);
  assert.match(key.body['message'], /service-linked role/);
  // A task cannot name it (or any built-in role) as its task role: only created roles are issued.
  assert.equal((await h.call('RegisterTaskDefinition', { family: 'slr', taskRoleArn: 'AWSServiceRoleForECS', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 16 }] })).status, 200);
  assert.match(await grpcFailure(agent.getTaskCredentials(await start('slr'))), /^9 taskRoleArn AWSServiceRoleForECS: no such role/);
});
