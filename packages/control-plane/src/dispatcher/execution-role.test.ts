import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { secretsOfWire, type PutLogEventsResponse, type WireAssignment } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';

// The execution role decides what the agent may read and write for a task,
// at the moment it does: secrets, environment files, registry credentials
// and awslogs lines, over the real gRPC channel and the real API.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: FakeAgent;
const C = 'exec';
const SV = 'Stevedore_20261125.';
const arns: Record<string, string> = {};

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: C });
  for (const name of ['exec/a', 'exec/b', 'exec/registry']) {
    const r = await h.call('CreateSecret', { Name: name, SecretString: name === 'exec/registry' ? '{"username":"u","password":"p"}' : `value-of-${name}` }, 'secretsmanager.CreateSecret');
    arns[name] = r.body['ARN'];
  }
  const role = (roleName: string, statements: unknown[]) => h.call('CreateRole', { roleName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }, `${SV}CreateRole`);
  await role('exec-a', [
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:*:*:secret:exec/a-??????'] },
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['arn:aws:logs:*:*:log-group:/exec/allowed*'] },
  ]);
  agent = await new FakeAgent(h.agentAddress).connect({ cluster: C });
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

async function wireOf(family: string, container: Record<string, unknown>, executionRoleArn = 'exec-a'): Promise<WireAssignment> {
  const td = await h.call('RegisterTaskDefinition', { family, executionRoleArn, containerDefinitions: [{ name: 'app', image: 'img', memory: 16, ...container }] });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  const run = await h.call('RunTask', { cluster: C, taskDefinition: family });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const taskArn = run.body['tasks'][0].taskArn as string;
  return eventually(() => agent.messages.flatMap((m) => m.assignments).find((w) => w.task_arn === taskArn), `assignment of ${family}`);
}

test('a secret the execution role may read is delivered; one it may not read fails the task with ECS\'s AccessDeniedException text', async () => {
  const ok = await wireOf('read-a', { secrets: [{ name: 'A', valueFrom: 'exec/a' }] });
  assert.deepEqual(secretsOfWire(ok)?.environment, [{ container: 'app', name: 'A', value: 'value-of-exec/a' }]);

  const denied = await wireOf('read-b', { secrets: [{ name: 'A', valueFrom: 'exec/a' }, { name: 'B', valueFrom: arns['exec/b']! }] });
  const s = secretsOfWire(denied)!;
  assert.deepEqual(s.environment, [], 'nothing delivered, not even what was allowed');
  const taskId = denied.task_arn.split('/').pop();
  assert.equal(
    s.error,
    `unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret ${arns['exec/b']} from secrets manager: ` +
      `AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/exec-a/${taskId} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arns['exec/b']} ` +
      'because no identity-based policy allows the secretsmanager:GetSecretValue action (container app secrets[1] (B))',
  );
});

test('environment files, registry credentials and SSM parameters are read as the execution role too', async () => {
  const files = secretsOfWire(await wireOf('files-b', { environmentFiles: [{ value: arns['exec/b']!, type: 's3' }] }))!;
  assert.match(files.error!, /unable to retrieve secret from asm: .*AccessDeniedException: .*secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:[^ ]*exec\/b-.* \(container app environmentFiles\[0\]\)$/);
  const registry = secretsOfWire(await wireOf('registry', { image: 'registry.example/app:1', repositoryCredentials: { credentialsParameter: arns['exec/registry']! } }))!;
  assert.match(registry.error!, /^unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: asm fetching secret from the service for .*exec\/registry.*: AccessDeniedException: /);
  const ssm = secretsOfWire(await wireOf('ssm', { secrets: [{ name: 'P', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/app/p' }] }))!;
  assert.match(ssm.error!, /unable to retrieve secrets from ssm: AccessDeniedException: .*ssm:GetParameters on resource: arn:aws:ssm:[^ ]+:parameter\/app\/p /);
});

test('an execution role that does not exist (or is a built-in role) cannot be assumed: the task fails to start, saying so', async () => {
  for (const [family, ref] of [['ghost', 'no-such-exec'], ['admin-exec', 'admin']] as const) {
    const s = secretsOfWire(await wireOf(family, { secrets: [{ name: 'A', valueFrom: 'exec/a' }] }, ref))!;
    assert.match(s.error!, new RegExp(`^unable to pull secrets or registry auth: execution resource retrieval failed: unable to assume the task execution role ${ref}: no such role`));
  }
});

test('awslogs lines are written as the execution role: a group outside its policy is AccessDeniedException for the agent', async () => {
  const awslogs = (group: string) => ({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' } } });
  await h.call('CreateLogGroup', { logGroupName: '/exec/allowed' }, 'Logs_20140328.CreateLogGroup');
  await h.call('CreateLogGroup', { logGroupName: '/exec/other' }, 'Logs_20140328.CreateLogGroup');
  const put = (w: WireAssignment, group: string) =>
    new Promise<PutLogEventsResponse>((resolve, reject) =>
      (agent.client as unknown as Record<string, Function>)['PutLogEvents']!(
        { session_id: agent.sessionId, batches: [{ task_arn: w.task_arn, container_name: 'app', log_group: group, log_stream: `p/app/${w.task_arn.split('/').pop()}`, create_group: false, events: [] }] },
        agent.metadata(),
        (e: unknown, r: PutLogEventsResponse) => (e ? reject(e) : resolve(r)),
      ),
    );
  const allowed = await wireOf('logs-allowed', awslogs('/exec/allowed'));
  assert.deepEqual((await put(allowed, '/exec/allowed')).results, [{ error_code: '', error_message: '' }]);
  const other = await wireOf('logs-other', awslogs('/exec/other'));
  const [r] = (await put(other, '/exec/other')).results;
  assert.equal(r!.error_code, 'AccessDeniedException');
  assert.match(r!.error_message, /^User: arn:aws:sts::000000000000:assumed-role\/exec-a\/[0-9a-f]+ is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:[^:]+:000000000000:log-group:\/exec\/other because/);
});

test('a permissions boundary on AWSServiceRoleForECS that denies assuming the role stops the reads, at once', async () => {
  const boundary = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }, { Effect: 'Deny', Action: ['sts:AssumeRole'], Resource: ['arn:aws:iam::*:role/exec-a'] }] };
  assert.equal((await h.call('PutRolePermissionsBoundary', { roleName: 'AWSServiceRoleForECS', permissionsBoundary: boundary }, `${SV}PutRolePermissionsBoundary`)).status, 200);
  const s = secretsOfWire(await wireOf('bounded', { secrets: [{ name: 'A', valueFrom: 'exec/a' }] }))!;
  assert.match(s.error!, /unable to assume the task execution role arn:aws:iam::000000000000:role\/exec-a: AWSServiceRoleForECS may not assume it/);
  assert.equal((await h.call('DeleteRolePermissionsBoundary', { roleName: 'AWSServiceRoleForECS' }, `${SV}DeleteRolePermissionsBoundary`)).status, 200);
  assert.deepEqual(secretsOfWire(await wireOf('unbounded', { secrets: [{ name: 'A', valueFrom: 'exec/a' }] }))?.environment, [{ container: 'app', name: 'A', value: 'value-of-exec/a' }]);
});
