import {
  arns,
  ClientException,
  computeCompatibilities,
  computeRequiresAttributes,
  InvalidParameterException,
  parseArn,
  validateRegisterTaskDefinition,
  type TaskDefinition,
  type TaskDefinitionStatus,
} from '@stevedore/core';
import type { ApiContext, RequestContext } from '../context';
import { decodeToken, isFamilyRevision, isString, page } from '../paging';
import { Params } from '../params';
import { taskDefinitionJson } from '../serialize';
import { resolveTaskDefinition } from '../lookups';

export function registerTaskDefinition(ctx: RequestContext, body: unknown) {
  const input = validateRegisterTaskDefinition(body);
  const { tags = [], ...rest } = input;
  return ctx.store.tx(() => {
    const revision = ctx.store.taskDefinitions.nextRevision(input.family);
    const td: TaskDefinition = {
      ...rest,
      taskDefinitionArn: arns.taskDefinition(ctx.arn, input.family, revision),
      revision,
      status: 'ACTIVE',
      requiresAttributes: [],
      compatibilities: [],
      registeredAt: ctx.clock.now(),
      // As ECS: the principal that registered it (here naming the access key).
      registeredBy: ctx.caller.arn,
    };
    td.requiresAttributes = computeRequiresAttributes(td);
    td.compatibilities = computeCompatibilities(td);
    ctx.store.taskDefinitions.insert(td, tags);
    ctx.log.info({ family: td.family, revision }, 'task definition registered');
    return { taskDefinition: taskDefinitionJson(td), tags };
  });
}

export function describeTaskDefinition(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const ref = p.requiredString('taskDefinition', { max: 2048 });
  const include = p.stringList('include') ?? [];
  include.forEach((v, i) => {
    if (v !== 'TAGS') throw new InvalidParameterException(`include[${i}] must be TAGS.`, `include[${i}]`);
  });
  const stored = resolveTaskDefinition(ctx, ref);
  if (!stored) throw new ClientException('Unable to describe task definition.');
  return { taskDefinition: taskDefinitionJson(stored.taskDefinition), ...(include.includes('TAGS') ? { tags: stored.tags } : {}) };
}

export function listTaskDefinitions(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const familyPrefix = p.string('familyPrefix', { max: 255 });
  const status = (p.string('status', { enum: ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'] }) ?? 'ACTIVE') as TaskDefinitionStatus;
  const sort = p.string('sort', { enum: ['ASC', 'DESC'] }) ?? 'ASC';
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isFamilyRevision);
  const rows = ctx.store.taskDefinitions.list({
    ...(familyPrefix !== undefined ? { familyPrefix } : {}),
    status,
    desc: sort === 'DESC',
    ...(after ? { after } : {}),
    limit: limit + 1,
  });
  const { items, nextToken } = page(rows, limit, (r) => [r.taskDefinition.family, r.taskDefinition.revision]);
  return { taskDefinitionArns: items.map((r) => r.taskDefinition.taskDefinitionArn), ...(nextToken ? { nextToken } : {}) };
}

export function listTaskDefinitionFamilies(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const familyPrefix = p.string('familyPrefix', { max: 255 });
  const status = (p.string('status', { enum: ['ACTIVE', 'INACTIVE', 'ALL'] }) ?? 'ACTIVE') as 'ACTIVE' | 'INACTIVE' | 'ALL';
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const rows = ctx.store.taskDefinitions.families({
    ...(familyPrefix !== undefined ? { familyPrefix } : {}),
    status,
    ...(after !== undefined ? { after } : {}),
    limit: limit + 1,
  });
  const { items, nextToken } = page(rows, limit, (f) => f);
  return { families: items, ...(nextToken ? { nextToken } : {}) };
}

export function deregisterTaskDefinition(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const ref = p.requiredString('taskDefinition', { max: 2048 });
  const spec = parseArn(ref)?.resource ?? ref;
  if (!/:\d+$/.test(spec)) throw new ClientException('Revision is required to deregister a task definition.', 'taskDefinition');
  return ctx.store.tx(() => {
    const stored = resolveTaskDefinition(ctx, ref);
    if (!stored) throw new ClientException('Unable to describe task definition.');
    const td = stored.taskDefinition;
    if (td.status === 'ACTIVE') ctx.store.taskDefinitions.setStatus(td.family, td.revision, 'INACTIVE', ctx.clock.now());
    const after = ctx.store.taskDefinitions.get(td.family, td.revision)!;
    ctx.log.info({ family: td.family, revision: td.revision }, 'task definition deregistered');
    return { taskDefinition: taskDefinitionJson(after.taskDefinition) };
  });
}
