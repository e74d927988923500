import {
  arns,
  checkFargateLaunch,
  InvalidParameterException,
  isFargateCapacityProvider,
  readNetworkConfiguration,
  resolvePlatformVersion,
  newDeploymentId,
  NotFoundError,
  StevedoreError,
  type Deployment,
  type SchedulingStrategy,
  type Service,
  type TaskDefinition,
  withPrimaryDeployment,
} from '@stevedore/core';
import type { ApiContext, RequestContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { NAME_PATTERN, NAME_PATTERN_TEXT, Params } from '../params';
import { requireCluster } from '../lookups';
import { requestHash } from '../request-hash';
import { serviceJson } from '../service-json';
import { validateTags } from './tags';
import { refuseHostAccess } from '../host-access';
import { readLaunchType } from '../launch-type';
import { authorizeLaunch, authorizeServiceUpdate } from '../launch-authorization';
import { checkAgainst, readServiceLoadBalancers } from './service-load-balancers';
import {
  findService,
  readDeploymentConfiguration,
  readDesiredCount,
  readPlacement,
  refuseUnsupported,
  requireActiveTaskDefinition,
  requireService,
} from './service-input';
import { resolveStrategy } from './capacity-providers';

const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;
const PROPAGATE = ['TASK_DEFINITION', 'SERVICE', 'NONE'] as const;

function newDeployment(ctx: RequestContext, taskDefinitionArn: string): Deployment {
  return { id: newDeploymentId(ctx.random), status: 'PRIMARY', taskDefinitionArn, createdAt: ctx.clock.now(), createdBy: ctx.caller.arn };
}

/**
 * CreateService. Everything is validated before anything is written, and the
 * write is one transaction: a bad request creates nothing. An identical retry
 * (same clientToken, or same name and parameters) returns the service.
 */
export function createService(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const name = p.requiredString('serviceName', { pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT });
  p.string('clientToken', { pattern: CLIENT_TOKEN, patternText: 'must be 1-36 printable ASCII characters' });
  const strategy = (p.string('schedulingStrategy', { enum: ['REPLICA', 'DAEMON'] }) ?? 'REPLICA') as SchedulingStrategy;
  refuseUnsupported(p);
  // The cluster's default strategy is for replica services: daemon tasks follow the hosts.
  const { launchType, capacityProviderStrategy } = readLaunchType(ctx, p, cluster.name, strategy === 'REPLICA');
  const platformVersion = resolvePlatformVersion(p.string('platformVersion', { max: 255 }), launchType);
  const td = requireActiveTaskDefinition(ctx, p.requiredString('taskDefinition', { max: 2048 }));
  if (launchType === 'FARGATE') {
    if (strategy === 'DAEMON') throw new InvalidParameterException('The DAEMON scheduling strategy is not supported with the FARGATE launch type; use REPLICA.', 'schedulingStrategy');
    checkFargateLaunch({ td, overrides: {}, placementConstraints: p.body['placementConstraints'], placementStrategy: p.body['placementStrategy'] });
  }
  const awsvpcConfiguration = readNetworkConfiguration(p.body['networkConfiguration'], td.networkMode ?? 'bridge');
  refuseHostAccess(cluster, td, launchType);
  authorizeLaunch(ctx, td);
  let desiredCount = readDesiredCount(p);
  if (strategy === 'REPLICA' && desiredCount === undefined) throw new InvalidParameterException('desiredCount is required for the REPLICA scheduling strategy.', 'desiredCount');
  if (strategy === 'DAEMON') desiredCount = 0;
  const deploymentConfiguration = readDeploymentConfiguration(p, strategy);
  const placement = readPlacement(p, strategy, td);
  const loadBalancers = readServiceLoadBalancers(ctx, p, td);
  const tags = validateTags(p.list('tags'));
  const propagateTags = (p.string('propagateTags', { enum: PROPAGATE }) ?? 'NONE') as Service['propagateTags'];
  const grace = p.integer('healthCheckGracePeriodSeconds', { min: 0, max: 2_147_483_647 });
  const hash = requestHash(p.body);
  if (capacityProviderStrategy.length && strategy === 'DAEMON') {
    throw new InvalidParameterException('A capacity provider strategy is not supported for services with the DAEMON scheduling strategy: daemon tasks run on every instance.', 'capacityProviderStrategy');
  }

  return ctx.store.tx(() => {
    const existing = ctx.store.services.get(cluster.name, name);
    if (existing && existing.service.status !== 'INACTIVE') {
      if (existing.service.status === 'DRAINING') throw new InvalidParameterException('Unable to Start a service that is still Draining.', 'serviceName');
      if (existing.service.requestHash === hash) return { service: serviceJson(ctx.arn, ctx.store, existing) };
      throw new InvalidParameterException('Creation of service was not idempotent.', 'serviceName');
    }
    const now = ctx.clock.now();
    const service: Service = {
      name,
      clusterName: cluster.name,
      status: 'ACTIVE',
      taskDefinitionArn: td.taskDefinitionArn,
      desiredCount: desiredCount!,
      schedulingStrategy: strategy,
      launchType,
      ...(capacityProviderStrategy.length > 0 ? { capacityProviderStrategy } : {}),
      ...(platformVersion !== undefined ? { platformVersion } : {}),
      ...(awsvpcConfiguration !== undefined ? { awsvpcConfiguration } : {}),
      deploymentConfiguration,
      placementConstraints: placement.constraints ?? [],
      placementStrategy: placement.strategies ?? [],
      deployments: [newDeployment(ctx, td.taskDefinitionArn)],
      propagateTags,
      enableECSManagedTags: p.boolean('enableECSManagedTags') ?? false,
      ...(p.boolean('enableExecuteCommand') ? { enableExecuteCommand: true } : {}),
      tags,
      createdAt: now,
      createdBy: ctx.caller.arn,
      updatedAt: now,
      version: 1,
      requestHash: hash,
    };
    if (grace !== undefined) service.healthCheckGracePeriodSeconds = grace;
    if (loadBalancers?.length) service.loadBalancers = loadBalancers;
    if (capacityProviderStrategy?.length) service.capacityProviderStrategy = capacityProviderStrategy;
    ctx.store.services.create(service);
    ctx.log.info({ cluster: cluster.name, service: name, taskDefinition: td.taskDefinitionArn, desiredCount, schedulingStrategy: strategy }, 'service created');
    return { service: serviceJson(ctx.arn, ctx.store, { service, runtime: { events: [], rollouts: {} } }) };
  });
}

/**
 * UpdateService. desiredCount, placement and deploymentConfiguration apply
 * in place; a new taskDefinition or forceNewDeployment starts a new PRIMARY
 * deployment whose tasks replace the old ones within the deployment bounds.
 * Any update resets the launch throttle.
 */
export function updateService(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('service', { max: 2048 });
  refuseUnsupported(p);
  const force = p.boolean('forceNewDeployment') ?? false;
  const desiredCount = readDesiredCount(p);
  const tdRef = p.string('taskDefinition', { max: 2048 });
  const propagateTags = p.string('propagateTags', { enum: PROPAGATE }) as Service['propagateTags'] | undefined;
  const grace = p.integer('healthCheckGracePeriodSeconds', { min: 0, max: 2_147_483_647 });
  const ecsTags = p.boolean('enableECSManagedTags');
  // ECS: applies to the tasks the service starts from now on; forceNewDeployment replaces the running ones.
  const enableExecuteCommand = p.boolean('enableExecuteCommand');
  const capacityProviderStrategy = resolveStrategy(ctx, p, cluster.name, false);

  return ctx.store.tx(() => {
    const stored = requireService(ctx, cluster, ref);
    const current = stored.service;
    if (capacityProviderStrategy?.length && current.schedulingStrategy === 'DAEMON') {
      throw new InvalidParameterException('A capacity provider strategy is not supported for services with the DAEMON scheduling strategy: daemon tasks run on every instance.', 'capacityProviderStrategy');
    }
    if (current.status !== 'ACTIVE') throw new StevedoreError('ServiceNotActiveException', 'Service was not ACTIVE.');
    const strategy = current.schedulingStrategy;
    if (strategy === 'DAEMON' && desiredCount !== undefined) {
      throw new InvalidParameterException('desiredCount cannot be set for a service with the DAEMON scheduling strategy.', 'desiredCount');
    }
    const td = requireActiveTaskDefinitionOrCurrent(ctx, tdRef, current);
    const fargate = readFargateUpdate(p, current, td);
    const placement = readPlacement(p, strategy, td);
    const loadBalancers = readServiceLoadBalancers(ctx, p, td);
    if (loadBalancers === undefined) for (const lb of current.loadBalancers ?? []) checkAgainst(ctx, lb, td);
    // ECS: new load balancers, like a new revision, roll out as a new deployment.
    const lbChanged = loadBalancers !== undefined && JSON.stringify(loadBalancers) !== JSON.stringify(current.loadBalancers ?? []);
    // Checked whenever the update starts tasks; scaling down what the cluster once allowed must stay possible.
    if (tdRef !== undefined || force || lbChanged || (desiredCount ?? 0) > current.desiredCount) refuseHostAccess(cluster, td, current.launchType);
    const now = ctx.clock.now();
    const next: Service = {
      ...current,
      desiredCount: desiredCount ?? current.desiredCount,
      taskDefinitionArn: td.taskDefinitionArn,
      deploymentConfiguration: readDeploymentConfiguration(p, strategy, current.deploymentConfiguration),
      placementConstraints: placement.constraints ?? current.placementConstraints,
      placementStrategy: placement.strategies ?? current.placementStrategy,
      propagateTags: propagateTags ?? current.propagateTags,
      enableECSManagedTags: ecsTags ?? current.enableECSManagedTags,
      ...fargate,
      updatedAt: now,
      updatedBy: ctx.caller.arn,
      version: current.version + 1,
    };
    if (grace !== undefined) next.healthCheckGracePeriodSeconds = grace;
    if (enableExecuteCommand === true) next.enableExecuteCommand = true;
    else if (enableExecuteCommand === false) delete next.enableExecuteCommand;
    if (loadBalancers?.length) next.loadBalancers = loadBalancers;
    else if (loadBalancers !== undefined) delete next.loadBalancers;
    // A new strategy moves the tasks onto the providers it names: a new deployment (launchType: back to any instance).
    const nextStrategy = capacityProviderStrategy ?? (p.has('launchType') ? [] : current.capacityProviderStrategy ?? []);
    const strategyChanged = JSON.stringify(nextStrategy) !== JSON.stringify(current.capacityProviderStrategy ?? []);
    // A service keeps its launch type: FARGATE services move only between FARGATE and FARGATE_SPOT.
    const fargateNext = nextStrategy.length > 0 ? nextStrategy.every((x) => isFargateCapacityProvider(x.capacityProvider)) : current.launchType === 'FARGATE' && !p.has('launchType');
    if (strategyChanged && fargateNext !== (current.launchType === 'FARGATE')) {
      throw new InvalidParameterException('A service keeps its launch type: a FARGATE service moves only between FARGATE and FARGATE_SPOT, other services cannot move to them; create a new service instead.', 'capacityProviderStrategy');
    }
    if (nextStrategy.length > 0) next.capacityProviderStrategy = nextStrategy;
    else delete next.capacityProviderStrategy;
    if (force || td.taskDefinitionArn !== current.taskDefinitionArn || lbChanged || strategyChanged) {
      next.deployments = withPrimaryDeployment(current.deployments, newDeployment(ctx, td.taskDefinitionArn));
    }
    authorizeServiceUpdate(ctx, td, current, next);
    ctx.store.services.putSpec(next);
    ctx.log.info({ cluster: cluster.name, service: next.name, desiredCount: next.desiredCount, newDeployment: next.deployments[0]!.id !== current.deployments[0]?.id }, 'service updated');
    return { service: serviceJson(ctx.arn, ctx.store, { ...stored, service: next }) };
  });
}

/**
 * UpdateService's launch members: networkConfiguration and platformVersion
 * as given (or kept), FARGATE rules re-checked on the (new) revision. A
 * service keeps its launch type; a capacity provider strategy may only move
 * between FARGATE and FARGATE_SPOT.
 */
function readFargateUpdate(p: Params, current: Service, td: TaskDefinition): Partial<Service> {
  const out: Partial<Service> = {};
  if (p.has('platformVersion')) {
    const v = resolvePlatformVersion(p.string('platformVersion', { max: 255 }), current.launchType);
    if (v !== undefined) out.platformVersion = v;
  }
  if (current.launchType === 'FARGATE') checkFargateLaunch({ td, overrides: {}, placementConstraints: p.body['placementConstraints'], placementStrategy: p.body['placementStrategy'] });
  if (p.has('networkConfiguration') || (td.networkMode ?? 'bridge') === 'awsvpc') {
    const given = p.has('networkConfiguration') ? p.body['networkConfiguration'] : current.awsvpcConfiguration ? { awsvpcConfiguration: current.awsvpcConfiguration } : undefined;
    const cfg = readNetworkConfiguration(given, td.networkMode ?? 'bridge');
    if (cfg !== undefined) out.awsvpcConfiguration = cfg;
  }
  return out;
}

function requireActiveTaskDefinitionOrCurrent(ctx: ApiContext, ref: string | undefined, current: Service) {
  if (ref !== undefined) return requireActiveTaskDefinition(ctx, ref);
  const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(current.taskDefinitionArn);
  const stored = m ? ctx.store.taskDefinitions.get(m[1]!, Number(m[2])) : undefined;
  if (!stored) throw new InvalidParameterException('TaskDefinition not found.', 'taskDefinition');
  return stored.taskDefinition;
}

/**
 * DeleteService: DRAINING at once; the orchestrator stops the tasks and marks
 * the service INACTIVE once none runs. Scaled above 0 needs `force`.
 */
export function deleteService(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('service', { max: 2048 });
  const force = p.boolean('force') ?? false;
  return ctx.store.tx(() => {
    const stored = requireService(ctx, cluster, ref);
    const s = stored.service;
    if (s.status === 'INACTIVE') throw new NotFoundError('ServiceNotFoundException', 'Service not found.');
    if (s.status === 'DRAINING') return { service: serviceJson(ctx.arn, ctx.store, stored) };
    if (s.schedulingStrategy === 'REPLICA' && s.desiredCount > 0 && !force) {
      throw new InvalidParameterException('The service cannot be stopped while it is scaled above 0.', 'force');
    }
    const next: Service = { ...s, status: 'DRAINING', desiredCount: 0, updatedAt: ctx.clock.now(), version: s.version + 1 };
    ctx.store.services.putSpec(next);
    ctx.log.info({ cluster: cluster.name, service: s.name, force }, 'service deleted (DRAINING)');
    return { service: serviceJson(ctx.arn, ctx.store, { ...stored, service: next }) };
  });
}

export function describeServices(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('services', { required: true, min: 1, max: 10 })!;
  const include = p.stringList('include') ?? [];
  include.forEach((v, i) => {
    if (v !== 'TAGS') throw new InvalidParameterException(`include[${i}] must be TAGS.`, `include[${i}]`);
  });
  const services: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const s = findService(ctx, cluster, ref);
    if (s) services.push(serviceJson(ctx.arn, ctx.store, s, include));
    else failures.push({ arn: ref.startsWith('arn:') ? ref : arns.service(ctx.arn, cluster.name, ref), reason: 'MISSING' });
  }
  return { services, failures };
}

export function listServices(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const limit = p.maxResults(10);
  const strategy = p.string('schedulingStrategy', { enum: ['REPLICA', 'DAEMON'] });
  const launchType = p.string('launchType', { enum: ['EC2', 'FARGATE', 'EXTERNAL'] });
  p.string('resourceManagementType', { enum: ['CUSTOMER', 'ECS'] });
  const after = decodeToken(p.string('nextToken'), isString);
  // Filtering after the query keeps the repository simple; pages may come back short, as ECS allows.
  const rows = ctx.store.services.listByCluster(cluster.name, { status: 'ACTIVE', ...(after !== undefined ? { after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (s) => s.service.name);
  // A service on a capacity provider strategy has no launchType in ECS: no launchType filter matches it.
  const launchTypeOf = (x: Service) => (x.capacityProviderStrategy?.length ? undefined : x.launchType);
  const arnsOut = items.filter((s) => (strategy === undefined || s.service.schedulingStrategy === strategy) && (launchType === undefined || launchTypeOf(s.service) === launchType)).map((s) => arns.service(ctx.arn, cluster.name, s.service.name));
  return { serviceArns: arnsOut, ...(nextToken ? { nextToken } : {}) };
}
