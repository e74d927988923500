import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScalableTarget, ScalingPolicy } from '@stevedore/core';
import { trackedMetric, trackingAlarmConfigs, DEFAULT_TRACKING_ALARMS } from './tracking-alarms';

const target: ScalableTarget = {
  resourceId: 'service/prod/web', cluster: 'prod', service: 'web', arn: 'arn:t', minCapacity: 1, maxCapacity: 4, roleArn: 'arn:r', createdAt: 0,
  suspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
};

test('each predefined metric and a customized one map to the metric the pipeline publishes', () => {
  const svc = [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }];
  assert.deepEqual(trackedMetric(target, { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }), { namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: svc, statistic: 'Average' });
  assert.deepEqual(trackedMetric(target, { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } }).metricName, 'MemoryUtilization');
  assert.deepEqual(
    trackedMetric(target, { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: 'app/front/50dc6c495c0c9188/targetgroup/web-tg/73e2d6bc24d8a067' } }),
    { namespace: 'AWS/ApplicationELB', metricName: 'RequestCountPerTarget', dimensions: [{ name: 'TargetGroup', value: 'targetgroup/web-tg/73e2d6bc24d8a067' }], statistic: 'Sum' },
  );
  assert.deepEqual(
    trackedMetric(target, { TargetValue: 10, CustomizedMetricSpecification: { Namespace: 'Jobs', MetricName: 'BacklogPerTask', Dimensions: [{ Name: 'Queue', Value: 'q1' }], Statistic: 'Maximum', Unit: 'Count' } }),
    { namespace: 'Jobs', metricName: 'BacklogPerTask', dimensions: [{ name: 'Queue', value: 'q1' }], statistic: 'Maximum', unit: 'Count' },
  );
});

test('AlarmHigh above the target, AlarmLow under 90 % of it for longer; DisableScaleIn turns the low alarm\'s actions off', () => {
  const policy: ScalingPolicy = {
    resourceId: target.resourceId, name: 'cpu50', arn: 'arn:aws:autoscaling:us-east-1:0:scalingPolicy:x:resource/ecs/service/prod/web:policyName/cpu50', policyType: 'TargetTrackingScaling', createdAt: 0,
    targetTracking: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, DisableScaleIn: true },
    alarms: [{ AlarmName: 'TargetTracking-service/prod/web-AlarmHigh-1', AlarmARN: 'a' }, { AlarmName: 'TargetTracking-service/prod/web-AlarmLow-2', AlarmARN: 'b' }],
  };
  const [high, low] = trackingAlarmConfigs(target, policy, DEFAULT_TRACKING_ALARMS);
  assert.deepEqual([high!.name, high!.config.threshold, high!.config.comparisonOperator, high!.config.period, high!.config.evaluationPeriods, high!.config.alarmActions], ['TargetTracking-service/prod/web-AlarmHigh-1', 50, 'GreaterThanThreshold', 60, 3, [policy.arn]]);
  assert.deepEqual([low!.name, low!.config.threshold, low!.config.comparisonOperator, low!.config.evaluationPeriods, low!.config.actionsEnabled], ['TargetTracking-service/prod/web-AlarmLow-2', 45, 'LessThanThreshold', 15, false]);
  assert.match(high!.config.alarmDescription!, /^DO NOT EDIT OR DELETE\. For TargetTrackingScaling policy arn:aws:autoscaling:/);
});
