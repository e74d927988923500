import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startElbTestApi } from '../testing/elb-test-api';

let api: Awaited<ReturnType<typeof startElbTestApi>>;
let lbHost: { instanceId: string };
const ok = (op: string, body: unknown) => api.ok(op, body);
const fails = (op: string, body: unknown, type: string, message?: RegExp) => api.fails(op, body, type, message);

before(async () => {
  api = await startElbTestApi('lbc', '127.0.0.50');
  lbHost = api.lbHost;
});
after(() => api.stop());

test('target groups: ELB defaults, ranges, duplicates and attributes', async () => {
  const tg = (await ok('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 80 })).TargetGroups[0];
  assert.match(tg.TargetGroupArn, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup\/web\/[0-9a-f]{16}$/);
  assert.equal(tg.HealthCheckIntervalSeconds, 30);
  assert.equal(tg.HealthCheckTimeoutSeconds, 5);
  assert.equal(tg.HealthyThresholdCount, 5);
  assert.equal(tg.UnhealthyThresholdCount, 2);
  assert.deepEqual(tg.Matcher, { HttpCode: '200' });
  assert.equal(tg.TargetType, 'instance');
  const again = await ok('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 80 });
  assert.equal(again.TargetGroups[0].TargetGroupArn, tg.TargetGroupArn, 'same name and settings: the same target group');
  await fails('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 81 }, 'DuplicateTargetGroupNameException');
  await fails('CreateTargetGroup', { Name: '-bad', Protocol: 'HTTP', Port: 80 }, 'ValidationError', /Name/);
  await fails('CreateTargetGroup', { Name: 'x', Protocol: 'HTTP', Port: 80, HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5 }, 'ValidationError', /smaller than the interval/);
  await fails('CreateTargetGroup', { Name: 'x', Protocol: 'HTTP', Port: 80, Matcher: { HttpCode: '600' } }, 'ValidationError', /HttpCode/);
  await fails('CreateTargetGroup', { Name: 'x', Protocol: 'UDP', Port: 80 }, 'ValidationError', /not supported/);
  const attrs = await ok('DescribeTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn });
  assert.deepEqual(attrs.Attributes.find((a: any) => a.Key === 'deregistration_delay.timeout_seconds'), { Key: 'deregistration_delay.timeout_seconds', Value: '300' });
  const mod = await ok('ModifyTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }, { Key: 'slow_start.duration_seconds', Value: '30' }] });
  assert.equal(mod.Attributes.find((a: any) => a.Key === 'slow_start.duration_seconds').Value, '30');
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '10' }] }, 'ValidationError', /slow_start/);
  const sticky = await ok('ModifyTargetGroupAttributes', {
    TargetGroupArn: tg.TargetGroupArn,
    Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'lb_cookie' }, { Key: 'stickiness.lb_cookie.duration_seconds', Value: '600' }, { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }],
  });
  const byKey = new Map(sticky.Attributes.map((a: any) => [a.Key, a.Value]));
  assert.deepEqual([byKey.get('stickiness.enabled'), byKey.get('stickiness.lb_cookie.duration_seconds'), byKey.get('load_balancing.algorithm.type')], ['true', '600', 'least_outstanding_requests']);
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'stickiness.type', Value: 'app_cookie' }] }, 'ValidationError', /lb_cookie/);
  await fails('ModifyTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'load_balancing.algorithm.type', Value: 'weighted_random' }] }, 'ValidationError', /least_outstanding_requests/);
  await ok('ModifyTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'stickiness.enabled', Value: 'false' }, { Key: 'load_balancing.algorithm.type', Value: 'round_robin' }] });
  await fails('DescribeTargetGroups', { Names: ['nope'] }, 'TargetGroupNotFoundException');
  const tcp = (await ok('CreateTargetGroup', { Name: 'tcp', Protocol: 'TCP', Port: 9000 })).TargetGroups[0];
  assert.equal(tcp.HealthCheckProtocol, 'TCP');
  assert.equal(tcp.HealthCheckPath, undefined);
});

test('load balancers, listeners and rules: ELB errors for bad input', async () => {
  const web = (await ok('DescribeTargetGroups', { Names: ['web'] })).TargetGroups[0].TargetGroupArn;
  const tcp = (await ok('DescribeTargetGroups', { Names: ['tcp'] })).TargetGroups[0].TargetGroupArn;
  const api = (await ok('CreateTargetGroup', { Name: 'api', Protocol: 'HTTP', Port: 80, HealthCheckPath: '/health', Matcher: { HttpCode: '200-299' } })).TargetGroups[0].TargetGroupArn;
  await fails('CreateLoadBalancer', { Name: 'front', Cluster: 'lbc' }, 'ValidationError', /Placement is required/);
  await fails('CreateLoadBalancer', { Name: 'front', Cluster: 'lbc', Placement: { Expression: 'attribute:role ==' } }, 'ValidationError', /Placement.Expression/);
  await fails('CreateLoadBalancer', { Name: 'front', Cluster: 'nope', Placement: { Expression: 'attribute:role == lb' } }, 'ClusterNotFoundException');
  const lb = (await ok('CreateLoadBalancer', { Name: 'front', Type: 'application', Scheme: 'internal', Cluster: 'lbc', Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0];
  assert.match(lb.LoadBalancerArn, /:loadbalancer\/app\/front\/[0-9a-f]{16}$/);
  assert.deepEqual(lb.AvailabilityZones.map((z: any) => z.LoadBalancerAddresses[0].IpAddress), ['127.0.0.50']);
  assert.equal(lb.State.Code, 'provisioning');
  await fails('CreateLoadBalancer', { Name: 'front', Type: 'network', Cluster: 'lbc', Placement: { Expression: 'attribute:role == lb' } }, 'DuplicateLoadBalancerNameException');

  const listener = (await ok('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: web }] })).Listeners[0];
  assert.match(listener.ListenerArn, /:listener\/app\/front\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: web }] }, 'DuplicateListenerException');
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: 81, DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp }] }, 'IncompatibleProtocolsException');
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 81, DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp }] }, 'InvalidConfigurationRequestException', /protocol TCP/);
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 81, DefaultActions: [{ Type: 'forward', TargetGroupArn: web.replace(/[0-9a-f]{16}$/, '0000000000000000') }] }, 'TargetGroupNotFoundException');
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 81, DefaultActions: [{ Type: 'redirect' }] }, 'ValidationError', /needs a RedirectConfig/);
  await fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 81, DefaultActions: [{ Type: 'authenticate-oidc' }] }, 'ValidationError', /not supported/);

  // A second load balancer on the same hosts cannot take port 80 there.
  const other = (await ok('CreateLoadBalancer', { Name: 'other', Type: 'network', Cluster: 'lbc', Placement: { ContainerInstanceIds: [lbHost.instanceId] } })).LoadBalancers[0];
  await fails('CreateListener', { LoadBalancerArn: other.LoadBalancerArn, Protocol: 'TCP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp }] }, 'InvalidConfigurationRequestException', /Port 80 is already used/);
  await ok('CreateListener', { LoadBalancerArn: other.LoadBalancerArn, Protocol: 'TCP', Port: 9000, DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp }] });
  await fails('CreateRule', { ListenerArn: (await ok('DescribeListeners', { LoadBalancerArn: other.LoadBalancerArn })).Listeners[0].ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: [{ Type: 'forward', TargetGroupArn: tcp }] }, 'InvalidConfigurationRequestException', /application/);

  const rule = { ListenerArn: listener.ListenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: api }] };
  const created = (await ok('CreateRule', rule)).Rules[0];
  assert.equal(created.Priority, '10');
  assert.deepEqual(created.Conditions[0].Values, ['/api/*']);
  await fails('CreateRule', rule, 'PriorityInUseException', /Priority '10' is currently in use/);
  await fails('CreateRule', { ...rule, Priority: 0 }, 'ValidationError', /Priority/);
  await fails('CreateRule', { ...rule, Priority: 50001 }, 'ValidationError', /Priority/);
  await fails('CreateRule', { ...rule, Priority: 11, Conditions: [{ Field: 'cookie', Values: ['GET'] }] }, 'ValidationError', /not supported/);
  await fails('CreateRule', { ...rule, Priority: 11, Conditions: [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['get'] } }] }, 'ValidationError', /not a valid http-request-method/);
  await fails('CreateRule', { ...rule, Priority: 11, Conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.1'] } }] }, 'ValidationError', /not a valid source-ip/);
  await fails('CreateRule', { ...rule, Priority: 11, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X A', Values: ['x'] } }] }, 'ValidationError', /HttpHeaderName/);
  await fails('CreateRule', { ...rule, Priority: 11, Actions: [{ Type: 'redirect', RedirectConfig: { Path: 'no-slash', StatusCode: 'HTTP_301' } }] }, 'ValidationError', /start with/);
  await fails('CreateRule', { ...rule, Priority: 11, Actions: [{ Type: 'redirect', RedirectConfig: { Host: '#{nope}', StatusCode: 'HTTP_301' } }] }, 'ValidationError', /Host/);
  await fails('CreateRule', { ...rule, Priority: 11, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }] }, 'ValidationError', /StatusCode/);
  await fails('CreateRule', { ...rule, Priority: 11, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: api, Weight: 1000 }, { TargetGroupArn: web }] } }] }, 'ValidationError', /Weight/);
  const stickiness = (c: unknown) => ({ ...rule, Priority: 11, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: api }, { TargetGroupArn: web }], TargetGroupStickinessConfig: c } }] });
  await fails('CreateRule', stickiness({ Enabled: true }), 'ValidationError', /DurationSeconds must be specified/);
  await fails('CreateRule', stickiness({ Enabled: true, DurationSeconds: 604_801 }), 'ValidationError', /DurationSeconds/);
  const every = (await ok('CreateRule', {
    ...rule,
    Priority: 12,
    Conditions: [
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['yes'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'beta*' }] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
    ],
    Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: web, Weight: 90 }, { TargetGroupArn: api, Weight: 10 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } } }],
  })).Rules[0];
  assert.deepEqual(every.Actions[0].ForwardConfig.TargetGroupStickinessConfig, { Enabled: true, DurationSeconds: 3600 });
  assert.deepEqual(every.Conditions.map((c: any) => c.Field), ['http-header', 'http-request-method', 'query-string', 'source-ip']);
  assert.deepEqual(every.Conditions[2].QueryStringConfig.Values, [{ Key: 'v', Value: '2' }, { Value: 'beta*' }]);
  assert.deepEqual(every.Actions[0].ForwardConfig.TargetGroups, [{ TargetGroupArn: web, Weight: 90 }, { TargetGroupArn: api, Weight: 10 }]);
  const redirect = (await ok('CreateRule', { ...rule, Priority: 13, Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] })).Rules[0];
  assert.deepEqual(redirect.Actions[0].RedirectConfig, { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' });
  const fixed = (await ok('CreateRule', { ...rule, Priority: 14, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'down' } }] })).Rules[0];
  assert.deepEqual(fixed.Actions[0].FixedResponseConfig, { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'down' });
  for (const r of [every, redirect, fixed]) await ok('DeleteRule', { RuleArn: r.RuleArn });
  await fails('CreateRule', { ...rule, Priority: 11, Conditions: [] }, 'ValidationError', /at least one condition/);
  await ok('CreateRule', { ...rule, Priority: 5, Conditions: [{ Field: 'host-header', Values: ['api.example.com'] }] });
  const rules = (await ok('DescribeRules', { ListenerArn: listener.ListenerArn })).Rules;
  assert.deepEqual(rules.map((r: any) => r.Priority), ['5', '10', 'default']);

  await fails('DeleteTargetGroup', { TargetGroupArn: api }, 'ResourceInUseException');
  const tgs = (await ok('DescribeTargetGroups', { LoadBalancerArn: lb.LoadBalancerArn })).TargetGroups.map((t: any) => t.TargetGroupName).sort();
  assert.deepEqual(tgs, ['api', 'web']);
  await ok('DeleteRule', { RuleArn: created.RuleArn });
  await fails('DescribeRules', { RuleArns: [created.RuleArn] }, 'RuleNotFoundException');
});

test('targets: manual registration, health states, draining on deregistration', async () => {
  const tg = (await ok('DescribeTargetGroups', { Names: ['web'] })).TargetGroups[0].TargetGroupArn;
  const lonely = (await ok('CreateTargetGroup', { Name: 'lonely', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn;
  await fails('RegisterTargets', { TargetGroupArn: tg, Targets: [{ Id: 'no-such-instance' }] }, 'InvalidTargetException');
  await ok('RegisterTargets', { TargetGroupArn: tg, Targets: [{ Id: lbHost.instanceId, Port: 8081 }] });
  await ok('RegisterTargets', { TargetGroupArn: lonely, Targets: [{ Id: lbHost.instanceId }] });
  const health = (await ok('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions;
  assert.deepEqual(health, [{ Target: { Id: lbHost.instanceId, Port: 8081 }, HealthCheckPort: '8081', TargetHealth: { State: 'unused', Reason: 'Target.NotInUse', Description: 'No connected container instance runs a load balancer that uses this target group' } }]);
  const unused = (await ok('DescribeTargetHealth', { TargetGroupArn: lonely })).TargetHealthDescriptions[0].TargetHealth;
  assert.equal(unused.Reason, 'Target.NotInUse');
  const notRegistered = (await ok('DescribeTargetHealth', { TargetGroupArn: tg, Targets: [{ Id: lbHost.instanceId, Port: 1 }] })).TargetHealthDescriptions[0].TargetHealth;
  assert.equal(notRegistered.Reason, 'Target.NotRegistered');
  await ok('DeregisterTargets', { TargetGroupArn: tg, Targets: [{ Id: lbHost.instanceId, Port: 8081 }] });
  const draining = (await ok('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions[0].TargetHealth;
  assert.deepEqual(draining, { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' });
  await fails('DeregisterTargets', { TargetGroupArn: tg, Targets: [{ Id: lbHost.instanceId, Port: 9 }] }, 'InvalidTargetException', /not registered/);
});

test('deleting a load balancer removes its listeners; target groups stay', async () => {
  const lb = (await ok('DescribeLoadBalancers', { Names: ['front'] })).LoadBalancers[0];
  await ok('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn });
  await fails('DescribeLoadBalancers', { LoadBalancerArns: [lb.LoadBalancerArn] }, 'LoadBalancerNotFoundException');
  await fails('DescribeListeners', { LoadBalancerArn: lb.LoadBalancerArn }, 'LoadBalancerNotFoundException');
  await ok('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn });
  assert.equal((await ok('DescribeTargetGroups', { Names: ['api'] })).TargetGroups.length, 1);
  await ok('DeleteTargetGroup', { TargetGroupArn: (await ok('DescribeTargetGroups', { Names: ['api'] })).TargetGroups[0].TargetGroupArn });
});
