import { randomUUID } from 'node:crypto';
import {
  nextFireTime,
  parseSchedule,
  scheduleArn,
  scheduleGroupArn,
  StevedoreError,
  type ScheduleSpec,
} from '@stevedore/core';
import type { Action, RequestContext } from '../context';
import type { RestJsonService } from '../protocols/rest-json';
import type { StoredSchedule, StoredScheduleGroup } from '../../store/schedules-repo';
import { decodeToken, encodeToken } from '../paging';
import { readScheduleSpec, validation } from './schedule-input';
import { SCHEDULER_MODEL } from './scheduler-model';

/**
 * EventBridge Scheduler (REST-JSON, signed for `scheduler`) at the API's
 * endpoint: schedules with ECS targets and schedule groups
 * (docs/design/scheduled-tasks.md). The actions get the model-checked input
 * (members in the model's names, timestamps in ms) and return the output
 * shape's members; the schedule runner does the running.
 */
type Body = Record<string, unknown>;

const DEFAULT_GROUP = 'default';
/** EventBridge's quota of schedules per account and region is a million; one control plane keeps fewer. */
const MAX_SCHEDULES = 10_000;
const MAX_GROUPS = 500;

function notFound(message: string): StevedoreError {
  return new StevedoreError('ResourceNotFoundException', message, { httpStatus: 404 });
}

function conflict(message: string): StevedoreError {
  return new StevedoreError('ConflictException', message, { httpStatus: 409 });
}

function requireGroup(ctx: RequestContext, name: string): StoredScheduleGroup {
  const g = ctx.store.schedules.getGroup(name);
  if (!g) throw notFound(`Schedule group ${name} does not exist.`);
  return g;
}

function requireSchedule(ctx: RequestContext, group: string, name: string): StoredSchedule {
  const s = ctx.store.schedules.get(group, name);
  if (!s) throw notFound(`Schedule ${name} does not exist.`);
  return s;
}

/** The next fire time after `cursor`, for readers (the runner keeps it current). */
function nextOf(spec: ScheduleSpec, anchorAt: number, cursor: number): number | undefined {
  const expr = parseSchedule(spec.ScheduleExpression, spec.ScheduleExpressionTimezone ?? 'UTC');
  const window = expr.kind === 'at' ? { createdAt: anchorAt } : { createdAt: anchorAt, firstAtStart: true, ...(spec.StartDate !== undefined ? { startTime: spec.StartDate } : {}), ...(spec.EndDate !== undefined ? { endTime: spec.EndDate } : {}) };
  return nextFireTime(expr, window, cursor);
}

/** A rate counts from StartDate, else from when its expression took effect (EventBridge: at once). */
const anchorOf = (spec: ScheduleSpec, now: number) => spec.StartDate ?? now;

function createSchedule(ctx: RequestContext, b: Body) {
  const name = b['Name'] as string;
  const group = (b['GroupName'] as string | undefined) ?? DEFAULT_GROUP;
  const spec = readScheduleSpec(b, ctx.arn);
  const token = b['ClientToken'] as string | undefined;
  return ctx.store.tx(() => {
    requireGroup(ctx, group);
    const arn = scheduleArn(ctx.arn, group, name);
    if (token !== undefined && ctx.store.clientTokens.get(`CreateSchedule/${group}`, token)?.requestHash === name) return { ScheduleArn: arn };
    if (ctx.store.schedules.get(group, name)) throw conflict(`Schedule ${name} already exists.`);
    if (ctx.store.schedules.list({ limit: MAX_SCHEDULES }).length >= MAX_SCHEDULES) {
      throw new StevedoreError('ServiceQuotaExceededException', `The quota of ${MAX_SCHEDULES} schedules is reached.`, { httpStatus: 402 });
    }
    const now = ctx.clock.now();
    const anchorAt = anchorOf(spec, now);
    // Fire times from now on: a rate without StartDate fires at once, as in EventBridge.
    const cursor = now - 1;
    ctx.store.schedules.put({ uid: randomUUID(), groupName: group, name, spec, createdAt: now, updatedAt: now, anchorAt, cursor, nextFireAt: nextOf(spec, anchorAt, cursor) });
    if (token !== undefined) ctx.store.clientTokens.put(`CreateSchedule/${group}`, token, name, { ScheduleArn: arn }, now);
    ctx.log.info({ schedule: name, group, expression: spec.ScheduleExpression, target: spec.Target.Arn }, 'schedule created');
    return { ScheduleArn: arn };
  });
}

function updateSchedule(ctx: RequestContext, b: Body) {
  const name = b['Name'] as string;
  const group = (b['GroupName'] as string | undefined) ?? DEFAULT_GROUP;
  const spec = readScheduleSpec(b, ctx.arn);
  return ctx.store.tx(() => {
    const cur = requireSchedule(ctx, group, name);
    const now = ctx.clock.now();
    const old = cur.spec;
    // A new timing takes effect from now: no fire time before the update is run for it.
    const retimed = old.ScheduleExpression !== spec.ScheduleExpression || old.ScheduleExpressionTimezone !== spec.ScheduleExpressionTimezone || old.StartDate !== spec.StartDate || old.EndDate !== spec.EndDate;
    const anchorAt = retimed ? anchorOf(spec, now) : cur.anchorAt;
    // Enabling again does not run what passed while disabled either.
    const cursor = retimed || (old.State === 'DISABLED' && spec.State === 'ENABLED') ? Math.max(cur.cursor, now - 1) : cur.cursor;
    ctx.store.schedules.put({ ...cur, spec, updatedAt: now, anchorAt, cursor, nextFireAt: nextOf(spec, anchorAt, cursor) });
    ctx.log.info({ schedule: name, group, expression: spec.ScheduleExpression, state: spec.State }, 'schedule updated');
    return { ScheduleArn: scheduleArn(ctx.arn, group, name) };
  });
}

function getSchedule(ctx: RequestContext, b: Body) {
  const s = requireSchedule(ctx, (b['GroupName'] as string | undefined) ?? DEFAULT_GROUP, b['Name'] as string);
  return { ...s.spec, Arn: scheduleArn(ctx.arn, s.groupName, s.name), Name: s.name, GroupName: s.groupName, CreationDate: s.createdAt, LastModificationDate: s.updatedAt };
}

const isKey = (k: unknown): k is [string, string] => Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'string';

function listSchedules(ctx: RequestContext, b: Body) {
  const limit = (b['MaxResults'] as number | undefined) ?? 100;
  const groupName = b['GroupName'] as string | undefined;
  if (groupName !== undefined) requireGroup(ctx, groupName);
  const after = decodeNext(b['NextToken'], isKey);
  const rows = ctx.store.schedules.list({
    ...(groupName !== undefined ? { groupName } : {}),
    ...(b['NamePrefix'] !== undefined ? { namePrefix: b['NamePrefix'] as string } : {}),
    ...(b['State'] !== undefined ? { state: b['State'] as string } : {}),
    ...(after ? { after } : {}),
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  return {
    Schedules: items.map((s) => ({
      Arn: scheduleArn(ctx.arn, s.groupName, s.name),
      Name: s.name,
      GroupName: s.groupName,
      State: s.spec.State,
      CreationDate: s.createdAt,
      LastModificationDate: s.updatedAt,
      Target: { Arn: s.spec.Target.Arn },
    })),
    ...(rows.length > limit ? { NextToken: encodeToken([items.at(-1)!.groupName, items.at(-1)!.name]) } : {}),
  };
}

function decodeNext<T>(token: unknown, guard: (k: unknown) => k is T): T | undefined {
  try {
    return decodeToken(token as string | undefined, guard);
  } catch {
    throw validation('Invalid NextToken.', 'NextToken');
  }
}

function deleteSchedule(ctx: RequestContext, b: Body) {
  const name = b['Name'] as string;
  const group = (b['GroupName'] as string | undefined) ?? DEFAULT_GROUP;
  ctx.store.tx(() => {
    requireSchedule(ctx, group, name);
    ctx.store.schedules.delete(group, name);
  });
  ctx.log.info({ schedule: name, group }, 'schedule deleted');
  return {};
}

function groupJson(ctx: RequestContext, g: StoredScheduleGroup) {
  return { Arn: scheduleGroupArn(ctx.arn, g.name), Name: g.name, State: 'ACTIVE', CreationDate: g.createdAt, LastModificationDate: g.updatedAt };
}

type Tag = { Key: string; Value: string };

function checkTags(tags: Tag[], field: string): void {
  const keys = new Set<string>();
  tags.forEach((t, i) => {
    if (t.Key.toLowerCase().startsWith('aws:')) throw validation('Tag keys starting with aws: are reserved.', `${field}[${i}].Key`);
    if (keys.has(t.Key)) throw validation(`Duplicate tag key ${t.Key}.`, `${field}[${i}].Key`);
    keys.add(t.Key);
  });
}

function createScheduleGroup(ctx: RequestContext, b: Body) {
  const name = b['Name'] as string;
  const tags = (b['Tags'] as Tag[] | undefined) ?? [];
  checkTags(tags, 'Tags');
  return ctx.store.tx(() => {
    if (ctx.store.schedules.getGroup(name)) throw conflict(`Schedule group ${name} already exists.`);
    if (ctx.store.schedules.listGroups(undefined, undefined, MAX_GROUPS + 1).length >= MAX_GROUPS) {
      throw new StevedoreError('ServiceQuotaExceededException', `The quota of ${MAX_GROUPS} schedule groups is reached.`, { httpStatus: 402 });
    }
    const now = ctx.clock.now();
    ctx.store.schedules.putGroup({ name, tags, createdAt: now, updatedAt: now });
    return { ScheduleGroupArn: scheduleGroupArn(ctx.arn, name) };
  });
}

function getScheduleGroup(ctx: RequestContext, b: Body) {
  return groupJson(ctx, requireGroup(ctx, b['Name'] as string));
}

function listScheduleGroups(ctx: RequestContext, b: Body) {
  const limit = (b['MaxResults'] as number | undefined) ?? 100;
  const after = decodeNext(b['NextToken'], (k): k is string => typeof k === 'string');
  const rows = ctx.store.schedules.listGroups(b['NamePrefix'] as string | undefined, after, limit + 1);
  const items = rows.slice(0, limit);
  return { ScheduleGroups: items.map((g) => groupJson(ctx, g)), ...(rows.length > limit ? { NextToken: encodeToken(items.at(-1)!.name) } : {}) };
}

function deleteScheduleGroup(ctx: RequestContext, b: Body) {
  const name = b['Name'] as string;
  if (name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.', 'Name');
  ctx.store.tx(() => {
    requireGroup(ctx, name);
    ctx.store.schedules.deleteGroup(name);
  });
  ctx.log.info({ group: name }, 'schedule group deleted');
  return {};
}

const GROUP_ARN = /^arn:aws(-[a-z]+)?:scheduler:([a-z0-9-]+):(\d{12}):schedule-group\/([0-9a-zA-Z-_.]+)$/;

function taggedGroup(ctx: RequestContext, arn: string): StoredScheduleGroup {
  const m = GROUP_ARN.exec(arn);
  if (!m || m[2] !== ctx.arn.region || m[3] !== ctx.arn.account) throw notFound(`Schedule group ${arn} does not exist.`);
  return requireGroup(ctx, m[4]!);
}

function tagResource(ctx: RequestContext, b: Body) {
  const tags = b['Tags'] as Tag[];
  checkTags(tags, 'Tags');
  ctx.store.tx(() => {
    const g = taggedGroup(ctx, b['ResourceArn'] as string);
    const merged = new Map(g.tags.map((t) => [t.Key, t.Value]));
    for (const t of tags) merged.set(t.Key, t.Value);
    if (merged.size > 200) throw validation('A resource can have at most 200 tags.', 'Tags');
    ctx.store.schedules.putGroup({ ...g, tags: [...merged].map(([Key, Value]) => ({ Key, Value })), updatedAt: ctx.clock.now() });
  });
  return {};
}

function untagResource(ctx: RequestContext, b: Body) {
  const keys = new Set(b['TagKeys'] as string[]);
  ctx.store.tx(() => {
    const g = taggedGroup(ctx, b['ResourceArn'] as string);
    ctx.store.schedules.putGroup({ ...g, tags: g.tags.filter((t) => !keys.has(t.Key)), updatedAt: ctx.clock.now() });
  });
  return {};
}

function listTagsForResource(ctx: RequestContext, b: Body) {
  return { Tags: taggedGroup(ctx, b['ResourceArn'] as string).tags };
}

const ACTIONS: Record<string, (ctx: RequestContext, b: Body) => unknown> = {
  CreateSchedule: createSchedule,
  GetSchedule: getSchedule,
  ListSchedules: listSchedules,
  UpdateSchedule: updateSchedule,
  DeleteSchedule: deleteSchedule,
  CreateScheduleGroup: createScheduleGroup,
  GetScheduleGroup: getScheduleGroup,
  ListScheduleGroups: listScheduleGroups,
  DeleteScheduleGroup: deleteScheduleGroup,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};

/** Named like an X-Amz-Target to auth and audit: `scheduler.CreateSchedule` -> `scheduler:CreateSchedule`. */
export const SCHEDULER_TARGET_PREFIX = 'scheduler';

export const SCHEDULER_SERVICE: RestJsonService = {
  model: SCHEDULER_MODEL,
  targetPrefix: SCHEDULER_TARGET_PREFIX,
  actions: new Map(Object.entries(ACTIONS).map(([op, fn]): [string, Action] => [op, (ctx, body) => fn(ctx, body as Body)])),
};
