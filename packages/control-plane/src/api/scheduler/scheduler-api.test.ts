import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { startTestControlPlane, FakeAgent, eventually } from '../../testing/harness';
import type { AccessKey } from '../../testing/signed-client';

/**
 * EventBridge Scheduler through the whole API: REST-JSON requests signed for
 * `scheduler` as the SDKs sign them, scheduler:* authorization on schedule
 * ARNs with iam:PassRole for the target's role, and runs launched through
 * RunTask as the schedule's role (a fake agent is the cluster's host).
 */
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: FakeAgent;
const C = 'sched';
const SV = 'Stevedore_20261125.';
const CLUSTER_ARN = `arn:aws:ecs:us-east-1:000000000000:cluster/${C}`;
let scoped: AccessKey;

async function rest(method: string, path: string, body?: unknown, credentials: AccessKey | undefined = h.admin, service = 'scheduler') {
  const url = new URL(path, h.endpoint);
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', host: url.host, 'amz-sdk-invocation-id': randomUUID() };
  const signer = new SignatureV4({ credentials: credentials!, region: 'us-east-1', service, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: payload });
  const res = await fetch(url, { method, headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')) as Record<string, string>, ...(payload ? { body: payload } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

const target = (role: string, extra: Record<string, unknown> = {}) => ({
  Arn: CLUSTER_ARN,
  RoleArn: `arn:aws:iam::000000000000:role/${role}`,
  EcsParameters: { TaskDefinitionArn: 'job', TaskCount: 1 },
  ...extra,
});

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: C });
  agent = await new FakeAgent(h.agentAddress).connect({ cluster: C });
  assert.equal((await h.call('RegisterTaskDefinition', { family: 'job', containerDefinitions: [{ name: 'job', image: 'busybox', memory: 16 }] })).status, 200);
  const doc = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const roles: [string, unknown[]][] = [
    ['runner', [{ Effect: 'Allow', Action: ['ecs:RunTask'], Resource: [CLUSTER_ARN] }]],
    ['no-run', [{ Effect: 'Allow', Action: ['ecs:DescribeTasks'], Resource: ['*'] }]],
    // A key that may manage only schedules named team-*, and pass only the runner role.
    [
      'team',
      [
        { Effect: 'Allow', Action: ['scheduler:*'], Resource: ['arn:aws:scheduler:*:*:schedule/default/team-*'] },
        { Effect: 'Allow', Action: ['scheduler:ListSchedules'], Resource: ['*'] },
        { Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/runner'] },
      ],
    ],
  ];
  for (const [roleName, statements] of roles) assert.equal((await h.call('CreateRole', { roleName, policyDocument: doc(statements) }, `${SV}CreateRole`)).status, 200);
  scoped = (await h.call('CreateAccessKey', { roleName: 'team' }, `${SV}CreateAccessKey`)).body['accessKey'];
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

test('IAM: scheduler:* on the schedule ARN, iam:PassRole on the target role, both named in the refusal', async () => {
  const body = { ScheduleExpression: 'cron(0 3 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: target('runner') };
  const ok = await rest('POST', '/schedules/team-nightly', body, scoped);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body['ScheduleArn'], 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/team-nightly');
  const other = await rest('POST', '/schedules/ops-nightly', body, scoped);
  assert.equal(other.status, 403);
  assert.equal(other.type, 'AccessDeniedException');
  assert.match(other.body['Message'], /scheduler:CreateSchedule on resource: arn:aws:scheduler:us-east-1:000000000000:schedule\/default\/ops-nightly/);
  const passAdmin = await rest('POST', '/schedules/team-admin', { ...body, Target: target('admin') }, scoped);
  assert.equal(passAdmin.status, 403);
  assert.match(passAdmin.body['Message'], /iam:PassRole on resource: arn:aws:iam::000000000000:role\/admin/);
  // Signed for another service: refused before anything else.
  const wrongScope = await rest('GET', '/schedules/team-nightly', undefined, scoped, 'ecs');
  assert.equal(wrongScope.status, 403);
  assert.equal(wrongScope.type, 'InvalidSignatureException');
  const listed = await rest('GET', '/schedules?NamePrefix=team', undefined, scoped);
  assert.deepEqual(listed.body['Schedules'].map((s: any) => s.Name), ['team-nightly']);
  assert.equal((await rest('DELETE', '/schedules/team-nightly', undefined, scoped)).status, 200);
});

test('semantic checks name the member: expression, time zone, ECS target, Input, flexible window', async () => {
  const base = { ScheduleExpression: 'rate(5 minutes)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: target('runner') };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ScheduleExpression: 'cron(0 3 * * * *)' }, /Invalid Schedule Expression cron\(0 3 \* \* \* \*\): one of day-of-month and day-of-week must be \?/],
    [{ ScheduleExpression: 'rate(0 minutes)' }, /at least 1/],
    [{ ScheduleExpressionTimezone: 'Mars/Olympus' }, /Invalid time zone: Mars\/Olympus/],
    [{ FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, /MaximumWindowInMinutes must be provided/],
    [{ Target: { ...target('runner'), Arn: 'arn:aws:sqs:us-east-1:000000000000:q' } }, /Target.Arn .* is not an ECS cluster ARN/],
    [{ Target: { ...target('runner'), EcsParameters: undefined } }, /EcsParameters must be provided/],
    [{ Target: target('runner', { Input: '[1, 2]' }) }, /Target.Input must be a JSON object/],
    [{ StartDate: 1800000000, EndDate: 1700000000 }, /EndDate must be later than the StartDate/],
    [{ Target: target('runner', { EcsParameters: { TaskDefinitionArn: 'job', Tags: [{ 'stevedore:overlap': 'MAYBE' }] } }) }, /stevedore:overlap tag must be SKIP or ALLOW/],
  ];
  for (const [over, re] of cases) {
    const r = await rest('POST', '/schedules/bad', { ...base, ...over });
    assert.equal(r.status, 400, JSON.stringify(over));
    assert.equal(r.type, 'ValidationException');
    assert.match(r.body['Message'], re);
  }
  assert.equal((await rest('GET', '/schedules/bad')).status, 404);
});

test('a run launches through RunTask as the schedule\'s role: the runner role runs; a role without ecs:RunTask fails the run, not retried', async () => {
  const body = (role: string) => ({ ScheduleExpression: 'rate(1 hour)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: target(role, { Input: JSON.stringify({ containerOverrides: [{ name: 'job', environment: [{ name: 'RUN', value: '1' }] }] }) }) });
  assert.equal((await rest('POST', '/schedules/hourly', body('runner'))).status, 200);
  assert.equal((await rest('POST', '/schedules/denied', body('no-run'))).status, 200);
  const runsOf = async (name: string) => (await h.call('ListScheduleRuns', { name }, `${SV}ListScheduleRuns`)).body;
  const launched = await eventually(async () => {
    const r = await runsOf('hourly');
    return r['runs']?.[0]?.status === 'RUNNING' ? r : undefined;
  }, 'the first run of hourly launched');
  const taskArn = launched['runs'][0].tasks[0].taskArn as string;
  const task = (await h.call('DescribeTasks', { cluster: C, tasks: [taskArn] })).body['tasks'][0];
  assert.equal(task.startedBy, 'schedule/default/hourly');
  assert.deepEqual(task.overrides.containerOverrides[0].environment, [{ name: 'RUN', value: '1' }]);
  assert.ok(launched['nextScheduledTime'] > launched['runs'][0].scheduledTime, 'the next fire time is an hour on');
  const failed = await eventually(async () => {
    const r = await runsOf('denied');
    return r['runs']?.[0]?.status === 'FAILED' ? r['runs'][0] : undefined;
  }, 'the run of denied failed');
  assert.match(failed.reason, /AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/no-run\/denied is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-east-1:000000000000:cluster\/sched/);
  assert.match(failed.reason, /not retryable/);
  assert.equal(failed.attempts, 1);
  // A schedule deleted keeps its runs listed.
  assert.equal((await rest('DELETE', '/schedules/denied')).status, 200);
  assert.equal((await runsOf('denied'))['runs'].length, 1);
  const none = await h.call('ListScheduleRuns', { name: 'never' }, `${SV}ListScheduleRuns`);
  assert.equal(none.body['__type'], 'ResourceNotFoundException');
});

test('schedule groups: default exists and stays; create, tag, list, delete with its schedules', async () => {
  const g = await rest('GET', '/schedule-groups/default');
  assert.equal(g.body['Name'], 'default');
  assert.equal(g.body['State'], 'ACTIVE');
  assert.equal((await rest('DELETE', '/schedule-groups/default')).type, 'ValidationException');
  const created = await rest('POST', '/schedule-groups/batch', { Tags: [{ Key: 'team', Value: 'data' }] });
  assert.equal(created.body['ScheduleGroupArn'], 'arn:aws:scheduler:us-east-1:000000000000:schedule-group/batch');
  assert.equal((await rest('POST', '/schedule-groups/batch', {})).type, 'ConflictException');
  const arn = encodeURIComponent(created.body['ScheduleGroupArn']);
  assert.equal((await rest('POST', `/tags/${arn}`, { Tags: [{ Key: 'env', Value: 'prod' }] })).status, 200);
  assert.equal((await rest('DELETE', `/tags/${arn}?TagKeys=team`)).status, 200);
  assert.deepEqual((await rest('GET', `/tags/${arn}`)).body['Tags'], [{ Key: 'env', Value: 'prod' }]);
  const inGroup = { ScheduleExpression: 'cron(0 3 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: target('runner'), GroupName: 'batch' };
  assert.equal((await rest('POST', '/schedules/in-batch', inGroup)).status, 200);
  assert.equal((await rest('GET', '/schedules/in-batch?groupName=batch')).body['GroupName'], 'batch');
  assert.equal((await rest('GET', '/schedules/in-batch')).status, 404, 'not in the default group');
  assert.deepEqual((await rest('GET', '/schedules?ScheduleGroup=batch')).body['Schedules'].map((s: any) => s.Name), ['in-batch']);
  assert.deepEqual((await rest('GET', '/schedule-groups?NamePrefix=ba')).body['ScheduleGroups'].map((x: any) => x.Name), ['batch']);
  assert.equal((await rest('DELETE', '/schedule-groups/batch')).status, 200);
  assert.equal((await rest('GET', '/schedules/in-batch?groupName=batch')).status, 404);
  assert.equal((await rest('POST', '/schedules/x', inGroup)).type, 'ResourceNotFoundException');
});
