import {
  arns,
  HOST_GROUP_ATTRIBUTE,
  hostGroupNameOfArn,
  evaluateQuery,
  idOf,
  InvalidParameterException,
  markStoppedByControlPlane,
  MAX_EXPRESSION_LENGTH,
  parseQuery,
  remainingResources,
  StevedoreError,
  type ContainerInstance,
  type QueryExpr,
  type QueryTarget,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import { containerInstanceJson } from '../serialize';
import { findInstance, requireCluster } from '../lookups';

export function instanceJson(ctx: ApiContext, i: ContainerInstance) {
  const tasks = ctx.store.tasks.activeOnInstance(i.id);
  const json = containerInstanceJson(ctx.arn, i, remainingResources(i, tasks), ctx.store.tasks.countOnInstance(i.id));
  // ECS names the capacity provider of an instance its ASG launched: here, of the host group it joined for.
  const group = i.attributes.find((a) => a.name === HOST_GROUP_ATTRIBUTE)?.value;
  const provider = group ? ctx.store.capacityProviders.list().find((p) => p.status === 'ACTIVE' && hostGroupNameOfArn(p.autoScalingGroupArn) === group) : undefined;
  return provider ? { ...json, capacityProviderName: provider.name } : json;
}

/** An instance and its tasks, as the cluster query language sees them. */
export function queryTarget(ctx: ApiContext, i: ContainerInstance): QueryTarget {
  const tasks = ctx.store.tasks.activeOnInstance(i.id);
  return {
    instance: i,
    runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    taskGroups: new Set(tasks.filter((t) => t.desiredStatus === 'RUNNING').map((t) => t.group)),
  };
}

const INSTANCE_STATUSES = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'] as const;

export function listContainerInstances(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const filter = p.string('filter', { max: MAX_EXPRESSION_LENGTH });
  let query: QueryExpr | undefined;
  try {
    query = filter === undefined ? undefined : parseQuery(filter);
  } catch (e) {
    if (e instanceof InvalidParameterException) throw new InvalidParameterException(`filter: ${e.message}`, 'filter');
    throw e;
  }
  const status = p.string('status', { enum: INSTANCE_STATUSES }) as ContainerInstance['status'] | undefined;
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  let rows = ctx.store.instances.listByCluster(cluster.name, {
    ...(status ? { status } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(query ? {} : { limit: limit + 1 }),
  });
  if (query) {
    const q = query;
    rows = rows.filter((i) => evaluateQuery(q, queryTarget(ctx, i))).slice(0, limit + 1);
  }
  const { items, nextToken } = page(rows, limit, (i) => i.id);
  return { containerInstanceArns: items.map((i) => arns.containerInstance(ctx.arn, i.clusterName, i.id)), ...(nextToken ? { nextToken } : {}) };
}

export function describeContainerInstances(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('containerInstances', { required: true, max: 100 })!;
  const include = p.stringList('include') ?? [];
  include.forEach((v, i) => {
    if (v !== 'TAGS' && v !== 'CONTAINER_INSTANCE_HEALTH') throw new InvalidParameterException(`include[${i}] must be one of: TAGS, CONTAINER_INSTANCE_HEALTH.`, `include[${i}]`);
  });
  const containerInstances: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const i = findInstance(ctx, cluster, ref);
    if (!i) failures.push({ arn: ref.startsWith('arn:') ? ref : arns.containerInstance(ctx.arn, cluster.name, ref), reason: 'MISSING' });
    else containerInstances.push(include.includes('TAGS') ? { ...instanceJson(ctx, i), tags: ctx.store.instances.tags(i.id) } : instanceJson(ctx, i));
  }
  return { containerInstances, failures };
}

export function deregisterContainerInstance(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('containerInstance', { max: 2048 });
  const force = p.boolean('force') ?? false;
  return ctx.store.tx(() => {
    const i = findInstance(ctx, cluster, ref);
    if (!i || i.status === 'INACTIVE') {
      throw new InvalidParameterException(`Container instance ${idOf(ref)} not found.`, 'containerInstance');
    }
    const now = ctx.clock.now();
    const tasks = ctx.store.tasks.activeOnInstance(i.id);
    if (tasks.length > 0 && !force) {
      throw new StevedoreError(
        'InvalidParameterException',
        'Found running tasks on the instance. Stop them first or use force to deregister the container instance anyway.',
        { field: 'force' },
      );
    }
    for (const t of tasks) {
      const stopped = markStoppedByControlPlane(t, 'Task orphaned: its container instance was deregistered', now);
      if (stopped) ctx.store.tasks.put({ ...stopped, seq: t.seq });
    }
    const updated: ContainerInstance = { ...i, status: 'INACTIVE', agentConnected: false, version: i.version + 1 };
    ctx.store.instances.put(updated);
    ctx.log.info({ cluster: cluster.name, instance: i.id, force, orphanedTasks: tasks.length }, 'container instance deregistered');
    return { containerInstance: instanceJson(ctx, updated) };
  });
}
