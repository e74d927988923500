import { randomUUID } from 'node:crypto';
import { autoscalingRoleArn, StevedoreError, type ScalableTarget, type SuspendedState } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import { deleteTrackingAlarms } from './scaling-policy-alarms';
import { checkResourceId, keyJson, noTarget, readDimension, readMaxResults, readNamespace, readTargetKey, seconds, validation } from './autoscaling-input';

/** Application Auto Scaling's default quota of scalable targets per namespace. */
export const MAX_SCALABLE_TARGETS = 3000;
const NOT_SUSPENDED: SuspendedState = { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false };

export function targetJson(t: ScalableTarget) {
  return {
    ...keyJson(t.resourceId),
    MinCapacity: t.minCapacity,
    MaxCapacity: t.maxCapacity,
    RoleARN: t.roleArn,
    CreationTime: seconds(t.createdAt),
    SuspendedState: t.suspendedState,
    ScalableTargetARN: t.arn,
  };
}

function readSuspended(p: Params, current: SuspendedState): SuspendedState {
  const s = p.object('SuspendedState');
  if (!s) return current;
  const out = { ...current };
  for (const k of Object.keys(NOT_SUSPENDED) as (keyof SuspendedState)[]) {
    const v = Object.hasOwn(s, k) ? s[k] : undefined;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw validation(`SuspendedState.${k} must be a boolean.`, `SuspendedState.${k}`);
    out[k] = v;
  }
  return out;
}

/**
 * RegisterScalableTarget: an ECS service becomes scalable between Min and
 * Max; registering again updates what is given. The service must exist and
 * be ACTIVE. RoleARN is accepted and ignored: the autoscaler always acts
 * under the built-in service-linked role, as AWS does for ECS.
 */
export function registerScalableTarget(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const { resourceId, cluster, service } = readTargetKey(p);
  const min = p.integer('MinCapacity', { min: 0, max: 2_147_483_647 });
  const max = p.integer('MaxCapacity', { min: 0, max: 2_147_483_647 });
  p.string('RoleARN', { max: 1600 });
  p.object('Tags');
  return ctx.store.tx(() => {
    const svc = ctx.store.services.get(cluster, service);
    if (!svc || svc.service.status !== 'ACTIVE') throw validation(`ECS service doesn't exist: ${resourceId}`, 'ResourceId');
    if (svc.service.schedulingStrategy === 'DAEMON') throw validation(`ECS service ${resourceId} uses the DAEMON scheduling strategy: its desired count is not scalable.`, 'ResourceId');
    const existing = ctx.store.autoscaling.getTarget(resourceId);
    if (!existing && (min === undefined || max === undefined)) {
      throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target.', min === undefined ? 'MinCapacity' : 'MaxCapacity');
    }
    if (!existing && ctx.store.autoscaling.listTargets().length >= MAX_SCALABLE_TARGETS) {
      throw new StevedoreError('LimitExceededException', `You have reached the maximum number of scalable targets (${MAX_SCALABLE_TARGETS}) for service namespace ecs.`);
    }
    const target: ScalableTarget = existing
      ? { ...existing, minCapacity: min ?? existing.minCapacity, maxCapacity: max ?? existing.maxCapacity, suspendedState: readSuspended(p, existing.suspendedState) }
      : {
          resourceId,
          cluster,
          service,
          arn: `arn:aws:application-autoscaling:${ctx.arn.region}:${ctx.arn.account}:scalable-target/${randomUUID().replace(/-/g, '')}`,
          minCapacity: min!,
          maxCapacity: max!,
          suspendedState: readSuspended(p, NOT_SUSPENDED),
          roleArn: autoscalingRoleArn(ctx.arn.account),
          createdAt: ctx.clock.now(),
        };
    if (target.minCapacity > target.maxCapacity) throw validation('Minimum capacity cannot be greater than maximum capacity', 'MinCapacity');
    ctx.store.autoscaling.putTarget(target);
    ctx.log.info({ resourceId, min: target.minCapacity, max: target.maxCapacity, suspended: target.suspendedState }, existing ? 'scalable target updated' : 'scalable target registered');
    return { ScalableTargetARN: target.arn };
  });
}

export function describeScalableTargets(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  readNamespace(p);
  readDimension(p, false);
  const ids = p.stringList('ResourceIds', { max: 50 });
  ids?.forEach((id, i) => checkResourceId(id, `ResourceIds[${i}]`));
  const limit = readMaxResults(p);
  const after = decodeToken(p.string('NextToken'), isString);
  const rows = ctx.store.autoscaling.listTargets({ ...(ids ? { ids } : {}), ...(after !== undefined ? { after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (t) => t.resourceId);
  return { ScalableTargets: items.map(targetJson), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** DeregisterScalableTarget: the target goes with its policies, their alarms and its scheduled actions. */
export function deregisterScalableTarget(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const { resourceId } = readTargetKey(p);
  return ctx.store.tx(() => {
    if (!ctx.store.autoscaling.getTarget(resourceId)) throw noTarget(resourceId);
    for (const policy of ctx.store.autoscaling.listPolicies(resourceId)) {
      if (policy.policyType === 'TargetTrackingScaling') deleteTrackingAlarms(ctx, policy);
      ctx.store.autoscaling.deletePolicy(resourceId, policy.name);
    }
    ctx.store.autoscaling.deleteTarget(resourceId);
    ctx.log.info({ resourceId }, 'scalable target deregistered');
    return {};
  });
}
