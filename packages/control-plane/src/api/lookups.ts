import { ClientException, clusterNameOf, idOf, InvalidParameterException, NotFoundError, parseArn, type Cluster, type ContainerInstance } from '@stevedore/core';
import type { ApiContext } from './context';
import type { Params } from './params';
import type { StoredTaskDefinition } from '../store/task-definitions-repo';

/** Resolves the `cluster` member (name or ARN, default "default") to an ACTIVE cluster. */
export function requireCluster(ctx: ApiContext, p: Params): Cluster {
  const raw = p.string('cluster', { max: 2048 }) ?? 'default';
  const name = clusterNameOf(raw);
  const c = ctx.store.clusters.get(name);
  if (!c || c.status !== 'ACTIVE') throw new NotFoundError('ClusterNotFoundException', 'Cluster not found.');
  return c;
}

/**
 * `family`, `family:revision` or a task-definition ARN. A bare family means its
 * latest ACTIVE revision; an explicit revision may be INACTIVE (ECS lets
 * running things keep using it, callers decide whether that is allowed).
 */
export function resolveTaskDefinition(ctx: ApiContext, ref: string, field = 'taskDefinition'): StoredTaskDefinition | undefined {
  let spec = ref;
  const arn = parseArn(ref);
  if (arn) {
    if (arn.resourceType !== 'task-definition') throw new InvalidParameterException(`${field} is not a task definition ARN: ${ref}`, field);
    spec = arn.resource;
  }
  const m = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(spec);
  if (!m) throw new ClientException(`Invalid revision number. Number: ${spec}`, field);
  const family = m[1]!;
  if (m[2] === undefined) return ctx.store.taskDefinitions.latestActive(family);
  const revision = Number(m[2]);
  if (!Number.isSafeInteger(revision) || revision < 1) throw new ClientException(`Invalid revision number. Number: ${m[2]}`, field);
  return ctx.store.taskDefinitions.get(family, revision);
}

/** A container instance of this cluster by id or ARN, or undefined. */
export function findInstance(ctx: ApiContext, cluster: Cluster, ref: string): ContainerInstance | undefined {
  const i = ctx.store.instances.get(idOf(ref));
  return i && i.clusterName === cluster.name ? i : undefined;
}
