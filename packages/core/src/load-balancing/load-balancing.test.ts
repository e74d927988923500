import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matcherCodes, validateHealthCheck, defaultHealthCheck, validateAttributes } from './health-check';
import { matchRule, validateConditions, wildcardToRegex } from './rules';
import { aggregateTargetHealth, taskTargetHealth } from './target-health';
import { holdAssignment, stopHold, DRAIN_START_DEADLINE_MS } from './drain-hold';
import { hostSetFor, loadBalancerHosts, targetGroupsInUse } from './host-config';
import { elbArns, elbNameOf, elbResourceType, ELB_NAME } from './elb-arns';
import { lbInstance, listener, loadBalancer, rule, target, targetGroup } from './test-builders';
import type { TargetHealthObservation } from '../model/load-balancer';
import type { TaskAssignment } from '../model/assignment';

test('matcher: codes, ranges and lists within 200-499', () => {
  assert.deepEqual(matcherCodes('200'), [200]);
  assert.deepEqual(matcherCodes('200,202'), [200, 202]);
  assert.equal(matcherCodes('200-299').length, 100);
  assert.deepEqual(matcherCodes('301-302, 200'), [200, 301, 302]);
  for (const bad of ['', '199', '500', '200-', 'abc', '299-200', '200;201']) assert.throws(() => matcherCodes(bad), { code: 'ValidationError' }, bad);
});

test('health check ranges follow ELB, timeout below interval', () => {
  validateHealthCheck(defaultHealthCheck('HTTP'));
  validateHealthCheck(defaultHealthCheck('TCP'));
  assert.throws(() => validateHealthCheck({ ...defaultHealthCheck('HTTP'), intervalSeconds: 0 }), /HealthCheckIntervalSeconds/);
  validateHealthCheck({ ...defaultHealthCheck('HTTP'), intervalSeconds: 1, timeoutSeconds: 1 });
  assert.throws(() => validateHealthCheck({ ...defaultHealthCheck('HTTP'), intervalSeconds: 5, timeoutSeconds: 5 }), /smaller than the interval/);
  assert.throws(() => validateHealthCheck({ ...defaultHealthCheck('HTTP'), healthyThresholdCount: 1 }), /HealthyThresholdCount/);
  assert.throws(() => validateHealthCheck({ ...defaultHealthCheck('HTTP'), path: 'health' }), /HealthCheckPath/);
  // What HAProxy's configuration can carry as one word (the agent's renderer refuses anything else).
  for (const path of ['/a b', '/a#b', "/it's", '/a\\b', '/é', '/a\nb', `/${'x'.repeat(1024)}`]) {
    assert.throws(() => validateHealthCheck({ ...defaultHealthCheck('HTTP'), path }), /HealthCheckPath/, JSON.stringify(path));
  }
  validateHealthCheck({ ...defaultHealthCheck('HTTP'), path: '/health?probe=1&x=%20' });
  assert.throws(() => validateAttributes({ deregistrationDelaySeconds: 3601, slowStartSeconds: 0 }), /deregistration_delay/);
  assert.throws(() => validateAttributes({ deregistrationDelaySeconds: 0, slowStartSeconds: 10 }), /slow_start/);
  validateAttributes({ deregistrationDelaySeconds: 0, slowStartSeconds: 30 });
});

test('ELB ARNs and names', () => {
  const c = { region: 'eu-west-1', account: '123456789012' };
  const lb = elbArns.loadBalancer(c, 'application', 'web', '50dc6c495c0c9188');
  assert.equal(lb, 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188');
  assert.equal(elbArns.loadBalancer(c, 'network', 'tcp', 'x'), 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/tcp/x');
  const l = elbArns.listener(lb, 'f2f7dc8efc522ab2');
  assert.equal(l, 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2');
  assert.equal(elbArns.rule(l, '9683b2d02a6cabee'), 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee');
  assert.equal(elbNameOf(lb), 'web');
  assert.equal(elbNameOf(elbArns.targetGroup(c, 'api', '1')), 'api');
  assert.equal(elbResourceType(l), 'listener');
  assert.ok(ELB_NAME.test('my-lb-1'));
  for (const bad of ['-a', 'a-', 'a_b', 'x'.repeat(33), '']) assert.ok(!ELB_NAME.test(bad), bad);
});

test('rules: wildcards, case, priority order, first match wins', () => {
  assert.equal(wildcardToRegex('*.example.com'), '^.*\\.example\\.com$');
  assert.equal(wildcardToRegex('/img/?.png'), '^/img/.\\.png$');
  const l = listener(loadBalancer('a'), 80, targetGroup('d'));
  const api = rule(l, 10, targetGroup('api'), [{ field: 'path-pattern', values: ['/api/*'] }]);
  const admin = rule(l, 5, targetGroup('admin'), [
    { field: 'host-header', values: ['admin.example.com'] },
    { field: 'path-pattern', values: ['/api/*', '/admin*'] },
  ]);
  const shop = rule(l, 20, targetGroup('shop'), [{ field: 'host-header', values: ['*.shop.example'] }]);
  const rules = [api, shop, admin];
  assert.equal(matchRule(rules, { host: 'ADMIN.example.com:8080', path: '/api/x' }), admin, 'host case-insensitive, port ignored, lower priority first');
  assert.equal(matchRule(rules, { host: 'other', path: '/api/x' }), api);
  assert.equal(matchRule(rules, { host: 'other', path: '/API/x' }), undefined, 'paths are case-sensitive');
  assert.equal(matchRule(rules, { host: 'eu.shop.example', path: '/' }), shop);
  assert.equal(matchRule(rules, { host: 'shop.example', path: '/' }), undefined);
});

test('rule conditions: ALB limits', () => {
  validateConditions([{ field: 'host-header', values: ['a.example.com'] }, { field: 'path-pattern', values: ['/x/*'] }]);
  assert.throws(() => validateConditions([]), /at least one condition/);
  assert.throws(() => validateConditions([{ field: 'path-pattern', values: ['/a'] }, { field: 'path-pattern', values: ['/b'] }]), /at most one/);
  assert.throws(() => validateConditions([{ field: 'path-pattern', values: ['/a', '/b', '/c', '/d'] }]), /1 to 3 values/);
  assert.throws(() => validateConditions([{ field: 'host-header', values: ['a b'] }]), /not a valid host-header/);
  assert.throws(() => validateConditions([{ field: 'path-pattern', values: ['/*/*/*', '/*/*/*'] }]), /at most 5 wildcards/);
});

const obs = (state: TargetHealthObservation['state'], reporter = 'lb1', over: Partial<TargetHealthObservation> = {}): TargetHealthObservation => ({
  targetGroupArn: 'tg',
  id: 'i1',
  port: 1,
  registrationId: 'r-i1-1',
  reporterInstanceId: reporter,
  state,
  requests: 0,
  errors: 0,
  observedAt: 0,
  ...over,
});

test('target health: draining and unused from the control plane, the rest from the hosts', () => {
  const t = target(targetGroup('tg', { arn: 'tg' }), 'i1', 1);
  const ctx = { inUse: true, reporters: new Set(['lb1', 'lb2']) };
  assert.equal(aggregateTargetHealth({ ...t, state: 'draining' }, [obs('healthy')], ctx).reason, 'Target.DeregistrationInProgress');
  assert.equal(aggregateTargetHealth(t, [obs('healthy')], { ...ctx, inUse: false }).state, 'unused');
  assert.equal(aggregateTargetHealth(t, [obs('healthy')], { ...ctx, reporters: new Set() }).state, 'unused');
  assert.deepEqual(aggregateTargetHealth(t, [], ctx), { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' });
  assert.equal(aggregateTargetHealth(t, [obs('initial')], ctx).reason, 'Elb.InitialHealthChecking');
  assert.equal(aggregateTargetHealth(t, [obs('unhealthy', 'lb1', { reason: 'Target.ResponseCodeMismatch' }), obs('healthy', 'lb2')], ctx).state, 'healthy');
  const bad = aggregateTargetHealth(t, [obs('unhealthy', 'lb1', { reason: 'Target.Timeout', description: 'Request timed out' }), obs('initial', 'lb2')], ctx);
  assert.deepEqual(bad, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' });
  assert.equal(aggregateTargetHealth(t, [obs('healthy', 'gone')], ctx).state, 'initial', 'reports of hosts that no longer run the load balancer do not count');
  assert.equal(aggregateTargetHealth(t, [obs('healthy', 'lb1', { registrationId: 'old' })], ctx).state, 'initial', 'an earlier registration of the same port does not count');
});

test('task target health: healthy in every target group, unhealthy in any', () => {
  const h = (state: 'healthy' | 'unhealthy' | 'initial', tg = 'a') => ({ targetGroupArn: tg, health: { state } });
  assert.equal(taskTargetHealth([], 1), 'UNKNOWN');
  assert.equal(taskTargetHealth([h('healthy')], 1), 'HEALTHY');
  assert.equal(taskTargetHealth([h('healthy')], 2), 'UNKNOWN');
  assert.equal(taskTargetHealth([h('healthy'), h('healthy', 'b')], 2), 'HEALTHY');
  assert.equal(taskTargetHealth([h('healthy'), h('unhealthy', 'b')], 2), 'UNHEALTHY');
  assert.equal(taskTargetHealth([h('initial')], 1), 'UNKNOWN');
});

test('stop hold: RUNNING with desired STOPPED waits for the drain', () => {
  const now = 1_000_000;
  const task = { desiredStatus: 'STOPPED' as const, lastStatus: 'RUNNING' as const, stoppingAt: now - 1000 };
  assert.deepEqual(stopHold({ ...task, desiredStatus: 'RUNNING' }, { taskId: 't', state: 'registered', registeredAt: 0 }, now), { held: false });
  assert.deepEqual(stopHold(task, undefined, now), { held: false }, 'no load balancer: stop at once');
  assert.deepEqual(stopHold({ ...task, lastStatus: 'STOPPING' }, { taskId: 't', state: 'draining', registeredAt: 0, drainingUntil: now + 5 }, now), { held: false });
  assert.deepEqual(stopHold(task, { taskId: 't', state: 'registered', registeredAt: 0 }, now), { held: true, until: now - 1000 + DRAIN_START_DEADLINE_MS });
  assert.equal(stopHold(task, { taskId: 't', state: 'registered', registeredAt: 0 }, now + DRAIN_START_DEADLINE_MS).held, false, 'a stuck role never holds forever');
  assert.deepEqual(stopHold(task, { taskId: 't', state: 'draining', registeredAt: 0, drainingUntil: now + 300_000 }, now), { held: true, until: now + 300_000 });
  assert.equal(stopHold(task, { taskId: 't', state: 'draining', registeredAt: 0, drainingUntil: now }, now).held, false);
  assert.equal(stopHold(task, { taskId: 't', state: 'deregistered', registeredAt: 0 }, now).held, false);
});

test('a held assignment is the version before the stop, still RUNNING', () => {
  const a = { taskArn: 'x', desiredStatus: 'STOPPED', version: 4, stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'scaling' } as unknown as TaskAssignment;
  const held = holdAssignment(a, { held: true, until: 5 });
  assert.equal(held.desiredStatus, 'RUNNING');
  assert.equal(held.version, 3);
  assert.equal(held.stopCode, undefined);
  assert.equal(holdAssignment(a, { held: false }), a);
});

test('host set: placement by expression or id, rules in priority order, targets resolved', () => {
  const lbHost = lbInstance('lb1');
  const other = lbInstance('web1', { attributes: [], hostIp: '127.0.0.21' });
  const byId = new Map([lbHost, other].map((i) => [i.id, i]));
  const lb = loadBalancer('web');
  const net = loadBalancer('tcp', { type: 'network', arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/net/tcp/2', placement: { containerInstanceIds: ['web1'] } });
  assert.deepEqual(loadBalancerHosts(lb, [lbHost, other]).map((i) => i.id), ['lb1']);
  assert.deepEqual(loadBalancerHosts(net, [lbHost, other]).map((i) => i.id), ['web1']);
  assert.deepEqual(loadBalancerHosts({ ...lb, cluster: 'other' }, [lbHost]), []);
  const d = targetGroup('d');
  const api = targetGroup('api', { arn: 'arn:tg/api' });
  const unused = targetGroup('unused', { arn: 'arn:tg/unused' });
  const l = listener(lb, 80, d);
  const state = {
    loadBalancers: [lb, net],
    listeners: [l],
    rules: [rule(l, 20, api, [{ field: 'path-pattern', values: ['/b*'] }]), rule(l, 10, api, [{ field: 'path-pattern', values: ['/a*'] }])],
    targetGroups: [d, api, unused],
    targets: [target(d, 'web1', 32768), target(d, 'missing', 1), target(api, 'web1', 32769, { state: 'draining' }), target(unused, 'web1', 5)],
  };
  const set = hostSetFor(lbHost, state, byId);
  assert.equal(set.loadBalancers.length, 1);
  const h = set.loadBalancers[0]!;
  assert.deepEqual(h.listeners[0]!.rules.map((r) => r.priority), [10, 20]);
  assert.deepEqual(h.targetGroups.map((g) => g.name).sort(), ['api', 'd']);
  assert.deepEqual(h.targetGroups.find((g) => g.name === 'd')!.targets, [{ registrationId: 'r-web1-32768', id: 'web1', address: '127.0.0.21', port: 32768, draining: false }]);
  assert.equal(h.targetGroups.find((g) => g.name === 'api')!.targets[0]!.draining, true);
  assert.equal(hostSetFor(lbHost, state, byId).version, set.version, 'same content, same version');
  assert.notEqual(hostSetFor(lbHost, { ...state, targets: [] }, byId).version, set.version);
  assert.deepEqual([...targetGroupsInUse(state)].sort(), [api.arn, d.arn].sort());
});

test('host set: two load balancers on one host cannot share a listener port; the older keeps it', () => {
  const host = lbInstance('lb1');
  const tg = targetGroup('d');
  const a = loadBalancer('a', { createdAt: 1 });
  const b = loadBalancer('b', { createdAt: 2, arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/app/b/2' });
  const state = { loadBalancers: [b, a], listeners: [listener(b, 80, tg), listener(a, 80, tg), listener(b, 81, tg)], rules: [], targetGroups: [tg], targets: [] };
  const set = hostSetFor(host, state, new Map());
  assert.deepEqual(set.loadBalancers.map((x) => [x.name, x.listeners.map((l) => l.port)]), [['a', [80]], ['b', [81]]]);
  assert.match(set.loadBalancers[1]!.errors[0]!, /Listener port 80 is already used/);
});
