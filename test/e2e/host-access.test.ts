/**
 * Host access through task definitions, end to end on real Docker, as an
 * attacker holding a deployer key would try it (docs/design/host-access.md):
 * every launch path refuses with an ECS 4xx naming the field and the setting,
 * and nothing reaches Docker; the deployer cannot flip the settings; once an
 * admin enables one, the task runs; once it is withdrawn, the agent's own
 * check refuses what the control plane still schedules.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiCallError, call, ECS_TARGET, type Credentials } from '../helpers/api';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, inspectContainer, killContainer, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let deployer: Credentials;
let instanceArn: string;

before(async () => {
  c = await startCluster({ agents: 1, test: hooks, hostIp: () => '127.0.1.2', readyTimeoutMs: 60_000 });
  const cluster = `arn:aws:ecs:*:*:cluster/${c.name}`;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['ecs:RunTask', 'ecs:StartTask', 'ecs:StopTask', 'ecs:Describe*', 'ecs:List*'], Resource: [cluster] },
      { Effect: 'Allow', Action: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices'], Resource: [`arn:aws:ecs:*:*:service/${c.name}/*`] },
      { Effect: 'Allow', Action: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], Resource: ['*'] },
      // Even ECS's own cluster-settings permission: the host-access switches need stevedore:AllowHostAccess on top.
      { Effect: 'Allow', Action: ['ecs:UpdateClusterSettings', 'ecs:CreateCluster'], Resource: ['*'] },
    ],
  };
  await c.callStevedore('CreateRole', { roleName: 'deployer', policyDocument: JSON.stringify(policy) });
  deployer = (await c.callStevedore('CreateAccessKey', { roleName: 'deployer' })).accessKey as Credentials;
  instanceArn = await c.instanceArnOf(0);
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const asDeployer = <T = any>(op: string, body: Record<string, unknown>) => call<T>(c.endpoint, op, { cluster: c.name, ...body }, ECS_TARGET, deployer);
const app = { name: 'app', image: TEST_IMAGE, command: ['sleep', '300'], memory: 32 };
const mounting = (volume: string) => ({ ...app, mountPoints: [{ sourceVolume: volume, containerPath: '/v' }] });

async function register(td: Record<string, unknown>): Promise<string> {
  const r = await call(c.endpoint, 'RegisterTaskDefinition', td, ECS_TARGET, deployer);
  return `${r.taskDefinition.family}:${r.taskDefinition.revision}`;
}

/** The call fails with a 4xx of this type whose message names the field (and the setting, when one allows it). */
async function refused(p: Promise<unknown>, type: string, field: string, setting?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiCallError, String(e));
    assert.ok(e.status >= 400 && e.status < 500, e.message);
    assert.equal(e.type, type, e.message);
    assert.ok(e.serverMessage.includes(field), `${e.message} names ${field}`);
    if (setting) assert.ok(e.serverMessage.includes(setting), `${e.message} names ${setting}`);
    return true;
  });
}

/** Nothing of this cluster in Docker: no container, no volume (task volumes carry the cluster label, the shared ones here too). */
async function nothingInDocker(): Promise<void> {
  assert.deepEqual(await c.containers(), [], 'no container');
  const { stdout } = await docker(['volume', 'ls', '-q', '--filter', `label=stevedore.cluster=${c.name}`]);
  assert.equal(stdout.trim(), '', 'no volume');
  assert.equal((await c.call('ListTasks', { desiredStatus: 'RUNNING' })).taskArns.length, 0, 'no task');
}

/** A shared volume is named as the task definition names it, host-wide: unique per run, labelled so the harness removes it. */
const sharedVolume = (name: string) => ({ name, dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local', labels: { 'stevedore.cluster': c.name } } });

describe('host access with a deployer key', () => {
  test('RegisterTaskDefinition refuses what no setting allows: the runtime socket, a kernel parameter path', async () => {
    await refused(
      register({ family: 'sock', volumes: [{ name: 'd', host: { sourcePath: '/run' } }], containerDefinitions: [mounting('d')] }),
      'ClientException',
      'volumes[0].host.sourcePath',
    );
    // The host's root through the local driver's bind option: it holds the runtime socket, so no setting allows it.
    await refused(
      register({ family: 'rootfs', volumes: [{ name: 'root', dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/' } } }], containerDefinitions: [mounting('root')] }),
      'ClientException',
      'volumes[0].dockerVolumeConfiguration.driverOpts',
    );
    await refused(
      register({ family: 'sysctl', containerDefinitions: [{ ...app, systemControls: [{ namespace: 'net.ipv4/../../kernel/core_pattern', value: '|/bin/sh' }] }] }),
      'InvalidParameterException',
      'containerDefinitions[0].systemControls[0].namespace',
    );
    await nothingInDocker();
  });

  test('RunTask, StartTask, CreateService, UpdateService and overrides refuse each kind of host access; nothing reaches Docker', async () => {
    const etc = await register({
      family: 'etc',
      volumes: [{ name: 'etc', dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/etc' } } }],
      containerDefinitions: [mounting('etc')],
    });
    const shared = await register({ family: 'shared', volumes: [sharedVolume(`${c.name}-refused`)], containerDefinitions: [mounting(`${c.name}-refused`)] });
    const ipc = await register({ family: 'ipc', ipcMode: 'host', containerDefinitions: [app] });
    const seccomp = await register({ family: 'seccomp', containerDefinitions: [{ ...app, dockerSecurityOptions: ['no-new-privileges', 'seccomp=unconfined'] }] });
    const caps = await register({ family: 'caps', containerDefinitions: [{ ...app, linuxParameters: { capabilities: { add: ['CHOWN', 'SYS_ADMIN'] } } }] });
    const sysctl = await register({ family: 'core-pattern', containerDefinitions: [{ ...app, systemControls: [{ namespace: 'kernel.core_pattern', value: '|/bin/sh' }] }] });
    const plain = await register({ family: 'plain', containerDefinitions: [app] });

    await refused(asDeployer('RunTask', { taskDefinition: etc }), 'ClientException', 'volumes[0].dockerVolumeConfiguration.driverOpts', 'stevedore:allowHostDockerVolumes');
    await refused(asDeployer('RunTask', { taskDefinition: shared }), 'ClientException', 'volumes[0].dockerVolumeConfiguration.scope', 'stevedore:allowHostDockerVolumes');
    await refused(asDeployer('StartTask', { taskDefinition: ipc, containerInstances: [instanceArn] }), 'ClientException', 'ipcMode', 'stevedore:allowHostIpc');
    await refused(asDeployer('CreateService', { serviceName: 'sec', taskDefinition: seccomp, desiredCount: 1 }), 'ClientException', 'containerDefinitions[0].dockerSecurityOptions[1]', 'stevedore:allowSecurityOptions');
    await asDeployer('CreateService', { serviceName: 'plain', taskDefinition: plain, desiredCount: 0 });
    await refused(asDeployer('UpdateService', { service: 'plain', taskDefinition: caps }), 'ClientException', 'containerDefinitions[0].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities');
    // Overrides: the definition with them applied is what is checked, and they cannot carry host access themselves.
    await refused(asDeployer('RunTask', { taskDefinition: sysctl, overrides: { containerOverrides: [{ name: 'app', command: ['true'] }] } }), 'ClientException', 'containerDefinitions[0].systemControls[0].namespace', 'stevedore:allowHostSystemControls');
    await nothingInDocker();
    await asDeployer('DeleteService', { service: 'plain', force: true });

    // ECS's ContainerOverride has no `privileged`: like any member the model does not have, it is
    // ignored (as AWS ignores it), so it can grant nothing: the container runs unprivileged.
    const run = await asDeployer('RunTask', { taskDefinition: plain, overrides: { containerOverrides: [{ name: 'app', privileged: true }] } });
    const taskArn = run.tasks[0].taskArn as string;
    assert.ok(!JSON.stringify(run.tasks[0].overrides ?? {}).includes('privileged'), 'the override is not kept');
    const started = await waitFor(
      async () => (await listContainers({ 'stevedore.task': taskArn })).find((x) => x.state === 'running'),
      { description: 'the task with the ignored override running', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal((await inspectContainer(started.id)).HostConfig.Privileged, false, 'not privileged');
    await c.call('StopTask', { task: taskArn });
    await waitFor(
      async () => ((await listContainers({ 'stevedore.task': taskArn })).some((x) => x.state === 'running') ? undefined : true),
      { description: 'the task stopped', timeoutMs: 60_000, intervalMs: 200 },
    );
  });

  test('a deployer cannot enable (or disable) a host-access setting; DescribeClusters shows them all', async () => {
    for (const value of ['enabled', 'disabled']) {
      await assert.rejects(
        asDeployer('UpdateClusterSettings', { settings: [{ name: 'stevedore:allowHostDockerVolumes', value }] }),
        (e: ApiCallError) => e.type === 'AccessDeniedException' && /not authorized to perform: stevedore:AllowHostAccess on resource: .*cluster\//.test(e.message),
      );
    }
    await assert.rejects(
      call(c.endpoint, 'CreateCluster', { clusterName: `${c.name}-host`, settings: [{ name: 'stevedore:allowPrivilegedContainers', value: 'enabled' }] }, ECS_TARGET, deployer),
      (e: ApiCallError) => e.type === 'AccessDeniedException' && /stevedore:AllowHostAccess/.test(e.message),
    );
    const { clusters } = await asDeployer('DescribeClusters', { clusters: [c.name], include: ['SETTINGS'] });
    const settings = new Map((clusters[0].settings as { name: string; value: string }[]).map((s) => [s.name, s.value]));
    assert.equal(settings.get('stevedore:allowHostDockerVolumes'), 'disabled');
    assert.equal(settings.get('stevedore:allowPrivilegedContainers'), 'disabled');
    await refused(asDeployer('RunTask', { taskDefinition: 'shared' }), 'ClientException', 'volumes[0].dockerVolumeConfiguration.scope');
  });

  test('once an admin enables the setting, the shared-volume task runs; once it is withdrawn, the agent refuses the replacement itself', async () => {
    await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:allowHostDockerVolumes', value: 'enabled' }] });
    const volume = `${c.name}-data`;
    const td = await register({ family: 'shared-svc', volumes: [sharedVolume(volume)], containerDefinitions: [mounting(volume)] });
    await asDeployer('CreateService', { serviceName: 'data', taskDefinition: td, desiredCount: 1 });
    const first = await waitFor(
      async () => (await c.containers()).find((x) => x.state === 'running'),
      { description: 'the shared-volume task running', timeoutMs: 60_000, intervalMs: 200 },
    );
    const mounts = (await inspectContainer(first.id)).Mounts as { Type: string; Name?: string; Destination: string }[];
    assert.ok(mounts.some((m) => m.Type === 'volume' && m.Name === volume && m.Destination === '/v'), JSON.stringify(mounts));

    // Withdrawn: the control plane still replaces the service's task; the agent, holding the current policy, refuses it.
    await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:allowHostDockerVolumes', value: 'disabled' }] });
    await killContainer(first.id);
    const replacement = await waitFor(
      async () => {
        const { taskArns } = await c.call('ListTasks', { serviceName: 'data', desiredStatus: 'STOPPED' });
        if (taskArns.length === 0) return undefined;
        const { tasks } = await c.call('DescribeTasks', { tasks: taskArns });
        return tasks.find((t: any) => /CannotCreateContainerError/.test(t.stoppedReason ?? ''));
      },
      { description: 'a replacement refused by the agent', timeoutMs: 60_000, intervalMs: 300 },
    );
    assert.equal(replacement.stopCode, 'TaskFailedToStart');
    assert.match(replacement.stoppedReason, /volumes\[0\]\.dockerVolumeConfiguration\.scope.*stevedore:allowHostDockerVolumes/);
    assert.deepEqual(await listContainers({ 'stevedore.task': replacement.taskArn }), [], 'the refused task created no container');
    await c.call('UpdateService', { service: 'data', desiredCount: 0 });
    await c.call('DeleteService', { service: 'data', force: true });
  });
});
