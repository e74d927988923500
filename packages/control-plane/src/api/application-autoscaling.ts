import type { Action } from './context';
import { aasAction } from './actions/autoscaling-input';
import * as targets from './actions/scalable-targets';
import * as policies from './actions/scaling-policies';
import * as scheduled from './actions/scheduled-actions';
import * as activities from './actions/scaling-activities';

export const APPLICATION_AUTOSCALING_TARGET_PREFIX = 'AnyScaleFrontendService.';

/**
 * Application Auto Scaling's operations (JSON 1.1, `X-Amz-Target:
 * AnyScaleFrontendService.<Op>`, signed for `application-autoscaling`),
 * authorized as `application-autoscaling:<Op>`. Each answers with this
 * service's error names (ValidationException, ObjectNotFoundException...).
 */
export const APPLICATION_AUTOSCALING_ACTIONS: Record<string, Action> = Object.fromEntries(
  Object.entries({
    RegisterScalableTarget: targets.registerScalableTarget,
    DescribeScalableTargets: targets.describeScalableTargets,
    DeregisterScalableTarget: targets.deregisterScalableTarget,
    PutScalingPolicy: policies.putScalingPolicy,
    DescribeScalingPolicies: policies.describeScalingPolicies,
    DeleteScalingPolicy: policies.deleteScalingPolicy,
    PutScheduledAction: scheduled.putScheduledAction,
    DescribeScheduledActions: scheduled.describeScheduledActions,
    DeleteScheduledAction: scheduled.deleteScheduledAction,
    DescribeScalingActivities: activities.describeScalingActivities,
  } satisfies Record<string, Action>).map(([op, fn]) => [`${APPLICATION_AUTOSCALING_TARGET_PREFIX}${op}`, aasAction(fn)]),
);
