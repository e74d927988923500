import { arns, idOf, InvalidParameterException, markStoppedByControlPlane, requestStop, type Cluster, type ContainerInstance, type LaunchType } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isNumber, page } from '../paging';
import { Params } from '../params';
import { taskJson } from '../serialize';
import { findInstance, requireCluster } from '../lookups';
import type { StoredTask } from '../../store/tasks-repo';

function findTask(ctx: ApiContext, cluster: Cluster, ref: string): StoredTask | undefined {
  const t = ctx.store.tasks.get(idOf(ref));
  return t && t.clusterName === cluster.name ? t : undefined;
}

function json(ctx: ApiContext, t: StoredTask, include: string[] = []) {
  return taskJson(ctx.arn, t, t.containerInstanceId ? ctx.store.instances.get(t.containerInstanceId) : undefined, include);
}

export function stopTask(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('task', { max: 2048 });
  const reason = p.string('reason', { max: 255 }) ?? 'Task stopped by user';
  return ctx.store.tx(() => {
    const t = findTask(ctx, cluster, ref);
    if (!t) throw new InvalidParameterException('The referenced task was not found.', 'task');
    const now = ctx.clock.now();
    let next = requestStop(t, { stopCode: 'UserInitiated', reason, now }) ?? t;
    const instance = t.containerInstanceId ? ctx.store.instances.get(t.containerInstanceId) : undefined;
    // No agent will ever report on this task again: close it here.
    if (!instance || instance.status === 'INACTIVE') next = markStoppedByControlPlane(next, reason, now) ?? next;
    if (next !== t) {
      ctx.store.tasks.put({ ...next, seq: t.seq });
      ctx.log.info({ cluster: cluster.name, task: t.id, reason }, 'task stop requested');
    }
    return { task: json(ctx, { ...next, seq: t.seq }) };
  });
}

export function describeTasks(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('tasks', { required: true, max: 100 })!;
  const include = p.stringList('include') ?? [];
  include.forEach((v, i) => {
    if (v !== 'TAGS') throw new InvalidParameterException(`include[${i}] must be TAGS.`, `include[${i}]`);
  });
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  // One query for the page of tasks (up to 100), and each instance read once: it was a task and its containers per ARN.
  const ids = refs.map(idOf);
  const found = new Map(ctx.store.tasks.getMany(ids).map((t) => [t.id, t]));
  const instances = new Map<string, ContainerInstance | undefined>();
  const instanceOf = (id: string) => {
    // Not INACTIVE and in a loaded cluster: the kept cluster state has it, no row decoded.
    if (!instances.has(id)) instances.set(id, ctx.store.clusterState.loadedInstance(cluster.name, id) ?? ctx.store.instances.get(id));
    return instances.get(id);
  };
  for (const [k, ref] of refs.entries()) {
    const t = found.get(ids[k]!);
    if (!t || t.clusterName !== cluster.name) failures.push({ arn: ref.startsWith('arn:') ? ref : arns.task(ctx.arn, cluster.name, ref), reason: 'MISSING' });
    else tasks.push(taskJson(ctx.arn, t, t.containerInstanceId ? instanceOf(t.containerInstanceId) : undefined, include));
  }
  return { tasks, failures };
}

export function listTasks(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const instanceRef = p.string('containerInstance', { max: 2048 });
  const family = p.string('family', { max: 255 });
  const serviceName = p.string('serviceName', { max: 255 });
  const startedBy = p.string('startedBy', { max: 128 });
  const desiredStatus = p.string('desiredStatus', { enum: ['RUNNING', 'PENDING', 'STOPPED'] }) ?? 'RUNNING';
  const launchType = p.string('launchType', { enum: ['EC2', 'FARGATE', 'EXTERNAL'] });
  if (startedBy !== undefined && (instanceRef !== undefined || family !== undefined || serviceName !== undefined)) {
    throw new InvalidParameterException('startedBy must be the only filter when it is specified.', 'startedBy');
  }
  const limit = p.maxResults(100);
  const afterSeq = decodeToken(p.string('nextToken'), isNumber);
  // ECS never sets desiredStatus PENDING, so that filter matches nothing.
  if (desiredStatus === 'PENDING') return { taskArns: [] };
  let instanceId: string | undefined;
  if (instanceRef !== undefined) {
    const i = findInstance(ctx, cluster, instanceRef);
    if (!i) throw new InvalidParameterException('The referenced container instance was not found.', 'containerInstance');
    instanceId = i.id;
  }
  const rows = ctx.store.tasks.listRefs({
    cluster: cluster.name,
    desiredStatus: desiredStatus as 'RUNNING' | 'STOPPED',
    ...(instanceId ? { instanceId } : {}),
    ...(family !== undefined ? { family } : {}),
    ...(launchType !== undefined ? { launchType: launchType as LaunchType } : {}),
    ...(startedBy !== undefined ? { startedBy } : {}),
    ...(serviceName !== undefined ? { group: `service:${serviceName}` } : {}),
    ...(afterSeq !== undefined ? { afterSeq } : {}),
    limit: limit + 1,
  });
  const { items, nextToken } = page(rows, limit, (t) => t.seq);
  return { taskArns: items.map((t) => arns.task(ctx.arn, t.cluster, t.id)), ...(nextToken ? { nextToken } : {}) };
}
