import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { ecsError, startFakeEcs } from './testing/fake-ecs-server';
import { parseTarget } from './commands/lb-target-group';
import { parseLoadBalancer } from './commands/service-create';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const TG = `${P}:targetgroup/web/50dc6c495c0c9188`;
const LB = `${P}:loadbalancer/app/front/1111111111111111`;
const LISTENER = `${P}:listener/app/front/1111111111111111/2222222222222222`;

const lbJson = { LoadBalancerArn: LB, LoadBalancerName: 'front', Type: 'application', Scheme: 'internal', State: { Code: 'active' }, Cluster: 'prod', AvailabilityZones: [{ LoadBalancerAddresses: [{ IpAddress: '127.0.0.60' }] }], Placement: { Expression: 'attribute:role == lb', ContainerInstanceIds: [] } };
const tgJson = { TargetGroupArn: TG, TargetGroupName: 'web', Protocol: 'HTTP', Port: 8080, TargetType: 'instance', HealthCheckProtocol: 'HTTP', HealthCheckPath: '/health', Matcher: { HttpCode: '200' }, HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2, HealthCheckPort: 'traffic-port', LoadBalancerArns: [LB] };

test('lb create, listener and rule: ELB requests under the Stevedore target, names resolved', async (t) => {
  const fake = await startFakeEcs({
    CreateLoadBalancer: () => ({ LoadBalancers: [lbJson] }),
    DescribeLoadBalancers: () => ({ LoadBalancers: [lbJson] }),
    DescribeTargetGroups: () => ({ TargetGroups: [tgJson] }),
    CreateListener: (b) => ({ Listeners: [{ ListenerArn: LISTENER, LoadBalancerArn: LB, Port: b['Port'], Protocol: b['Protocol'], DefaultActions: b['DefaultActions'] }] }),
    CreateRule: (b) => ({ Rules: [{ RuleArn: `${LISTENER}/3`, Priority: String(b['Priority']), Conditions: b['Conditions'], Actions: b['Actions'], IsDefault: false }] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['--cluster', 'prod', 'lb', 'create', 'front', '--placement', 'attribute:role == lb', '--scheme', 'internal'], io), 0);
  const create = fake.callsTo('CreateLoadBalancer')[0]!;
  assert.equal(create.target, 'Stevedore_20261125.CreateLoadBalancer');
  assert.deepEqual(create.body, { Name: 'front', Type: 'application', Scheme: 'internal', Cluster: 'prod', Placement: { Expression: 'attribute:role == lb' } });
  assert.match(io.out(), /^NAME\s+TYPE\s+STATE\s+CLUSTER\s+HOSTS/);
  assert.match(io.out(), /front\s+application\s+active\s+prod\s+127\.0\.0\.60/);

  const io2 = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'listener', 'create', 'front', '--port', '80', '--target-group', 'web'], io2), 0, io2.err());
  assert.deepEqual(fake.callsTo('DescribeLoadBalancers')[0]!.body, { Names: ['front'] });
  assert.deepEqual(fake.callsTo('CreateListener')[0]!.body, { LoadBalancerArn: LB, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] });

  const io3 = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'rule', 'create', LISTENER, '--priority', '10', '--path-pattern', '/api/*', '--host-header', 'api.example.com', '--target-group', TG], io3), 0, io3.err());
  assert.deepEqual(fake.callsTo('CreateRule')[0]!.body, {
    ListenerArn: LISTENER,
    Priority: 10,
    Conditions: [
      { Field: 'host-header', Values: ['api.example.com'] },
      { Field: 'path-pattern', Values: ['/api/*'] },
    ],
    Actions: [{ Type: 'forward', TargetGroupArn: TG }],
  });
  assert.match(io3.out(), /10\s+host-header=api\.example\.com AND path-pattern=\/api\/\*\s+web/);

  const bad = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'create', 'x'], bad), 2);
  assert.match(bad.err(), /--placement or --instance is required/);
});

test('lb targets shows ELB states and reason codes; errors keep the ELB error name', async (t) => {
  const fake = await startFakeEcs({
    DescribeTargetGroups: (b) => ((b['Names'] as string[] | undefined)?.[0] === 'nope' ? ecsError('TargetGroupNotFoundException', 'One or more target groups not found') : { TargetGroups: [tgJson] }),
    DescribeTargetHealth: () => ({
      TargetHealthDescriptions: [
        { Target: { Id: 'a1b2', Port: 32768 }, HealthCheckPort: '32768', TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'c3d4', Port: 32769 }, HealthCheckPort: '32769', TargetHealth: { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' } },
        { Target: { Id: 'c3d4', Port: 32770 }, HealthCheckPort: '32770', TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' } },
      ],
    }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'targets', 'web'], io), 0);
  const lines = io.out().trim().split('\n');
  assert.match(lines[0]!, /^TARGET\s+PORT\s+STATE\s+REASON\s+DESCRIPTION$/);
  assert.match(lines[2]!, /^c3d4\s+32769\s+unhealthy\s+Target\.ResponseCodeMismatch\s+Health checks failed with these codes: \[500\]$/);
  assert.match(lines[3]!, /draining\s+Target\.DeregistrationInProgress/);
  const err = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'targets', 'nope'], err), 254);
  assert.match(err.err(), /TargetGroupNotFoundException: One or more target groups not found/);
});

test('targets and service load balancers parse as ELB and ECS take them', () => {
  assert.deepEqual(parseTarget('0123abcd'), { Id: '0123abcd' });
  assert.deepEqual(parseTarget('0123abcd:8080'), { Id: '0123abcd', Port: 8080 });
  assert.deepEqual(parseTarget('arn:aws:ecs:us-east-1:0:container-instance/prod/0123abcd:80'), { Id: 'arn:aws:ecs:us-east-1:0:container-instance/prod/0123abcd', Port: 80 });
  assert.deepEqual(parseTarget('arn:aws:ecs:us-east-1:0:container-instance/prod/0123abcd'), { Id: 'arn:aws:ecs:us-east-1:0:container-instance/prod/0123abcd' });
  assert.deepEqual(parseLoadBalancer(`targetGroupArn=${TG},containerName=web,containerPort=8080`), { targetGroupArn: TG, containerName: 'web', containerPort: 8080 });
  assert.throws(() => parseLoadBalancer('containerName=web'), /expected targetGroupArn=ARN/);
});

test('service create --load-balancer sends loadBalancers', async (t) => {
  const fake = await startFakeEcs({ CreateService: (b) => ({ service: { serviceName: b['serviceName'], status: 'ACTIVE', desiredCount: 1, runningCount: 0, pendingCount: 0, taskDefinition: 'web:1', deployments: [], events: [], loadBalancers: b['loadBalancers'] } }) });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['service', 'create', 'web', '--task-definition', 'web', '--load-balancer', `targetGroupArn=${TG},containerName=web,containerPort=8080`], io), 0, io.err());
  assert.deepEqual(fake.callsTo('CreateService')[0]!.body['loadBalancers'], [{ targetGroupArn: TG, containerName: 'web', containerPort: 8080 }]);
});
