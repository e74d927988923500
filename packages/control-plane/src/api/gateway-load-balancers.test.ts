import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startElbTestApi } from '../testing/elb-test-api';
import { LoadBalancingView, hostSetOf } from '../store/load-balancing-view';

// Gateway load balancers through the API (JSON form; the Query form shares
// the implementation): GENEVE appliance groups, one gateway listener with its
// destination and return port, fail-open, and what the load-balancer host gets.

let api: Awaited<ReturnType<typeof startElbTestApi>>;
const ok = (op: string, body: unknown) => api.ok(op, body);
const fails = (op: string, body: unknown, type: string, message?: RegExp) => api.fails(op, body, type, message);

before(async () => {
  api = await startElbTestApi('gwc', '127.0.26.50');
});
after(() => api.stop());

let web = '';
let ids = '';
let gw = '';

test('GENEVE target groups: port 6081, TCP checks on the traffic port by default, GWLB attributes', async () => {
  await fails('CreateTargetGroup', { Name: 'ids', Protocol: 'GENEVE', Port: 80 }, 'ValidationError', /GENEVE, the supported port is 6081/);
  const tg = (await ok('CreateTargetGroup', { Name: 'ids', Protocol: 'GENEVE', Port: 6081 })).TargetGroups[0];
  ids = tg.TargetGroupArn;
  assert.equal(tg.Protocol, 'GENEVE');
  assert.equal(tg.HealthCheckProtocol, 'TCP');
  assert.equal(tg.HealthCheckPort, 'traffic-port');
  const attrs = new Map((await ok('DescribeTargetGroupAttributes', { TargetGroupArn: ids })).Attributes.map((a: any) => [a.Key, a.Value]));
  assert.deepEqual(Object.fromEntries(attrs), {
    'deregistration_delay.timeout_seconds': '300',
    'stickiness.enabled': 'false',
    'stickiness.type': 'source_ip_dest_ip_proto',
    'target_failover.on_deregistration': 'no_rebalance',
    'target_failover.on_unhealthy': 'no_rebalance',
  });
  const sticky = await ok('ModifyTargetGroupAttributes', { TargetGroupArn: ids, Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'source_ip_dest_ip' }] });
  assert.equal(sticky.Attributes.find((a: any) => a.Key === 'stickiness.type').Value, 'source_ip_dest_ip');
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: ids, Attributes: [{ Key: 'stickiness.type', Value: 'lb_cookie' }] }, 'ValidationError', /source_ip_dest_ip/);
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: ids, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '30' }] }, 'ValidationError', /not recognized for a GENEVE/);
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: ids, Attributes: [{ Key: 'target_failover.on_unhealthy', Value: 'rebalance' }] }, 'ValidationError', /same value/);
  await ok('ModifyTargetGroupAttributes', { TargetGroupArn: ids, Attributes: [{ Key: 'target_failover.on_unhealthy', Value: 'rebalance' }, { Key: 'target_failover.on_deregistration', Value: 'rebalance' }] });
  web = (await ok('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 8080 })).TargetGroups[0].TargetGroupArn;
});

test('a gateway listener: no protocol, a Port, one forward to a GENEVE group, its destination and return port as tags', async () => {
  gw = (await ok('CreateLoadBalancer', { Name: 'gw', Type: 'gateway', Cluster: 'gwc', Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  assert.match(gw, /:loadbalancer\/gwy\/gw\/[0-9a-f]{16}$/);
  const alb = (await ok('CreateLoadBalancer', { Name: 'alb', Type: 'application', Cluster: 'gwc', Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  const fwd = (arn: string) => [{ Type: 'forward', TargetGroupArn: arn }];
  const dest = (v: string) => ({ Key: 'stevedore:destination', Value: v });
  await fails('CreateListener', { LoadBalancerArn: alb, Protocol: 'HTTP', Port: 80, DefaultActions: fwd(ids) }, 'InvalidConfigurationRequestException', /GENEVE/);
  await fails('CreateListener', { LoadBalancerArn: gw, Protocol: 'HTTP', Port: 80, DefaultActions: fwd(ids), Tags: [dest(web)] }, 'ValidationError', /cannot specify a protocol/);
  await fails('CreateListener', { LoadBalancerArn: gw, DefaultActions: fwd(ids), Tags: [dest(web)] }, 'ValidationError', /needs a Port/);
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(web), Tags: [dest(web)] }, 'InvalidConfigurationRequestException', /GENEVE target group/);
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(ids) }, 'ValidationError', /stevedore:destination/);
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(ids), Tags: [dest('nope')] }, 'TargetGroupNotFoundException');
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(ids), Tags: [dest(ids)] }, 'InvalidConfigurationRequestException', /HTTP or TCP/);
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 6081, DefaultActions: fwd(ids), Tags: [dest(web)] }, 'ValidationError', /must differ/);
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(ids), Tags: [dest(web), { Key: 'stevedore:return-port', Value: '70000' }] }, 'ValidationError', /return-port/);
  const l = (await ok('CreateListener', { LoadBalancerArn: gw, Port: 80, DefaultActions: fwd(ids), Tags: [dest('web')] })).Listeners[0];
  assert.equal(l.Protocol, 'GENEVE');
  assert.equal(l.Port, 80);
  assert.equal(JSON.stringify(l).includes('Token'), false, 'the return token never leaves through the API');
  await fails('CreateListener', { LoadBalancerArn: gw, Port: 81, DefaultActions: fwd(ids), Tags: [dest(web)] }, 'TooManyListenersException');
  // ModifyListener: the port and the appliance group; never a protocol, never the return port.
  await fails('ModifyListener', { ListenerArn: l.ListenerArn, Protocol: 'HTTP' }, 'ValidationError', /cannot specify a protocol/);
  await fails('ModifyListener', { ListenerArn: l.ListenerArn, Port: 6081 }, 'ValidationError', /return port/);
  await fails('ModifyListener', { ListenerArn: l.ListenerArn, DefaultActions: fwd(web) }, 'InvalidConfigurationRequestException', /GENEVE target group/);
  assert.equal((await ok('ModifyListener', { ListenerArn: l.ListenerArn, Port: 8080 })).Listeners[0].Port, 8080);
  assert.equal((await ok('ModifyListener', { ListenerArn: l.ListenerArn, Port: 80, DefaultActions: fwd(ids) })).Listeners[0].Port, 80);
  // The return port is the host's too: no other load balancer on these hosts may listen on it.
  await fails('CreateListener', { LoadBalancerArn: alb, Protocol: 'HTTP', Port: 6081, DefaultActions: fwd(web) }, 'InvalidConfigurationRequestException', /6081/);
  await fails('CreateRule', { ListenerArn: l.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: fwd(ids) }, 'InvalidConfigurationRequestException', /application/);
  // The destination is in use: it cannot be deleted, and it is one of the gateway's groups.
  await fails('DeleteTargetGroup', { TargetGroupArn: web }, 'ResourceInUseException');
  const groups = (await ok('DescribeTargetGroups', { LoadBalancerArn: gw })).TargetGroups.map((t: any) => t.TargetGroupArn).sort();
  assert.deepEqual(groups, [ids, web].sort());
  await ok('DeleteLoadBalancer', { LoadBalancerArn: alb });
});

test('fail-open is a gateway attribute; the host set carries the route, the token and the appliance flow mode', async () => {
  const attrs = (await ok('DescribeLoadBalancerAttributes', { LoadBalancerArn: gw })).Attributes;
  assert.deepEqual(attrs.find((a: any) => a.Key === 'stevedore.fail_open.enabled'), { Key: 'stevedore.fail_open.enabled', Value: 'false' });
  await fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: gw, Attributes: [{ Key: 'stevedore.fail_open.enabled', Value: 'yes' }] }, 'ValidationError');
  await ok('ModifyLoadBalancerAttributes', { LoadBalancerArn: gw, Attributes: [{ Key: 'stevedore.fail_open.enabled', Value: 'true' }] });
  const instance = api.h.cp.store.instances.listByCluster('gwc')[0]!;
  const set = hostSetOf(api.h.cp.store, instance);
  const lb = set.loadBalancers.find((x) => x.name === 'gw')!;
  const l = lb.listeners[0]!;
  assert.equal(l.defaultTargetGroupArn, ids);
  assert.equal(l.gateway?.destinationTargetGroupArn, web);
  assert.equal(l.gateway?.returnPort, 6081);
  assert.equal(l.gateway?.failOpen, true);
  assert.match(l.gateway?.returnToken ?? '', /^[0-9a-f]{32}$/);
  const appliances = lb.targetGroups.find((t) => t.arn === ids)!;
  assert.equal(appliances.protocol, 'HTTP', "the appliances get the flow in the destination's protocol");
  assert.equal(appliances.flow, 'source', 'stickiness source_ip_dest_ip: a client stays on one appliance');
  assert.equal(lb.targetGroups.find((t) => t.arn === web)!.flow, undefined);
  assert.ok(new LoadBalancingView(api.h.cp.store).loadBalancersOf(web).includes(gw));
});
