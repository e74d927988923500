import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startTestControlPlane, eventually } from '../testing/harness';

/**
 * Application Auto Scaling's operations against a real control plane (SigV4
 * signed for application-autoscaling), checked against the botocore model's
 * shapes: members named in the model only, required ones present.
 */
const MODEL = JSON.parse(fs.readFileSync('/usr/lib/python3/dist-packages/awscli/botocore/data/application-autoscaling/2016-02-06/service-2.json', 'utf8')) as {
  shapes: Record<string, { type: string; members?: Record<string, { shape: string }>; required?: string[]; member?: { shape: string } }>;
};
// Members newer than Debian's model that the SDK v3 knows.
const NEWER = new Set(['ScalableTargetARN']);

function checkShape(value: unknown, shapeName: string, path = shapeName): void {
  const shape = MODEL.shapes[shapeName]!;
  if (shape.type === 'structure') {
    assert.equal(typeof value, 'object', path);
    const v = value as Record<string, unknown>;
    for (const r of shape.required ?? []) assert.ok(v[r] !== undefined, `${path}.${r} is required`);
    for (const [k, x] of Object.entries(v)) {
      if (NEWER.has(k)) continue;
      const m = shape.members?.[k];
      assert.ok(m, `${path}.${k} is not in the model`);
      checkShape(x, m.shape, `${path}.${k}`);
    }
  } else if (shape.type === 'list') {
    assert.ok(Array.isArray(value), path);
    (value as unknown[]).forEach((x, i) => checkShape(x, shape.member!.shape, `${path}[${i}]`));
  } else if (shape.type === 'timestamp' || shape.type === 'integer' || shape.type === 'double') assert.equal(typeof value, 'number', path);
  else if (shape.type === 'string') assert.equal(typeof value, 'string', path);
  else if (shape.type === 'boolean') assert.equal(typeof value, 'boolean', path);
}

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const aas = async (op: string, body: unknown) => {
  const r = await h.call(op, body, `AnyScaleFrontendService.${op}`);
  if (r.status === 200) checkShape(r.body, `${op}Response`);
  return r;
};
const KEY = { ServiceNamespace: 'ecs', ResourceId: 'service/aas/web', ScalableDimension: 'ecs:service:DesiredCount' };

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'aas' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  const s = await h.call('CreateService', { cluster: 'aas', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 });
  assert.equal(s.status, 200, JSON.stringify(s.body));
});
after(() => h.cp.stop());

test('scalable targets: register, describe, update, refuse what AAS refuses', async () => {
  const r = await aas('RegisterScalableTarget', { ...KEY, MinCapacity: 1, MaxCapacity: 5 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body['ScalableTargetARN'], /^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]{32}$/);
  const d = await aas('DescribeScalableTargets', { ServiceNamespace: 'ecs' });
  assert.equal(d.body['ScalableTargets'].length, 1);
  const t = d.body['ScalableTargets'][0];
  assert.deepEqual([t.ResourceId, t.MinCapacity, t.MaxCapacity, t.ScalableDimension], ['service/aas/web', 1, 5, 'ecs:service:DesiredCount']);
  assert.equal(t.RoleARN, 'arn:aws:iam::000000000000:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService');
  assert.deepEqual(t.SuspendedState, { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false });
  // Registering again updates only what is given.
  await aas('RegisterScalableTarget', { ...KEY, MaxCapacity: 6, SuspendedState: { DynamicScalingInSuspended: true } });
  const t2 = (await aas('DescribeScalableTargets', { ServiceNamespace: 'ecs', ResourceIds: ['service/aas/web'] })).body['ScalableTargets'][0];
  assert.deepEqual([t2.MinCapacity, t2.MaxCapacity, t2.SuspendedState.DynamicScalingInSuspended], [1, 6, true]);
  assert.equal(t2.ScalableTargetARN, r.body['ScalableTargetARN']);

  const refusals: [unknown, string, RegExp][] = [
    [{ ...KEY, ServiceNamespace: 'dynamodb', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /Unsupported service namespace: dynamodb/],
    [{ ...KEY, ServiceNamespace: 'nope', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /Value 'nope' at 'serviceNamespace' failed to satisfy constraint/],
    [{ ...KEY, ScalableDimension: 'ecs:service:Other', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /Unsupported scalable dimension/],
    [{ ...KEY, ResourceId: 'aas/web', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /Unsupported resource ID format: aas\/web/],
    [{ ...KEY, ResourceId: 'service/aas/nope', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /^ECS service doesn't exist: service\/aas\/nope$/],
    [{ ...KEY, MinCapacity: 7, MaxCapacity: 2 }, 'ValidationException', /^Minimum capacity cannot be greater than maximum capacity$/],
    [{ ...KEY, MinCapacity: -1 }, 'ValidationException', /MinCapacity must be at least 0/],
    [{ ...KEY, MinCapacity: 'x' }, 'ValidationException', /MinCapacity must be an integer/],
  ];
  for (const [body, type, message] of refusals) {
    const e = await aas('RegisterScalableTarget', body);
    assert.equal(e.status, 400, JSON.stringify(body));
    assert.equal(e.body['__type'], type, JSON.stringify(e.body));
    assert.match(e.body['message'], message);
  }
  await aas('RegisterScalableTarget', { ...KEY, SuspendedState: { DynamicScalingInSuspended: false } });
});

test('scaling policies: target tracking gets its alarms, step scaling is validated, errors are AAS\'s', async () => {
  const tt = await aas('PutScalingPolicy', {
    ...KEY,
    PolicyName: 'cpu50',
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 60, ScaleInCooldown: 120 },
  });
  assert.equal(tt.status, 200, JSON.stringify(tt.body));
  assert.match(tt.body['PolicyARN'], /^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/aas\/web:policyName\/cpu50$/);
  const names = tt.body['Alarms'].map((a: { AlarmName: string }) => a.AlarmName);
  assert.equal(names.length, 2);
  assert.match(names[0], /^TargetTracking-service\/aas\/web-AlarmHigh-[0-9a-f-]{36}$/);
  assert.match(names[1], /^TargetTracking-service\/aas\/web-AlarmLow-[0-9a-f-]{36}$/);
  // Put again: same ARN, same alarms.
  const again = await aas('PutScalingPolicy', { ...KEY, PolicyName: 'cpu50', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 40, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } });
  assert.equal(again.body['PolicyARN'], tt.body['PolicyARN']);
  assert.deepEqual(again.body['Alarms'], tt.body['Alarms']);

  const step = await aas('PutScalingPolicy', {
    ...KEY,
    PolicyName: 'queue',
    PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 30, MetricAggregationType: 'Average', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
  });
  assert.equal(step.status, 200, JSON.stringify(step.body));
  const list = await aas('DescribeScalingPolicies', { ServiceNamespace: 'ecs', ResourceId: 'service/aas/web' });
  assert.deepEqual(list.body['ScalingPolicies'].map((p: { PolicyName: string }) => p.PolicyName), ['cpu50', 'queue']);
  assert.equal(list.body['ScalingPolicies'][0].TargetTrackingScalingPolicyConfiguration.TargetValue, 40);
  const paged = await aas('DescribeScalingPolicies', { ServiceNamespace: 'ecs', MaxResults: 1 });
  assert.equal(paged.body['ScalingPolicies'].length, 1);
  const page2 = await aas('DescribeScalingPolicies', { ServiceNamespace: 'ecs', MaxResults: 1, NextToken: paged.body['NextToken'] });
  assert.equal(page2.body['ScalingPolicies'][0].PolicyName, 'queue');

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ PolicyType: 'TargetTrackingScaling' }, /TargetTrackingScalingPolicyConfiguration is required/],
    [{ PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } } }, /Unsupported predefined metric type DynamoDBReadCapacityUtilization/],
    [{ PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' } } }, /ResourceLabel is required/],
    [{ PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 0, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }, /TargetValue must be at least/],
    [{ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 5, ScalingAdjustment: 2 }] } }, /must not overlap/],
    [{ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }] } }, /gaps/],
    [{ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', MinAdjustmentMagnitude: 2, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] } }, /only supported with the PercentChangeInCapacity/],
    [{ PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'Other', StepAdjustments: [] } }, /at 'stepScalingPolicyConfiguration.AdjustmentType' failed to satisfy constraint/],
    [{ PolicyType: 'PredictiveScaling' }, /not supported/],
  ];
  for (const [extra, message] of bad) {
    const e = await aas('PutScalingPolicy', { ...KEY, PolicyName: 'bad', ...extra });
    assert.equal(e.body['__type'], 'ValidationException', JSON.stringify(extra));
    assert.match(e.body['message'], message);
  }
  const noTarget = await aas('PutScalingPolicy', { ...KEY, ResourceId: 'service/aas/other', PolicyName: 'x', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ ScalingAdjustment: 1 }] } });
  assert.equal(noTarget.body['__type'], 'ObjectNotFoundException');
  assert.equal(noTarget.body['message'], 'No scalable target registered for service namespace: ecs, resource ID: service/aas/other, scalable dimension: ecs:service:DesiredCount');
  const del = await aas('DeleteScalingPolicy', { ...KEY, PolicyName: 'queue' });
  assert.equal(del.status, 200);
  const gone = await aas('DeleteScalingPolicy', { ...KEY, PolicyName: 'queue' });
  assert.equal(gone.body['__type'], 'ObjectNotFoundException');
  assert.match(gone.body['message'], /No scaling policy found for service namespace: ecs, resource ID: service\/aas\/web, scalable dimension: ecs:service:DesiredCount, policy name: queue/);
});

test('scheduled actions: put, describe, update in place, delete; bad schedules refused with the reason', async () => {
  const put = await aas('PutScheduledAction', { ...KEY, ScheduledActionName: 'morning', Schedule: 'cron(0 8 * * ? *)', Timezone: 'Europe/Paris', ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 5 } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await aas('PutScheduledAction', { ...KEY, ScheduledActionName: 'morning', ScalableTargetAction: { MinCapacity: 3 } });
  const d = await aas('DescribeScheduledActions', { ServiceNamespace: 'ecs', ResourceId: 'service/aas/web' });
  const a = d.body['ScheduledActions'][0];
  assert.deepEqual([a.ScheduledActionName, a.Schedule, a.Timezone, a.ScalableTargetAction], ['morning', 'cron(0 8 * * ? *)', 'Europe/Paris', { MinCapacity: 3 }]);
  assert.match(a.ScheduledActionARN, /^arn:aws:autoscaling:us-east-1:000000000000:scheduledAction:[0-9a-f-]{36}:resource\/ecs\/service\/aas\/web:scheduledActionName\/morning$/);
  for (const [body, message] of [
    [{ Schedule: 'cron(0 8 * * * *)' }, /one of day-of-month and day-of-week must be \?/],
    [{ Schedule: 'rate(0 minutes)' }, /at least 1/],
    [{ Schedule: 'cron(0 8 * * ? *)', Timezone: 'Nowhere/City' }, /time zone/],
    [{ Schedule: 'at(2030-01-01T00:00:00)', ScalableTargetAction: { MinCapacity: 5, MaxCapacity: 1 } }, /Minimum capacity cannot be greater/],
    [{ Schedule: 'at(2030-01-01T00:00:00)', ScalableTargetAction: {} }, /MinCapacity, MaxCapacity or both/],
  ] as const) {
    const e = await aas('PutScheduledAction', { ...KEY, ScheduledActionName: 'bad', ScalableTargetAction: { MinCapacity: 1 }, ...body });
    assert.equal(e.body['__type'], 'ValidationException', JSON.stringify(body));
    assert.match(e.body['message'], message);
  }
  assert.equal((await aas('DeleteScheduledAction', { ...KEY, ScheduledActionName: 'morning' })).status, 200);
  const gone = await aas('DeleteScheduledAction', { ...KEY, ScheduledActionName: 'morning' });
  assert.equal(gone.body['__type'], 'ObjectNotFoundException');
});

test('a desiredCount set outside the bounds is corrected, as an activity and a service event, under the service-linked role', async () => {
  // (Above the maximum is a scale-in, which waits for the service's first deployment: no agent runs its tasks here.)
  const u = await h.call('UpdateService', { cluster: 'aas', service: 'web', desiredCount: 0 });
  assert.equal(u.status, 200);
  const s = await eventually(async () => {
    const r = await h.call('DescribeServices', { cluster: 'aas', services: ['web'] });
    const svc = r.body['services'][0];
    return svc.desiredCount === 1 && svc;
  }, 'desiredCount corrected to the minimum 1', 20_000);
  assert.match(s.events[0].message, /^\(service web\) Application Auto Scaling changed the desired count from 0 to 1: the desired count 0 was below the minimum capacity 1\.$/);
  const acts = await aas('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: 'service/aas/web' });
  const act = acts.body['ScalingActivities'][0];
  assert.deepEqual([act.Description, act.Cause, act.StatusCode], ['Setting desired count to 1.', 'the desired count 0 was below the minimum capacity 1', 'Successful']);
  assert.equal(act.StatusMessage, 'Successfully set desired count to 1. Change successfully fulfilled by ecs.');
});

test('the service-linked role is listed and cannot get an access key or be deleted', async () => {
  const roles = await h.call('ListRoles', {}, 'Stevedore_20261125.ListRoles');
  const slr = roles.body['roles'].find((r: { roleName: string }) => r.roleName === 'AWSServiceRoleForApplicationAutoScaling_ECSService');
  assert.ok(slr, JSON.stringify(roles.body));
  assert.equal(slr.serviceLinked, true);
  assert.deepEqual(slr.policyDocument.Statement.flatMap((s: { Action: string[] }) => s.Action), ['ecs:DescribeServices', 'ecs:UpdateService', 'cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms']);
  const key = await h.call('CreateAccessKey', { roleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService' }, 'Stevedore_20261125.CreateAccessKey');
  assert.equal(key.body['__type'], 'ClientException');
  const del = await h.call('DeleteRole', { roleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService' }, 'Stevedore_20261125.DeleteRole');
  assert.equal(del.body['__type'], 'ClientException');
});

test('deregistering a target removes its policies and scheduled actions', async () => {
  await aas('PutScheduledAction', { ...KEY, ScheduledActionName: 'later', Schedule: 'at(2031-01-01T00:00:00)', ScalableTargetAction: { MinCapacity: 2 } });
  assert.equal((await aas('DeregisterScalableTarget', KEY)).status, 200);
  assert.deepEqual((await aas('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).body['ScalableTargets'], []);
  assert.deepEqual((await aas('DescribeScalingPolicies', { ServiceNamespace: 'ecs' })).body['ScalingPolicies'], []);
  assert.deepEqual((await aas('DescribeScheduledActions', { ServiceNamespace: 'ecs' })).body['ScheduledActions'], []);
  const again = await aas('DeregisterScalableTarget', KEY);
  assert.equal(again.body['__type'], 'ObjectNotFoundException');
  assert.equal(again.body['message'], 'No scalable target registered for service namespace: ecs, resource ID: service/aas/web, scalable dimension: ecs:service:DesiredCount');
});

test('authorization: the read-only role describes scaling but cannot change it (application-autoscaling:* actions)', async () => {
  const k = await h.call('CreateAccessKey', { roleName: 'read-only' }, 'Stevedore_20261125.CreateAccessKey');
  const key = { accessKeyId: k.body['accessKey'].accessKeyId, secretAccessKey: k.body['accessKey'].secretAccessKey };
  const d = await h.callAs(key, 'DescribeScalableTargets', { ServiceNamespace: 'ecs' }, 'AnyScaleFrontendService.DescribeScalableTargets');
  assert.equal(d.status, 200, JSON.stringify(d.body));
  const r = await h.callAs(key, 'RegisterScalableTarget', { ...KEY, MinCapacity: 1, MaxCapacity: 2 }, 'AnyScaleFrontendService.RegisterScalableTarget');
  assert.equal(r.body['__type'], 'AccessDeniedException');
  assert.match(r.body['message'], /is not authorized to perform: application-autoscaling:RegisterScalableTarget on resource: \*/);
});
