import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane, eventually } from '../testing/harness';

const SV = (op: string) => `Stevedore_20261125.${op}`;

async function setup(t: { after: (fn: () => unknown) => void }) {
  const h = await startTestControlPlane({ capacity: { scalingIntervalMs: 100, scaleInCooldownMs: 60_000 } });
  t.after(() => h.cp.stop());
  await h.call('CreateCluster', { clusterName: 'cp' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  return h;
}

const execProvisioner = { type: 'exec', exec: { createCommand: 'echo vm-$STEVEDORE_HOST_ID', destroyCommand: 'true', timeoutSeconds: 5, retries: 0 } };

test('host group and capacity provider requests are checked as ECS and Auto Scaling check them, naming the field', async (t) => {
  const h = await setup(t);
  const group = { hostGroupName: 'g1', cluster: 'cp', minSize: 0, maxSize: 2, provisioner: execProvisioner };
  const cases: [string, unknown, string, string, RegExp][] = [
    ['CreateHostGroup', { ...group, provisioner: undefined }, 'InvalidParameterException', 'provisioner', /provisioner is required/],
    ['CreateHostGroup', { ...group, minSize: 3 }, 'InvalidParameterException', 'minSize', /minSize \(3\) must be less than or equal to maxSize \(2\)/],
    ['CreateHostGroup', { ...group, hostGroupName: 'a b' }, 'InvalidParameterException', 'hostGroupName', /hostGroupName/],
    ['CreateHostGroup', { ...group, provisioner: { type: 'local', local: { hostIps: '127.0.11.9-127.0.11.2' } } }, 'InvalidParameterException', 'provisioner.local.hostIps', /ranges/],
    ['CreateHostGroup', { ...group, provisioner: { type: 'exec', exec: { destroyCommand: 'x' } } }, 'InvalidParameterException', 'provisioner.exec.createCommand', /createCommand is required/],
    ['CreateHostGroup', { ...group, attributes: [{ name: 'stevedore.host-group', value: 'x' }] }, 'InvalidParameterException', 'attributes[0].name', /set by the group itself/],
    ['CreateHostGroup', { ...group, cluster: 'nope' }, 'ClusterNotFoundException', '', /Cluster not found/],
  ];
  for (const [op, body, type, field, message] of cases) {
    const r = await h.call(op, body, SV(op));
    assert.equal(r.status, 400, `${op} ${JSON.stringify(body)}`);
    assert.equal(r.body['__type'], type, JSON.stringify(r.body));
    assert.match(r.body['message'], message);
    if (field) assert.equal(r.body['field'] ?? field, field);
  }
  const created = await h.call('CreateHostGroup', group, SV('CreateHostGroup'));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const arn = created.body['hostGroup']['hostGroupArn'] as string;
  assert.equal((await h.call('CreateHostGroup', group, SV('CreateHostGroup'))).body['__type'], 'ResourceInUseException');
  const sd = await h.call('SetHostGroupDesiredCapacity', { hostGroupName: 'g1', desiredCapacity: 5 }, SV('SetHostGroupDesiredCapacity'));
  assert.equal(sd.body['__type'], 'ValidationError');

  const asg = { autoScalingGroupArn: arn, managedScaling: { status: 'ENABLED', targetCapacity: 100 }, managedTerminationProtection: 'ENABLED' };
  const cpCases: [unknown, string, RegExp][] = [
    [{ name: 'fargate-x', autoScalingGroupProvider: asg }, 'InvalidParameterException', /can't be prefixed/],
    [{ name: 'p', autoScalingGroupProvider: { ...asg, autoScalingGroupArn: 'arn:aws:ecs:us-east-1:0:cluster/x' } }, 'InvalidParameterException', /ARN of a host group/],
    [{ name: 'p', autoScalingGroupProvider: { ...asg, managedScaling: { status: 'DISABLED' } } }, 'InvalidParameterException', /managed scaling must also be enabled/],
    [{ name: 'p', autoScalingGroupProvider: { ...asg, managedScaling: { targetCapacity: 0 } } }, 'InvalidParameterException', /targetCapacity must be an integer between 1 and 100/],
  ];
  for (const [body, type, message] of cpCases) {
    const r = await h.call('CreateCapacityProvider', body);
    assert.equal(r.body['__type'], type, JSON.stringify(r.body));
    assert.match(r.body['message'], message);
  }
  assert.equal((await h.call('CreateCapacityProvider', { name: 'p', autoScalingGroupProvider: asg })).status, 200);
  assert.equal((await h.call('CreateCapacityProvider', { name: 'p2', autoScalingGroupProvider: asg })).body['__type'], 'ClientException', 'one provider per group');
  const del = await h.call('DeleteHostGroup', { hostGroupName: 'g1' }, SV('DeleteHostGroup'));
  assert.equal(del.body['__type'], 'ResourceInUseException');

  const unknown = await h.call('PutClusterCapacityProviders', { cluster: 'cp', capacityProviders: ['nope'], defaultCapacityProviderStrategy: [] });
  assert.equal(unknown.body['__type'], 'InvalidParameterException');
  // Another engineer's built-in providers are not refused here.
  const put = await h.call('PutClusterCapacityProviders', { cluster: 'cp', capacityProviders: ['p', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.ok(put.body['cluster']['capacityProviders'].includes('p') && put.body['cluster']['capacityProviders'].includes('FARGATE'), JSON.stringify(put.body['cluster']));

  const both = await h.call('CreateService', { cluster: 'cp', serviceName: 's', taskDefinition: 'web', desiredCount: 1, launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  assert.equal(both.body['__type'], 'InvalidParameterException');
  assert.match(both.body['message'], /Specifying both a launch type and capacity provider strategy is not supported/);
  const runBoth = await h.call('RunTask', { cluster: 'cp', taskDefinition: 'web', launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  assert.match(runBoth.body['message'], /Specifying both a launch type and capacity provider strategy is not supported/);
  const startWith = await h.call('StartTask', { cluster: 'cp', taskDefinition: 'web', containerInstances: ['x'], capacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  assert.equal(startWith.body['field'] ?? 'capacityProviderStrategy', 'capacityProviderStrategy');
  assert.equal(startWith.status, 400);
  const notAttached = await h.call('CreateService', { cluster: 'cp', serviceName: 's', taskDefinition: 'web', desiredCount: 1, capacityProviderStrategy: [{ capacityProvider: 'other', weight: 1 }] });
  assert.match(notAttached.body['message'], /not associated with the cluster/);
  const twoBases = await h.call('CreateService', { cluster: 'cp', serviceName: 's', taskDefinition: 'web', desiredCount: 1, capacityProviderStrategy: [{ capacityProvider: 'p', weight: 1, base: 1 }, { capacityProvider: 'FARGATE', weight: 1, base: 1 }] });
  assert.match(twoBases.body['message'], /Only one capacity provider/);
  // launchType given: the default strategy does not apply.
  const ec2 = await h.call('CreateService', { cluster: 'cp', serviceName: 'ec2', taskDefinition: 'web', desiredCount: 0, launchType: 'EC2' });
  assert.equal(ec2.body['service']['launchType'], 'EC2');
  assert.equal(ec2.body['service']['capacityProviderStrategy'], undefined);
  // A strategy change is a new deployment.
  const upd = await h.call('UpdateService', { cluster: 'cp', service: 'ec2', capacityProviderStrategy: [{ capacityProvider: 'p', weight: 2 }] });
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  assert.notEqual(upd.body['service']['deployments'][0].id, ec2.body['service']['deployments'][0].id);
  assert.deepEqual(upd.body['service']['capacityProviderStrategy'], [{ capacityProvider: 'p', weight: 2 }]);
  const inUse = await h.call('PutClusterCapacityProviders', { cluster: 'cp', capacityProviders: [], defaultCapacityProviderStrategy: [] });
  assert.equal(inUse.body['__type'], 'ResourceInUseException');
  const attached = await h.call('DeleteCapacityProvider', { capacityProvider: 'p' });
  assert.equal(attached.body['__type'], 'ResourceInUseException');
});

test('managed scaling: tasks waiting for a provider raise CapacityProviderReservation to 200 from zero hosts, published as ECS publishes it, and the group grows', async (t) => {
  const h = await setup(t);
  const g = await h.call('CreateHostGroup', { hostGroupName: 'g', cluster: 'cp', minSize: 0, maxSize: 3, joinTimeoutSeconds: 600, provisioner: execProvisioner }, SV('CreateHostGroup'));
  const arn = g.body['hostGroup']['hostGroupArn'] as string;
  assert.equal((await h.call('CreateCapacityProvider', { name: 'p', autoScalingGroupProvider: { autoScalingGroupArn: arn, managedScaling: { status: 'ENABLED', targetCapacity: 100, maximumScalingStepSize: 2 } } })).status, 200);
  await h.call('PutClusterCapacityProviders', { cluster: 'cp', capacityProviders: ['p'], defaultCapacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  const svc = await h.call('CreateService', { cluster: 'cp', serviceName: 'web', taskDefinition: 'web', desiredCount: 3 });
  assert.deepEqual(svc.body['service']['capacityProviderStrategy'], [{ capacityProvider: 'p', weight: 1 }]);
  const grown = await eventually(async () => {
    const r = await h.call('DescribeHostGroups', { hostGroupNames: [arn] }, SV('DescribeHostGroups'));
    const x = r.body['hostGroups'][0];
    return x.desiredCapacity > 0 && x.hosts.length === x.desiredCapacity && x.hosts.every((hh: any) => hh.lifecycleState === 'Pending:Wait') && x;
  }, 'the group grew and its hosts were created');
  // Hosts still joining count as there: no second step while they launch.
  assert.ok(grown.desiredCapacity >= 1 && grown.desiredCapacity <= 2);
  for (const host of grown.hosts) assert.equal(host.providerId, `vm-${host.hostId}`);
  const now = Date.now();
  const buckets = h.cp.store.metrics.statistics({
    namespace: 'AWS/ECS/ManagedScaling',
    metricName: 'CapacityProviderReservation',
    dimensions: [
      { name: 'CapacityProviderName', value: 'p' },
      { name: 'ClusterName', value: 'cp' },
    ],
    start: now - 60_000,
    end: now + 60_000,
    periodMs: 120_000,
    nowMs: now,
  });
  assert.equal(buckets.length, 1);
  assert.equal(buckets[0]!.stats.maximum, 200);
  const acts = await h.call('DescribeHostGroupActivities', { hostGroupName: 'g' }, SV('DescribeHostGroupActivities'));
  assert.ok(acts.body['activities'].some((a: any) => /Managed scaling by capacity provider p: desired capacity 0 ->/.test(a.description) && /CapacityProviderReservation 200 > target 100/.test(a.cause)));
});

test('a restart in the middle of a create runs it again for the same host: never a second host', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-cp-restart-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const calls = path.join(dir, 'create-calls');
  // The first call hangs (the control plane stops during it); later calls return at once.
  const create = `echo "$STEVEDORE_HOST_ID" >> ${calls}; if [ "$(wc -l < ${calls})" -eq 1 ]; then sleep 30; fi; echo vm-$STEVEDORE_HOST_ID`;
  const first = await startTestControlPlane({ dataDir: dir });
  await first.call('CreateCluster', { clusterName: 'cp' });
  await first.call(
    'CreateHostGroup',
    { hostGroupName: 'g', cluster: 'cp', minSize: 0, maxSize: 2, desiredCapacity: 1, joinTimeoutSeconds: 600, provisioner: { type: 'exec', exec: { createCommand: create, destroyCommand: 'true', timeoutSeconds: 60, retries: 0 } } },
    SV('CreateHostGroup'),
  );
  await eventually(() => fs.existsSync(calls) && fs.readFileSync(calls, 'utf8').trim().length > 0, 'the first create started');
  const pending = (await first.call('DescribeHostGroups', { hostGroupNames: ['g'] }, SV('DescribeHostGroups'))).body['hostGroups'][0].hosts;
  assert.equal(pending.length, 1);
  assert.equal(pending[0].lifecycleState, 'Pending');
  await first.cp.stop();

  const second = await startTestControlPlane({ dataDir: dir });
  t.after(() => second.cp.stop());
  const created = await eventually(async () => {
    const g = (await second.call('DescribeHostGroups', { hostGroupNames: ['g'] }, SV('DescribeHostGroups'))).body['hostGroups'][0];
    return g.hosts.length === 1 && g.hosts[0].lifecycleState === 'Pending:Wait' && g;
  }, 'the host created after the restart');
  const ids = fs.readFileSync(calls, 'utf8').trim().split('\n');
  assert.deepEqual(ids, [pending[0].hostId, pending[0].hostId], 'create ran twice, for the same host');
  assert.equal(created.hosts[0].hostId, pending[0].hostId);
  assert.equal(created.hosts[0].providerId, `vm-${pending[0].hostId}`);
});

test('tasks that do not fit wait in PROVISIONING while the provider can grow, and fail as placements do once it cannot', async (t) => {
  const h = await setup(t);
  const g = await h.call('CreateHostGroup', { hostGroupName: 'g', cluster: 'cp', minSize: 0, maxSize: 2, joinTimeoutSeconds: 600, provisioner: execProvisioner }, SV('CreateHostGroup'));
  const asg = (status: string) => ({ autoScalingGroupArn: g.body['hostGroup']['hostGroupArn'], managedScaling: { status, targetCapacity: 100 } });
  await h.call('CreateCapacityProvider', { name: 'p', autoScalingGroupProvider: asg('ENABLED') });
  await h.call('PutClusterCapacityProviders', { cluster: 'cp', capacityProviders: ['p'], defaultCapacityProviderStrategy: [{ capacityProvider: 'p', weight: 1 }] });
  // No host at all: RunTask answers with tasks in PROVISIONING, not failures.
  const run = await h.call('RunTask', { cluster: 'cp', taskDefinition: 'web', count: 2 });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.deepEqual(run.body['failures'], []);
  assert.deepEqual(run.body['tasks'].map((x: any) => [x.lastStatus, x.desiredStatus, x.capacityProviderName, x.containerInstanceArn]), [
    ['PROVISIONING', 'RUNNING', 'p', undefined],
    ['PROVISIONING', 'RUNNING', 'p', undefined],
  ]);
  await h.call('CreateService', { cluster: 'cp', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 });
  const waiting = await eventually(async () => {
    const s = (await h.call('DescribeServices', { cluster: 'cp', services: ['web'] })).body['services'][0];
    return s.pendingCount === 2 && s;
  }, 'the service has 2 tasks in PROVISIONING');
  assert.ok(!waiting.events.some((e: any) => /unable to place/.test(e.message)), 'no placement failure while the provider can grow');
  // The scaler grows the group (its hosts never join here): the tasks keep waiting, none failed meanwhile.
  await eventually(async () => {
    const x = (await h.call('DescribeHostGroups', { hostGroupNames: ['g'] }, SV('DescribeHostGroups'))).body['hostGroups'][0];
    return x.desiredCapacity >= 1 && x.hosts.length === x.desiredCapacity && x.hosts.every((hh: any) => hh.lifecycleState === 'Pending:Wait');
  }, 'the group grew, its hosts created');
  const again = (await h.call('DescribeTasks', { cluster: 'cp', tasks: run.body['tasks'].map((x: any) => x.taskArn) })).body['tasks'];
  assert.deepEqual(again.map((x: any) => x.lastStatus), ['PROVISIONING', 'PROVISIONING']);
  assert.deepEqual((await h.call('ListTasks', { cluster: 'cp', desiredStatus: 'STOPPED' })).body['taskArns'], [], 'nothing failed while the provider could grow');
  const listed = (await h.call('ListTasks', { cluster: 'cp', serviceName: 'web' })).body['taskArns'];
  const described = (await h.call('DescribeTasks', { cluster: 'cp', tasks: listed })).body['tasks'];
  assert.deepEqual(described.map((x: any) => x.lastStatus), ['PROVISIONING', 'PROVISIONING']);
  // The provider can no longer scale: the waiting tasks are the usual placement failure.
  assert.equal((await h.call('UpdateCapacityProvider', { name: 'p', autoScalingGroupProvider: { managedScaling: { status: 'DISABLED' } } })).status, 200);
  const stopped = await eventually(async () => {
    const all = (await h.call('DescribeTasks', { cluster: 'cp', tasks: [...run.body['tasks'].map((x: any) => x.taskArn), ...listed] })).body['tasks'];
    return all.every((x: any) => x.lastStatus === 'STOPPED') && all;
  }, 'the waiting tasks stopped');
  for (const x of stopped) {
    assert.equal(x.stopCode, 'TaskFailedToStart');
    assert.match(x.stoppedReason, /^Unable to place a task because no container instance met all of its requirements\. .*Capacity provider p cannot add a host\.$/);
  }
  const events = (await h.call('DescribeServices', { cluster: 'cp', services: ['web'] })).body['services'][0].events;
  assert.ok(events.some((e: any) => /^\(service web\) was unable to place a task because no container instance met all of its requirements/.test(e.message)), JSON.stringify(events));
  // And RunTask now fails at once, in failures[].
  const late = await h.call('RunTask', { cluster: 'cp', taskDefinition: 'web' });
  assert.deepEqual(late.body['tasks'], []);
  assert.match(late.body['failures'][0].detail, /cannot add a host/);
});
