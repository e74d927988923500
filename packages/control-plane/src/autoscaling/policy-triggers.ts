import { statisticValue, type PolicyTrigger, type ScalingPolicy } from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredAlarm } from '../store/alarms-repo';

/**
 * What a policy's alarms say now, read from the store: for target tracking,
 * its AlarmHigh or AlarmLow in state ALARM; for step scaling, an alarm in
 * ALARM whose AlarmActions name the policy's ARN. Level-triggered: the
 * alarm's current state is read at each evaluation, never a remembered
 * event. The metric value is read fresh from the metric store (the alarm's
 * own reason data is only written when its state changes, so it goes stale
 * while the alarm stays in ALARM).
 */
export function triggerOf(store: Store, policy: ScalingPolicy, now: number): PolicyTrigger {
  if (policy.policyType === 'TargetTrackingScaling') {
    const t: PolicyTrigger = { kind: 'target-tracking', policy: policy.name, config: policy.targetTracking! };
    for (const ref of policy.alarms) {
      const a = store.alarms.get(ref.AlarmName);
      if (!a || a.stateValue !== 'ALARM' || !a.config.actionsEnabled) continue;
      const values = recentValues(store, a, now);
      const latest = values[values.length - 1];
      if (latest === undefined) continue;
      return { ...t, alarm: { name: a.name, side: ref.AlarmName.includes('-AlarmHigh-') ? 'high' : 'low', metricValue: latest, periodMs: a.config.period * 1000 } };
    }
    return t;
  }
  const t: PolicyTrigger = { kind: 'step', policy: policy.name, config: policy.stepScaling! };
  const alarms = store.alarms.list({ actionPrefix: policy.arn, stateValue: 'ALARM' }, '', 100).filter((a) => a.config.actionsEnabled && a.config.alarmActions.includes(policy.arn));
  for (const a of alarms) {
    const values = recentValues(store, a, now);
    if (values.length === 0) continue;
    const agg = policy.stepScaling!.MetricAggregationType ?? 'Average';
    const metricValue = agg === 'Minimum' ? Math.min(...values) : agg === 'Maximum' ? Math.max(...values) : values.reduce((s, v) => s + v, 0) / values.length;
    return { ...t, alarm: { name: a.name, metricValue, threshold: a.config.threshold, periodMs: a.config.period * 1000 } };
  }
  return t;
}

/** The alarm's statistic per period over its evaluation range, oldest first. */
function recentValues(store: Store, a: StoredAlarm, now: number): number[] {
  const c = a.config;
  const periodMs = c.period * 1000;
  const current = Math.floor(now / periodMs) * periodMs;
  const start = current - (c.evaluationPeriods - 1) * periodMs;
  const stat = c.statistic ?? c.extendedStatistic ?? 'Average';
  const buckets = store.metrics.statistics({ namespace: c.namespace, metricName: c.metricName, dimensions: c.dimensions, start, end: current + periodMs, periodMs, nowMs: now });
  const out: number[] = [];
  for (const b of buckets) {
    const v = statisticValue(stat, b.stats, b.values);
    if (v !== undefined) out.push(v);
  }
  return out;
}
