import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { distributeTasks, targetCounts, validateStrategy } from './strategy';
import type { CapacityProviderStrategyItem } from '../model/capacity-provider-strategy';
import { capacityProviderReservation, hostsForTasks, hostsNeeded } from './reservation';
import { decideScaling, DEFAULT_MANAGED_SCALING, type ScalingInput } from './scaling-decision';
import { chooseHostsToRemove } from './termination';
import { hostGroupArn, hostGroupNameOfArn, reconcileHostGroup, type HostGroupHostView } from './host-group';

const req = (cpu: number, memory: number, ports: number[] = []) => ({ cpu, memory, hostPorts: ports.map((port) => ({ port, protocol: 'tcp' as const })) });

test('CapacityProviderReservation is M/N x 100, 200 from zero hosts, 100 when idle and empty', () => {
  const table: [number, number, number][] = [
    [0, 0, 100],
    [3, 0, 200],
    [2, 4, 50],
    [4, 4, 100],
    [6, 4, 150],
  ];
  for (const [m, n, want] of table) assert.equal(capacityProviderReservation(m, n), want, `M=${m} N=${n}`);
});

test('hostsForTasks packs by size, separates equal static ports and counts tasks no host can hold', () => {
  const size = { cpu: 1024, memory: 256 };
  assert.deepEqual(hostsForTasks([req(0, 128), req(0, 128), req(0, 128), req(0, 128)], size), { hosts: 2, unfit: 0 });
  assert.deepEqual(hostsForTasks([req(0, 64, [80]), req(0, 64, [80])], size), { hosts: 2, unfit: 0 });
  assert.deepEqual(hostsForTasks([req(0, 512), req(0, 100)], size), { hosts: 1, unfit: 1 });
  assert.deepEqual(hostsForTasks([], size), { hosts: 0, unfit: 0 });
});

test('hostsNeeded: busy hosts plus the hosts waiting tasks need; one host at a time before any size is known', () => {
  const hosts = [
    { id: 'a', running: true, nonDaemonTasks: 2 },
    { id: 'b', running: true, nonDaemonTasks: 0 },
  ];
  assert.equal(hostsNeeded(hosts, [], { cpu: 1024, memory: 256 }), 1);
  assert.equal(hostsNeeded(hosts, [req(0, 200), req(0, 200)], { cpu: 1024, memory: 256 }), 3);
  assert.equal(hostsNeeded([], [req(0, 200), req(0, 200)], undefined), 1);
});

const base: ScalingInput = { m: 0, n: 0, launching: 0, currentDesired: 0, groupMin: 0, groupMax: 10, scaling: { ...DEFAULT_MANAGED_SCALING, status: 'ENABLED' }, belowTargetSince: undefined, scaleInCooldownMs: 60_000, now: 1000 };

test('decideScaling: table of scale out, hold and scale in', () => {
  const cases: [string, Partial<ScalingInput>, { desired: number; direction: string }][] = [
    ['from zero', { m: 2, n: 0 }, { desired: 2, direction: 'out' }],
    ['min step', { m: 2, n: 1, currentDesired: 1, scaling: { ...base.scaling, minimumScalingStepSize: 3 } }, { desired: 4, direction: 'out' }],
    ['max step', { m: 9, n: 1, currentDesired: 1, scaling: { ...base.scaling, maximumScalingStepSize: 2 } }, { desired: 3, direction: 'out' }],
    ['launching hosts count', { m: 2, n: 0, launching: 2, currentDesired: 2 }, { desired: 2, direction: 'hold' }],
    ['group max', { m: 20, n: 10, currentDesired: 10 }, { desired: 10, direction: 'hold' }],
    ['target 50 keeps spare', { m: 2, n: 2, currentDesired: 2, scaling: { ...base.scaling, targetCapacity: 50 } }, { desired: 4, direction: 'out' }],
    ['at target', { m: 2, n: 2, currentDesired: 2 }, { desired: 2, direction: 'hold' }],
    ['below target, cooldown not over', { m: 0, n: 2, currentDesired: 2, belowTargetSince: 500 }, { desired: 2, direction: 'hold' }],
    ['below target, cooldown over', { m: 0, n: 2, currentDesired: 2, belowTargetSince: 1000 - 60_000 }, { desired: 0, direction: 'in' }],
    ['scale in respects group min', { m: 0, n: 2, currentDesired: 2, groupMin: 1, belowTargetSince: -1e9 }, { desired: 1, direction: 'in' }],
    ['disabled', { m: 5, n: 0, scaling: { ...base.scaling, status: 'DISABLED' } }, { desired: 0, direction: 'hold' }],
  ];
  for (const [name, over, want] of cases) {
    const d = decideScaling({ ...base, ...over });
    assert.deepEqual({ desired: d.desired, direction: d.direction }, want, name);
  }
});

test('decideScaling: the cooldown starts when the reservation first drops below target', () => {
  const d = decideScaling({ ...base, m: 0, n: 2, currentDesired: 2 });
  assert.equal(d.direction, 'hold');
  assert.equal(d.belowTargetSince, base.now);
});

test('property: decideScaling stays inside the group and never scales in while hosts launch', () => {
  fc.assert(
    fc.property(
      fc.record({ m: fc.nat(30), n: fc.nat(30), launching: fc.nat(5), currentDesired: fc.nat(30), groupMin: fc.nat(5), extra: fc.nat(20), target: fc.integer({ min: 1, max: 100 }), min: fc.integer({ min: 1, max: 5 }), max: fc.integer({ min: 5, max: 50 }) }),
      (x) => {
        const d = decideScaling({ ...base, m: x.m, n: x.n, launching: x.launching, currentDesired: x.currentDesired, groupMin: x.groupMin, groupMax: x.groupMin + x.extra, belowTargetSince: -1e12, scaling: { status: 'ENABLED', targetCapacity: x.target, minimumScalingStepSize: x.min, maximumScalingStepSize: x.max, instanceWarmupPeriod: 0 } });
        assert.ok(d.desired >= x.groupMin && d.desired <= x.groupMin + x.extra);
        if (x.launching > 0) assert.notEqual(d.direction, 'in');
        if (d.direction === 'out') assert.ok(d.desired > x.currentDesired && d.desired - (x.n + x.launching) <= x.max);
      },
    ),
  );
});

test('strategy: base first, then weights; validation as ECS', () => {
  const s = [
    { capacityProvider: 'a', base: 2, weight: 1 },
    { capacityProvider: 'b', weight: 3 },
  ];
  assert.deepEqual([...targetCounts(s, 10)], [['a', 4], ['b', 6]]);
  assert.deepEqual([...targetCounts(s, 1)], [['a', 1], ['b', 0]]);
  assert.deepEqual([...distributeTasks(s, 4, new Map([['a', 2]]))], [['a', 1], ['b', 3]]);
  assert.throws(() => validateStrategy([{ capacityProvider: 'a', base: 1, weight: 1 }, { capacityProvider: 'b', base: 1, weight: 1 }]), /Only one capacity provider/);
  assert.throws(() => validateStrategy([{ capacityProvider: 'a', weight: 0 }]), /weight greater than 0/);
  assert.throws(() => validateStrategy([{ capacityProvider: 'a', weight: 1001 }]), (e: any) => e.options.field === 'capacityProviderStrategy[0].weight');
  assert.throws(() => validateStrategy([{ capacityProvider: 'a', weight: 1 }, { capacityProvider: 'a', weight: 1 }]), /Duplicate/);
  validateStrategy([{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
});

const strategyArb = fc
  .uniqueArray(fc.record({ capacityProvider: fc.constantFrom('a', 'b', 'c', 'd'), weight: fc.integer({ min: 0, max: 10 }) }), { selector: (x) => x.capacityProvider, minLength: 1 })
  .filter((xs) => xs.some((x) => x.weight > 0))
  .chain((xs) => fc.tuple(fc.constant(xs), fc.integer({ min: 0, max: xs.length - 1 }), fc.nat(5)))
  .map(([xs, i, b]) => xs.map((x, j): CapacityProviderStrategyItem => (j === i ? { ...x, base: b } : x)));

test('property: targets and distributions sum to the count, the base is served first, weights are proportional within one', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat(50), fc.array(fc.nat(5), { minLength: 4, maxLength: 4 }), (s, total, ex) => {
      validateStrategy(s);
      const t = targetCounts(s, total);
      assert.equal([...t.values()].reduce((a, b) => a + b, 0), total);
      const baseItem = s.find((x) => (x.base ?? 0) > 0);
      if (baseItem) assert.ok(t.get(baseItem.capacityProvider)! >= Math.min(baseItem.base!, total));
      const existing = new Map(s.map((x, i) => [x.capacityProvider, ex[i]!]));
      const d = distributeTasks(s, total, existing);
      assert.equal([...d.values()].reduce((a, b) => a + b, 0), total);
      for (const x of s) if (!baseItem || baseItem === x ? false : (x.weight ?? 0) === 0) assert.equal(d.get(x.capacityProvider), 0);
    }),
  );
});

test('termination: protection spares hosts with non-daemon tasks; unjoined and emptiest go first', () => {
  const hosts = [
    { id: 'busy', joined: true, nonDaemonTasks: 3, draining: false, launchedAt: 1 },
    { id: 'idle', joined: true, nonDaemonTasks: 0, draining: false, launchedAt: 2 },
    { id: 'new', joined: false, nonDaemonTasks: 0, draining: false, launchedAt: 3 },
  ];
  assert.deepEqual(chooseHostsToRemove(hosts, 2, true), { drain: ['new', 'idle'], protectedCount: 0 });
  assert.deepEqual(chooseHostsToRemove(hosts, 3, true), { drain: ['new', 'idle'], protectedCount: 1 });
  assert.deepEqual(chooseHostsToRemove(hosts, 3, false).drain, ['new', 'idle', 'busy']);
});

test('property: with protection no busy joined host is chosen, and never more than asked', () => {
  const host = fc.record({ id: fc.uuid(), joined: fc.boolean(), nonDaemonTasks: fc.nat(3), draining: fc.boolean(), launchedAt: fc.nat(100) });
  fc.assert(
    fc.property(fc.uniqueArray(host, { selector: (h) => h.id, maxLength: 8 }), fc.nat(10), (hosts, n) => {
      const c = chooseHostsToRemove(hosts, n, true);
      assert.ok(c.drain.length <= n);
      for (const id of c.drain) {
        const h = hosts.find((x) => x.id === id)!;
        assert.ok(!(h.joined && !h.draining && h.nonDaemonTasks > 0));
      }
    }),
  );
});

const host = (id: string, over: Partial<HostGroupHostView> = {}): HostGroupHostView => ({ id, lifecycleState: 'InService', launchedAt: 0, createdAt: 0, containerInstanceId: `i-${id}`, nonDaemonTasks: 0, daemonTasks: 0, ...over });
const group = { desiredCapacity: 2, deleting: false, terminationProtection: true };

test('reconcileHostGroup: launches up to desired, counts Pending, times joins out, drains surplus, destroys drained', () => {
  assert.equal(reconcileHostGroup(group, [], 0, 1000).launch, 2);
  assert.equal(reconcileHostGroup(group, [host('a', { lifecycleState: 'Pending', containerInstanceId: undefined })], 0, 1000).launch, 1);
  const late = reconcileHostGroup(group, [host('a', { lifecycleState: 'Pending:Wait', containerInstanceId: undefined, createdAt: 0 }), host('b')], 5000, 1000);
  assert.deepEqual(late.destroy, [{ id: 'a', reason: 'the host did not join the cluster within 1 s' }]);
  assert.equal(late.launch, 1);
  const joined = reconcileHostGroup(group, [host('a', { lifecycleState: 'Pending:Wait' }), host('b')], 10, 1000);
  assert.deepEqual(joined.inService, ['a']);
  const surplus = reconcileHostGroup({ ...group, desiredCapacity: 0 }, [host('a', { nonDaemonTasks: 1 }), host('b', { daemonTasks: 1 })], 10, 1000);
  assert.deepEqual(surplus.drain.map((d) => d.id), ['b']);
  const drained = reconcileHostGroup({ ...group, desiredCapacity: 0 }, [host('b', { lifecycleState: 'Terminating:Wait' })], 10, 1000);
  assert.deepEqual(drained.destroy, [{ id: 'b', reason: 'the host drained' }]);
  const deleting = reconcileHostGroup({ ...group, deleting: true }, [host('a', { nonDaemonTasks: 1 })], 10, 1000);
  assert.deepEqual(deleting.drain.map((d) => d.id), ['a']);
});

test('property: reconcileHostGroup never launches past desired and never removes a Pending host', () => {
  const states = ['Pending', 'Pending:Wait', 'InService', 'Terminating:Wait', 'Terminating', 'Terminated'] as const;
  const h = fc.record({ id: fc.uuid(), s: fc.constantFrom(...states), joined: fc.boolean(), tasks: fc.nat(2) });
  fc.assert(
    fc.property(fc.uniqueArray(h, { selector: (x) => x.id, maxLength: 8 }), fc.nat(6), (hs, desired) => {
      const views = hs.map((x) => host(x.id, { lifecycleState: x.s, nonDaemonTasks: x.tasks, ...(x.joined ? {} : { containerInstanceId: undefined }) }));
      const a = reconcileHostGroup({ desiredCapacity: desired, deleting: false, terminationProtection: true }, views, 0, 1000);
      const live = views.filter((v) => ['Pending', 'Pending:Wait', 'InService'].includes(v.lifecycleState)).length;
      assert.ok(live + a.launch <= Math.max(desired, live));
      for (const d of [...a.drain, ...a.destroy]) assert.notEqual(views.find((v) => v.id === d.id)!.lifecycleState, 'Pending');
    }),
  );
});

test('host group ARNs have the Auto Scaling group form and give their name back', () => {
  const arn = hostGroupArn('us-east-1', '000000000000', '8f3c', 'web-hosts');
  assert.equal(arn, 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:8f3c:autoScalingGroupName/web-hosts');
  assert.equal(hostGroupNameOfArn(arn), 'web-hosts');
  assert.equal(hostGroupNameOfArn('arn:aws:ecs:us-east-1:0:cluster/x'), undefined);
});
