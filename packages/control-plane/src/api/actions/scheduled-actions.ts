import { randomUUID } from 'node:crypto';
import { StevedoreError, type ScheduledAction } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, page } from '../paging';
import { Params } from '../params';
import { parseSchedule, ScheduleError } from '@stevedore/core';
import { checkResourceId, keyJson, readDimension, readMaxResults, readNamespace, readTargetKey, readTimestamp, requireTarget, seconds, validation } from './autoscaling-input';

/** Application Auto Scaling's default quota of scheduled actions per scalable target. */
export const MAX_SCHEDULED_ACTIONS_PER_TARGET = 200;
const ACTION_NAME = /^[\x21-\x7e]{1,256}$/;

export function scheduledActionJson(a: ScheduledAction) {
  return {
    ScheduledActionName: a.name,
    ScheduledActionARN: a.arn,
    ...keyJson(a.resourceId),
    Schedule: a.schedule,
    ...(a.timezone !== undefined ? { Timezone: a.timezone } : {}),
    ...(a.startTime !== undefined ? { StartTime: seconds(a.startTime) } : {}),
    ...(a.endTime !== undefined ? { EndTime: seconds(a.endTime) } : {}),
    ScalableTargetAction: { ...(a.minCapacity !== undefined ? { MinCapacity: a.minCapacity } : {}), ...(a.maxCapacity !== undefined ? { MaxCapacity: a.maxCapacity } : {}) },
    CreationTime: seconds(a.createdAt),
  };
}

/**
 * PutScheduledAction: creates or updates (same name) an action that sets the
 * target's Min/Max at the times of its schedule. Putting it again keeps what
 * is not given, as AWS does; the schedule is looked at from now on, so an
 * update never fires a time already past.
 */
export function putScheduledAction(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('ScheduledActionName', { pattern: ACTION_NAME, patternText: 'must be 1-256 printable characters without spaces' });
  const { resourceId } = readTargetKey(p);
  const scheduleIn = p.string('Schedule', { max: 1600 });
  const timezoneIn = p.string('Timezone', { max: 1600 });
  const startIn = readTimestamp(p, 'StartTime');
  const endIn = readTimestamp(p, 'EndTime');
  const action = p.object('ScalableTargetAction');
  const read = (m: 'MinCapacity' | 'MaxCapacity') => {
    const v = action && Object.hasOwn(action, m) ? action[m] : undefined;
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw validation(`ScalableTargetAction.${m} must be a non-negative integer.`, `ScalableTargetAction.${m}`);
    return v;
  };
  const minIn = read('MinCapacity');
  const maxIn = read('MaxCapacity');
  return ctx.store.tx(() => {
    requireTarget(ctx, resourceId);
    const existing = ctx.store.autoscaling.listScheduledActions(resourceId).find((a) => a.name === name);
    if (!existing && ctx.store.autoscaling.listScheduledActions(resourceId).length >= MAX_SCHEDULED_ACTIONS_PER_TARGET) {
      throw new StevedoreError('LimitExceededException', `You have reached the maximum number of scheduled actions (${MAX_SCHEDULED_ACTIONS_PER_TARGET}) for ${resourceId}.`);
    }
    const schedule = scheduleIn ?? existing?.schedule;
    if (schedule === undefined) throw validation('Schedule is required when creating a scheduled action.', 'Schedule');
    const timezone = timezoneIn ?? existing?.timezone;
    try {
      parseSchedule(schedule, timezone ?? 'UTC');
    } catch (e) {
      if (e instanceof ScheduleError) throw validation(`Invalid schedule expression ${schedule}: ${e.message}.`, timezoneIn !== undefined && /time zone/.test(e.message) ? 'Timezone' : 'Schedule');
      throw e;
    }
    const minCapacity = action ? minIn : existing?.minCapacity;
    const maxCapacity = action ? maxIn : existing?.maxCapacity;
    if (minCapacity === undefined && maxCapacity === undefined) throw validation('ScalableTargetAction must set MinCapacity, MaxCapacity or both.', 'ScalableTargetAction');
    if (minCapacity !== undefined && maxCapacity !== undefined && minCapacity > maxCapacity) throw validation('Minimum capacity cannot be greater than maximum capacity', 'ScalableTargetAction.MinCapacity');
    const startTime = startIn ?? existing?.startTime;
    const endTime = endIn ?? existing?.endTime;
    if (startTime !== undefined && endTime !== undefined && endTime <= startTime) throw validation('EndTime must be after StartTime.', 'EndTime');
    const now = ctx.clock.now();
    const a: ScheduledAction = {
      resourceId,
      name,
      arn: existing?.arn ?? `arn:aws:autoscaling:${ctx.arn.region}:${ctx.arn.account}:scheduledAction:${randomUUID()}:resource/ecs/${resourceId}:scheduledActionName/${name}`,
      schedule,
      ...(timezone !== undefined ? { timezone } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
      ...(minCapacity !== undefined ? { minCapacity } : {}),
      ...(maxCapacity !== undefined ? { maxCapacity } : {}),
      createdAt: existing?.createdAt ?? now,
    };
    ctx.store.autoscaling.putScheduledAction(a, now);
    ctx.log.info({ resourceId, scheduledAction: name, schedule, timezone }, existing ? 'scheduled action updated' : 'scheduled action created');
    return {};
  });
}

const isKey = (k: unknown): k is [string, string] => Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'string';

export function describeScheduledActions(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  readNamespace(p);
  const resourceId = p.string('ResourceId');
  if (resourceId !== undefined) checkResourceId(resourceId);
  readDimension(p, false);
  const names = p.stringList('ScheduledActionNames', { max: 50 });
  const limit = readMaxResults(p);
  const after = decodeToken(p.string('NextToken'), isKey);
  const wanted = names ? new Set(names) : undefined;
  const rows = ctx.store.autoscaling
    .listScheduledActions(resourceId)
    .filter((a) => !wanted || wanted.has(a.name))
    .filter((a) => !after || a.resourceId > after[0] || (a.resourceId === after[0] && a.name > after[1]))
    .slice(0, limit + 1);
  const { items, nextToken } = page(rows, limit, (a) => [a.resourceId, a.name]);
  return { ScheduledActions: items.map(scheduledActionJson), ...(nextToken ? { NextToken: nextToken } : {}) };
}

export function deleteScheduledAction(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('ScheduledActionName', { max: 256 });
  const { resourceId } = readTargetKey(p);
  return ctx.store.tx(() => {
    if (!ctx.store.autoscaling.deleteScheduledAction(resourceId, name)) {
      throw new StevedoreError('ObjectNotFoundException', `No scheduled action found for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ecs:service:DesiredCount, scheduled action name: ${name}`);
    }
    ctx.log.info({ resourceId, scheduledAction: name }, 'scheduled action deleted');
    return {};
  });
}
