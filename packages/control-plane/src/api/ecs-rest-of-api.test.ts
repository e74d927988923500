/**
 * The rest of the ECS API that tools call: deployment history
 * (ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions),
 * DeleteTaskDefinitions, account settings, UpdateCluster, DescribeTaskSets,
 * ListTasks/ListServices launchType filters, unknown members ignored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';
import pino from 'pino';
import { TaskReaper } from '../retention/task-reaper';

/** The retention pass's DeleteTaskDefinitions sweep, run on demand. */
const sweep = () => new TaskReaper(h.cp.store, pino({ level: 'silent' })).reapDeletedTaskDefinitions();

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: SimAgent;
const cluster = 'rest';
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: cluster });
  agent = new SimAgent(h.agentAddress, { cluster, ec2InstanceId: 'host-0', zone: 'a' });
  await agent.start();
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

const ok = async (op: string, body: unknown) => {
  const r = await h.call(op, body);
  assert.equal(r.status, 200, `${op}: ${JSON.stringify(r.body)}`);
  return r.body as Record<string, any>;
};
const td = (family: string, extra: Record<string, unknown> = {}) => ok('RegisterTaskDefinition', { family, containerDefinitions: [{ name: 'web', image: 'img', memory: 64, ...extra }] });

async function rolloutOf(service: string, id: string): Promise<string> {
  const s = (await ok('DescribeServices', { cluster, services: [service] })).services[0];
  return s.deployments.find((d: any) => d.id === id)?.rolloutState ?? 'GONE';
}

test('deployment history: each deployment with its ECS status, revisions with their configuration', async () => {
  const v1 = (await td('hist')).taskDefinition.taskDefinitionArn as string;
  const v2 = (await td('hist', { environment: [{ name: 'V', value: '2' }] })).taskDefinition.taskDefinitionArn as string;
  const created = await ok('CreateService', { cluster, serviceName: 'hist', taskDefinition: v1, desiredCount: 1 });
  const first = created.service.deployments[0].id as string;
  await eventually(async () => (await rolloutOf('hist', first)) === 'COMPLETED', 'first deployment COMPLETED', 15_000);
  const updated = await ok('UpdateService', { cluster, service: 'hist', taskDefinition: v2 });
  const second = updated.service.deployments.find((d: any) => d.status === 'PRIMARY').id as string;
  await eventually(async () => (await rolloutOf('hist', second)) === 'COMPLETED', 'second deployment COMPLETED', 15_000);

  const list = await ok('ListServiceDeployments', { cluster, service: 'hist' });
  const briefs = list.serviceDeployments as any[];
  assert.deepEqual(briefs.map((b) => b.status), ['SUCCESSFUL', 'SUCCESSFUL']);
  assert.match(briefs[0].serviceDeploymentArn, new RegExp(`^arn:aws:ecs:us-east-1:000000000000:service-deployment/${cluster}/hist/${second.split('/')[1]}$`));
  assert.equal(briefs[0].serviceArn, `arn:aws:ecs:us-east-1:000000000000:service/${cluster}/hist`);
  assert.ok(briefs[0].finishedAt >= briefs[0].startedAt);
  const filtered = await ok('ListServiceDeployments', { cluster, service: 'hist', status: ['IN_PROGRESS'] });
  assert.deepEqual(filtered.serviceDeployments, []);
  const paged = await ok('ListServiceDeployments', { cluster, service: 'hist', maxResults: 1 });
  assert.equal(paged.serviceDeployments.length, 1);
  const rest = await ok('ListServiceDeployments', { cluster, service: 'hist', maxResults: 1, nextToken: paged.nextToken });
  assert.equal(rest.serviceDeployments[0].serviceDeploymentArn, briefs[1].serviceDeploymentArn);

  const described = await ok('DescribeServiceDeployments', { serviceDeploymentArns: [briefs[0].serviceDeploymentArn, `${briefs[0].serviceDeploymentArn}0`] });
  const d = described.serviceDeployments[0];
  assert.equal(d.status, 'SUCCESSFUL');
  assert.equal(d.targetServiceRevision.arn, briefs[0].targetServiceRevisionArn);
  assert.equal(d.targetServiceRevision.runningTaskCount, 1);
  assert.deepEqual(d.sourceServiceRevisions.map((s: any) => s.arn), [briefs[1].targetServiceRevisionArn]);
  assert.deepEqual(d.deploymentCircuitBreaker, { status: 'DISABLED', failureCount: 0, threshold: 0 });
  assert.deepEqual(described.failures, [{ arn: `${briefs[0].serviceDeploymentArn}0`, reason: 'MISSING' }]);

  const revisions = await ok('DescribeServiceRevisions', { serviceRevisionArns: briefs.map((b) => b.targetServiceRevisionArn) });
  assert.deepEqual(revisions.serviceRevisions.map((r: any) => r.taskDefinition), [v2, v1]);
  assert.equal(revisions.serviceRevisions[0].launchType, 'EC2');
  assert.deepEqual(revisions.serviceRevisions[0].containerImages, [{ containerName: 'web', image: 'img' }]);

  const missing = await h.call('ListServiceDeployments', { cluster, service: 'nope' });
  assert.equal(missing.body['__type'], 'ServiceNotFoundException');
  const badStatus = await h.call('ListServiceDeployments', { cluster, service: 'hist', status: ['DONE'] });
  assert.equal(badStatus.body['__type'], 'InvalidParameterException');
});

test('DescribeTaskSets: a rolling service has none; a missing service is ServiceNotFoundException', async () => {
  await td('sets');
  await ok('CreateService', { cluster, serviceName: 'sets', taskDefinition: 'sets', desiredCount: 0 });
  assert.deepEqual(await ok('DescribeTaskSets', { cluster, service: 'sets' }), { taskSets: [], failures: [] });
  assert.deepEqual((await ok('DescribeTaskSets', { cluster, service: 'sets', taskSets: ['ecs-svc/1'] })).failures, [{ arn: 'ecs-svc/1', reason: 'MISSING' }]);
  assert.equal((await h.call('DescribeTaskSets', { cluster, service: 'nope' })).body['__type'], 'ServiceNotFoundException');
  assert.equal((await h.call('DescribeTaskSets', { cluster: 'nope', service: 'sets' })).body['__type'], 'ClusterNotFoundException');
});

test('DeleteTaskDefinitions: INACTIVE -> DELETE_IN_PROGRESS, ACTIVE refused, gone once unused', async () => {
  const a = (await td('gone')).taskDefinition;
  const b = (await td('gone')).taskDefinition;
  await ok('DeregisterTaskDefinition', { taskDefinition: 'gone:1' });
  const r = await ok('DeleteTaskDefinitions', { taskDefinitions: [a.taskDefinitionArn, 'gone:2', 'gone:9', 'gone'] });
  assert.deepEqual(r.taskDefinitions.map((t: any) => [t.revision, t.status]), [[1, 'DELETE_IN_PROGRESS']]);
  assert.ok(typeof r.taskDefinitions[0].deleteRequestedAt === 'number');
  assert.deepEqual(r.failures.map((f: any) => f.reason.split('.')[0]), [
    'The specified task definition is still in ACTIVE status',
    'The specified task definition does not exist',
    'The specified task definition identifier is invalid',
  ]);
  assert.equal((await ok('DescribeTaskDefinition', { taskDefinition: 'gone:1' })).taskDefinition.status, 'DELETE_IN_PROGRESS');
  const listed = await ok('ListTaskDefinitions', { familyPrefix: 'gone', status: 'DELETE_IN_PROGRESS' });
  assert.deepEqual(listed.taskDefinitionArns, [a.taskDefinitionArn]);
  // The retention pass deletes it: nothing runs it.
  assert.equal(h.cp.store.tx(sweep), 1);
  assert.equal((await h.call('DescribeTaskDefinition', { taskDefinition: 'gone:1' })).body['__type'], 'ClientException');
  assert.equal((await ok('DescribeTaskDefinition', { taskDefinition: b.taskDefinitionArn })).taskDefinition.status, 'ACTIVE');
});

test('DeleteTaskDefinitions keeps a revision a running task uses until it stops', async () => {
  const t = (await td('busy')).taskDefinition;
  const run = await ok('RunTask', { cluster, taskDefinition: t.taskDefinitionArn });
  const taskArn = run.tasks[0].taskArn as string;
  await ok('DeregisterTaskDefinition', { taskDefinition: t.taskDefinitionArn });
  await ok('DeleteTaskDefinitions', { taskDefinitions: [t.taskDefinitionArn] });
  assert.equal(h.cp.store.tx(sweep), 0, 'kept while the task runs');
  await ok('StopTask', { cluster, task: taskArn });
  await eventually(async () => (await ok('DescribeTasks', { cluster, tasks: [taskArn] })).tasks[0].lastStatus === 'STOPPED', 'task STOPPED', 15_000);
  assert.equal(h.cp.store.tx(sweep), 1);
});

test('DeleteTaskDefinitions keeps a revision a service deployment names', async () => {
  const t = (await td('svcdef')).taskDefinition;
  await ok('CreateService', { cluster, serviceName: 'svcdef', taskDefinition: t.taskDefinitionArn, desiredCount: 0 });
  await ok('DeregisterTaskDefinition', { taskDefinition: t.taskDefinitionArn });
  await ok('DeleteTaskDefinitions', { taskDefinitions: [t.taskDefinitionArn] });
  assert.equal(h.cp.store.tx(sweep), 0);
  assert.equal((await ok('DescribeTaskDefinition', { taskDefinition: t.taskDefinitionArn })).taskDefinition.status, 'DELETE_IN_PROGRESS');
});

test('account settings: put, default, list (explicit and effective), delete; containerInsights defaults new clusters', async () => {
  const put = await ok('PutAccountSetting', { name: 'tagResourceAuthorization', value: 'off' });
  assert.deepEqual(put.setting, { name: 'tagResourceAuthorization', value: 'off', principalArn: 'arn:aws:iam::000000000000:role/admin', type: 'user' });
  const def = await ok('PutAccountSettingDefault', { name: 'containerInsights', value: 'enabled' });
  assert.equal(def.setting.principalArn, 'arn:aws:iam::000000000000:root');
  assert.deepEqual((await ok('ListAccountSettings', {})).settings.map((s: any) => [s.name, s.value]), [['tagResourceAuthorization', 'off']]);
  const effective = await ok('ListAccountSettings', { effectiveSettings: true, name: 'containerInsights' });
  assert.deepEqual(effective.settings.map((s: any) => [s.name, s.value]), [['containerInsights', 'enabled']]);
  const page1 = await ok('ListAccountSettings', { effectiveSettings: true, maxResults: 3 });
  assert.equal(page1.settings.length, 3);
  assert.ok(page1.nextToken);
  const c = await ok('CreateCluster', { clusterName: 'insights' });
  assert.deepEqual(c.cluster.settings.find((s: any) => s.name === 'containerInsights'), { name: 'containerInsights', value: 'enabled' });
  const gone = await ok('DeleteAccountSetting', { name: 'tagResourceAuthorization' });
  assert.equal(gone.setting.value, 'off');
  assert.deepEqual((await ok('ListAccountSettings', {})).settings, []);
  assert.equal((await h.call('PutAccountSetting', { name: 'containerInsights', value: 'maybe' })).body['__type'], 'InvalidParameterException');
  assert.equal((await h.call('PutAccountSetting', { name: 'noSuchSetting', value: 'enabled' })).body['__type'], 'InvalidParameterException');
  assert.equal((await h.call('PutAccountSetting', { name: 'taskLongArnFormat', value: 'disabled' })).body['__type'], 'InvalidParameterException');
  await ok('DeleteAccountSetting', { name: 'containerInsights', principalArn: 'arn:aws:iam::000000000000:root' });
});

test('UpdateCluster: settings and configuration, stored and echoed', async () => {
  await ok('CreateCluster', { clusterName: 'upd' });
  const configuration = { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: '/exec', cloudWatchEncryptionEnabled: false } } };
  const r = await ok('UpdateCluster', { cluster: 'upd', settings: [{ name: 'containerInsights', value: 'enhanced' }], configuration });
  assert.deepEqual(r.cluster.configuration, configuration);
  assert.equal(r.cluster.settings.find((s: any) => s.name === 'containerInsights').value, 'enhanced');
  const d = await ok('DescribeClusters', { clusters: ['upd'], include: ['CONFIGURATIONS', 'SETTINGS'] });
  assert.deepEqual(d.clusters[0].configuration, configuration);
  const bad = await h.call('UpdateCluster', { cluster: 'upd', configuration: { executeCommandConfiguration: { logging: 'OVERRIDE' } } });
  assert.equal(bad.body['__type'], 'InvalidParameterException');
  assert.match(bad.body['message'], /logConfiguration/);
  assert.equal((await h.call('UpdateCluster', { cluster: 'none' })).body['__type'], 'ClusterNotFoundException');
});

test('ListTasks and ListServices filter by launchType as ECS: EXTERNAL is kept and matched', async () => {
  await td('ext');
  await ok('CreateService', { cluster, serviceName: 'ext', taskDefinition: 'ext', desiredCount: 1, launchType: 'EXTERNAL' });
  const ext = await ok('ListServices', { cluster, launchType: 'EXTERNAL' });
  assert.deepEqual(ext.serviceArns, [`arn:aws:ecs:us-east-1:000000000000:service/${cluster}/ext`]);
  const ec2 = await ok('ListServices', { cluster, launchType: 'EC2' });
  assert.ok(!ec2.serviceArns.some((a: string) => a.endsWith('/ext')));
  const svc = (await ok('DescribeServices', { cluster, services: ['ext'] })).services[0];
  assert.equal(svc.launchType, 'EXTERNAL');
  const tasks = await eventually(async () => {
    const l = await ok('ListTasks', { cluster, serviceName: 'ext', launchType: 'EXTERNAL' });
    return l.taskArns.length === 1 && l.taskArns;
  }, 'an EXTERNAL task listed', 15_000);
  const t = (await ok('DescribeTasks', { cluster, tasks })).tasks[0];
  assert.equal(t.launchType, 'EXTERNAL');
  assert.deepEqual((await ok('ListTasks', { cluster, serviceName: 'ext', launchType: 'FARGATE' })).taskArns, []);
  assert.deepEqual((await ok('ListServices', { cluster, schedulingStrategy: 'DAEMON' })).serviceArns, []);
});

test('unknown request members are ignored, as AWS ignores them; known members stay strict', async () => {
  const r = await ok('CreateCluster', { clusterName: 'fresh', someFutureMember: { a: 1 } });
  assert.equal(r.cluster.clusterName, 'fresh');
  const reg = await ok('RegisterTaskDefinition', { family: 'future', newTopLevel: true, containerDefinitions: [{ name: 'web', image: 'img', memory: 64, newContainerMember: 'x' }] });
  assert.equal(reg.taskDefinition.containerDefinitions[0].newContainerMember, undefined);
  const strict = await h.call('RegisterTaskDefinition', { family: 'future', containerDefinitions: [{ name: 'web', image: 'img', memory: 'lots' }] });
  assert.equal(strict.body['__type'], 'InvalidParameterException');
  assert.match(strict.body['message'], /containerDefinitions\[0\]\.memory/);
  const unknownOp = await h.call('NoSuchOperation', {});
  assert.equal(unknownOp.body['__type'], 'UnknownOperationException');
});
