import type { Logger } from 'pino';
import {
  AUTOSCALING_SERVICE_LINKED_POLICY,
  AUTOSCALING_SERVICE_LINKED_ROLE,
  type Dimension,
  type ScalableTarget,
  type ScalingPolicy,
  type TargetTrackingConfiguration,
} from '@stevedore/core';
import type { Store } from '../store/store';
import { serviceLinkedDecision } from '../store/service-linked-view';
import type { AlarmConfig } from '../store/alarms-repo';

/** How target tracking's alarms evaluate (AWS: 60 s periods, 3 for the high alarm, 15 for the low one). */
export interface TrackingAlarmOptions {
  periodSeconds: number;
  highEvaluationPeriods: number;
  lowEvaluationPeriods: number;
}

export const DEFAULT_TRACKING_ALARMS: TrackingAlarmOptions = { periodSeconds: 60, highEvaluationPeriods: 3, lowEvaluationPeriods: 15 };

/** The metric a target tracking configuration follows, as CloudWatch names it. */
export function trackedMetric(target: ScalableTarget, c: TargetTrackingConfiguration): { namespace: string; metricName: string; dimensions: Dimension[]; statistic: string; unit?: string } {
  const service = [{ name: 'ClusterName', value: target.cluster }, { name: 'ServiceName', value: target.service }];
  const pre = c.PredefinedMetricSpecification;
  if (pre?.PredefinedMetricType === 'ECSServiceAverageCPUUtilization') return { namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: service, statistic: 'Average' };
  if (pre?.PredefinedMetricType === 'ECSServiceAverageMemoryUtilization') return { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', dimensions: service, statistic: 'Average' };
  if (pre?.PredefinedMetricType === 'ALBRequestCountPerTarget') {
    // ResourceLabel app/<lb>/<id>/targetgroup/<tg>/<id>: the TargetGroup dimension is its second half, as ELB's metrics name it.
    const label = pre.ResourceLabel ?? '';
    const tg = label.slice(label.indexOf('/targetgroup/') + 1);
    return { namespace: 'AWS/ApplicationELB', metricName: 'RequestCountPerTarget', dimensions: [{ name: 'TargetGroup', value: tg }], statistic: 'Sum' };
  }
  const m = c.CustomizedMetricSpecification!;
  return {
    namespace: m.Namespace,
    metricName: m.MetricName,
    dimensions: (m.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
    statistic: m.Statistic,
    ...(m.Unit !== undefined ? { unit: m.Unit } : {}),
  };
}

/**
 * The two alarms AWS makes for a target tracking policy: AlarmHigh (the
 * metric above the target for `high` periods: scale out) and AlarmLow (under
 * 90 % of it for the longer `low` run: scale in), each naming the policy in
 * its AlarmActions.
 */
export function trackingAlarmConfigs(target: ScalableTarget, policy: ScalingPolicy, opts: TrackingAlarmOptions): { name: string; config: AlarmConfig }[] {
  const c = policy.targetTracking!;
  const m = trackedMetric(target, c);
  const base = {
    alarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.arn}.`,
    actionsEnabled: true,
    okActions: [],
    alarmActions: [policy.arn],
    insufficientDataActions: [],
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions,
    statistic: m.statistic,
    ...(m.unit !== undefined ? { unit: m.unit } : {}),
    period: opts.periodSeconds,
  };
  const high = policy.alarms.find((a) => a.AlarmName.includes('-AlarmHigh-'))!.AlarmName;
  const low = policy.alarms.find((a) => a.AlarmName.includes('-AlarmLow-'))!.AlarmName;
  const out: { name: string; config: AlarmConfig }[] = [{ name: high, config: { ...base, evaluationPeriods: opts.highEvaluationPeriods, datapointsToAlarm: opts.highEvaluationPeriods, threshold: c.TargetValue, comparisonOperator: 'GreaterThanThreshold' as const } }];
  // DisableScaleIn: AWS still creates the low alarm but with actions off; Stevedore keeps it too (visible, harmless).
  out.push({
    name: low,
    config: { ...base, actionsEnabled: !c.DisableScaleIn, evaluationPeriods: opts.lowEvaluationPeriods, datapointsToAlarm: opts.lowEvaluationPeriods, threshold: c.TargetValue * 0.9, comparisonOperator: 'LessThanThreshold' as const },
  });
  return out;
}

/**
 * Brings the target tracking alarms of one target in line with its policies,
 * under the service-linked role (checked and audited like the service
 * update): missing or changed alarms are put, alarms left by a deleted policy
 * go. Idempotent: an alarm already as wanted is not written (its state stays).
 */
export function reconcileTrackingAlarms(store: Store, target: ScalableTarget, opts: TrackingAlarmOptions, now: number, principal: string, log: Logger): void {
  const policies = store.autoscaling.listPolicies(target.resourceId).filter((p) => p.policyType === 'TargetTrackingScaling' && p.alarms.length === 2);
  const wanted = new Map<string, AlarmConfig>();
  for (const p of policies) for (const a of trackingAlarmConfigs(target, p, opts)) wanted.set(a.name, a.config);
  const audit = (action: string, name: string) => {
    const arn = store.alarms.arnOf(name);
    const ok = serviceLinkedDecision(store, AUTOSCALING_SERVICE_LINKED_ROLE, AUTOSCALING_SERVICE_LINKED_POLICY, action, arn) === 'allow';
    log.info({ audit: true, action, principal, role: AUTOSCALING_SERVICE_LINKED_ROLE, resources: [arn], outcome: ok ? 'ok' : 'error', ...(ok ? {} : { error: 'AccessDeniedException' }) }, 'api call');
    return ok;
  };
  for (const [name, config] of wanted) {
    const existing = store.alarms.get(name);
    if (existing && JSON.stringify(existing.config) === JSON.stringify(config)) continue;
    if (audit('cloudwatch:PutMetricAlarm', name)) store.alarms.put(name, config, now);
  }
  const prefix = `TargetTracking-${target.resourceId}-Alarm`;
  const stale = store.alarms.list({ namePrefix: prefix }, '', 1000).filter((a) => !wanted.has(a.name)).map((a) => a.name);
  if (stale.length > 0 && stale.every((n) => audit('cloudwatch:DeleteAlarms', n))) store.alarms.delete(stale, now);
}
