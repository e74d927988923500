import type { PolicyTrigger, ScalingPolicy } from '@stevedore/core';
import type { Store } from '../store/store';

/**
 * What a policy's alarms say now, read from the store: for target tracking,
 * its AlarmHigh or AlarmLow in state ALARM and the metric value that put it
 * there; for step scaling, an alarm in ALARM whose AlarmActions name the
 * policy's ARN, with its threshold. Level-triggered: the alarm's current
 * state is read at each evaluation, never a remembered event.
 */
export function triggerOf(_store: Store, policy: ScalingPolicy): PolicyTrigger {
  if (policy.policyType === 'TargetTrackingScaling') return { kind: 'target-tracking', policy: policy.name, config: policy.targetTracking! };
  return { kind: 'step', policy: policy.name, config: policy.stepScaling! };
}
