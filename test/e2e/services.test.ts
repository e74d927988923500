import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { killContainer, removeContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Services end to end: a control plane and four agents against the real
// dockerd, agents 0-1 in zone za and 2-3 in zone zb, a short lost-instance
// grace. Driven through the public API; Docker is checked with the docker CLI.

const GRACE_S = 8;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
const zoneOf = (i: number) => (i < 2 ? 'za' : 'zb');

before(async () => {
  c = await startCluster({
    agents: 4,
    test: hooks,
    readyTimeoutMs: 60_000,
    agentArgs: (i) => ['--availability-zone', zoneOf(i)],
    controlPlaneArgs: ['--instance-lost-grace-seconds', String(GRACE_S)],
  });
  await c.call('RegisterTaskDefinition', {
    family: 'sleeper',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

async function service(name: string): Promise<any> {
  return (await c.call('DescribeServices', { services: [name] })).services[0];
}

async function tasksOf(name: string): Promise<any[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: name })).taskArns;
  return arns.length ? (await c.call('DescribeTasks', { tasks: arns })).tasks : [];
}

function steady(name: string, desired: number, timeoutMs = 90_000): Promise<any> {
  return waitFor(
    async () => {
      const s = await service(name);
      return s.runningCount === desired && s.pendingCount === 0 && s.desiredCount === desired ? s : undefined;
    },
    { description: `service ${name} steady with ${desired} RUNNING`, timeoutMs, intervalMs: 250 },
  );
}

/** Agent index of each instance ARN, from the harness's index attribute. */
async function agentIndexByArn(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const inst of await c.instances()) {
    const a = (inst.attributes as { name: string; value?: string }[]).find((x) => x.name === 'stevedore.test.agent-index');
    if (a?.value !== undefined) out.set(inst.containerInstanceArn, Number(a.value));
  }
  return out;
}

async function runningContainers(serviceName: string): Promise<number> {
  const tasks = new Set((await tasksOf(serviceName)).map((t) => t.taskArn as string));
  const all = await c.containers();
  return all.filter((x) => x.state === 'running' && tasks.has(x.labels['stevedore.task'] ?? '')).length;
}

async function allServiceContainers(serviceName: string): Promise<number> {
  // Every running container of the cluster whose task belongs to the service, wanted or not.
  const arns = new Set<string>();
  for (const status of ['RUNNING', 'STOPPED']) for (const a of (await c.call('ListTasks', { serviceName, desiredStatus: status })).taskArns as string[]) arns.add(a);
  return (await c.containers()).filter((x) => x.state === 'running' && arns.has(x.labels['stevedore.task'] ?? '')).length;
}

test('a service of 6 spreads over two zones; a killed essential container is replaced', async () => {
  await c.call('CreateService', { serviceName: 'spread', taskDefinition: 'sleeper', desiredCount: 6 });
  const s = await steady('spread', 6);
  assert.match(s.events.map((e: any) => e.message).join('\n'), /\(service spread\) has started 6 tasks/);
  const byArn = await agentIndexByArn();
  const zones = { za: 0, zb: 0 };
  for (const t of await tasksOf('spread')) zones[zoneOf(byArn.get(t.containerInstanceArn)!)]++;
  assert.deepEqual(zones, { za: 3, zb: 3 });
  await waitFor(async () => (await runningContainers('spread')) === 6, { description: '6 containers running', timeoutMs: 30_000 });

  const victim = (await tasksOf('spread'))[0];
  const container = (await c.containers({ 'stevedore.task': victim.taskArn }))[0]!;
  await killContainer(container.id);
  await waitFor(
    async () => {
      const tasks = await tasksOf('spread');
      return tasks.length === 6 && !tasks.some((t) => t.taskArn === victim.taskArn) && tasks.every((t) => t.lastStatus === 'RUNNING');
    },
    { description: 'the killed task replaced', timeoutMs: 60_000, intervalMs: 250 },
  );
  const stopped = (await c.call('DescribeTasks', { tasks: [victim.taskArn] })).tasks[0];
  assert.equal(stopped.stopCode, 'EssentialContainerExited');
  await steady('spread', 6);
});

test('binpack fills one instance first; distinctInstance and memberOf are respected and explained', async () => {
  await c.call('CreateService', { serviceName: 'packed', taskDefinition: 'sleeper', desiredCount: 3, placementStrategy: [{ type: 'binpack', field: 'memory' }] });
  await steady('packed', 3);
  const packed = new Set((await tasksOf('packed')).map((t) => t.containerInstanceArn));
  assert.equal(packed.size, 1, 'binpack puts all three on one instance');
  await c.call('UpdateService', { service: 'packed', desiredCount: 0 });
  await steady('packed', 0);
  await c.call('DeleteService', { service: 'packed' });

  const insts = await agentIndexByArn();
  const prod = [...insts].filter(([, i]) => i === 1 || i === 2).map(([arn]) => arn);
  await c.call('PutAttributes', { attributes: prod.map((targetId) => ({ name: 'stack', value: 'prod', targetId })) });
  await c.call('CreateService', {
    serviceName: 'pinned',
    taskDefinition: 'sleeper',
    desiredCount: 3,
    placementConstraints: [{ type: 'distinctInstance' }, { type: 'memberOf', expression: 'attribute:stack == prod' }],
  });
  const s = await waitFor(
    async () => {
      const x = await service('pinned');
      return x.runningCount === 2 && x.events.some((e: any) => /was unable to place a task/.test(e.message)) ? x : undefined;
    },
    { description: 'pinned: 2 running and a placement failure event', timeoutMs: 60_000, intervalMs: 250 },
  );
  const ev = s.events.find((e: any) => /was unable to place a task/.test(e.message)).message as string;
  assert.match(ev, /no container instance met all of its requirements/);
  assert.match(ev, /2 instances: (distinctInstance|memberOf) constraint; 2 instances: (distinctInstance|memberOf) constraint/);
  const where = (await tasksOf('pinned')).map((t) => t.containerInstanceArn);
  assert.deepEqual([...where].sort(), [...prod].sort());
  await c.call('DeleteService', { service: 'pinned', force: true });
});

test('draining moves service tasks away; the instance can be made ACTIVE again', async () => {
  const byArn = await agentIndexByArn();
  const arn3 = [...byArn].find(([, i]) => i === 3)![0];
  const on3 = () => tasksOf('spread').then((ts) => ts.filter((t) => t.containerInstanceArn === arn3).length);
  assert.ok((await on3()) > 0);
  const r = await c.call('UpdateContainerInstancesState', { containerInstances: [arn3], status: 'DRAINING' });
  assert.equal(r.containerInstances[0].status, 'DRAINING');
  await waitFor(async () => (await on3()) === 0, { description: 'no spread task left on the draining instance', timeoutMs: 90_000, intervalMs: 250 });
  await steady('spread', 6);
  await waitFor(async () => (await c.containers({ 'stevedore.instance': arn3.split('/').pop()! })).every((x) => x.state !== 'running'), {
    description: 'containers on the draining instance stopped',
    timeoutMs: 60_000,
  });
  await c.call('UpdateContainerInstancesState', { containerInstances: [arn3], status: 'ACTIVE' });
});

test('a killed agent: its tasks are replaced after the grace; back again, it leaves no extra task', async () => {
  const byArn = await agentIndexByArn();
  const arn0 = [...byArn].find(([, i]) => i === 0)![0];
  const id0 = arn0.split('/').pop()!;
  const before = (await tasksOf('spread')).filter((t) => t.containerInstanceArn === arn0).map((t) => t.taskArn as string);
  assert.ok(before.length > 0, 'agent 0 runs some of the service');
  const killedAt = Date.now();
  await c.stopAgent(0, 'SIGKILL');
  await waitFor(
    async () => {
      const tasks = await tasksOf('spread');
      return tasks.length === 6 && tasks.every((t) => t.containerInstanceArn !== arn0 && t.lastStatus === 'RUNNING');
    },
    { description: "agent 0's tasks replaced elsewhere", timeoutMs: 90_000, intervalMs: 250 },
  );
  const took = (Date.now() - killedAt) / 1000;
  assert.ok(took >= GRACE_S - 1, `replaced after ${took.toFixed(1)} s, not before the ${GRACE_S} s grace`);
  process.stdout.write(`# agent killed -> its ${before.length} tasks replaced and RUNNING after ${took.toFixed(1)} s (grace ${GRACE_S} s)\n`);
  const lost = (await c.call('DescribeTasks', { tasks: before })).tasks;
  for (const t of lost) assert.match(t.stoppedReason, /^Task lost: container instance [0-9a-f]{32} disconnected$/);
  // The containers kept running without their agent; back, the agent stops them (its COMPLETE set says STOPPED).
  await c.startAgent(0);
  await c.waitForAgents([0], 60_000);
  await waitFor(async () => (await c.containers({ 'stevedore.instance': id0 })).filter((x) => before.includes(x.labels['stevedore.task'] ?? '')).every((x) => x.state !== 'running'), {
    description: 'the superseded containers stopped by the returning agent',
    timeoutMs: 60_000,
  });
  await waitFor(async () => (await allServiceContainers('spread')) === 6, { description: 'exactly 6 running containers of the service', timeoutMs: 30_000 });

  // Agent 1 dies with its containers (the host is gone).
  const arn1 = [...byArn].find(([, i]) => i === 1)![0];
  const id1 = arn1.split('/').pop()!;
  await c.stopAgent(1, 'SIGKILL');
  await removeContainers({ 'stevedore.instance': id1 });
  await waitFor(
    async () => {
      const tasks = await tasksOf('spread');
      return tasks.length === 6 && tasks.every((t) => t.containerInstanceArn !== arn1 && t.lastStatus === 'RUNNING');
    },
    { description: "agent 1's tasks replaced", timeoutMs: 90_000, intervalMs: 250 },
  );
  await c.startAgent(1);
  await c.waitForAgents([1], 60_000);
  await steady('spread', 6);
  assert.equal(await allServiceContainers('spread'), 6);
});

test('an image that cannot be pulled throttles launches with the ECS event', async () => {
  await c.call('RegisterTaskDefinition', { family: 'broken', containerDefinitions: [{ name: 'app', image: 'stevedore-test/no-such-image:latest', memory: 16 }] });
  await c.call('CreateService', { serviceName: 'broken', taskDefinition: 'broken', desiredCount: 1 });
  const s = await waitFor(
    async () => {
      const x = await service('broken');
      return x.events.some((e: any) => e.message === '(service broken) is unable to consistently start tasks successfully.') ? x : undefined;
    },
    { description: 'the throttle event', timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(s.runningCount, 0);
  const stopped = (await c.call('ListTasks', { serviceName: 'broken', desiredStatus: 'STOPPED' })).taskArns as string[];
  assert.ok(stopped.length >= 3, `${stopped.length} failed launches before the throttle`);
  const t = (await c.call('DescribeTasks', { tasks: [stopped[0]] })).tasks[0];
  assert.equal(t.stopCode, 'TaskFailedToStart');
  await c.call('DeleteService', { service: 'broken', force: true });
});

test('the CLI: service create --wait, describe, scale, instance drain/activate, attribute put/list, delete', async () => {
  const create = await c.cli(['service', 'create', 'viacli', '--task-definition', 'sleeper', '--desired-count', '2', '--wait', '--timeout', '120'], { timeoutMs: 150_000 });
  assert.equal(create.code, 0, create.stderr);
  assert.match(create.stderr, /viacli: 2\/2 running, 0 pending/);
  const describe = await c.cli(['service', 'describe', 'viacli']);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /Desired \/ running \/ pending:\s+2 \/ 2 \/ 0/);
  assert.match(describe.stdout, /Tasks per instance:/);
  assert.match(describe.stdout, /has reached a steady state|has started 2 tasks/);
  const scale = await c.cli(['service', 'scale', 'viacli', '3', '--wait', '--timeout', '120'], { timeoutMs: 150_000 });
  assert.equal(scale.code, 0, scale.stderr);
  assert.equal((await service('viacli')).runningCount, 3);
  const list = await c.cli(['service', 'list']);
  assert.match(list.stdout, /viacli\s+ACTIVE\s+sleeper:1\s+3\s+3\s+0/);

  const byArn = await agentIndexByArn();
  const id2 = [...byArn].find(([, i]) => i === 2)![0].split('/').pop()!;
  const put = await c.cli(['attribute', 'put', id2, 'tier=gold']);
  assert.equal(put.code, 0, put.stderr);
  const attrs = await c.cli(['attribute', 'list', '--name', 'tier']);
  assert.match(attrs.stdout, new RegExp(`${id2}\\s+tier\\s+gold`));
  const drain = await c.cli(['instance', 'drain', id2]);
  assert.equal(drain.code, 0, drain.stderr);
  assert.match(drain.stdout, /DRAINING/);
  assert.equal((await c.cli(['instance', 'activate', id2])).code, 0);

  const refused = await c.cli(['service', 'delete', 'viacli']);
  assert.equal(refused.code, 254);
  assert.match(refused.stderr, /The service cannot be stopped while it is scaled above 0\./);
  const del = await c.cli(['service', 'delete', 'viacli', '--force', '--wait', '--timeout', '120'], { timeoutMs: 150_000 });
  assert.equal(del.code, 0, del.stderr);
  assert.equal((await service('viacli')).runningCount, 0);
});
