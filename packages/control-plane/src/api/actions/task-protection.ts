import { arns, idOf, InvalidParameterException, toEcsTimestamp } from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { Params } from '../params';
import { requireCluster } from '../lookups';
/** ECS's target prefix (router.ts has it too; importing the router from an action would make a cycle). */
const ECS_TARGET_PREFIX_FOR_PROTECTION = 'AmazonEC2ContainerServiceV20141113.';

/** ECS: protection lasts 2 hours unless told otherwise, 48 hours at most. */
export const DEFAULT_PROTECTION_MINUTES = 120;
export const MAX_PROTECTION_MINUTES = 2880;

type Failure = { arn: string; reason: string; detail?: string };

/** A task of this cluster that a service runs, or the ECS failure that says why not. */
function resolve(ctx: ApiContext, cluster: string, ref: string): { id: string; arn: string } | Failure {
  const t = ctx.store.tasks.get(idOf(ref));
  if (!t || t.clusterName !== cluster) return { arn: ref, reason: 'MISSING' };
  const arn = arns.task(ctx.arn, cluster, t.id);
  // ECS protects only tasks of services: protection is about a service's scale-in.
  if (!t.group.startsWith('service:')) return { arn, reason: 'TASK_NOT_VALID', detail: 'The task is not part of a service.' };
  if (t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED') return { arn, reason: 'TASK_NOT_VALID', detail: 'The task is stopped or stopping.' };
  return { id: t.id, arn };
}

function protectedJson(arn: string, expiresAt: number | undefined) {
  return expiresAt === undefined ? { taskArn: arn, protectionEnabled: false } : { taskArn: arn, protectionEnabled: true, expirationDate: toEcsTimestamp(expiresAt) };
}

/**
 * UpdateTaskProtection: task scale-in protection, as ECS has it. A
 * protected task is never chosen when its service scales in (a worker busy
 * with a job finishes it); protection ends at expiresInMinutes or when
 * turned off. Tasks that cannot be protected come back as failures, not as
 * an error for the whole call.
 */
export function updateTaskProtection(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('tasks', { required: true, min: 1, max: 10 })!;
  const enabled = p.boolean('protectionEnabled');
  if (enabled === undefined) throw new InvalidParameterException('protectionEnabled is required.', 'protectionEnabled');
  const minutes = p.integer('expiresInMinutes', { min: 1, max: MAX_PROTECTION_MINUTES });
  if (!enabled && minutes !== undefined) throw new InvalidParameterException('expiresInMinutes can only be set when protectionEnabled is true.', 'expiresInMinutes');
  return ctx.store.tx(() => {
    const now = ctx.clock.now();
    const protectedTasks: ReturnType<typeof protectedJson>[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const r = resolve(ctx, cluster.name, ref);
      if ('reason' in r) {
        failures.push(r);
        continue;
      }
      const expiresAt = enabled ? now + (minutes ?? DEFAULT_PROTECTION_MINUTES) * 60_000 : undefined;
      ctx.store.autoscaling.setTaskProtection(cluster.name, r.id, expiresAt);
      // The reconciler reads protection with the service: a pending scale-in may now proceed.
      const group = ctx.store.tasks.get(r.id)!.group;
      ctx.store.services.touch(cluster.name, group.slice('service:'.length));
      protectedTasks.push(protectedJson(r.arn, expiresAt));
      ctx.log.info({ cluster: cluster.name, task: r.id, protectionEnabled: enabled, expiresAt }, 'task scale-in protection updated');
    }
    return { protectedTasks, failures };
  });
}

export function getTaskProtection(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('tasks', { max: 100 });
  const now = ctx.clock.now();
  const protectedTasks: ReturnType<typeof protectedJson>[] = [];
  const failures: Failure[] = [];
  const ids = refs ?? [...ctx.store.autoscaling.protectedTasks(cluster.name, now)];
  for (const ref of ids) {
    const r = resolve(ctx, cluster.name, ref);
    if ('reason' in r) {
      failures.push(r);
      continue;
    }
    const expiresAt = ctx.store.autoscaling.taskProtection(cluster.name, r.id);
    protectedTasks.push(protectedJson(r.arn, expiresAt !== undefined && expiresAt > now ? expiresAt : undefined));
  }
  return { protectedTasks, failures };
}

export const TASK_PROTECTION_ACTIONS: Record<string, Action> = {
  [`${ECS_TARGET_PREFIX_FOR_PROTECTION}UpdateTaskProtection`]: updateTaskProtection,
  [`${ECS_TARGET_PREFIX_FOR_PROTECTION}GetTaskProtection`]: getTaskProtection,
};
