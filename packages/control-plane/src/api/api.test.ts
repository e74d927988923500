import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane();
});
after(async () => {
  await h.cp.stop();
});

const webTd = (family = 'web') => ({
  family,
  containerDefinitions: [{ name: 'web', image: 'stevedore-test/busybox:latest', memory: 64, portMappings: [{ containerPort: 8080 }] }],
});

test('protocol errors are ECS JSON errors, never 5xx', async () => {
  const bad = await h.call('CreateCluster', '{not json');
  assert.equal(bad.status, 400);
  assert.equal(bad.body['__type'], 'SerializationException');
  const unknown = await h.call('Nope', {});
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body['__type'], 'UnknownOperationException');
  const deep = await h.call('CreateCluster', '['.repeat(100000));
  assert.equal(deep.status, 400);
  assert.equal(deep.body['__type'], 'SerializationException');
  const notObject = await h.call('CreateCluster', '[1,2]');
  assert.equal(notObject.body['__type'], 'InvalidParameterException');
  const big = await h.call('CreateCluster', JSON.stringify({ clusterName: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(big.status, 413);
  assert.equal(big.body['__type'], 'RequestEntityTooLargeException');
  const wrongType = await h.call('CreateCluster', { clusterName: 5 });
  assert.equal(wrongType.body['__type'], 'InvalidParameterException');
  assert.match(wrongType.body['message'], /clusterName/);
});

test('clusters: create is idempotent, describe reports MISSING, list pages, delete refuses while instances are active', async () => {
  const a = await h.call('CreateCluster', { clusterName: 'alpha' });
  assert.equal(a.status, 200);
  assert.equal(a.body['cluster'].clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/alpha');
  assert.equal(a.body['cluster'].status, 'ACTIVE');
  const again = await h.call('CreateCluster', { clusterName: 'alpha' });
  assert.equal(again.body['cluster'].clusterArn, a.body['cluster'].clusterArn);
  const badName = await h.call('CreateCluster', { clusterName: 'no spaces' });
  assert.equal(badName.body['__type'], 'InvalidParameterException');
  for (const n of ['beta', 'gamma']) await h.call('CreateCluster', { clusterName: n });
  const d = await h.call('DescribeClusters', { clusters: ['alpha', 'nope'] });
  assert.equal(d.body['clusters'].length, 1);
  assert.deepEqual(d.body['failures'], [{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }]);
  const p1 = await h.call('ListClusters', { maxResults: 2 });
  assert.equal(p1.body['clusterArns'].length, 2);
  assert.ok(p1.body['nextToken']);
  const p2 = await h.call('ListClusters', { maxResults: 2, nextToken: p1.body['nextToken'] });
  const all = [...p1.body['clusterArns'], ...p2.body['clusterArns']];
  assert.equal(new Set(all).size, all.length);
  assert.ok(all.some((x: string) => x.endsWith('/gamma')));
  const badToken = await h.call('ListClusters', { nextToken: 'garbage!' });
  assert.equal(badToken.body['__type'], 'InvalidParameterException');

  const agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: 'gamma' });
  const refused = await h.call('DeleteCluster', { cluster: 'gamma' });
  assert.equal(refused.body['__type'], 'ClusterContainsContainerInstancesException');
  agent.close();
  const del = await h.call('DeleteCluster', { cluster: 'beta' });
  assert.equal(del.body['cluster'].status, 'INACTIVE');
  const gone = await h.call('DeleteCluster', { cluster: 'beta' });
  assert.equal(gone.body['__type'], 'ClusterNotFoundException');
});

test('task definitions: revisions, describe by family/ARN, list and families, deregister', async () => {
  const r1 = await h.call('RegisterTaskDefinition', webTd('tdfam'));
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body['taskDefinition'].revision, 1);
  assert.equal(r1.body['taskDefinition'].containerDefinitions[0].essential, true);
  assert.equal(r1.body['taskDefinition'].networkMode, 'bridge');
  const r2 = await h.call('RegisterTaskDefinition', { ...webTd('tdfam'), tags: [{ key: 'team', value: 'a' }] });
  assert.equal(r2.body['taskDefinition'].revision, 2);
  const latest = await h.call('DescribeTaskDefinition', { taskDefinition: 'tdfam', include: ['TAGS'] });
  assert.equal(latest.body['taskDefinition'].revision, 2);
  assert.deepEqual(latest.body['tags'], [{ key: 'team', value: 'a' }]);
  const byArn = await h.call('DescribeTaskDefinition', { taskDefinition: r1.body['taskDefinition'].taskDefinitionArn });
  assert.equal(byArn.body['taskDefinition'].revision, 1);
  const missing = await h.call('DescribeTaskDefinition', { taskDefinition: 'tdfam:99' });
  assert.equal(missing.body['__type'], 'ClientException');
  const noRev = await h.call('DeregisterTaskDefinition', { taskDefinition: 'tdfam' });
  assert.equal(noRev.body['__type'], 'ClientException');
  const dereg = await h.call('DeregisterTaskDefinition', { taskDefinition: 'tdfam:2' });
  assert.equal(dereg.body['taskDefinition'].status, 'INACTIVE');
  const nowLatest = await h.call('DescribeTaskDefinition', { taskDefinition: 'tdfam' });
  assert.equal(nowLatest.body['taskDefinition'].revision, 1);
  const active = await h.call('ListTaskDefinitions', { familyPrefix: 'tdfam' });
  assert.deepEqual(active.body['taskDefinitionArns'], [r1.body['taskDefinition'].taskDefinitionArn]);
  const inactive = await h.call('ListTaskDefinitions', { familyPrefix: 'tdfam', status: 'INACTIVE' });
  assert.equal(inactive.body['taskDefinitionArns'].length, 1);
  const fams = await h.call('ListTaskDefinitionFamilies', { familyPrefix: 'tdf' });
  assert.deepEqual(fams.body['families'], ['tdfam']);
  const invalid = await h.call('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a', image: 'i' }] });
  assert.equal(invalid.status, 400);
  assert.match(invalid.body['message'], /memory/);
});

test('RunTask: no instances, placement on a connected agent, failures per instance, StopTask, ListTasks filters', async () => {
  await h.call('CreateCluster', { clusterName: 'run' });
  await h.call('RegisterTaskDefinition', webTd('runweb'));
  const none = await h.call('RunTask', { cluster: 'run', taskDefinition: 'runweb' });
  assert.equal(none.body['__type'], 'InvalidParameterException');
  assert.match(none.body['message'], /No Container Instances were found in your cluster/);

  const agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: 'run', resources: { cpu: 1024, memory: 150, ports: [22], ports_udp: [] } });
  const disconnected = await h.call('RunTask', { cluster: 'run', taskDefinition: 'runweb' });
  assert.equal(disconnected.body['tasks'].length, 0);
  assert.equal(disconnected.body['failures'][0].reason, 'AGENT');

  agent.openSession();
  await eventually(() => agent.messages.length > 0, 'COMPLETE message');
  const run = await h.call('RunTask', { cluster: 'run', taskDefinition: 'runweb', count: 3, startedBy: 'me' });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.equal(run.body['tasks'].length, 2, 'memory 150 fits two 64 MiB tasks');
  assert.equal(run.body['failures'][0].reason, 'RESOURCE:MEMORY');
  assert.equal(run.body['tasks'][0].lastStatus, 'PENDING');
  assert.equal(run.body['tasks'][0].group, 'family:runweb');
  const badCount = await h.call('RunTask', { cluster: 'run', taskDefinition: 'runweb', count: 11 });
  assert.equal(badCount.body['__type'], 'InvalidParameterException');

  const listed = await h.call('ListTasks', { cluster: 'run', startedBy: 'me' });
  assert.equal(listed.body['taskArns'].length, 2);
  const mixed = await h.call('ListTasks', { cluster: 'run', startedBy: 'me', family: 'runweb' });
  assert.equal(mixed.body['__type'], 'InvalidParameterException');
  const arn = run.body['tasks'][0].taskArn;
  const stop = await h.call('StopTask', { cluster: 'run', task: arn, reason: 'enough' });
  assert.equal(stop.body['task'].desiredStatus, 'STOPPED');
  assert.equal(stop.body['task'].stopCode, 'UserInitiated');
  assert.equal(stop.body['task'].stoppedReason, 'enough');
  const stopped = await h.call('ListTasks', { cluster: 'run', desiredStatus: 'STOPPED' });
  assert.deepEqual(stopped.body['taskArns'], [arn]);
  const pending = await h.call('ListTasks', { cluster: 'run', desiredStatus: 'PENDING' });
  assert.deepEqual(pending.body['taskArns'], []);
  const d = await h.call('DescribeTasks', { cluster: 'run', tasks: [arn, 'ffffffffffffffffffffffffffffffff'] });
  assert.equal(d.body['tasks'].length, 1);
  assert.equal(d.body['failures'][0].reason, 'MISSING');
  agent.close();
});

test('RunTask clientToken: a retry returns the same tasks, other parameters conflict', async () => {
  await h.call('CreateCluster', { clusterName: 'idem' });
  await h.call('RegisterTaskDefinition', webTd('idemweb'));
  const agent = await new FakeAgent(h.agentAddress).connect({ cluster: 'idem' });
  const a = await h.call('RunTask', { cluster: 'idem', taskDefinition: 'idemweb', clientToken: 'tok-1' });
  const b = await h.call('RunTask', { cluster: 'idem', taskDefinition: 'idemweb', clientToken: 'tok-1' });
  assert.equal(a.body['tasks'][0].taskArn, b.body['tasks'][0].taskArn);
  const all = await h.call('ListTasks', { cluster: 'idem' });
  assert.equal(all.body['taskArns'].length, 1);
  const c = await h.call('RunTask', { cluster: 'idem', taskDefinition: 'idemweb', clientToken: 'tok-1', count: 2 });
  assert.equal(c.body['__type'], 'ConflictException');
  agent.close();
});

test('RunTask refuses a definition that needs features Stevedore lacks, with the reason', async () => {
  await h.call('CreateCluster', { clusterName: 'unsup' });
  const td = { ...webTd('vpcweb'), containerDefinitions: [{ name: 'web', image: 'i', memory: 64, resourceRequirements: [{ type: 'GPU', value: '1' }] }] };
  const reg = await h.call('RegisterTaskDefinition', td);
  assert.equal(reg.status, 200, JSON.stringify(reg.body));
  const run = await h.call('RunTask', { cluster: 'unsup', taskDefinition: 'vpcweb' });
  assert.equal(run.body['__type'], 'UnsupportedFeatureException');
  assert.match(run.body['message'], /GPU/);
});
