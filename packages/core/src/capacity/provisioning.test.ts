import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkProvisioningQuota, placeProvisioningTasks, PROVISIONING_TASKS_PER_CLUSTER, type ProviderCandidate, type ProvisioningTask } from './provisioning';
import { splitWarmingHosts } from './reservation';
import { reconcileHostGroup, type HostGroupHostView } from './host-group';
import { seededRandom } from '../placement/pipeline';
import { instance, input, service, task } from '../service/test-builders';
import { reconcileService } from '../service/reconcile-service';
import { assignToInstance, requestStop } from '../lifecycle/task-lifecycle';
import { newTask } from '../lifecycle/new-task';
import type { TaskDefinition } from '../model/task-definition';

const cand = (id: string, provider: string | undefined, cpu = 1024, memory = 1024, over: Partial<ReturnType<typeof instance>> = {}): ProviderCandidate => ({
  instance: instance(id, { registeredResources: { cpu, memory, ports: [], portsUdp: [] }, ...over }),
  remaining: { cpu, memory, ports: [], portsUdp: [] },
  tasks: [],
  ...(provider !== undefined ? { capacityProviderName: provider } : {}),
});
const ptask = (id: string, provider: string, over: Partial<ProvisioningTask> = {}): ProvisioningTask => ({
  id,
  group: 'service:web',
  requirement: { cpu: 512, memory: 128, hostPorts: [] },
  capacityProviderName: provider,
  placementConstraints: [],
  placementStrategy: [{ type: 'binpack', field: 'cpu' }],
  createdAt: Number(id.replace(/\D/g, '')) || 0,
  ...over,
});

test('placeProvisioningTasks: oldest first on their own provider\'s hosts; waits while the provider grows; fails once it cannot', () => {
  const instances = [cand('a1', 'a'), cand('b1', 'b'), cand('x', undefined, 8192, 8192)];
  const tasks = [ptask('t3', 'a'), ptask('t1', 'a'), ptask('t2', 'a'), ptask('t4', 'b')];
  const growing = placeProvisioningTasks({ tasks, instances, growing: new Set(['a']), random: seededRandom(1) });
  assert.deepEqual(growing.place, [
    { taskId: 't1', instanceId: 'a1' },
    { taskId: 't2', instanceId: 'a1' },
    { taskId: 't4', instanceId: 'b1' },
  ]);
  assert.equal(growing.waiting, 1, 't3 waits: a1 is full, provider a grows');
  assert.deepEqual(growing.fail, []);
  const atMax = placeProvisioningTasks({ tasks, instances, growing: new Set(), random: seededRandom(1) });
  assert.deepEqual(atMax.fail.map((f) => f.taskId), ['t3']);
  assert.match(atMax.fail[0]!.reason, /^Unable to place a task because no container instance met all of its requirements\..*insufficient CPU units.*Capacity provider a cannot add a host\.$/);
  // No host at all yet: waits while growing, the ECS "no container instances" explanation once not.
  const none = placeProvisioningTasks({ tasks: [ptask('t1', 'a')], instances: [], growing: new Set(), random: seededRandom(1) });
  assert.match(none.fail[0]!.reason, /No Container Instances were found/);
});

test('placeProvisioningTasks: a host being drained or disconnected is no candidate; static ports and constraints bind', () => {
  const instances = [cand('d', 'a', 4096, 4096, { status: 'DRAINING' }), cand('off', 'a', 4096, 4096, { agentConnected: false }), cand('ok', 'a', 4096, 4096)];
  const port = { hostPorts: [{ port: 8080, protocol: 'tcp' as const }] };
  const r = placeProvisioningTasks({ tasks: [ptask('t1', 'a', { requirement: { cpu: 0, memory: 64, ...port } }), ptask('t2', 'a', { requirement: { cpu: 0, memory: 64, ...port } })], instances, growing: new Set(['a']), random: seededRandom(3) });
  assert.deepEqual(r.place, [{ taskId: 't1', instanceId: 'ok' }]);
  assert.equal(r.waiting, 1);
  const constrained = placeProvisioningTasks({ tasks: [ptask('t1', 'a', { placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.availability-zone == zone-z' }] })], instances, growing: new Set(), random: seededRandom(3) });
  assert.equal(constrained.fail.length, 1);
});

test('property: every waiting task is placed, waits or fails exactly once, and no host is overcommitted', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ p: fc.constantFrom('a', 'b'), cpu: fc.integer({ min: 0, max: 1024 }), mem: fc.integer({ min: 1, max: 512 }) }), { maxLength: 12 }),
      fc.array(fc.record({ p: fc.constantFrom('a', 'b', 'none'), cpu: fc.integer({ min: 0, max: 2048 }), mem: fc.integer({ min: 0, max: 1024 }) }), { maxLength: 4 }),
      fc.subarray(['a', 'b']),
      fc.nat(),
      (ts, is, growing, seed) => {
        const tasks = ts.map((t, i) => ptask(`t${i + 1}`, t.p, { requirement: { cpu: t.cpu, memory: t.mem, hostPorts: [] } }));
        const instances = is.map((x, i) => cand(`i${i}`, x.p === 'none' ? undefined : x.p, x.cpu, x.mem));
        const r = placeProvisioningTasks({ tasks, instances, growing: new Set(growing), random: seededRandom(seed) });
        assert.equal(r.place.length + r.fail.length + r.waiting, tasks.length);
        const ids = [...r.place.map((p) => p.taskId), ...r.fail.map((f) => f.taskId)];
        assert.equal(new Set(ids).size, ids.length);
        for (const i of instances) {
          const on = r.place.filter((p) => p.instanceId === i.instance.id).map((p) => tasks.find((t) => t.id === p.taskId)!);
          assert.ok(on.reduce((s, t) => s + t.requirement.cpu, 0) <= i.remaining.cpu);
          assert.ok(on.reduce((s, t) => s + t.requirement.memory, 0) <= i.remaining.memory);
          for (const t of on) assert.equal(t.capacityProviderName, i.capacityProviderName);
        }
        for (const f of r.fail) assert.ok(!growing.includes(tasks.find((t) => t.id === f.taskId)!.capacityProviderName));
      },
    ),
  );
});

test('the PROVISIONING quota: ECS\'s 500 per cluster, refused with a ClientException past it', () => {
  assert.equal(PROVISIONING_TASKS_PER_CLUSTER, 500);
  checkProvisioningQuota('c', 499, 1);
  checkProvisioningQuota('c', 600, 0);
  assert.throws(() => checkProvisioningQuota('c', 499, 2), (e: any) => e.code === 'ClientException' && /limit of 500 tasks in the PROVISIONING state/.test(e.message));
});

const td: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
  family: 'web',
  revision: 1,
  status: 'ACTIVE',
  containerDefinitions: [{ name: 'app', image: 'x', memory: 64 }],
} as TaskDefinition;

test('a task without an instance is PROVISIONING; placing it is the one control-plane write of PENDING; stopping it stops it at once', () => {
  const t = newTask({ clusterName: 'c', td, group: 'family:web', now: 5 });
  assert.equal(t.lastStatus, 'PROVISIONING');
  assert.equal(t.containerInstanceId, undefined);
  const placed = assignToInstance(t, 'i1')!;
  assert.equal(placed.lastStatus, 'PENDING');
  assert.equal(placed.containerInstanceId, 'i1');
  assert.equal(placed.assignmentVersion, t.assignmentVersion + 1);
  assert.equal(assignToInstance(placed, 'i2'), undefined, 'a placed task never moves');
  const stopped = requestStop(t, { stopCode: 'TaskFailedToStart', reason: 'no capacity', now: 9 })!;
  assert.deepEqual([stopped.lastStatus, stopped.desiredStatus, stopped.stoppedAt, stopped.stoppedReason], ['STOPPED', 'STOPPED', 9, 'no capacity']);
  assert.ok(stopped.containers.every((c) => c.status === 'STOPPED'));
  assert.equal(requestStop(placed, { stopCode: 'UserInitiated', reason: 'x', now: 9 })!.lastStatus, 'PENDING', 'a placed task waits for its agent');
});

test('reconcileService: PROVISIONING tasks count toward the desired count and are never lost; an older deployment\'s are dropped', () => {
  const s = service({ desiredCount: 3 });
  const waiting = [task(undefined as unknown as string, { lastStatus: 'PROVISIONING' }), task(undefined as unknown as string, { lastStatus: 'PROVISIONING' })];
  for (const w of waiting) delete (w as { containerInstanceId?: string }).containerInstanceId;
  const running = task('i1');
  const r = reconcileService(input(s, [instance('i1')], [running, ...waiting]));
  assert.equal(r.place.length, 0);
  assert.deepEqual(r.stop, []);
  assert.equal(r.steady, false);
  const old = waiting.map((w) => ({ ...w, startedBy: 'ecs-svc/0000000000000000001' }));
  const r2 = reconcileService(input(s, [instance('i1')], [running, ...old]));
  assert.deepEqual(r2.stop.map((x) => x.taskId).sort(), old.map((w) => w.id).sort());
});

test('instanceWarmupPeriod: hosts joined less than the warm-up ago are not counted yet', () => {
  const hosts = [
    { id: 'old', running: true, joinedAt: 0 },
    { id: 'new', running: true, joinedAt: 95_000 },
    { id: 'down', running: false, joinedAt: 99_000 },
  ];
  const r = splitWarmingHosts(hosts, 100_000, 10);
  assert.deepEqual(r.counted.map((h) => h.id), ['old', 'down']);
  assert.equal(r.warming, 1);
  assert.equal(splitWarmingHosts(hosts, 100_000, 0).warming, 0);
});

test('reconcileHostGroup: a lost host is destroyed with the reason and replaced to keep the desired capacity', () => {
  const h = (id: string, over: Partial<HostGroupHostView> = {}): HostGroupHostView => ({ id, lifecycleState: 'InService', launchedAt: 0, createdAt: 0, containerInstanceId: `i-${id}`, nonDaemonTasks: 1, daemonTasks: 0, ...over });
  const a = reconcileHostGroup({ desiredCapacity: 2, deleting: false, terminationProtection: true }, [h('a', { lost: 'container instance i-a lost' }), h('b')], 10, 1000);
  assert.deepEqual(a.destroy, [{ id: 'a', reason: 'the host is unhealthy: container instance i-a lost' }]);
  assert.equal(a.launch, 1);
  assert.deepEqual(a.drain, []);
});
