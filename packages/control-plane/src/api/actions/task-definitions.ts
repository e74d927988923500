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

/**
 * DeleteTaskDefinitions: INACTIVE revisions move to DELETE_IN_PROGRESS and
 * are deleted by the retention pass once no task runs them and no service
 * deployment names them (retention/task-reaper.ts), as in ECS. ACTIVE or
 * unknown revisions come back as failures, each with ECS's reason.
 */
export function deleteTaskDefinitions(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('taskDefinitions', { required: true, min: 1, max: 10 })!;
  return ctx.store.tx(() => {
    const taskDefinitions: unknown[] = [];
    const failures: unknown[] = [];
    for (const ref of refs) {
      const spec = parseArn(ref)?.resource ?? ref;
      const m = /^([A-Za-z0-9_-]{1,255}):(\d{1,9})$/.exec(spec);
      if (!m) {
        failures.push({ arn: ref, reason: 'The specified task definition identifier is invalid. Specify a valid name or a valid full ARN and try again.' });
        continue;
      }
      const stored = ctx.store.taskDefinitions.get(m[1]!, Number(m[2]));
      const arn = arns.taskDefinition(ctx.arn, m[1]!, Number(m[2]));
      if (!stored) {
        failures.push({ arn, reason: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.' });
        continue;
      }
      const td = stored.taskDefinition;
      if (td.status === 'ACTIVE') {
        failures.push({ arn, reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' });
        continue;
      }
      if (td.status === 'INACTIVE') ctx.store.taskDefinitions.requestDelete(td.family, td.revision, ctx.clock.now());
      taskDefinitions.push(taskDefinitionJson(ctx.store.taskDefinitions.get(td.family, td.revision)!.taskDefinition));
      ctx.log.info({ family: td.family, revision: td.revision }, 'task definition deletion requested');
    }
    return { taskDefinitions, failures };
  });
}
