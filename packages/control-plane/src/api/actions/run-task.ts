import { createHash } from 'node:crypto';
import {
  newTask as createTask,
  applyOverrides,
  arns,
  newTaskTags,
  checkFargateLaunch,
  checkProvisioningQuota,
  DEFAULT_RUN_TASK_STRATEGY,
  provisioningFailureReason,
  chooseCapacityProvider,
  ClientException,
  fargatePoolConstraints,
  readNetworkConfiguration,
  resolvePlatformVersion,
  combineConstraints,
  computePlacements,
  ConflictError,
  explainPlacement,
  idOf,
  InvalidParameterException,
  readPlacementConstraints,
  readPlacementStrategies,
  seededRandom,
  StevedoreError,
  taskReservation,
  unsupportedFeatures,
  validateOverrides,
  type Cluster,
  type PlacementConstraint,
  type PlacementStrategy,
  type TaskOverride,
  type TaskDefinition,
  type AwsVpcConfiguration,
  type CapacityProviderStrategyItem,
  type ContainerInstance,
  type LaunchType,
} from '@stevedore/core';
import type { ApiContext, RequestContext } from '../context';
import { Params } from '../params';
import { taskJson } from '../serialize';
import { findInstance, requireCluster, resolveTaskDefinition } from '../lookups';
import { validateTags } from './tags';
import { capacityProviderArn, strategyConstraints } from './capacity-providers';
import { growingProviders, providerOfInstance, providersByGroup } from '../../store/capacity-view';
import { refuseHostAccess } from '../host-access';
import { readLaunchType } from '../launch-type';
import { authorizeLaunch } from '../launch-authorization';
import type { StoredTask } from '../../store/tasks-repo';

/** The members RunTask and StartTask share, validated once. */
interface LaunchRequest {
  cluster: Cluster;
  td: TaskDefinition;
  overrides: TaskOverride;
  group: string;
  startedBy?: string;
  tags: ReturnType<typeof validateTags>;
  enableExecuteCommand?: boolean;
  /** The request's constraints plus the task definition's memberOf ones. */
  constraints: PlacementConstraint[];
  strategies: PlacementStrategy[];
  launchType: LaunchType;
  /** FARGATE/FARGATE_SPOT items when launched through a capacity provider strategy. */
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  /** Host-group providers' strategy: each task goes to one provider's hosts, or waits in PROVISIONING for one. */
  hostGroupStrategy: CapacityProviderStrategyItem[];
  /** The constraints without the host-group one (what a PROVISIONING task keeps). */
  ownConstraints: PlacementConstraint[];
  platformVersion?: string;
  awsvpcConfiguration?: AwsVpcConfiguration;
}

const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

function readLaunch(ctx: RequestContext, p: Params, withStrategy: boolean): LaunchRequest {
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('taskDefinition', { max: 2048 });
  const group = p.string('group', { max: 255 });
  const startedBy = p.string('startedBy', { pattern: STARTED_BY, patternText: 'must be up to 128 letters, numbers, hyphens, underscores and forward slashes' });
  const tags = validateTags(p.list('tags'));
  // StartTask names its instances itself: no strategy, no cluster default.
  if (!withStrategy && p.has('capacityProviderStrategy')) throw new InvalidParameterException('capacityProviderStrategy is not a StartTask parameter.', 'capacityProviderStrategy');
  const launch = readLaunchType(ctx, p, cluster.name, withStrategy);
  const { launchType } = launch;
  // Host-group providers: the task runs on their hosts (a memberOf constraint on the group attribute).
  const hostGroupConstraints = launchType === 'FARGATE' ? [] : strategyConstraints(ctx, launch.capacityProviderStrategy);
  const capacityProviderStrategy = launchType === 'FARGATE' ? launch.capacityProviderStrategy : [];
  const platformVersion = resolvePlatformVersion(p.string('platformVersion', { max: 255 }), launchType);
  const requestConstraints = readPlacementConstraints(p.body['placementConstraints']);
  const strategies = readPlacementStrategies(p.body['placementStrategy']);
  const propagate = p.string('propagateTags', { enum: ['TASK_DEFINITION', 'SERVICE', 'NONE'] });
  if (propagate === 'SERVICE') throw new InvalidParameterException('propagateTags SERVICE is only valid for tasks started by a service.', 'propagateTags');
  const enableECSManagedTags = p.boolean('enableECSManagedTags') ?? false;
  const enableExecuteCommand = p.boolean('enableExecuteCommand') ?? false;
  p.string('referenceId', { max: 64 });

  const stored = resolveTaskDefinition(ctx, ref);
  if (!stored) throw new ClientException('TaskDefinition not found.', 'taskDefinition');
  const td = stored.taskDefinition;
  if (td.status !== 'ACTIVE') throw new ClientException(`TaskDefinition is inactive: ${td.family}:${td.revision}`, 'taskDefinition');
  const overrides = p.has('overrides') ? validateOverrides(p.body['overrides'], td) : {};
  if (launchType === 'FARGATE') checkFargateLaunch({ td, overrides, placementConstraints: p.body['placementConstraints'], placementStrategy: p.body['placementStrategy'] });
  const awsvpcConfiguration = readNetworkConfiguration(p.body['networkConfiguration'], td.networkMode ?? 'bridge');
  authorizeLaunch(ctx, td, overrides);
  const unsupported = unsupportedFeatures({ ...td, containerDefinitions: applyOverrides(td, overrides) });
  refuseHostAccess(cluster, { ...td, containerDefinitions: applyOverrides(td, overrides) }, launchType);
  if (unsupported.length > 0) {
    throw new StevedoreError('UnsupportedFeatureException', `This task definition needs features Stevedore does not support yet: ${unsupported.join('; ')}`, { field: 'taskDefinition' });
  }
  const ownConstraints = launchType === 'FARGATE' ? [] : combineConstraints(requestConstraints, td.placementConstraints);
  return {
    cluster,
    td,
    overrides,
    hostGroupStrategy: launchType === 'FARGATE' || hostGroupConstraints.length === 0 ? [] : launch.capacityProviderStrategy,
    ownConstraints,
    // FARGATE: the user places nothing; the cluster's pool setting chooses the hosts.
    constraints: launchType === 'FARGATE' ? fargatePoolConstraints(cluster.settings) : [...ownConstraints, ...hostGroupConstraints],
    strategies,
    launchType,
    capacityProviderStrategy,
    ...(platformVersion !== undefined ? { platformVersion } : {}),
    ...(awsvpcConfiguration !== undefined ? { awsvpcConfiguration } : {}),
    group: group ?? `family:${td.family}`,
    ...(startedBy !== undefined ? { startedBy } : {}),
    tags: newTaskTags({
      clusterName: cluster.name,
      propagateTags: (propagate ?? 'NONE') as 'TASK_DEFINITION' | 'NONE',
      enableECSManagedTags,
      taskDefinitionTags: propagate === 'TASK_DEFINITION' ? (stored.tags ?? []) : [],
      requestTags: tags,
    }),
    ...(enableExecuteCommand ? { enableExecuteCommand } : {}),
  };
}

function newTask(ctx: ApiContext, req: LaunchRequest, instanceId: string | undefined, clientToken?: string, capacityProviderName?: string): StoredTask {
  const t: StoredTask = {
    ...createTask({
      clusterName: req.cluster.name,
      td: req.td,
      overrides: req.overrides,
      ...(instanceId !== undefined ? { containerInstanceId: instanceId } : {}),
      ...(req.hostGroupStrategy.length > 0
        ? { provisioning: { capacityProviderStrategy: req.hostGroupStrategy, placementConstraints: req.ownConstraints, placementStrategy: req.strategies.length > 0 ? req.strategies : DEFAULT_RUN_TASK_STRATEGY } }
        : {}),
      group: req.group,
      ...(req.startedBy !== undefined ? { startedBy: req.startedBy } : {}),
      tags: req.tags,
      ...(req.enableExecuteCommand ? { enableExecuteCommand: true } : {}),
      now: ctx.clock.now(),
      launchType: req.launchType,
      ...(capacityProviderName !== undefined ? { capacityProviderName } : {}),
      ...(req.platformVersion !== undefined ? { platformVersion: req.platformVersion } : {}),
      ...(req.awsvpcConfiguration !== undefined ? { awsvpcConfiguration: req.awsvpcConfiguration } : {}),
    }),
    seq: ctx.store.tasks.nextSeq(),
  };
  if (clientToken !== undefined) t.clientToken = clientToken;
  return t;
}

function requestHash(body: Record<string, unknown>): string {
  const { clientToken: _t, ...rest } = body;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function runTask(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const count = p.integer('count', { min: 1, max: 10 }) ?? 1;
  const clientToken = p.string('clientToken', { pattern: CLIENT_TOKEN, patternText: 'must be 1-64 printable ASCII characters' });
  const req = readLaunch(ctx, p, true);
  return ctx.store.tx(() => {
    if (clientToken !== undefined) {
      const prior = ctx.store.clientTokens.get(`RunTask/${req.cluster.name}`, clientToken);
      if (prior) {
        if (prior.requestHash !== requestHash(p.body)) {
          const ids = (prior.result as { tasks: { taskArn: string }[] }).tasks.map((t) => t.taskArn);
          throw new ConflictError('The clientToken was already used with different parameters.', { resourceIds: ids });
        }
        return refreshResult(ctx, prior.result as RunTaskResult);
      }
    }
    const reservation = taskReservation(req.td, req.overrides);
    const seed = Math.floor(ctx.random() * 2 ** 32);
    if (req.hostGroupStrategy.length > 0) {
      const out = runOnProviders(ctx, req, ctx.store.clusterState.instances(req.cluster.name), count, seed, clientToken);
      if (clientToken !== undefined) ctx.store.clientTokens.put(`RunTask/${req.cluster.name}`, clientToken, requestHash(p.body), out, ctx.clock.now());
      return out;
    }
    // The cluster's placement input is kept in memory (store/cluster-state.ts): the orchestrator's views,
    // which stand until an instance changes, so a RunTask builds nothing per instance before placement.
    const candidates = ctx.store.clusterState.views(req.cluster.name);
    if (candidates.length === 0) throw new InvalidParameterException('No Container Instances were found in your cluster.');
    const result = computePlacements(candidates, reservation, count, seededRandom(seed), {
      group: req.group,
      constraints: req.constraints,
      strategies: req.strategies,
    });
    const providers = new Map<string, number>();
    const tasks = result.placements.map((instanceId) => {
      const provider = req.capacityProviderStrategy.length > 0 ? chooseCapacityProvider(req.capacityProviderStrategy, providers) : undefined;
      if (provider !== undefined) providers.set(provider, (providers.get(provider) ?? 0) + 1);
      const t = newTask(ctx, req, instanceId, clientToken, provider);
      ctx.store.tasks.insert(t);
      return t;
    });
    const detail = result.unplaced > 0 ? explainPlacement(result.metrics) : undefined;
    const failures = result.failures.map((f) => ({ arn: arns.containerInstance(ctx.arn, req.cluster.name, f.instanceId), reason: f.reason, ...(detail ? { detail } : {}) }));
    ctx.log.info(
      { cluster: req.cluster.name, family: req.td.family, revision: req.td.revision, placed: tasks.length, unplaced: result.unplaced, seed, filtered: result.metrics.filtered },
      'run task',
    );
    const out: RunTaskResult = { tasks: tasks.map((t) => taskJson(ctx.arn, t, ctx.store.clusterState.instance(req.cluster.name, t.containerInstanceId!))), failures };
    if (clientToken !== undefined) ctx.store.clientTokens.put(`RunTask/${req.cluster.name}`, clientToken, requestHash(p.body), out, ctx.clock.now());
    return out;
  });
}

/**
 * RunTask through host-group capacity providers: base and weight give each
 * task its provider (recorded as its capacityProviderName), and each is
 * placed on that provider's hosts. What does not fit waits in PROVISIONING
 * while the provider can add a host (ECS; within the cluster's quota), and
 * is a placement failure in failures[] once it cannot.
 */
function runOnProviders(ctx: ApiContext, req: LaunchRequest, instances: ContainerInstance[], count: number, seed: number, clientToken: string | undefined): RunTaskResult {
  const byGroup = providersByGroup(ctx.store);
  const growing = growingProviders(ctx.store);
  const shares = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const provider = chooseCapacityProvider(req.hostGroupStrategy, shares);
    shares.set(provider, (shares.get(provider) ?? 0) + 1);
  }
  const random = seededRandom(seed);
  const reservation = taskReservation(req.td, req.overrides);
  const placed: { provider: string; instanceId: string | undefined }[] = [];
  const failures: RunTaskResult['failures'] = [];
  for (const [provider, n] of shares) {
    if (n === 0) continue;
    const mine = instances.filter((i) => providerOfInstance(byGroup, i) === provider);
    const r = computePlacements(ctx.store.clusterState.candidates(req.cluster.name, mine), reservation, n, random, { group: req.group, constraints: req.ownConstraints, strategies: req.strategies });
    for (const instanceId of r.placements) placed.push({ provider, instanceId });
    if (r.unplaced === 0) continue;
    if (growing.has(provider)) {
      for (let k = 0; k < r.unplaced; k++) placed.push({ provider, instanceId: undefined });
      continue;
    }
    const detail = provisioningFailureReason(provider, explainPlacement(r.metrics));
    if (r.failures.length === 0) failures.push({ arn: capacityProviderArn(ctx, provider), reason: 'RESOURCE', detail });
    for (const f of r.failures) failures.push({ arn: arns.containerInstance(ctx.arn, req.cluster.name, f.instanceId), reason: f.reason, detail });
  }
  checkProvisioningQuota(req.cluster.name, ctx.store.tasks.countProvisioning(req.cluster.name), placed.filter((x) => x.instanceId === undefined).length);
  const byId = new Map(instances.map((i) => [i.id, i]));
  const tasks = placed.map((x) => {
    const t = newTask(ctx, req, x.instanceId, clientToken, x.provider);
    ctx.store.tasks.insert(t);
    return t;
  });
  ctx.log.info(
    { cluster: req.cluster.name, family: req.td.family, revision: req.td.revision, placed: tasks.filter((t) => t.containerInstanceId).length, provisioning: tasks.filter((t) => !t.containerInstanceId).length, failed: failures.length, seed },
    'run task on capacity providers',
  );
  return { tasks: tasks.map((t) => taskJson(ctx.arn, t, t.containerInstanceId ? byId.get(t.containerInstanceId) : undefined)), failures };
}

interface RunTaskResult {
  tasks: { taskArn: string }[];
  failures: unknown[];
}

/** A retried request gets the tasks as they are now, like a fresh Describe. */
function refreshResult(ctx: ApiContext, prior: RunTaskResult): RunTaskResult {
  const tasks = prior.tasks.map((t) => {
    const current = ctx.store.tasks.get(idOf(t.taskArn));
    if (!current) return t;
    return taskJson(ctx.arn, current, current.containerInstanceId ? ctx.store.instances.get(current.containerInstanceId) : undefined);
  });
  return { tasks, failures: prior.failures };
}

export function startTask(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('containerInstances', { required: true, min: 1, max: 10 })!;
  // StartTask names its instances: ECS has no launch type for it, so a FARGATE launch is RunTask's.
  if (p.string('launchType') === 'FARGATE') throw new InvalidParameterException('StartTask places tasks on the container instances you name; launch FARGATE tasks with RunTask.', 'launchType');
  const req = readLaunch(ctx, p, false);
  return ctx.store.tx(() => {
    const tasks: unknown[] = [];
    const failures: unknown[] = [];
    const reservation = taskReservation(req.td, req.overrides);
    for (const ref of refs) {
      const i = findInstance(ctx, req.cluster, ref);
      const arn = i ? arns.containerInstance(ctx.arn, req.cluster.name, i.id) : ref;
      if (!i) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      // StartTask is the caller's own placement: only the binding rules apply, no strategy.
      const result = computePlacements(ctx.store.clusterState.candidates(req.cluster.name, [i]), reservation, 1, () => 0, { group: req.group, constraints: req.constraints });
      if (result.placements.length === 0) {
        failures.push({ arn, reason: result.failures[0]?.reason ?? 'ATTRIBUTE' });
        continue;
      }
      const t = newTask(ctx, req, i.id);
      ctx.store.tasks.insert(t);
      tasks.push(taskJson(ctx.arn, t, i));
    }
    ctx.log.info({ cluster: req.cluster.name, family: req.td.family, started: tasks.length, failures: failures.length }, 'start task');
    return { tasks, failures };
  });
}
