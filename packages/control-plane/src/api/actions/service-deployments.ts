/**
 * ECS's deployment history API: ListServiceDeployments,
 * DescribeServiceDeployments and DescribeServiceRevisions, over the history
 * the services repository records (store/service-deployments-repo.ts). The
 * status of each deployment is core's `serviceDeploymentHistory`; this file
 * only shapes ECS's answers. And DescribeTaskSets, which for the rolling
 * (ECS controller) services Stevedore runs has no task sets to show.
 */
import {
  arns,
  circuitBreakerThreshold,
  InvalidParameterException,
  NotFoundError,
  parseArn,
  serviceDeploymentHistory,
  serviceGroup,
  SERVICE_DEPLOYMENT_STATUSES,
  toEcsTimestamp,
  type ArnContext,
  type ServiceDeploymentView,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isNumber, page } from '../paging';
import { Params } from '../params';
import { requireCluster } from '../lookups';
import { requireService } from './service-input';
import type { StoredServiceDeployment } from '../../store/service-deployments-repo';

/** `ecs-svc/1234567890123456789` -> `1234567890123456789`: the id part ECS's ARNs carry. */
const idPart = (id: string) => id.slice(id.lastIndexOf('/') + 1);

export function serviceDeploymentArn(a: ArnContext, cluster: string, service: string, id: string): string {
  return `arn:aws:ecs:${a.region}:${a.account}:service-deployment/${cluster}/${service}/${idPart(id)}`;
}

export function serviceRevisionArn(a: ArnContext, cluster: string, service: string, id: string): string {
  return `arn:aws:ecs:${a.region}:${a.account}:service-revision/${cluster}/${service}/${idPart(id)}`;
}

/** cluster, service and id part of a service-deployment or service-revision ARN, or undefined. */
function parseHistoryArn(value: string, type: 'service-deployment' | 'service-revision'): { cluster: string; service: string; id: string } | undefined {
  const p = parseArn(value);
  if (!p || p.resourceType !== type) return undefined;
  const parts = p.resource.split('/');
  if (parts.length !== 3 || parts.some((x) => x === '')) return undefined;
  return { cluster: parts[0]!, service: parts[1]!, id: parts[2]! };
}

function findRecorded(ctx: ApiContext, ref: { cluster: string; service: string; id: string }): { recorded: StoredServiceDeployment[]; match: StoredServiceDeployment } | undefined {
  const recorded = ctx.store.services.deployments.ofService(ref.cluster, ref.service);
  const match = recorded.find((d) => idPart(d.id) === ref.id);
  return match ? { recorded, match } : undefined;
}

interface Counts {
  running: number;
  pending: number;
}

function revisionSummary(ctx: ApiContext, d: StoredServiceDeployment, counts: Map<string, Counts>, requested: number) {
  const c = counts.get(d.id) ?? { running: 0, pending: 0 };
  return { arn: serviceRevisionArn(ctx.arn, d.cluster, d.service, d.id), requestedTaskCount: requested, runningTaskCount: c.running, pendingTaskCount: c.pending };
}

function briefOf(ctx: ApiContext, v: ServiceDeploymentView, d: StoredServiceDeployment) {
  return {
    serviceDeploymentArn: serviceDeploymentArn(ctx.arn, d.cluster, d.service, d.id),
    serviceArn: arns.service(ctx.arn, d.cluster, d.service),
    clusterArn: arns.cluster(ctx.arn, d.cluster),
    ...(v.startedAt !== undefined ? { startedAt: toEcsTimestamp(v.startedAt) } : {}),
    createdAt: toEcsTimestamp(v.createdAt),
    ...(v.finishedAt !== undefined ? { finishedAt: toEcsTimestamp(v.finishedAt) } : {}),
    targetServiceRevisionArn: serviceRevisionArn(ctx.arn, d.cluster, d.service, d.id),
    status: v.status,
    ...(v.statusReason !== undefined ? { statusReason: v.statusReason } : {}),
  };
}

function fullOf(ctx: ApiContext, v: ServiceDeploymentView, d: StoredServiceDeployment, recorded: StoredServiceDeployment[]) {
  const counts = ctx.store.tasks.countByStartedBy(d.cluster, serviceGroup(d.service));
  const live = !['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(v.status);
  const desired = d.revision.desiredCount ?? 0;
  const sources = d.sources.map((id) => recorded.find((x) => x.id === id)).filter((x): x is StoredServiceDeployment => x !== undefined);
  const breaker = d.revision.deploymentConfiguration?.deploymentCircuitBreaker;
  const failures = d.rollout ? ((d.rollout as { failedTasks?: number }).failedTasks ?? 0) : 0;
  // ServiceDeployment names its target revision in targetServiceRevision; only the brief has the bare ARN.
  const { targetServiceRevisionArn: _, ...brief } = briefOf(ctx, v, d);
  return {
    ...brief,
    ...(v.stoppedAt !== undefined ? { stoppedAt: toEcsTimestamp(v.stoppedAt) } : {}),
    ...(v.updatedAt !== undefined ? { updatedAt: toEcsTimestamp(v.updatedAt) } : {}),
    sourceServiceRevisions: sources.map((s) => revisionSummary(ctx, s, counts, 0)),
    targetServiceRevision: revisionSummary(ctx, d, counts, live || v.status === 'SUCCESSFUL' ? desired : 0),
    ...(d.revision.deploymentConfiguration ? { deploymentConfiguration: d.revision.deploymentConfiguration } : {}),
    ...(v.rollback
      ? { rollback: { reason: v.rollback.reason, startedAt: toEcsTimestamp(v.rollback.startedAt), serviceRevisionArn: serviceRevisionArn(ctx.arn, d.cluster, d.service, v.rollback.id) } }
      : {}),
    deploymentCircuitBreaker: breaker?.enable
      ? { status: v.status === 'IN_PROGRESS' ? 'MONITORING' : v.rollback || (v.status === 'STOPPED' && failures > 0) ? 'TRIGGERED' : 'MONITORING_COMPLETE', failureCount: failures, threshold: circuitBreakerThreshold(desired) }
      : { status: 'DISABLED', failureCount: 0, threshold: 0 },
    alarms: { status: 'DISABLED' },
  };
}

export function listServiceDeployments(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('service', { max: 2048 });
  const statuses = p.stringList('status');
  statuses?.forEach((s, i) => {
    if (!(SERVICE_DEPLOYMENT_STATUSES as readonly string[]).includes(s)) throw new InvalidParameterException(`status[${i}] must be one of: ${SERVICE_DEPLOYMENT_STATUSES.join(', ')}.`, `status[${i}]`);
  });
  const created = p.object('createdAt');
  const window = created ? Params.of(created) : undefined;
  const before = window?.body['before'];
  const after = window?.body['after'];
  for (const [k, v] of [['before', before], ['after', after]] as const) {
    if (v !== undefined && v !== null && typeof v !== 'number') throw new InvalidParameterException(`createdAt.${k} must be a timestamp.`, `createdAt.${k}`);
  }
  const limit = p.maxResults(20);
  const skip = decodeToken(p.string('nextToken'), isNumber) ?? 0;
  const stored = requireService(ctx, cluster, ref);
  const recorded = ctx.store.services.deployments.ofService(cluster.name, stored.service.name);
  const views = serviceDeploymentHistory(recorded).filter(
    (v) =>
      (statuses === undefined || statuses.includes(v.status)) &&
      (typeof before !== 'number' || v.createdAt < before * 1000) &&
      (typeof after !== 'number' || v.createdAt > after * 1000),
  );
  const rows = views.slice(skip, skip + limit + 1).map((v, i) => ({ v, n: skip + i + 1 }));
  const { items, nextToken } = page(rows, limit, (r) => r.n);
  return {
    serviceDeployments: items.map(({ v }) => briefOf(ctx, v, recorded.find((d) => d.id === v.id)!)),
    ...(nextToken ? { nextToken } : {}),
  };
}

export function describeServiceDeployments(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('serviceDeploymentArns', { required: true, min: 1, max: 20 })!;
  const serviceDeployments: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const parsed = parseHistoryArn(ref, 'service-deployment');
    const found = parsed ? findRecorded(ctx, parsed) : undefined;
    if (!found) {
      failures.push({ arn: ref, reason: 'MISSING' });
      continue;
    }
    const view = serviceDeploymentHistory(found.recorded).find((v) => v.id === found.match.id);
    // A rollback is folded into the deployment it rolled back: its own ARN describes that one.
    const shown = view ?? serviceDeploymentHistory(found.recorded).find((v) => v.rollback?.id === found.match.id);
    const d = shown ? found.recorded.find((x) => x.id === shown.id)! : undefined;
    if (!shown || !d) failures.push({ arn: ref, reason: 'MISSING' });
    else serviceDeployments.push(fullOf(ctx, shown, d, found.recorded));
  }
  return { serviceDeployments, failures };
}

export function describeServiceRevisions(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('serviceRevisionArns', { required: true, min: 1, max: 20 })!;
  const serviceRevisions: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const parsed = parseHistoryArn(ref, 'service-revision');
    const found = parsed ? findRecorded(ctx, parsed) : undefined;
    if (!found) {
      failures.push({ arn: ref, reason: 'MISSING' });
      continue;
    }
    const { match: d } = found;
    const r = d.revision;
    serviceRevisions.push({
      serviceRevisionArn: serviceRevisionArn(ctx.arn, d.cluster, d.service, d.id),
      serviceArn: arns.service(ctx.arn, d.cluster, d.service),
      clusterArn: arns.cluster(ctx.arn, d.cluster),
      taskDefinition: r.taskDefinitionArn,
      ...(r.capacityProviderStrategy ? { capacityProviderStrategy: r.capacityProviderStrategy } : { launchType: r.launchType ?? 'EC2' }),
      ...(r.platformVersion !== undefined ? { platformVersion: r.platformVersion, platformFamily: 'Linux' } : {}),
      loadBalancers: r.loadBalancers ?? [],
      serviceRegistries: [],
      ...(r.awsvpcConfiguration ? { networkConfiguration: { awsvpcConfiguration: r.awsvpcConfiguration } } : {}),
      containerImages: containerImagesOf(ctx, r.taskDefinitionArn),
      guardDutyEnabled: false,
      createdAt: toEcsTimestamp(d.createdAt),
    });
  }
  return { serviceRevisions, failures };
}

function containerImagesOf(ctx: ApiContext, taskDefinitionArn: string): { containerName: string; image: string }[] {
  const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(taskDefinitionArn);
  const td = m ? ctx.store.taskDefinitions.get(m[1]!, Number(m[2])) : undefined;
  return (td?.taskDefinition.containerDefinitions ?? []).map((c) => ({ containerName: c.name, image: c.image }));
}

/**
 * DescribeTaskSets: Stevedore's services use the ECS (rolling update)
 * deployment controller, which has no task sets, so the answer is empty and
 * each task set asked for is MISSING. A missing or deleted service is
 * ServiceNotFoundException, as in ECS.
 */
export function describeTaskSets(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  p.requiredString('cluster', { max: 2048 });
  const ref = p.requiredString('service', { max: 2048 });
  const asked = p.stringList('taskSets') ?? [];
  p.stringList('include');
  const stored = requireService(ctx, cluster, ref);
  if (stored.service.status === 'INACTIVE') throw new NotFoundError('ServiceNotFoundException', 'Service not found.');
  return { taskSets: [], failures: asked.map((arn) => ({ arn, reason: 'MISSING' })) };
}
