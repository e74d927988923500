import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileTargets, type TargetReconcileInput } from './reconcile-targets';
import { lbTask, target, targetGroup } from './test-builders';
import type { TargetHealth } from '../model/load-balancer';

const NOW = 1_000_000;
const tg = targetGroup('web', { attributes: { deregistrationDelaySeconds: 30, slowStartSeconds: 0 } });
const fast = targetGroup('fast', { arn: 'arn:tg/fast', attributes: { deregistrationDelaySeconds: 0, slowStartSeconds: 0 } });

function input(over: Partial<TargetReconcileInput> = {}): TargetReconcileInput {
  let n = 0;
  return {
    now: NOW,
    services: [{ cluster: 'c', name: 'web', loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'web', containerPort: 8080 }] }],
    tasks: [],
    hostIps: new Map([['i1', '127.0.0.2']]),
    targetGroups: new Map([tg, fast].map((g) => [g.arn, g])),
    targets: [],
    drains: new Map(),
    health: (): TargetHealth => ({ state: 'healthy' }),
    newRegistrationId: () => `new-${++n}`,
    ...over,
  };
}

test('a RUNNING task is registered with its host and dynamic host port', () => {
  const r = reconcileTargets(input({ tasks: [lbTask('t1'), lbTask('t2', { lastStatus: 'PENDING' }), lbTask('t3', {}, 32770)] }));
  assert.deepEqual(r.register.map((t) => [t.taskId, t.id, t.port, t.registrationId]), [['t1', 'i1', 32768, 'new-1'], ['t3', 'i1', 32770, 'new-2']]);
  assert.deepEqual(r.putDrains.map((d) => [d.taskId, d.state]), [['t1', 'registered'], ['t3', 'registered']]);
  assert.deepEqual(r.events.map((e) => e.message), [`(service web) registered 2 targets in (target-group ${tg.arn})`]);
});

test('a registration the scheduler\'s role may not make is reported, not made; other groups still register', () => {
  const services = [{ cluster: 'c', name: 'web', loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'web', containerPort: 8080 }, { targetGroupArn: fast.arn, containerName: 'web', containerPort: 8080 }] }];
  const r = reconcileTargets(input({ services, tasks: [lbTask('t1')], registrationDenied: (arn) => (arn === tg.arn ? 'AccessDenied: no' : undefined) }));
  assert.deepEqual(r.register.map((t) => t.targetGroupArn), [fast.arn]);
  assert.deepEqual(r.denied, [{ cluster: 'c', service: 'web', taskId: 't1', targetGroupArn: tg.arn, reason: 'AccessDenied: no' }]);
  assert.deepEqual(r.events.map((e) => e.message), [`(service web) registered 1 targets in (target-group ${fast.arn})`]);
});

test('registration is idempotent, and ip targets use the host IP', () => {
  const ipTg = targetGroup('ip', { arn: 'arn:tg/ip', targetType: 'ip' });
  const services = [{ cluster: 'c', name: 'web', loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'web', containerPort: 8080 }, { targetGroupArn: ipTg.arn, containerName: 'web', containerPort: 8080 }] }];
  const existing = target(tg, 'i1', 32768, { taskId: 't1' });
  const r = reconcileTargets(input({ services, targetGroups: new Map([tg, ipTg].map((g) => [g.arn, g])), tasks: [lbTask('t1')], targets: [existing], drains: new Map([['t1', { taskId: 't1', state: 'registered', registeredAt: 0 }]]) }));
  assert.deepEqual(r.register.map((t) => [t.targetGroupArn, t.id, t.port]), [[ipTg.arn, '127.0.0.2', 32768]]);
  assert.deepEqual(r.putDrains, []);
});

test('a container port the task does not publish, or an unknown target group, registers nothing', () => {
  const services = [{ cluster: 'c', name: 'web', loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'web', containerPort: 9999 }, { targetGroupArn: 'arn:gone', containerName: 'web', containerPort: 8080 }] }];
  const r = reconcileTargets(input({ services, tasks: [lbTask('t1')] }));
  assert.deepEqual(r.register, []);
});

test('a task to stop drains for the deregistration delay, then its targets go', () => {
  const t = target(tg, 'i1', 32768, { taskId: 't1', serviceName: 'web', cluster: 'c' });
  const stopping = lbTask('t1', { desiredStatus: 'STOPPED' });
  const first = reconcileTargets(input({ tasks: [stopping], targets: [t], drains: new Map([['t1', { taskId: 't1', state: 'registered', registeredAt: 0 }]]) }));
  assert.deepEqual(first.drain.map((d) => [d.state, d.drainingUntil]), [['draining', NOW + 30_000]]);
  assert.deepEqual(first.putDrains, [{ taskId: 't1', state: 'draining', registeredAt: 0, drainingUntil: NOW + 30_000 }]);
  assert.equal(first.nextWakeAt, NOW + 30_000);
  assert.deepEqual(first.events.map((e) => e.message), ['(service web) has begun draining connections on 1 tasks.', `(service web) deregistered 1 targets in (target-group ${tg.arn})`]);

  const draining = first.drain[0]!;
  const during = reconcileTargets(input({ now: NOW + 10_000, tasks: [stopping], targets: [draining], drains: new Map([['t1', first.putDrains[0]!]]) }));
  assert.deepEqual([during.drain, during.deregister, during.putDrains, during.events], [[], [], [], []]);
  assert.equal(during.nextWakeAt, NOW + 30_000);

  const done = reconcileTargets(input({ now: NOW + 30_000, tasks: [stopping], targets: [draining], drains: new Map([['t1', first.putDrains[0]!]]) }));
  assert.deepEqual(done.deregister.map((d) => d.registrationId), [draining.registrationId]);
  assert.deepEqual(done.putDrains.map((d) => d.state), ['deregistered']);
});

test('a zero deregistration delay deregisters in the same pass', () => {
  const t = target(fast, 'i1', 32768, { taskId: 't1' });
  const r = reconcileTargets(input({ tasks: [lbTask('t1', { desiredStatus: 'STOPPED' })], targets: [t], drains: new Map([['t1', { taskId: 't1', state: 'registered', registeredAt: 0 }]]) }));
  assert.deepEqual(r.drain, []);
  assert.equal(r.deregister.length, 1);
  assert.deepEqual(r.putDrains.map((d) => d.state), ['deregistered']);
});

test('targets of tasks the agent already stops, or that are gone, go at once', () => {
  const a = target(tg, 'i1', 1, { taskId: 'stopping', serviceName: 'web', cluster: 'c' });
  const b = target(tg, 'i1', 2, { taskId: 'stopped' });
  const c = target(tg, 'i1', 3, { taskId: 'vanished' });
  const manual = target(tg, 'i1', 4);
  const r = reconcileTargets(
    input({
      tasks: [lbTask('stopping', { lastStatus: 'STOPPING', desiredStatus: 'STOPPED' }), lbTask('stopped', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })],
      targets: [a, b, c, manual],
      drains: new Map([
        ['stopped', { taskId: 'stopped', state: 'draining', registeredAt: 0, drainingUntil: NOW + 1 }],
        ['vanished', { taskId: 'vanished', state: 'registered', registeredAt: 0 }],
      ]),
    }),
  );
  assert.deepEqual(r.deregister.map((t) => t.port).sort(), [1, 2, 3]);
  assert.deepEqual(r.forgetDrains.sort(), ['stopped', 'vanished']);
});

test('a port already registered by hand is not registered twice', () => {
  const r = reconcileTargets(input({ tasks: [lbTask('t1')], targets: [target(tg, 'i1', 32768)] }));
  assert.deepEqual(r.register, []);
});

test('unhealthy targets of running tasks are reported for the service event', () => {
  const t = target(tg, 'i1', 32768, { taskId: 't1' });
  const health = (): TargetHealth => ({ state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' });
  const r = reconcileTargets(input({ tasks: [lbTask('t1')], targets: [t], drains: new Map([['t1', { taskId: 't1', state: 'registered', registeredAt: 0 }]]), health }));
  assert.equal(r.unhealthy.length, 1);
  assert.equal(r.unhealthy[0]!.instanceId, 'i1');
});

test('an unhealthy target whose task the orchestrator already stopped is still reported, once, as it starts draining', () => {
  const t = target(tg, 'i1', 32768, { taskId: 't1' });
  const health = (): TargetHealth => ({ state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' });
  const r = reconcileTargets(input({ tasks: [lbTask('t1', { desiredStatus: 'STOPPED' })], targets: [t], drains: new Map([['t1', { taskId: 't1', state: 'registered', registeredAt: 0 }]]), health }));
  assert.equal(r.unhealthy.length, 1);
  assert.equal(r.unhealthy[0]!.target.taskId, 't1');
  const draining = { ...t, state: 'draining' as const, drainingSince: NOW, drainingUntil: NOW + 1000 };
  const again = reconcileTargets(input({ tasks: [lbTask('t1', { desiredStatus: 'STOPPED' })], targets: [draining], drains: new Map([['t1', { taskId: 't1', state: 'draining', registeredAt: 0, drainingUntil: NOW + 1000 }]]), health }));
  assert.equal(again.unhealthy.length, 0, 'a draining target is not reported again');
});

test('manually deregistered targets go at the end of their drain', () => {
  const d = target(tg, 'i9', 80, { state: 'draining', drainingSince: NOW - 5, drainingUntil: NOW + 5 });
  assert.equal(reconcileTargets(input({ targets: [d] })).nextWakeAt, NOW + 5);
  assert.deepEqual(reconcileTargets(input({ now: NOW + 5, targets: [d] })).deregister.map((t) => t.id), ['i9']);
});
