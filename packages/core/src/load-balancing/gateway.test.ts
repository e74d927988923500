import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostSetFor, targetGroupsInUse } from './host-config';
import { GATEWAY_FAIL_OPEN_ATTRIBUTE, listenerHostPorts } from './gateway';
import { lbInstance, listener, loadBalancer, target, targetGroup } from './test-builders';
import { protocolFitsType } from '../model/load-balancer';

const host = lbInstance('i1');
const appliances = targetGroup('ids', { protocol: 'GENEVE', port: 6081 });
const web = targetGroup('web', { arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/00000000000000bb' });
const tcp = targetGroup('tcp', { protocol: 'TCP', arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tcp/00000000000000cc' });
const gw = loadBalancer('gw', { type: 'gateway', arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/gwy/gw/0000000000000002' });
const route = (dest = web, returnPort = 6081) => ({ destinationTargetGroupArn: dest.arn, returnPort, returnToken: 'ab'.repeat(16) });
const gwListener = (over = {}) => listener(gw, 8000, appliances, { protocol: 'GENEVE', gateway: route(), ...over });

test('only GENEVE groups and listeners belong to a gateway, and a gateway takes no HTTP or TCP', () => {
  assert.equal(protocolFitsType('GENEVE', 'gateway'), true);
  for (const p of ['HTTP', 'HTTPS', 'TCP', 'TLS'] as const) assert.equal(protocolFitsType(p, 'gateway'), false, p);
  assert.equal(protocolFitsType('GENEVE', 'application'), false);
  assert.equal(protocolFitsType('GENEVE', 'network'), false);
});

test("a gateway's host set: the appliances get the destination's protocol and a flow mode; the destination is in use", () => {
  const l = gwListener();
  const state = { loadBalancers: [gw], listeners: [l], rules: [], targetGroups: [appliances, web], targets: [target(appliances, 'i1', 40000), target(web, 'i1', 32768)] };
  const set = hostSetFor(host, state, new Map([['i1', host]]));
  const hl = set.loadBalancers[0]!.listeners[0]!;
  assert.equal(hl.defaultTargetGroupArn, appliances.arn);
  assert.deepEqual(hl.gateway, { ...route(), failOpen: false });
  const groups = new Map(set.loadBalancers[0]!.targetGroups.map((g) => [g.arn, g]));
  assert.equal(groups.get(appliances.arn)!.protocol, 'HTTP');
  assert.equal(groups.get(appliances.arn)!.flow, 'connection');
  assert.equal(groups.get(web.arn)!.flow, undefined);
  assert.equal(groups.get(web.arn)!.targets.length, 1, 'the destination is checked and served by this host');
  assert.deepEqual([...targetGroupsInUse(state)].sort(), [appliances.arn, web.arn].sort());

  const sticky = { ...appliances, attributes: { ...appliances.attributes, flowStickiness: 'source_ip_dest_ip' as const } };
  const lbOpen = { ...gw, attributes: { [GATEWAY_FAIL_OPEN_ATTRIBUTE]: 'true' } };
  const tcpSet = hostSetFor(host, { ...state, loadBalancers: [lbOpen], listeners: [gwListener({ gateway: route(tcp) })], targetGroups: [sticky, tcp] }, new Map([['i1', host]]));
  const tg = tcpSet.loadBalancers[0]!.targetGroups.find((g) => g.arn === appliances.arn)!;
  assert.equal(tg.protocol, 'TCP');
  assert.equal(tg.flow, 'source');
  assert.equal(tcpSet.loadBalancers[0]!.listeners[0]!.gateway!.failOpen, true);
});

test('the return port is the host\'s: a listener of another load balancer on it loses, and a missing destination drops the listener', () => {
  assert.deepEqual(listenerHostPorts(gwListener()), [8000, 6081]);
  const alb = loadBalancer('alb', { createdAt: 5 });
  const clash = listener(alb, 6081, web);
  const set = hostSetFor(host, { loadBalancers: [gw, alb], listeners: [gwListener(), clash], rules: [], targetGroups: [appliances, web], targets: [] }, new Map());
  assert.equal(set.loadBalancers[1]!.listeners.length, 0);
  assert.match(set.loadBalancers[1]!.errors[0]!, /port 6081 is already used/);
  const orphan = hostSetFor(host, { loadBalancers: [gw], listeners: [gwListener()], rules: [], targetGroups: [appliances], targets: [] }, new Map());
  assert.equal(orphan.loadBalancers[0]!.listeners.length, 0, 'no destination group: nothing to chain to');
});
