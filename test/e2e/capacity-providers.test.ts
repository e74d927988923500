import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Capacity providers end to end: one control plane and no agent of its own.
// A host group with the local provisioner starts real agent processes on
// 127.0.11.100-109 (this engineer's loopback range) against the real dockerd;
// managed scaling grows it for a service that does not fit and shrinks it
// after a short cooldown. An exec group's failing create is retried and
// reported, and a host that never joins is destroyed with the reason.

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
const suffix = Math.random().toString(16).slice(2, 8);
const GROUP = `cp-hosts-${suffix}`;
const PROVIDER = `cp-${suffix}`;
// Agents register docker's CPUs × 1024: a task of half that fits twice on a host.
const HALF_CPU = (os.cpus().length * 1024) / 2;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'stevedore-cp-e2e-'));

before(async () => {
  c = await startCluster({
    agents: 0,
    test: hooks,
    readyTimeoutMs: 60_000,
    controlPlaneArgs: ['--capacity-scaling-interval', '500ms', '--capacity-scale-in-cooldown', '3s'],
  });
  await c.call('RegisterTaskDefinition', {
    family: 'half',
    cpu: String(HALF_CPU),
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
  // More than half a host: one per host.
  await c.call('RegisterTaskDefinition', {
    family: 'big',
    cpu: String(HALF_CPU + 256),
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
  await c.call('RegisterTaskDefinition', {
    family: 'watcher',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 8, stopTimeout: 2 }],
  });
});
after(async () => {
  try {
    for (const fn of hooks.fns) await fn();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

async function group(name: string): Promise<any> {
  return (await c.callStevedore('DescribeHostGroups', { hostGroupNames: [name] })).hostGroups[0];
}

async function activities(name: string): Promise<any[]> {
  return (await c.callStevedore('DescribeHostGroupActivities', { hostGroupName: name })).activities;
}

async function service(name: string): Promise<any> {
  return (await c.call('DescribeServices', { services: [name] })).services[0];
}

async function tasksOf(name: string): Promise<any[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: name })).taskArns;
  return arns.length ? (await c.call('DescribeTasks', { tasks: arns })).tasks : [];
}

function agentPid(hostId: string, groupName = GROUP): number | undefined {
  const file = path.join(c.dataDir, 'control-plane', 'host-groups', c.name, groupName, hostId, 'agent.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function agentAlive(hostId: string): boolean {
  return agentPid(hostId) !== undefined;
}

test('0 hosts: a service of 4 that fits 2 per host gets 2 new hosts with a daemon task each; scaled to 0, the hosts drain and go', async () => {
  const created = await c.callStevedore('CreateHostGroup', {
    hostGroupName: GROUP,
    cluster: c.name,
    minSize: 0,
    maxSize: 3,
    desiredCapacity: 0,
    joinTimeoutSeconds: 60,
    attributes: [{ name: 'role', value: 'web' }],
    provisioner: { type: 'local', local: { hostIps: '127.0.11.100-127.0.11.109' } },
  });
  const arn: string = created.hostGroup.hostGroupArn;
  assert.match(arn, new RegExp(`^arn:aws:autoscaling:us-east-1:\\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName/${GROUP}$`));
  await c.call('CreateCapacityProvider', {
    name: PROVIDER,
    // A short warm-up: a new host counts toward scaling a second after it joined (ECS's default is 300 s).
    autoScalingGroupProvider: { autoScalingGroupArn: arn, managedScaling: { status: 'ENABLED', targetCapacity: 100, instanceWarmupPeriod: 1 }, managedTerminationProtection: 'ENABLED' },
  });
  const described = (await c.call('DescribeCapacityProviders', { capacityProviders: [PROVIDER] })).capacityProviders[0];
  assert.equal(described.autoScalingGroupProvider.autoScalingGroupArn, arn);
  assert.equal(described.autoScalingGroupProvider.managedScaling.status, 'ENABLED');
  await c.call('PutClusterCapacityProviders', { cluster: c.name, capacityProviders: [PROVIDER], defaultCapacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }] });
  const cl = (await c.call('DescribeClusters', { clusters: [c.name] })).clusters[0];
  assert.ok(cl.capacityProviders.includes(PROVIDER), JSON.stringify(cl.capacityProviders));

  await c.call('CreateService', { serviceName: 'watcher', taskDefinition: 'watcher', schedulingStrategy: 'DAEMON' });
  // No launchType, no strategy: the cluster's default strategy is the service's.
  const web = (await c.call('CreateService', { serviceName: 'web', taskDefinition: 'half', desiredCount: 4 })).service;
  assert.deepEqual(web.capacityProviderStrategy, [{ capacityProvider: PROVIDER, weight: 1 }]);
  assert.equal(web.launchType, undefined);

  const steady = await waitFor(
    async () => {
      const s = await service('web');
      return s.runningCount === 4 ? s : undefined;
    },
    { description: 'web: 4 tasks RUNNING on hosts the group created', timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(steady.pendingCount, 0);
  const g = await group(GROUP);
  const inService = g.hosts.filter((h: any) => h.lifecycleState === 'InService');
  assert.equal(inService.length, 2, `two hosts, not more: ${JSON.stringify(g.hosts)}`);
  assert.equal(g.desiredCapacity, 2);
  const byInstance = new Map<string, number>();
  for (const t of await tasksOf('web')) byInstance.set(t.containerInstanceArn, (byInstance.get(t.containerInstanceArn) ?? 0) + 1);
  assert.deepEqual([...byInstance.values()].sort(), [2, 2]);
  assert.deepEqual(new Set(byInstance.keys()), new Set(inService.map((h: any) => h.containerInstanceArn)));
  // Each new host got the daemon's task too.
  await waitFor(async () => (await service('watcher')).runningCount === 2, { description: 'watcher RUNNING on both new hosts', timeoutMs: 30_000, intervalMs: 250 });
  const watcherHosts = new Set((await tasksOf('watcher')).map((t) => t.containerInstanceArn));
  assert.deepEqual(watcherHosts, new Set(byInstance.keys()));
  const inst = (await c.instances()).find((i) => i.containerInstanceArn === inService[0].containerInstanceArn);
  assert.ok(inst.attributes.some((a: any) => a.name === 'role' && a.value === 'web'));
  assert.equal(inst.capacityProviderName, PROVIDER);
  // RunTask with the provider's strategy lands on the group's hosts too.
  const run = await c.call('RunTask', { taskDefinition: 'watcher', capacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }] });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  assert.ok(byInstance.has(run.tasks[0].containerInstanceArn));
  await c.call('StopTask', { task: run.tasks[0].taskArn });
  const launches = (await activities(GROUP)).filter((a) => a.description.startsWith('Launching'));
  assert.equal(launches.length, 2);
  for (const a of launches) assert.equal(a.statusCode, 'Successful', JSON.stringify(a));
  assert.ok((await activities(GROUP)).some((a) => /Managed scaling by capacity provider/.test(a.description) && /CapacityProviderReservation 200/.test(a.cause)));

  // While the provider could grow, tasks waiting for it were not reported as placement failures.
  const events = (await service('web')).events.map((e: any) => e.message as string);
  assert.ok(!events.some((m: string) => /unable to place/.test(m)), events.join('\n'));
  // Past the group's maximum (3 hosts, 6 tasks), the seventh is the usual placement failure.
  await c.call('UpdateService', { service: 'web', desiredCount: 7 });
  await waitFor(
    async () => {
      const s = await service('web');
      return s.runningCount === 6 && s.events.some((e: any) => /was unable to place a task/.test(e.message)) ? s : undefined;
    },
    { description: 'web: 6 RUNNING on 3 hosts, the 7th reported unplaceable', timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal((await group(GROUP)).hosts.filter((h: any) => h.lifecycleState === 'InService').length, 3);

  // Scale to 0: after the cooldown the hosts drain (daemon tasks last) and are destroyed.
  await c.call('UpdateService', { service: 'web', desiredCount: 0 });
  const gone = await waitFor(
    async () => {
      const x = await group(GROUP);
      return x.desiredCapacity === 0 && x.hosts.length === 0 ? x : undefined;
    },
    { description: 'both hosts drained and terminated', timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal(gone.hosts.length, 0);
  for (const h of inService) assert.equal(agentAlive(h.hostId), false, `agent of ${h.hostId} stopped`);
  const instances = await c.instances();
  assert.equal(instances.filter((i) => i.status !== 'INACTIVE').length, 0);
  const terminations = (await activities(GROUP)).filter((a) => a.description.startsWith('Terminating'));
  assert.equal(terminations.length, 3);
  for (const a of terminations) assert.equal(a.statusCode, 'Successful', JSON.stringify(a));
  assert.equal((await service('watcher')).runningCount, 0);
  assert.equal((await c.containers()).filter((x) => x.state === 'running').length, 0);
});

/** A group of local hosts on this engineer's loopback range, with its capacity provider (managed scaling, 1 s warm-up). */
async function groupWithProvider(name: string, ips: string, sizes: { minSize: number; maxSize: number; desiredCapacity: number }): Promise<void> {
  const created = await c.callStevedore('CreateHostGroup', { hostGroupName: name, cluster: c.name, ...sizes, joinTimeoutSeconds: 60, provisioner: { type: 'local', local: { hostIps: ips } } });
  await c.call('CreateCapacityProvider', {
    name: `${name}-cp`,
    autoScalingGroupProvider: { autoScalingGroupArn: created.hostGroup.hostGroupArn, managedScaling: { status: 'ENABLED', targetCapacity: 100, instanceWarmupPeriod: 1 } },
  });
}

async function deleteGroups(names: string[]): Promise<void> {
  await c.call('PutClusterCapacityProviders', { cluster: c.name, capacityProviders: [PROVIDER], defaultCapacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }] });
  for (const n of names) await c.call('DeleteCapacityProvider', { capacityProvider: `${n}-cp` });
  for (const n of names) await c.callStevedore('DeleteHostGroup', { hostGroupName: n });
  await waitFor(async () => (await c.callStevedore('DescribeHostGroups', { hostGroupNames: names })).hostGroups.length === 0, { description: 'groups deleted', timeoutMs: 30_000, intervalMs: 300 });
}

const SOLO = `cp-solo-${suffix}`;
const LEFT = `cp-left-${suffix}`;
const RIGHT = `cp-right-${suffix}`;

test('RunTask on a provider with no host: PROVISIONING, a host is created, the task RUNNING; at the maximum the other stops with the placement failure', async () => {
  await groupWithProvider(SOLO, '127.0.20.100-127.0.20.101', { minSize: 0, maxSize: 1, desiredCapacity: 0 });
  await c.call('PutClusterCapacityProviders', { cluster: c.name, capacityProviders: [PROVIDER, `${SOLO}-cp`], defaultCapacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }] });
  const run = await c.call('RunTask', { taskDefinition: 'big', count: 2, capacityProviderStrategy: [{ capacityProvider: `${SOLO}-cp`, weight: 1 }] });
  assert.deepEqual(run.failures, []);
  assert.deepEqual(run.tasks.map((t: any) => [t.lastStatus, t.capacityProviderName, t.containerInstanceArn]), [
    ['PROVISIONING', `${SOLO}-cp`, undefined],
    ['PROVISIONING', `${SOLO}-cp`, undefined],
  ]);
  // The weighted test's groups boot meanwhile (each keeps one host: minSize 1).
  await groupWithProvider(LEFT, '127.0.20.110-127.0.20.119', { minSize: 1, maxSize: 2, desiredCapacity: 1 });
  await groupWithProvider(RIGHT, '127.0.20.120-127.0.20.129', { minSize: 1, maxSize: 2, desiredCapacity: 1 });
  const arns = run.tasks.map((t: any) => t.taskArn);
  const done = await waitFor(
    async () => {
      const ts = (await c.call('DescribeTasks', { tasks: arns })).tasks;
      return ts.some((t: any) => t.lastStatus === 'RUNNING') && ts.some((t: any) => t.lastStatus === 'STOPPED') ? ts : undefined;
    },
    { description: 'one task RUNNING on the new host, the other stopped at the group maximum', timeoutMs: 60_000, intervalMs: 300 },
  );
  // Oldest first: the first task got the host.
  const [first, second] = arns.map((a: string) => done.find((t: any) => t.taskArn === a));
  assert.equal(first.lastStatus, 'RUNNING');
  const host = (await group(SOLO)).hosts.find((h: any) => h.lifecycleState === 'InService');
  assert.equal(first.containerInstanceArn, host.containerInstanceArn);
  assert.equal(second.stopCode, 'TaskFailedToStart');
  assert.match(second.stoppedReason, /^Unable to place a task because no container instance met all of its requirements\. .*insufficient CPU.*Capacity provider cp-solo-\w+-cp cannot add a host\.$/);
  assert.equal(second.containerInstanceArn, undefined);
  await c.call('StopTask', { task: first.taskArn });
});

test('base and weight over two providers place tasks on both groups\' hosts accordingly', async () => {
  await c.call('PutClusterCapacityProviders', {
    cluster: c.name,
    capacityProviders: [PROVIDER, `${SOLO}-cp`, `${LEFT}-cp`, `${RIGHT}-cp`],
    defaultCapacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }],
  });
  const strategy = [
    { capacityProvider: `${LEFT}-cp`, base: 1, weight: 1 },
    { capacityProvider: `${RIGHT}-cp`, weight: 3 },
  ];
  await c.call('CreateService', { serviceName: 'weighted', taskDefinition: 'watcher', desiredCount: 5, capacityProviderStrategy: strategy });
  await waitFor(async () => (await service('weighted')).runningCount === 5, { description: 'weighted: 5 RUNNING', timeoutMs: 60_000, intervalMs: 300 });
  const hostsOf = async (name: string) => new Set<string>((await group(name)).hosts.map((h: any) => h.containerInstanceArn));
  const [left, right] = [await hostsOf(LEFT), await hostsOf(RIGHT)];
  const tasks = await tasksOf('weighted');
  const on = (hosts: Set<string>, cp: string) => tasks.filter((t) => hosts.has(t.containerInstanceArn) && t.capacityProviderName === cp).length;
  // base 1 on the left, the other 4 split 1:3.
  assert.deepEqual([on(left, `${LEFT}-cp`), on(right, `${RIGHT}-cp`)], [2, 3], JSON.stringify(tasks.map((t) => [t.capacityProviderName, t.containerInstanceArn])));
  await c.call('DeleteService', { service: 'weighted', force: true });
  await waitFor(async () => (await service('weighted')).status === 'INACTIVE', { description: 'weighted deleted', timeoutMs: 30_000, intervalMs: 300 });
  await deleteGroups([SOLO, LEFT, RIGHT]);
});

test('exec provisioner: a failing create is retried and reported; a host that never joins is destroyed with the reason', async () => {
  const counter = path.join(scratch, 'attempts');
  const destroyed = path.join(scratch, 'destroyed');
  const create = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; if [ "$n" -lt 1 ]; then echo "boom: no capacity in the pool" >&2; exit 3; fi; test -n "$STEVEDORE_TOKEN" || exit 9; echo "creating $STEVEDORE_HOST_ID"; echo vm-$STEVEDORE_HOST_ID`;
  const name = `cp-exec-${suffix}`;
  await c.callStevedore('CreateHostGroup', {
    hostGroupName: name,
    cluster: c.name,
    minSize: 0,
    maxSize: 1,
    desiredCapacity: 1,
    joinTimeoutSeconds: 10,
    provisioner: { type: 'exec', exec: { createCommand: create, destroyCommand: `printf '%s\\n' >> ${destroyed}`, timeoutSeconds: 5, retries: 2 } },
  });
  const launch = await waitFor(
    async () => (await activities(name)).find((a) => a.description.startsWith('Launching') && a.statusCode === 'Failed' && /did not join/.test(a.statusMessage ?? '')),
    { description: 'the launch failed for want of a join', timeoutMs: 30_000, intervalMs: 300 },
  );
  assert.match(launch.details, /attempt 1 of 3: create command exited with 3/);
  assert.match(launch.details, /boom: no capacity in the pool/);
  assert.match(launch.details, /creating h-/);
  const termination = await waitFor(
    async () => (await activities(name)).find((a) => a.description.startsWith('Terminating') && a.statusCode === 'Successful'),
    { description: 'the unjoined host destroyed', timeoutMs: 20_000, intervalMs: 300 },
  );
  assert.match(termination.cause, /the host did not join the cluster within 10 s/);
  assert.equal(readFileSync(destroyed, 'utf8').trim().split('\n')[0], `vm-${launch.hostId}`);
  await c.callStevedore('DeleteHostGroup', { hostGroupName: name });
  await waitFor(async () => (await c.callStevedore('DescribeHostGroups', { hostGroupNames: [name] })).hostGroups.length === 0, { description: 'exec group deleted', timeoutMs: 30_000, intervalMs: 300 });
  assert.ok(existsSync(destroyed));
});

test('a control-plane restart re-adopts the local hosts it started: none duplicated; the CLI follows the group and DeleteHostGroup stops them', async () => {
  const name = `cp-restart-${suffix}`;
  const created = await c.cli(['host-group', 'create', name, '--provisioner', 'local', '--host-ips', '127.0.11.110-127.0.11.112', '--min', '0', '--max', '3', '--desired', '1', '--wait', '--output', 'json']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /127\.0\.11\.110: InService/);
  const first = JSON.parse(created.stdout).hostGroup.hosts.find((h: any) => h.lifecycleState === 'InService');
  assert.equal(first.hostIp, '127.0.11.110');
  const pid = agentPid(first.hostId, name)!;
  assert.ok(pid > 0);
  await c.restartControlPlane();
  // The controller is running again once it acts on a new desired capacity.
  const scaled = await c.cli(['host-group', 'scale', name, '2', '--wait']);
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.match(scaled.stderr, /127\.0\.11\.111: (Pending|InService)/);
  const both = await group(name);
  assert.equal(both.hosts.length, 2);
  assert.ok(both.hosts.every((h: any) => h.lifecycleState === 'InService'));
  assert.ok(both.hosts.some((h: any) => h.hostId === first.hostId && h.hostIp === '127.0.11.110'));
  assert.ok(both.hosts.some((h: any) => h.hostIp === '127.0.11.111'));
  assert.equal(agentPid(first.hostId, name), pid, 'the first host is the same process');
  assert.equal((await activities(name)).filter((a) => a.description.startsWith('Launching')).length, 2);
  const listed = await c.cli(['host-group', 'activities', name]);
  assert.match(listed.stdout, /Successful\s+Launching a new host: h-/);
  const pids = both.hosts.map((h: any) => agentPid(h.hostId, name)!);
  const deleted = await c.cli(['host-group', 'delete', name, '--wait']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /deleted/);
  assert.equal((await c.callStevedore('DescribeHostGroups', { hostGroupNames: [name] })).hostGroups.length, 0);
  for (const p of pids) assert.equal(pidAlive(p), false, `agent ${p} stopped by DeleteHostGroup`);
});

test('local provisioner with its own dockerd: the host joins through it; destroying the host stops the daemon and removes its bridge', async () => {
  const name = `cp-own-${suffix}`;
  await c.callStevedore('CreateHostGroup', {
    hostGroupName: name,
    cluster: c.name,
    minSize: 0,
    maxSize: 1,
    desiredCapacity: 1,
    provisioner: { type: 'local', local: { hostIps: '127.0.11.113-127.0.11.114', ownDockerd: true } },
  });
  const host = await waitFor(async () => (await group(name)).hosts.find((h: any) => h.lifecycleState === 'InService'), { description: 'the own-dockerd host InService', timeoutMs: 60_000, intervalMs: 300 });
  const dir = path.join(c.dataDir, 'control-plane', 'host-groups', c.name, name, host.hostId);
  const dockerdPid = Number(readFileSync(path.join(dir, 'dockerd.pid'), 'utf8').trim());
  assert.ok(pidAlive(dockerdPid));
  const socket = path.join(os.tmpdir(), `svh-${host.hostId}`, 'docker.sock');
  assert.ok(readFileSync(`/proc/${agentPid(host.hostId, name)}/cmdline`, 'utf8').includes(`unix://${socket}`));
  assert.ok(existsSync(socket));
  const bridge = `svh${host.hostId.replace(/[^a-z0-9]/gi, '').slice(-10)}`;
  assert.ok(existsSync(`/sys/class/net/${bridge}`));
  await c.callStevedore('DeleteHostGroup', { hostGroupName: name });
  await waitFor(async () => (await c.callStevedore('DescribeHostGroups', { hostGroupNames: [name] })).hostGroups.length === 0, { description: 'own-dockerd group deleted', timeoutMs: 60_000, intervalMs: 300 });
  assert.equal(pidAlive(dockerdPid), false);
  assert.equal(existsSync(`/sys/class/net/${bridge}`), false);
  assert.equal(existsSync(socket), false);
});
