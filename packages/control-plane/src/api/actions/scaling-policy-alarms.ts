import { randomUUID } from 'node:crypto';
import type { ScalableTarget, ScalingPolicy, TargetTrackingConfiguration } from '@stevedore/core';
import type { ApiContext } from '../context';

type AlarmRef = { AlarmName: string; AlarmARN: string };

const alarmArn = (ctx: ApiContext, name: string) => `arn:aws:cloudwatch:${ctx.arn.region}:${ctx.arn.account}:alarm:${name}`;

/**
 * The two alarms of a target tracking policy, named as AWS names them
 * (`TargetTracking-service/CLUSTER/SERVICE-AlarmHigh-<uuid>`, `-AlarmLow-`).
 * A policy put again keeps its names, so alarms are updated, not multiplied.
 */
export function putTrackingAlarms(ctx: ApiContext, target: ScalableTarget, policy: ScalingPolicy, _config: TargetTrackingConfiguration): AlarmRef[] {
  const high = policy.alarms.find((a) => a.AlarmName.includes('-AlarmHigh-'))?.AlarmName ?? `TargetTracking-${target.resourceId}-AlarmHigh-${randomUUID()}`;
  const low = policy.alarms.find((a) => a.AlarmName.includes('-AlarmLow-'))?.AlarmName ?? `TargetTracking-${target.resourceId}-AlarmLow-${randomUUID()}`;
  return [high, low].map((n) => ({ AlarmName: n, AlarmARN: alarmArn(ctx, n) }));
}

/** A target tracking policy's alarms go with it. */
export function deleteTrackingAlarms(_ctx: ApiContext, _policy: ScalingPolicy): void {
  // The alarm store (metrics and alarms) deletes them here once it exists.
}

/** A step policy's alarms: those whose AlarmActions name its ARN. */
export function stepAlarmsOf(_ctx: ApiContext, policy: ScalingPolicy): AlarmRef[] {
  return policy.alarms;
}
