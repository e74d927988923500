import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import { parseScheduleOption } from './commands/service-autoscale';

const KEY = { ServiceNamespace: 'ecs', ResourceId: 'service/prod/web', ScalableDimension: 'ecs:service:DesiredCount' };

test('service autoscale registers the target, one target-tracking policy per metric and the schedules, signed for application-autoscaling', async (t) => {
  const fake = await startFakeEcs({
    RegisterScalableTarget: () => ({ ScalableTargetARN: 'arn:aws:application-autoscaling:us-east-1:0:scalable-target/x' }),
    DescribeScalingPolicies: () => ({
      ScalingPolicies: [{ PolicyName: 'cpu70', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }, Alarms: [{ AlarmName: 'TargetTracking-service/prod/web-AlarmHigh-1' }] }],
    }),
    DeleteScalingPolicy: () => ({}),
    PutScalingPolicy: () => ({ PolicyARN: 'arn:p', Alarms: [] }),
    PutScheduledAction: () => ({}),
    DescribeScalableTargets: () => ({ ScalableTargets: [{ ...KEY, MinCapacity: 2, MaxCapacity: 10 }] }),
    DescribeScheduledActions: () => ({ ScheduledActions: [{ ScheduledActionName: 's', Schedule: 'cron(0 8 * * ? *)', ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 20 } }] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint, STEVEDORE_CLUSTER: 'prod', AWS_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) } });
  const code = await run(['service', 'autoscale', 'web', '--min', '2', '--max', '10', '--cpu', '50', '--scale-in-cooldown', '60', '--schedule', 'cron(0 8 * * ? *)=min:4,max:20', '--timezone', 'Europe/Paris'], io);
  assert.equal(code, 0, io.err());
  assert.equal(fake.calls[0]!.target, 'AnyScaleFrontendService.RegisterScalableTarget');
  assert.match(String(fake.calls[0]!.headers['authorization']), /\/us-east-1\/application-autoscaling\/aws4_request/);
  assert.deepEqual(fake.callsTo('RegisterScalableTarget')[0]!.body, { ...KEY, MinCapacity: 2, MaxCapacity: 10 });
  assert.deepEqual(fake.callsTo('DeleteScalingPolicy')[0]!.body, { ...KEY, PolicyName: 'cpu70' }, 'the old CPU policy goes');
  assert.deepEqual(fake.callsTo('PutScalingPolicy')[0]!.body, {
    ...KEY,
    PolicyName: 'cpu50',
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleInCooldown: 60 },
  });
  const sched = fake.callsTo('PutScheduledAction')[0]!.body;
  assert.equal(sched['Schedule'], 'cron(0 8 * * ? *)');
  assert.equal(sched['Timezone'], 'Europe/Paris');
  assert.deepEqual(sched['ScalableTargetAction'], { MinCapacity: 4, MaxCapacity: 20 });
  assert.match(String(sched['ScheduledActionName']), /^stevedore-[0-9a-f]{12}$/);
  assert.match(io.out(), /service\/prod\/web: min 2, max 10/);
  assert.match(io.out(), /cron\(0 8 \* \* \? \*\)\s+UTC\s+4\s+20/);
});

test('service scaling-activities prints newest first with causes; --schedule is checked before any call', async (t) => {
  const fake = await startFakeEcs({
    DescribeScalingActivities: () => ({
      ScalingActivities: [{ ActivityId: 'a', ...KEY, StartTime: 1_795_000_000, StatusCode: 'Successful', Description: 'Setting desired count to 4.', Cause: 'monitor alarm TargetTracking-service/prod/web-AlarmHigh-1 in state ALARM triggered policy cpu50 changing the desired capacity from 2 to 4' }],
    }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint, STEVEDORE_CLUSTER: 'prod' } });
  assert.equal(await run(['service', 'scaling-activities', 'web'], io), 0, io.err());
  assert.match(io.out(), /TIME\s+STATUS\s+DESCRIPTION\s+CAUSE/);
  assert.match(io.out(), /Successful\s+Setting desired count to 4\.\s+monitor alarm .* from 2 to 4/);
  assert.equal(fake.calls[0]!.body['ResourceId'], 'service/prod/web');
  assert.deepEqual(parseScheduleOption('rate(1 hour)=max:3'), { schedule: 'rate(1 hour)', max: 3 });
  assert.throws(() => parseScheduleOption('cron(0 8 * * ? *)'), /expected EXPRESSION=min:N,max:M/);
  assert.throws(() => parseScheduleOption('rate(1 hour)=min:x'), /is not min:N or max:N/);
});

test('service autoscale --requests-per-target derives the ResourceLabel from the service\'s target group and its load balancer', async (t) => {
  const tg = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067';
  const lb = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/front/50dc6c495c0c9188';
  const fake = await startFakeEcs({
    RegisterScalableTarget: () => ({}),
    DescribeScalingPolicies: () => ({ ScalingPolicies: [] }),
    DescribeServices: () => ({ services: [{ serviceName: 'web', loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 80 }] }] }),
    DescribeTargetGroups: () => ({ TargetGroups: [{ TargetGroupArn: tg, LoadBalancerArns: [lb] }] }),
    PutScalingPolicy: () => ({ PolicyARN: 'arn:p', Alarms: [] }),
    DescribeScalableTargets: () => ({ ScalableTargets: [] }),
    DescribeScheduledActions: () => ({ ScheduledActions: [] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint, STEVEDORE_CLUSTER: 'prod' } });
  assert.equal(await run(['service', 'autoscale', 'web', '--requests-per-target', '100'], io), 0, io.err());
  const spec = fake.callsTo('PutScalingPolicy')[0]!.body['TargetTrackingScalingPolicyConfiguration'] as Record<string, any>;
  assert.deepEqual(spec['PredefinedMetricSpecification'], { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: 'app/front/50dc6c495c0c9188/targetgroup/web-tg/73e2d6bc24d8a067' });
  assert.equal(fake.callsTo('PutScalingPolicy')[0]!.body['PolicyName'], 'requests100');
});
