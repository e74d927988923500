import { randomUUID } from 'node:crypto';
import {
  StevedoreError,
  type CustomizedMetricSpecification,
  type PredefinedMetricType,
  type ScalingPolicy,
  type StepAdjustment,
  type StepScalingConfiguration,
  type TargetTrackingConfiguration,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, page } from '../paging';
import { Params } from '../params';
import { enumError, keyJson, readDimension, readMaxResults, readNamespace, readTargetKey, requireTarget, seconds, validation, checkResourceId } from './autoscaling-input';
import { deleteTrackingAlarms, putTrackingAlarms, stepAlarmsOf } from './scaling-policy-alarms';

/** Application Auto Scaling's default quota of scaling policies per scalable target. */
export const MAX_POLICIES_PER_TARGET = 50;
const POLICY_NAME = /^[\x20-\x7e]{1,256}$/;
const PREDEFINED: PredefinedMetricType[] = ['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization', 'ALBRequestCountPerTarget'];
const ADJUSTMENT_TYPES = ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity'];
const AGGREGATIONS = ['Average', 'Minimum', 'Maximum'];
const STATISTICS = ['Average', 'Minimum', 'Maximum', 'SampleCount', 'Sum'];
/** `app/<lb>/<id>/targetgroup/<tg>/<id>`, as ELB's CloudWatch dimension values name them. */
const RESOURCE_LABEL = /^app\/[^/]{1,255}\/[^/]{1,255}\/targetgroup\/[^/]{1,255}\/[^/]{1,255}$/;

function num(o: Record<string, unknown>, member: string, path: string, opts: { required?: boolean; integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = Object.hasOwn(o, member) ? o[member] : undefined;
  if (v === undefined || v === null) {
    if (opts.required) throw validation(`${path} is required.`, path);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) throw validation(`${path} must be ${opts.integer ? 'an integer' : 'a number'}.`, path);
  if (opts.min !== undefined && v < opts.min) throw validation(`${path} must be at least ${opts.min}.`, path);
  if (opts.max !== undefined && v > opts.max) throw validation(`${path} must be at most ${opts.max}.`, path);
  return v;
}

function str(o: Record<string, unknown>, member: string, path: string, opts: { required?: boolean; values?: readonly string[]; max?: number } = {}): string | undefined {
  const v = Object.hasOwn(o, member) ? o[member] : undefined;
  if (v === undefined || v === null) {
    if (opts.required) throw validation(`${path} is required.`, path);
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > (opts.max ?? 1024)) throw validation(`${path} must be a string of 1-${opts.max ?? 1024} characters.`, path);
  if (opts.values && !opts.values.includes(v)) throw enumError(path, v, opts.values);
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw validation(`${path} must be an object.`, path);
  return v as Record<string, unknown>;
}

function readStepScaling(raw: Record<string, unknown>): StepScalingConfiguration {
  const P = 'StepScalingPolicyConfiguration';
  const AdjustmentType = str(raw, 'AdjustmentType', `${P}.AdjustmentType`, { required: true, values: ADJUSTMENT_TYPES }) as StepScalingConfiguration['AdjustmentType'];
  const list = raw['StepAdjustments'];
  if (!Array.isArray(list) || list.length === 0) throw validation(`${P}.StepAdjustments must contain at least one step adjustment.`, `${P}.StepAdjustments`);
  if (list.length > 20) throw validation(`${P}.StepAdjustments must contain at most 20 step adjustments.`, `${P}.StepAdjustments`);
  const steps: StepAdjustment[] = list.map((s, i) => {
    const path = `${P}.StepAdjustments[${i}]`;
    const o = obj(s, path);
    const lower = num(o, 'MetricIntervalLowerBound', `${path}.MetricIntervalLowerBound`);
    const upper = num(o, 'MetricIntervalUpperBound', `${path}.MetricIntervalUpperBound`);
    const adj = num(o, 'ScalingAdjustment', `${path}.ScalingAdjustment`, { required: true, integer: true })!;
    if (lower === undefined && upper === undefined && list.length > 1) throw validation(`${path}: only a single step adjustment may have neither bound.`, path);
    if (lower !== undefined && upper !== undefined && upper <= lower) throw validation(`${path}: MetricIntervalUpperBound must be greater than MetricIntervalLowerBound.`, path);
    return { ...(lower !== undefined ? { MetricIntervalLowerBound: lower } : {}), ...(upper !== undefined ? { MetricIntervalUpperBound: upper } : {}), ScalingAdjustment: adj };
  });
  // AWS's rules: intervals may not overlap, leave no gap, and at most one is open at each end.
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  for (let i = 1; i < sorted.length; i++) {
    const prevUpper = sorted[i - 1]!.MetricIntervalUpperBound ?? Infinity;
    const lower = sorted[i]!.MetricIntervalLowerBound ?? -Infinity;
    if (prevUpper > lower) throw validation('Step adjustments must not overlap.', `${P}.StepAdjustments`);
    if (prevUpper < lower) throw validation('Step adjustments must not have gaps between them.', `${P}.StepAdjustments`);
  }
  const minMag = num(raw, 'MinAdjustmentMagnitude', `${P}.MinAdjustmentMagnitude`, { integer: true, min: 1 });
  if (minMag !== undefined && AdjustmentType !== 'PercentChangeInCapacity') throw validation('MinAdjustmentMagnitude is only supported with the PercentChangeInCapacity adjustment type.', `${P}.MinAdjustmentMagnitude`);
  const cooldown = num(raw, 'Cooldown', `${P}.Cooldown`, { integer: true, min: 0, max: 86_400 });
  const agg = str(raw, 'MetricAggregationType', `${P}.MetricAggregationType`, { values: AGGREGATIONS }) as StepScalingConfiguration['MetricAggregationType'];
  return {
    AdjustmentType,
    StepAdjustments: steps,
    ...(minMag !== undefined ? { MinAdjustmentMagnitude: minMag } : {}),
    ...(cooldown !== undefined ? { Cooldown: cooldown } : {}),
    ...(agg !== undefined ? { MetricAggregationType: agg } : {}),
  };
}

function readTargetTracking(raw: Record<string, unknown>): TargetTrackingConfiguration {
  const P = 'TargetTrackingScalingPolicyConfiguration';
  const TargetValue = num(raw, 'TargetValue', `${P}.TargetValue`, { required: true, min: 8.515920e-109, max: 6.153846e+107 })!;
  const pre = raw['PredefinedMetricSpecification'];
  const cust = raw['CustomizedMetricSpecification'];
  const hasPre = pre !== undefined && pre !== null;
  const hasCust = cust !== undefined && cust !== null;
  if (hasPre === hasCust) throw validation('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.', P);
  const out: TargetTrackingConfiguration = { TargetValue };
  if (hasPre) {
    const o = obj(pre, `${P}.PredefinedMetricSpecification`);
    const type = str(o, 'PredefinedMetricType', `${P}.PredefinedMetricSpecification.PredefinedMetricType`, { required: true })!;
    if (!PREDEFINED.includes(type as PredefinedMetricType)) throw validation(`Unsupported predefined metric type ${type} for service namespace ecs. Use one of: ${PREDEFINED.join(', ')}.`, `${P}.PredefinedMetricSpecification.PredefinedMetricType`);
    const label = str(o, 'ResourceLabel', `${P}.PredefinedMetricSpecification.ResourceLabel`, { max: 1023 });
    if (type === 'ALBRequestCountPerTarget') {
      if (label === undefined) throw validation('ResourceLabel is required with the predefined metric type ALBRequestCountPerTarget.', `${P}.PredefinedMetricSpecification.ResourceLabel`);
      if (!RESOURCE_LABEL.test(label)) throw validation(`Invalid ResourceLabel ${label}: expected app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.`, `${P}.PredefinedMetricSpecification.ResourceLabel`);
    } else if (label !== undefined) throw validation(`ResourceLabel is only valid with the predefined metric type ALBRequestCountPerTarget.`, `${P}.PredefinedMetricSpecification.ResourceLabel`);
    out.PredefinedMetricSpecification = { PredefinedMetricType: type as PredefinedMetricType, ...(label !== undefined ? { ResourceLabel: label } : {}) };
  } else {
    const path = `${P}.CustomizedMetricSpecification`;
    const o = obj(cust, path);
    if (o['Metrics'] !== undefined) throw validation('Metric math (Metrics) is not supported by Stevedore: name one metric.', `${path}.Metrics`);
    const dims = o['Dimensions'];
    if (dims !== undefined && (!Array.isArray(dims) || dims.length > 30)) throw validation(`${path}.Dimensions must be a list of at most 30 dimensions.`, `${path}.Dimensions`);
    const spec: CustomizedMetricSpecification = {
      MetricName: str(o, 'MetricName', `${path}.MetricName`, { required: true, max: 255 })!,
      Namespace: str(o, 'Namespace', `${path}.Namespace`, { required: true, max: 255 })!,
      Statistic: str(o, 'Statistic', `${path}.Statistic`, { required: true, values: STATISTICS }) as CustomizedMetricSpecification['Statistic'],
    };
    if (Array.isArray(dims)) spec.Dimensions = dims.map((d, i) => {
      const dp = `${path}.Dimensions[${i}]`;
      const x = obj(d, dp);
      return { Name: str(x, 'Name', `${dp}.Name`, { required: true, max: 255 })!, Value: str(x, 'Value', `${dp}.Value`, { required: true, max: 1024 })! };
    });
    const unit = str(o, 'Unit', `${path}.Unit`, { max: 64 });
    if (unit !== undefined) spec.Unit = unit;
    out.CustomizedMetricSpecification = spec;
  }
  const outCd = num(raw, 'ScaleOutCooldown', `${P}.ScaleOutCooldown`, { integer: true, min: 0, max: 86_400 });
  const inCd = num(raw, 'ScaleInCooldown', `${P}.ScaleInCooldown`, { integer: true, min: 0, max: 86_400 });
  const dis = raw['DisableScaleIn'];
  if (dis !== undefined && dis !== null && typeof dis !== 'boolean') throw validation(`${P}.DisableScaleIn must be a boolean.`, `${P}.DisableScaleIn`);
  if (outCd !== undefined) out.ScaleOutCooldown = outCd;
  if (inCd !== undefined) out.ScaleInCooldown = inCd;
  if (typeof dis === 'boolean') out.DisableScaleIn = dis;
  return out;
}

export function policyJson(ctx: ApiContext, p: ScalingPolicy) {
  const alarms = p.policyType === 'StepScaling' ? stepAlarmsOf(ctx, p) : p.alarms;
  return {
    PolicyARN: p.arn,
    PolicyName: p.name,
    ...keyJson(p.resourceId),
    PolicyType: p.policyType,
    ...(p.stepScaling ? { StepScalingPolicyConfiguration: p.stepScaling } : {}),
    ...(p.targetTracking ? { TargetTrackingScalingPolicyConfiguration: p.targetTracking } : {}),
    Alarms: alarms,
    CreationTime: seconds(p.createdAt),
  };
}

/**
 * PutScalingPolicy: creates or replaces a policy (same name, same ARN). A
 * target tracking policy gets its two alarms (AlarmHigh, AlarmLow) created
 * or updated with it; a step policy acts when an alarm whose AlarmActions
 * name its ARN is in ALARM.
 */
export function putScalingPolicy(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('PolicyName', { pattern: POLICY_NAME, patternText: 'must be 1-256 printable characters' });
  const { resourceId } = readTargetKey(p);
  const type = p.string('PolicyType') ?? 'StepScaling';
  if (type === 'PredictiveScaling') throw validation('PredictiveScaling is not supported by Stevedore.', 'PolicyType');
  if (type !== 'StepScaling' && type !== 'TargetTrackingScaling') throw enumError('PolicyType', type, ['StepScaling', 'TargetTrackingScaling', 'PredictiveScaling']);
  const stepRaw = p.object('StepScalingPolicyConfiguration');
  const trackRaw = p.object('TargetTrackingScalingPolicyConfiguration');
  let stepScaling: StepScalingConfiguration | undefined;
  let targetTracking: TargetTrackingConfiguration | undefined;
  if (type === 'StepScaling') {
    if (!stepRaw) throw validation('StepScalingPolicyConfiguration is required for a StepScaling policy.', 'StepScalingPolicyConfiguration');
    if (trackRaw) throw validation('TargetTrackingScalingPolicyConfiguration is not allowed for a StepScaling policy.', 'TargetTrackingScalingPolicyConfiguration');
    stepScaling = readStepScaling(stepRaw);
  } else {
    if (!trackRaw) throw validation('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.', 'TargetTrackingScalingPolicyConfiguration');
    if (stepRaw) throw validation('StepScalingPolicyConfiguration is not allowed for a TargetTrackingScaling policy.', 'StepScalingPolicyConfiguration');
    targetTracking = readTargetTracking(trackRaw);
  }
  return ctx.store.tx(() => {
    const target = requireTarget(ctx, resourceId);
    const existing = ctx.store.autoscaling.getPolicy(resourceId, name);
    if (!existing && ctx.store.autoscaling.listPolicies(resourceId).length >= MAX_POLICIES_PER_TARGET) {
      throw new StevedoreError('LimitExceededException', `You have reached the maximum number of scaling policies (${MAX_POLICIES_PER_TARGET}) for ${resourceId}.`);
    }
    if (existing && existing.policyType !== type) {
      throw validation(`Policy ${name} is a ${existing.policyType} policy: delete it before putting a ${type} policy of the same name.`, 'PolicyType');
    }
    const policy: ScalingPolicy = {
      resourceId,
      name,
      arn: existing?.arn ?? `arn:aws:autoscaling:${ctx.arn.region}:${ctx.arn.account}:scalingPolicy:${randomUUID()}:resource/ecs/${resourceId}:policyName/${name}`,
      policyType: type,
      ...(stepScaling ? { stepScaling } : {}),
      ...(targetTracking ? { targetTracking } : {}),
      alarms: existing?.alarms ?? [],
      createdAt: existing?.createdAt ?? ctx.clock.now(),
    };
    if (targetTracking) policy.alarms = putTrackingAlarms(ctx, target, policy, targetTracking);
    ctx.store.autoscaling.putPolicy(policy);
    ctx.log.info({ resourceId, policy: name, type }, existing ? 'scaling policy updated' : 'scaling policy created');
    return { PolicyARN: policy.arn, Alarms: policyJson(ctx, policy).Alarms };
  });
}

const isPolicyKey = (k: unknown): k is [string, string] => Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'string';

export function describeScalingPolicies(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  readNamespace(p);
  const resourceId = p.string('ResourceId');
  if (resourceId !== undefined) checkResourceId(resourceId);
  readDimension(p, false);
  const names = p.stringList('PolicyNames', { max: 50 });
  const limit = readMaxResults(p);
  const after = decodeToken(p.string('NextToken'), isPolicyKey);
  const wanted = names ? new Set(names) : undefined;
  const rows = ctx.store.autoscaling
    .listPolicies(resourceId)
    .filter((x) => !wanted || wanted.has(x.name))
    .filter((x) => !after || x.resourceId > after[0] || (x.resourceId === after[0] && x.name > after[1]))
    .slice(0, limit + 1);
  const { items, nextToken } = page(rows, limit, (x) => [x.resourceId, x.name]);
  return { ScalingPolicies: items.map((x) => policyJson(ctx, x)), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** DeleteScalingPolicy: a target tracking policy's alarms go with it (a step policy's alarms are the user's). */
export function deleteScalingPolicy(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('PolicyName', { pattern: POLICY_NAME, patternText: 'must be 1-256 printable characters' });
  const { resourceId } = readTargetKey(p);
  return ctx.store.tx(() => {
    const policy = ctx.store.autoscaling.getPolicy(resourceId, name);
    if (!policy) {
      throw new StevedoreError('ObjectNotFoundException', `No scaling policy found for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ecs:service:DesiredCount, policy name: ${name}`);
    }
    if (policy.policyType === 'TargetTrackingScaling') deleteTrackingAlarms(ctx, policy);
    ctx.store.autoscaling.deletePolicy(resourceId, name);
    ctx.log.info({ resourceId, policy: name }, 'scaling policy deleted');
    return {};
  });
}
