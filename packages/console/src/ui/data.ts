import type { ApiClient } from '../api/api-client';
import type { Cluster, ContainerInstance, Service, Task } from '../model/ecs-types';

/** Every page of a List call (nextToken), up to `max` items. */
export async function listAll(client: ApiClient, op: string, input: Record<string, unknown>, key: string, max = 1000): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await client.call<Record<string, unknown>>('ecs', op, { ...input, ...(nextToken ? { nextToken } : {}) });
    out.push(...((r[key] as string[] | undefined) ?? []));
    nextToken = r['nextToken'] as string | undefined;
  } while (nextToken && out.length < max);
  return out;
}

/** Describe calls take at most `size` names a request. */
async function describeChunks<T>(client: ApiClient, op: string, key: string, listKey: string, names: string[], extra: Record<string, unknown>, size: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < names.length; i += size) {
    const r = await client.call<Record<string, unknown>>('ecs', op, { ...extra, [key]: names.slice(i, i + size) });
    out.push(...((r[listKey] as T[] | undefined) ?? []));
  }
  return out;
}

export async function clusters(client: ApiClient): Promise<Cluster[]> {
  const arns = await listAll(client, 'ListClusters', {}, 'clusterArns');
  return describeChunks<Cluster>(client, 'DescribeClusters', 'clusters', 'clusters', arns, {}, 100);
}

export async function instances(client: ApiClient, cluster: string): Promise<ContainerInstance[]> {
  const arns = await listAll(client, 'ListContainerInstances', { cluster }, 'containerInstanceArns');
  return describeChunks<ContainerInstance>(client, 'DescribeContainerInstances', 'containerInstances', 'containerInstances', arns, { cluster }, 100);
}

export async function services(client: ApiClient, cluster: string): Promise<Service[]> {
  const arns = await listAll(client, 'ListServices', { cluster }, 'serviceArns');
  return describeChunks<Service>(client, 'DescribeServices', 'services', 'services', arns, { cluster }, 10);
}

export async function service(client: ApiClient, cluster: string, name: string): Promise<Service | undefined> {
  const r = await client.call<{ services?: Service[] }>('ecs', 'DescribeServices', { cluster, services: [name] });
  return r.services?.[0];
}

export async function tasks(client: ApiClient, cluster: string, filter: Record<string, unknown>): Promise<Task[]> {
  const arns = await listAll(client, 'ListTasks', { cluster, ...filter }, 'taskArns', 300);
  return describeChunks<Task>(client, 'DescribeTasks', 'tasks', 'tasks', arns, { cluster }, 100);
}

import { latestValue, metricDataInput, type MetricDataResult, type MetricQuery } from '../model/metric-series';

/**
 * What the tasks on each instance use now: the latest Container Insights
 * task readings (CpuUtilized in CPU units, MemoryUtilized in MiB) summed per
 * container instance. Keyed by container instance ARN.
 */
export async function instanceUsage(client: ApiClient, clusterName: string, running: Task[]): Promise<Map<string, { cpu?: number; memory?: number }>> {
  const out = new Map<string, { cpu?: number; memory?: number }>();
  const measured = running.filter((t) => t.containerInstanceArn && t.lastStatus === 'RUNNING').slice(0, 100);
  if (measured.length === 0) return out;
  const queries: MetricQuery[] = measured.flatMap((t, i) => {
    const dims: Record<string, string> = { ClusterName: clusterName };
    if (t.group?.startsWith('service:')) dims['ServiceName'] = t.group.slice('service:'.length);
    dims['TaskDefinitionFamily'] = t.taskDefinitionArn.slice(t.taskDefinitionArn.lastIndexOf('/') + 1).split(':')[0]!;
    dims['TaskId'] = t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1);
    return [
      { id: `c${i}`, namespace: 'ECS/ContainerInsights', metricName: 'CpuUtilized', dimensions: dims, stat: 'Average' as const },
      { id: `m${i}`, namespace: 'ECS/ContainerInsights', metricName: 'MemoryUtilized', dimensions: dims, stat: 'Average' as const },
    ];
  });
  const r = await client.call<{ MetricDataResults?: MetricDataResult[] }>('cloudwatch', 'GetMetricData', metricDataInput(queries, Date.now(), 10));
  const byId = new Map((r.MetricDataResults ?? []).map((x) => [x.Id, x]));
  measured.forEach((t, i) => {
    const cpu = latestValue(byId.get(`c${i}`));
    const memory = latestValue(byId.get(`m${i}`));
    const cur = out.get(t.containerInstanceArn!) ?? {};
    if (cpu !== undefined) cur.cpu = (cur.cpu ?? 0) + cpu;
    if (memory !== undefined) cur.memory = (cur.memory ?? 0) + memory;
    out.set(t.containerInstanceArn!, cur);
  });
  return out;
}
