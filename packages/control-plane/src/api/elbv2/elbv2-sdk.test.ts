import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ElasticLoadBalancingV2Client,
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeSSLPoliciesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  DuplicateLoadBalancerNameException,
  DuplicateTagKeysException,
  LoadBalancerNotFoundException,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  OperationNotPermittedException,
  PriorityInUseException,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  RuleNotFoundException,
  SetRulePrioritiesCommand,
  SSLPolicyNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTestControlPlane, FakeAgent } from '../../testing/harness';
import { ELBV2_MODEL } from './elbv2-model';
import { ELBV2_OPERATIONS } from './elbv2-service';

// ELBv2's own protocol (Query: form in, XML out, version 2015-12-01, signed for
// elasticloadbalancing), through the AWS SDK unchanged: it parses every answer with
// ELBv2's model, so shapes, timestamps and error codes are checked against it.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let elb: ElasticLoadBalancingV2Client;
let lbHost: FakeAgent;

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'qlb' });
  lbHost = new FakeAgent(h.agentAddress);
  await lbHost.register({ cluster: 'qlb', host_ip: '127.0.15.9', attributes: [{ name: 'role', value: 'lb' }] });
  elb = new ElasticLoadBalancingV2Client({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
});
after(async () => {
  elb.destroy();
  lbHost.close();
  await h.cp.stop();
});

const placementTags = [
  { Key: 'stevedore:cluster', Value: 'qlb' },
  { Key: 'stevedore:placement', Value: 'attribute:role == lb' },
];

test('the served model is botocore\'s ELBv2 2015-12-01, and every served operation is in it', () => {
  const botocore = JSON.parse(readFileSync('/usr/lib/python3/dist-packages/awscli/botocore/data/elbv2/2015-12-01/service-2.json', 'utf8'));
  assert.equal(ELBV2_MODEL.metadata.apiVersion, '2015-12-01');
  assert.equal(ELBV2_MODEL.metadata.protocol, 'query');
  assert.equal(ELBV2_MODEL.metadata.endpointPrefix, 'elasticloadbalancing');
  for (const op of ELBV2_OPERATIONS.keys()) {
    assert.ok(ELBV2_MODEL.operations[op], `${op} in the extracted model`);
    assert.equal(ELBV2_MODEL.operations[op]!.output?.shape, botocore.operations[op].output.shape, op);
  }
});

test('load balancers through the SDK: Stevedore\'s cluster and placement as tags, subnets and security groups recorded, ELB errors', async () => {
  const created = await elb.send(new CreateLoadBalancerCommand({ Name: 'qfront', Subnets: ['subnet-1', 'subnet-2'], SecurityGroups: ['sg-1'], Tags: placementTags }));
  const lb = created.LoadBalancers![0]!;
  assert.match(lb.LoadBalancerArn!, /:loadbalancer\/app\/qfront\/[0-9a-f]{16}$/);
  assert.ok(lb.CreatedTime instanceof Date && Math.abs(lb.CreatedTime.getTime() - Date.now()) < 60_000, 'CreatedTime is a date, now');
  assert.equal(lb.Type, 'application');
  assert.deepEqual(lb.SecurityGroups, ['sg-1']);
  assert.equal(lb.AvailabilityZones![0]!.LoadBalancerAddresses![0]!.IpAddress, '127.0.15.9');
  const again = await elb.send(new CreateLoadBalancerCommand({ Name: 'qfront', Subnets: ['subnet-1', 'subnet-2'], SecurityGroups: ['sg-1'], Tags: placementTags }));
  assert.equal(again.LoadBalancers![0]!.LoadBalancerArn, lb.LoadBalancerArn, 'the same request again: the same load balancer');
  await assert.rejects(elb.send(new CreateLoadBalancerCommand({ Name: 'qfront', Type: 'network', Tags: placementTags })), (e) => e instanceof DuplicateLoadBalancerNameException);
  await assert.rejects(elb.send(new CreateLoadBalancerCommand({ Name: 'qnone', Tags: [{ Key: 'stevedore:cluster', Value: 'qlb' }] })), (e: Error) => e.name === 'ValidationError' && /stevedore:placement/.test(e.message));
  await assert.rejects(elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })), (e) => e instanceof LoadBalancerNotFoundException);
  const byName = await elb.send(new DescribeLoadBalancersCommand({ Names: ['qfront'] }));
  assert.equal(byName.LoadBalancers![0]!.LoadBalancerName, 'qfront');
  const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }));
  assert.deepEqual(tags.TagDescriptions![0]!.Tags, placementTags);

  const attrs = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  assert.equal(attrs.Attributes!.find((a) => a.Key === 'idle_timeout.timeout_seconds')!.Value, '60');
  await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] }));
  await assert.rejects(elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn })), (e) => e instanceof OperationNotPermittedException);
  await assert.rejects(
    elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '0' }] })),
    (e: Error) => e.name === 'ValidationError' && /idle_timeout/.test(e.message),
  );
  await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] }));
});

test('target groups, listeners and rules through the SDK: modify, swap priorities, tags, target health', async () => {
  const lbArn = (await elb.send(new DescribeLoadBalancersCommand({ Names: ['qfront'] }))).LoadBalancers![0]!.LoadBalancerArn!;
  const mk = async (Name: string) =>
    (await elb.send(new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/health', Tags: [{ Key: 'team', Value: Name }] }))).TargetGroups![0]!;
  const web = await mk('qweb');
  const api = await mk('qapi');
  assert.equal(web.VpcId, 'vpc-1');
  assert.equal(web.HealthCheckPath, '/health');
  await assert.rejects(elb.send(new DescribeTargetGroupsCommand({ Names: ['nope'] })), (e) => e instanceof TargetGroupNotFoundException);

  const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8081, DefaultActions: [{ Type: 'forward', TargetGroupArn: web.TargetGroupArn }] }))).Listeners![0]!;
  const moved = await elb.send(new ModifyListenerCommand({ ListenerArn: listener.ListenerArn, Port: 8082 }));
  assert.equal(moved.Listeners![0]!.Port, 8082);
  assert.equal((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners![0]!.Port, 8082);

  const rule = async (Priority: number, path: string) =>
    (await elb.send(new CreateRuleCommand({ ListenerArn: listener.ListenerArn, Priority, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [path] } }], Actions: [{ Type: 'forward', TargetGroupArn: api.TargetGroupArn }] }))).Rules![0]!;
  const r1 = await rule(10, '/a/*');
  const r2 = await rule(20, '/b/*');
  await assert.rejects(rule(10, '/c/*'), (e) => e instanceof PriorityInUseException);
  const swapped = await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r1.RuleArn, Priority: 20 }, { RuleArn: r2.RuleArn, Priority: 10 }] }));
  assert.deepEqual(swapped.Rules!.map((r) => r.Priority), ['20', '10']);
  await assert.rejects(elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r1.RuleArn, Priority: 10 }] })), (e) => e instanceof PriorityInUseException);
  const modified = await elb.send(new ModifyRuleCommand({ RuleArn: r1.RuleArn, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } }] }));
  assert.deepEqual(modified.Rules![0]!.Conditions![0]!.HostHeaderConfig!.Values, ['*.example.com']);
  await assert.rejects(elb.send(new ModifyRuleCommand({ RuleArn: r1.RuleArn!.replace(/[0-9a-f]{16}$/, '0000000000000000'), Actions: [] })), (e) => e instanceof RuleNotFoundException);
  const rules = await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }));
  assert.deepEqual(rules.Rules!.map((r) => [r.Priority, r.IsDefault]), [['10', false], ['20', false], ['default', true]]);

  await elb.send(new AddTagsCommand({ ResourceArns: [web.TargetGroupArn!, listener.ListenerArn!, r1.RuleArn!], Tags: [{ Key: 'env', Value: 'prod' }] }));
  await elb.send(new RemoveTagsCommand({ ResourceArns: [web.TargetGroupArn!], TagKeys: ['team'] }));
  const described = await elb.send(new DescribeTagsCommand({ ResourceArns: [web.TargetGroupArn!, listener.ListenerArn!, r1.RuleArn!] }));
  assert.deepEqual(
    described.TagDescriptions!.map((d) => d.Tags),
    [[{ Key: 'env', Value: 'prod' }], [{ Key: 'env', Value: 'prod' }], [{ Key: 'env', Value: 'prod' }]],
  );
  await assert.rejects(elb.send(new AddTagsCommand({ ResourceArns: [web.TargetGroupArn!], Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] })), (e) => e instanceof DuplicateTagKeysException);

  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: web.TargetGroupArn, Targets: [{ Id: '127.0.15.10', Port: 8080 }] }));
  const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: web.TargetGroupArn }));
  assert.equal(health.TargetHealthDescriptions![0]!.Target!.Id, '127.0.15.10');
  assert.ok(['initial', 'unused', 'unavailable'].includes(health.TargetHealthDescriptions![0]!.TargetHealth!.State!));
});

test('DescribeSSLPolicies lists ELB\'s policies; an unknown name is SSLPolicyNotFound', async () => {
  const all = await elb.send(new DescribeSSLPoliciesCommand({}));
  const names = all.SslPolicies!.map((p) => p.Name);
  assert.ok(names.includes('ELBSecurityPolicy-2016-08') && names.includes('ELBSecurityPolicy-TLS13-1-2-2021-06'));
  const one = await elb.send(new DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-TLS13-1-2-2021-06'] }));
  assert.deepEqual(one.SslPolicies![0]!.SslProtocols, ['TLSv1.2', 'TLSv1.3']);
  assert.equal(one.SslPolicies![0]!.Ciphers![0]!.Name, 'TLS_AES_128_GCM_SHA256');
  await assert.rejects(elb.send(new DescribeSSLPoliciesCommand({ Names: ['nope'] })), (e) => e instanceof SSLPolicyNotFoundException);
});
