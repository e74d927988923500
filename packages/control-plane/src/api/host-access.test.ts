import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fromWireAssignment } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';
import type { AccessKey } from '../testing/signed-client';
import { deployerPolicy } from './auth/policy';

// Host access through task definitions, over the API with real keys: the
// gate at every launch path, what registration refuses outright, and who may
// change the cluster settings that allow it (docs/design/host-access.md).
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: FakeAgent;
let deployer: AccessKey;
let operator: AccessKey;
let hostAdmin: AccessKey;
const SV = 'Stevedore_20261125.';
const app = { name: 'app', image: 'img', memory: 32 };

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'hx' });
  agent = await new FakeAgent(h.agentAddress).connect({ cluster: 'hx' });
  const role = async (roleName: string, policy: unknown) => {
    assert.equal((await h.call('CreateRole', { roleName, policyDocument: JSON.stringify(policy) }, `${SV}CreateRole`)).status, 200);
    return (await h.call('CreateAccessKey', { roleName }, `${SV}CreateAccessKey`)).body['accessKey'] as AccessKey;
  };
  const deployerDoc = deployerPolicy(['hx']);
  deployerDoc.Statement.push({ Effect: 'Allow', Action: ['ecs:CreateService'], Resource: ['arn:aws:ecs:*:*:service/hx/*'] });
  deployer = await role('deployer-hx', deployerDoc);
  // Everything in ECS, on every resource: still not the host-access switches.
  operator = await role('ecs-operator', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:*'], Resource: ['*'] }] });
  hostAdmin = await role('host-admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:UpdateClusterSettings', 'stevedore:AllowHostAccess'], Resource: ['arn:aws:ecs:*:*:cluster/hx'] }] });
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

const register = async (key: AccessKey, td: Record<string, unknown>) => {
  const r = await h.callAs(key, 'RegisterTaskDefinition', td);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['taskDefinition'] as { family: string; revision: number };
};

test('each launch path refuses host access with a ClientException naming the field and the setting; the setting allows it', async () => {
  await register(deployer, { family: 'plain', containerDefinitions: [app] });
  await register(deployer, { family: 'shared', volumes: [{ name: 'v', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true } }], containerDefinitions: [{ ...app, mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }] });
  const field = /volumes\[0\]\.dockerVolumeConfiguration\.scope.*stevedore:allowHostDockerVolumes/;
  const refused = (r: { status: number; body: Record<string, any> }, what: string) => {
    assert.equal(r.status, 400, what);
    assert.equal(r.body['__type'], 'ClientException', what);
    assert.match(r.body['message'], field, what);
  };
  refused(await h.callAs(deployer, 'RunTask', { cluster: 'hx', taskDefinition: 'shared' }), 'RunTask');
  refused(await h.callAs(deployer, 'StartTask', { cluster: 'hx', taskDefinition: 'shared', containerInstances: [agent.instanceId] }), 'StartTask');
  refused(await h.callAs(deployer, 'CreateService', { cluster: 'hx', serviceName: 'sv', taskDefinition: 'shared', desiredCount: 1 }), 'CreateService');
  assert.equal((await h.callAs(deployer, 'CreateService', { cluster: 'hx', serviceName: 'sv', taskDefinition: 'plain', desiredCount: 0 })).status, 200);
  refused(await h.callAs(deployer, 'UpdateService', { cluster: 'hx', service: 'sv', taskDefinition: 'shared' }), 'UpdateService');
  // Overrides cannot add host access: ECS overrides carry no such member, so `privileged` is ignored as
  // AWS ignores unknown members, and the gate sees the definition with the overrides applied.
  refused(await h.callAs(deployer, 'RunTask', { cluster: 'hx', taskDefinition: 'shared', overrides: { containerOverrides: [{ name: 'app', command: ['true'] }] } }), 'RunTask with overrides');
  assert.equal(h.cp.store.tasks.countNotStopped('hx'), 0, 'no task was created');
  const over = await h.callAs(deployer, 'RunTask', { cluster: 'hx', taskDefinition: 'plain', overrides: { containerOverrides: [{ name: 'app', privileged: true }] } });
  assert.equal(over.status, 200, JSON.stringify(over.body));
  assert.deepEqual(over.body['tasks'][0].overrides.containerOverrides, [{ name: 'app' }]);
  const overWire = await eventually(() => agent.messages.flatMap((m) => m.assignments).find((w) => w.task_arn === over.body['tasks'][0].taskArn), 'assignment');
  assert.equal(fromWireAssignment(overWire).hostAccess?.privileged ?? false, false, 'the ignored member grants nothing');

  const enable = await h.call('UpdateClusterSettings', { cluster: 'hx', settings: [{ name: 'stevedore:allowHostDockerVolumes', value: 'enabled' }] });
  assert.equal(enable.status, 200, JSON.stringify(enable.body));
  const ok = await h.callAs(deployer, 'RunTask', { cluster: 'hx', taskDefinition: 'shared' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const wire = await eventually(() => agent.messages.flatMap((m) => m.assignments).find((w) => w.task_arn === ok.body['tasks'][0].taskArn), 'assignment');
  const policy = fromWireAssignment(wire).hostAccess!;
  assert.equal(policy.hostDockerVolumes, true, 'the agent gets the policy for its own check');
  assert.equal(policy.privileged, false);
  assert.equal((await h.callAs(deployer, 'UpdateService', { cluster: 'hx', service: 'sv', taskDefinition: 'shared' })).status, 200);

  // Disabled again: scaling down (and other updates that start nothing) stay possible; starting more does not.
  assert.equal((await h.call('UpdateClusterSettings', { cluster: 'hx', settings: [{ name: 'stevedore:allowHostDockerVolumes', value: 'disabled' }] })).status, 200);
  assert.equal((await h.callAs(deployer, 'UpdateService', { cluster: 'hx', service: 'sv', desiredCount: 0 })).status, 200);
  refused(await h.callAs(deployer, 'UpdateService', { cluster: 'hx', service: 'sv', desiredCount: 2 }), 'UpdateService scale up');
  refused(await h.callAs(deployer, 'UpdateService', { cluster: 'hx', service: 'sv', forceNewDeployment: true }), 'UpdateService force');
});

test('registration refuses what no setting allows (the runtime socket) and malformed kernel parameter names', async () => {
  const sock = await h.callAs(deployer, 'RegisterTaskDefinition', {
    family: 'sock',
    volumes: [{ name: 'd', host: { sourcePath: '/var/run/docker.sock' } }],
    containerDefinitions: [{ ...app, mountPoints: [{ sourceVolume: 'd', containerPath: '/s' }] }],
  });
  assert.equal(sock.body['__type'], 'ClientException');
  assert.match(sock.body['message'], /volumes\[0\]\.host\.sourcePath.*never mounted/);
  const sysctl = await h.callAs(deployer, 'RegisterTaskDefinition', { family: 'sysctl', containerDefinitions: [{ ...app, systemControls: [{ namespace: 'net.ipv4/../../kernel/core_pattern', value: '|/x' }] }] });
  assert.equal(sysctl.body['__type'], 'InvalidParameterException');
  assert.match(sysctl.body['message'], /containerDefinitions\[0\]\.systemControls\[0\]\.namespace/);
  // What a setting can allow registers: the cluster decides at launch.
  await register(deployer, { family: 'caps', containerDefinitions: [{ ...app, linuxParameters: { capabilities: { add: ['SYS_ADMIN'] } } }] });
  const run = await h.callAs(deployer, 'RunTask', { cluster: 'hx', taskDefinition: 'caps' });
  assert.match(run.body['message'], /containerDefinitions\[0\]\.linuxParameters\.capabilities\.add: capabilities beyond Docker's default set \(SYS_ADMIN\).*stevedore:allowAddedCapabilities/);
});

test('only a policy granting stevedore:AllowHostAccess changes a host-access setting, at create or update; DescribeClusters shows every switch', async () => {
  for (const key of [deployer, operator]) {
    for (const value of ['enabled', 'disabled']) {
      const upd = await h.callAs(key, 'UpdateClusterSettings', { cluster: 'hx', settings: [{ name: 'stevedore:allowPrivilegedContainers', value }] });
      assert.equal(upd.body['__type'], 'AccessDeniedException', JSON.stringify(upd.body));
      // The deployer lacks ecs:UpdateClusterSettings too; the operator has it, and is refused for the switch alone.
      if (key === operator) assert.match(upd.body['message'], /not authorized to perform: stevedore:AllowHostAccess on resource: arn:aws:ecs:us-east-1:000000000000:cluster\/hx/);
    }
    // Smuggled among other settings, or malformed: still the admin's call.
    for (const settings of [[{ name: 'containerInsights', value: 'enabled' }, { name: 'stevedore:allowHostPid', value: 'enabled' }], 'stevedore:allowHostPid', [null], [{ value: 'enabled' }]]) {
      assert.equal((await h.callAs(key, 'UpdateClusterSettings', { cluster: 'hx', settings })).body['__type'], 'AccessDeniedException', JSON.stringify(settings));
    }
  }
  const created = await h.callAs(operator, 'CreateCluster', { clusterName: 'hz', settings: [{ name: 'stevedore:allowHostNetwork', value: 'enabled' }] });
  assert.equal(created.body['__type'], 'AccessDeniedException');
  assert.equal(h.cp.store.clusters.get('hz'), undefined, 'nothing created');
  assert.equal((await h.callAs(operator, 'UpdateClusterSettings', { cluster: 'hx', settings: [{ name: 'containerInsights', value: 'enabled' }] })).status, 200, 'other settings stay an ECS permission');
  assert.equal((await h.callAs(hostAdmin, 'UpdateClusterSettings', { cluster: 'hx', settings: [{ name: 'stevedore:allowHostNetwork', value: 'enabled' }] })).status, 200);

  const described = await h.callAs(deployer, 'DescribeClusters', { clusters: ['hx'], include: ['SETTINGS'] });
  const settings = new Map((described.body['clusters'][0].settings as { name: string; value: string }[]).map((s) => [s.name, s.value]));
  assert.equal(settings.get('stevedore:allowHostNetwork'), 'enabled');
  assert.equal(settings.get('containerInsights'), 'enabled');
  for (const name of ['stevedore:allowPrivilegedContainers', 'stevedore:allowHostPid', 'stevedore:allowHostIpc', 'stevedore:allowAddedCapabilities', 'stevedore:allowHostDevices',
    'stevedore:allowHostPathVolumes', 'stevedore:allowHostDockerVolumes', 'stevedore:allowSecurityOptions', 'stevedore:allowHostSystemControls']) {
    assert.equal(settings.get(name), 'disabled', name);
  }
});

test('setting names from Object.prototype are refused, not looked up', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const r = await h.call('UpdateClusterSettings', { cluster: 'hx', settings: [{ name, value: 'enabled' }] });
    assert.equal(r.body['__type'], 'InvalidParameterException', name);
    const c = await h.call('CreateCluster', { clusterName: 'hp', settings: [{ name, value: 'enabled' }] });
    assert.equal(c.body['__type'], 'InvalidParameterException', name);
  }
  const raw = await h.call('UpdateClusterSettings', JSON.parse('{"cluster":"hx","settings":[{"name":"__proto__","value":"enabled"}],"__proto__":{"name":"stevedore:allowPrivilegedContainers"}}'));
  assert.equal(raw.body['__type'], 'InvalidParameterException');
  assert.equal(h.cp.store.clusters.get('hx')!.settings.some((s) => s.name === 'stevedore:allowPrivilegedContainers'), false);
});
