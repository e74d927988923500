import { randomUUID } from 'node:crypto';
import type { ScalableTarget, ScalingPolicy, TargetTrackingConfiguration } from '@stevedore/core';
import type { ApiContext } from '../context';

type AlarmRef = { AlarmName: string; AlarmARN: string };

/**
 * The names of a target tracking policy's two alarms, as AWS names them
 * (`TargetTracking-service/CLUSTER/SERVICE-AlarmHigh-<uuid>`, `-AlarmLow-`).
 * A policy put again keeps its names, so its alarms are updated, not
 * multiplied. The autoscaler creates and updates the alarms themselves,
 * under its service-linked role, moments after the policy is stored (it
 * owns their evaluation settings: --autoscaling-alarm-period).
 */
export function putTrackingAlarms(ctx: ApiContext, target: ScalableTarget, policy: ScalingPolicy, _config: TargetTrackingConfiguration): AlarmRef[] {
  const high = policy.alarms.find((a) => a.AlarmName.includes('-AlarmHigh-'))?.AlarmName ?? `TargetTracking-${target.resourceId}-AlarmHigh-${randomUUID()}`;
  const low = policy.alarms.find((a) => a.AlarmName.includes('-AlarmLow-'))?.AlarmName ?? `TargetTracking-${target.resourceId}-AlarmLow-${randomUUID()}`;
  return [high, low].map((n) => ({ AlarmName: n, AlarmARN: ctx.store.alarms.arnOf(n) }));
}

/** A target tracking policy's alarms go with it, in the same transaction. */
export function deleteTrackingAlarms(ctx: ApiContext, policy: ScalingPolicy): void {
  const names = policy.alarms.map((a) => a.AlarmName).filter((n) => ctx.store.alarms.get(n) !== undefined);
  if (names.length > 0) ctx.store.alarms.delete(names, ctx.clock.now());
}

/** A step policy's alarms: those whose AlarmActions name its ARN (the user's own alarms). */
export function stepAlarmsOf(ctx: ApiContext, policy: ScalingPolicy): AlarmRef[] {
  return ctx.store.alarms
    .list({ actionPrefix: policy.arn }, '', 100)
    .filter((a) => a.config.alarmActions.includes(policy.arn))
    .map((a) => ({ AlarmName: a.name, AlarmARN: a.arn }));
}
