import { randomUUID } from 'node:crypto';
import {
  isFargateCapacityProvider,
  DEFAULT_MANAGED_SCALING,
  hostGroupConstraint,
  hostGroupNameOfArn,
  InvalidParameterException,
  StevedoreError,
  validateStrategy,
  type CapacityProvider,
  type CapacityProviderStrategyItem,
  type ManagedScaling,
  type PlacementConstraint,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { requireCluster } from '../lookups';
import { clusterJson } from '../serialize';
import { counts } from './clusters';

const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

export function capacityProviderArn(ctx: ApiContext, name: string): string {
  return `arn:aws:ecs:${ctx.arn.region}:${ctx.arn.account}:capacity-provider/${name}`;
}

/** A provider name from a name or capacity-provider ARN. */
function providerName(ref: string): string {
  const m = /^arn:aws:ecs:[^:]*:[^:]*:capacity-provider\/(.+)$/.exec(ref);
  return m ? m[1]! : ref;
}

export function capacityProviderJson(ctx: ApiContext, p: CapacityProvider, withTags: boolean) {
  return {
    capacityProviderArn: capacityProviderArn(ctx, p.name),
    name: p.name,
    status: p.status,
    autoScalingGroupProvider: {
      autoScalingGroupArn: p.autoScalingGroupArn,
      managedScaling: p.managedScaling,
      managedTerminationProtection: p.managedTerminationProtection,
    },
    ...(p.updateStatus ? { updateStatus: p.updateStatus } : {}),
    ...(p.updateStatusReason ? { updateStatusReason: p.updateStatusReason } : {}),
    ...(withTags ? { tags: p.tags } : {}),
  };
}

function readManagedScaling(raw: unknown, base: ManagedScaling, field: string): ManagedScaling {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidParameterException(`${field} must be an object.`, field);
  const q = new Params(raw as Record<string, unknown>);
  const at = (m: string) => `${field}.${m}`;
  const num = (m: string, min: number, max: number): number | undefined => {
    const v = q.body[m];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParameterException(`${at(m)} must be an integer between ${min} and ${max}.`, at(m));
    return v;
  };
  const status = q.body['status'];
  if (status !== undefined && status !== 'ENABLED' && status !== 'DISABLED') throw new InvalidParameterException(`${at('status')} must be one of: ENABLED, DISABLED.`, at('status'));
  const s: ManagedScaling = {
    status: (status as ManagedScaling['status'] | undefined) ?? (raw && Object.keys(raw).length > 0 ? 'ENABLED' : base.status),
    targetCapacity: num('targetCapacity', 1, 100) ?? base.targetCapacity,
    minimumScalingStepSize: num('minimumScalingStepSize', 1, 10_000) ?? base.minimumScalingStepSize,
    maximumScalingStepSize: num('maximumScalingStepSize', 1, 10_000) ?? base.maximumScalingStepSize,
    instanceWarmupPeriod: num('instanceWarmupPeriod', 0, 10_000) ?? base.instanceWarmupPeriod,
  };
  if (s.minimumScalingStepSize > s.maximumScalingStepSize) throw new InvalidParameterException(`${at('minimumScalingStepSize')} must be less than or equal to maximumScalingStepSize.`, at('minimumScalingStepSize'));
  return s;
}

function readProtection(v: unknown, field: string): 'ENABLED' | 'DISABLED' | undefined {
  if (v === undefined || v === null) return undefined;
  if (v !== 'ENABLED' && v !== 'DISABLED') throw new InvalidParameterException(`${field} must be one of: ENABLED, DISABLED.`, field);
  return v;
}

function readTags(p: Params): { key: string; value: string }[] {
  const list = p.list('tags', { max: 50 }) ?? [];
  return list.map((t) => {
    const q = Params.of(t);
    return { key: q.requiredString('key', { max: 128 }), value: q.string('value', { max: 256 }) ?? '' };
  });
}

/** ECS CreateCapacityProvider with an autoScalingGroupArn that names a host group. */
export function createCapacityProvider(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('name', { pattern: PROVIDER_NAME, patternText: 'must be up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens' });
  if (/^(aws|ecs|fargate)/i.test(name)) throw new InvalidParameterException("The capacity provider name can't be prefixed with \"aws\", \"ecs\", or \"fargate\".", 'name');
  const asg = p.object('autoScalingGroupProvider');
  if (!asg) throw new InvalidParameterException('autoScalingGroupProvider is required.', 'autoScalingGroupProvider');
  const q = new Params(asg);
  const groupArn = q.requiredString('autoScalingGroupArn', { max: 1600 });
  const groupName = hostGroupNameOfArn(groupArn);
  if (!groupName) throw new InvalidParameterException('autoScalingGroupProvider.autoScalingGroupArn must be the ARN of a host group (arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME).', 'autoScalingGroupProvider.autoScalingGroupArn');
  const managedScaling = readManagedScaling(q.body['managedScaling'], DEFAULT_MANAGED_SCALING, 'autoScalingGroupProvider.managedScaling');
  const managedTerminationProtection = readProtection(q.body['managedTerminationProtection'], 'autoScalingGroupProvider.managedTerminationProtection') ?? 'DISABLED';
  if (managedTerminationProtection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
    throw new InvalidParameterException('The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must also be enabled.', 'autoScalingGroupProvider.managedTerminationProtection');
  }
  const tags = readTags(p);
  return ctx.store.tx(() => {
    const existing = ctx.store.capacityProviders.get(name);
    if (existing && existing.status === 'ACTIVE') throw new StevedoreError('ClientException', `The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.`, { field: 'name' });
    const group = ctx.store.hostGroups.get(groupName);
    if (!group || group.status !== 'ACTIVE') throw new InvalidParameterException(`The specified Auto Scaling group ARN is not valid: host group ${groupName} not found.`, 'autoScalingGroupProvider.autoScalingGroupArn');
    const used = ctx.store.capacityProviders.list().find((x) => x.status === 'ACTIVE' && hostGroupNameOfArn(x.autoScalingGroupArn) === groupName);
    if (used) throw new StevedoreError('ClientException', `The specified Auto Scaling group is already in use by capacity provider ${used.name}.`, { field: 'autoScalingGroupProvider.autoScalingGroupArn' });
    const cp: CapacityProvider = { name, uuid: randomUUID(), status: 'ACTIVE', kind: 'HOST_GROUP', autoScalingGroupArn: groupArn, managedScaling, managedTerminationProtection, tags, createdAt: ctx.clock.now() };
    ctx.store.capacityProviders.put(cp);
    ctx.log.info({ capacityProvider: name, hostGroup: groupName, managedScaling: managedScaling.status, targetCapacity: managedScaling.targetCapacity }, 'capacity provider created');
    return { capacityProvider: capacityProviderJson(ctx, cp, true) };
  });
}

export function describeCapacityProviders(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('capacityProviders', { max: 100 });
  const include = p.stringList('include') ?? [];
  const limit = p.integer('maxResults', { min: 1, max: 10 }) ?? 10;
  const after = p.string('nextToken', { max: 512 });
  const all = ctx.store.capacityProviders.list().filter((x) => x.status === 'ACTIVE');
  const failures: { arn: string; reason: string }[] = [];
  let found: CapacityProvider[];
  // The AWS-managed FARGATE and FARGATE_SPOT providers every cluster has are described by name only, as in ECS.
  const managed: Record<string, unknown>[] = [];
  if (refs) {
    found = [];
    for (const r of refs) {
      const name = providerName(r);
      const cp = all.find((x) => x.name === name);
      if (cp) found.push(cp);
      else if (isFargateCapacityProvider(name)) managed.push({ capacityProviderArn: capacityProviderArn(ctx, name), name, status: 'ACTIVE', tags: [] });
      else failures.push({ arn: r.startsWith('arn:') ? r : capacityProviderArn(ctx, r), reason: 'MISSING' });
    }
  } else found = all;
  const startAt = after ? found.findIndex((x) => x.name > after) : 0;
  const page = startAt < 0 ? [] : found.slice(startAt, startAt + limit);
  const more = startAt >= 0 && startAt + limit < found.length;
  return {
    capacityProviders: [...managed, ...page.map((cp) => capacityProviderJson(ctx, cp, include.includes('TAGS')))],
    failures,
    ...(more ? { nextToken: page[page.length - 1]!.name } : {}),
  };
}

export function updateCapacityProvider(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = providerName(p.requiredString('name', { max: 2048 }));
  const asg = p.object('autoScalingGroupProvider');
  if (!asg) throw new InvalidParameterException('autoScalingGroupProvider is required.', 'autoScalingGroupProvider');
  return ctx.store.tx(() => {
    const cp = ctx.store.capacityProviders.get(name);
    if (!cp || cp.status !== 'ACTIVE') throw new StevedoreError('ClientException', 'The specified capacity provider does not exist.', { field: 'name' });
    const managedScaling = readManagedScaling(asg['managedScaling'], cp.managedScaling, 'autoScalingGroupProvider.managedScaling');
    const managedTerminationProtection = readProtection(asg['managedTerminationProtection'], 'autoScalingGroupProvider.managedTerminationProtection') ?? cp.managedTerminationProtection;
    if (managedTerminationProtection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
      throw new InvalidParameterException('The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must also be enabled.', 'autoScalingGroupProvider.managedTerminationProtection');
    }
    const next: CapacityProvider = { ...cp, managedScaling, managedTerminationProtection, updateStatus: 'UPDATE_COMPLETE' };
    ctx.store.capacityProviders.put(next);
    return { capacityProvider: capacityProviderJson(ctx, next, false) };
  });
}

/** ECS refuses while a cluster lists the provider or a service's strategy uses it. */
export function deleteCapacityProvider(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = providerName(p.requiredString('capacityProvider', { max: 2048 }));
  return ctx.store.tx(() => {
    const cp = ctx.store.capacityProviders.get(name);
    if (!cp || cp.status !== 'ACTIVE') throw new StevedoreError('ClientException', 'The specified capacity provider does not exist.', { field: 'capacityProvider' });
    const clusters = ctx.store.capacityProviders.clustersUsing(name);
    if (clusters.length > 0) {
      throw new StevedoreError('ResourceInUseException', `The specified capacity provider is in use and cannot be removed: it is associated with cluster ${clusters[0]}. Remove it with PutClusterCapacityProviders first.`);
    }
    const next: CapacityProvider = { ...cp, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' };
    ctx.store.capacityProviders.put(next);
    ctx.log.info({ capacityProvider: name }, 'capacity provider deleted');
    return { capacityProvider: capacityProviderJson(ctx, next, false) };
  });
}

/**
 * A strategy member as ECS reads it. Names of other kinds (FARGATE,
 * FARGATE_SPOT: another engineer's) are checked by whoever knows them: here
 * only that each is associated with the cluster.
 */
export function readStrategy(raw: unknown, field: string): CapacityProviderStrategyItem[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new InvalidParameterException(`${field} must be a list.`, field);
  const items = raw.map((x, i) => {
    const at = `${field}[${i}]`;
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new InvalidParameterException(`${at} must be an object.`, at);
    const o = x as Record<string, unknown>;
    const provider = o['capacityProvider'];
    if (typeof provider !== 'string' || provider === '') throw new InvalidParameterException(`${at}.capacityProvider is required.`, `${at}.capacityProvider`);
    const num = (m: 'base' | 'weight') => {
      const v = o[m];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number') throw new InvalidParameterException(`${at}.${m} must be an integer.`, `${at}.${m}`);
      return v;
    };
    const base = num('base');
    const weight = num('weight');
    return { capacityProvider: provider, ...(base !== undefined ? { base } : {}), ...(weight !== undefined ? { weight } : {}) };
  });
  validateStrategy(items, field);
  return items;
}

export function putClusterCapacityProviders(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const names = p.stringList('capacityProviders', { required: true, max: 20 })!;
  const strategy = readStrategy(p.body['defaultCapacityProviderStrategy'], 'defaultCapacityProviderStrategy');
  if (!strategy) throw new InvalidParameterException('defaultCapacityProviderStrategy is required.', 'defaultCapacityProviderStrategy');
  return ctx.store.tx(() => {
    const cluster = requireCluster(ctx, p);
    names.forEach((n, i) => {
      const cp = ctx.store.capacityProviders.get(providerName(n));
      if (cp && cp.status === 'ACTIVE') {
        const group = ctx.store.hostGroups.get(hostGroupNameOfArn(cp.autoScalingGroupArn) ?? '');
        if (group && group.cluster !== cluster.name) throw new InvalidParameterException(`capacityProviders[${i}]: the host group of ${cp.name} belongs to cluster ${group.cluster}.`, `capacityProviders[${i}]`);
        return;
      }
      if (!isOtherKind(n)) throw new InvalidParameterException(`The specified capacity provider ${n} does not exist.`, `capacityProviders[${i}]`);
    });
    const list = names.map(providerName);
    strategy.forEach((s, i) => {
      if (!list.includes(s.capacityProvider)) throw new InvalidParameterException(`defaultCapacityProviderStrategy[${i}]: capacity provider ${s.capacityProvider} is not associated with the cluster.`, `defaultCapacityProviderStrategy[${i}].capacityProvider`);
    });
    const removed = ctx.store.capacityProviders.ofCluster(cluster.name).providers.filter((x) => !list.includes(x));
    for (const r of removed) {
      const user = ctx.store.services.listByCluster(cluster.name).find((s) => s.service.status !== 'INACTIVE' && (s.service.capacityProviderStrategy ?? []).some((x) => x.capacityProvider === r));
      if (user) throw new StevedoreError('ResourceInUseException', `The specified capacity provider ${r} is in use by service ${user.service.name} and cannot be removed.`);
    }
    ctx.store.capacityProviders.setOfCluster(cluster.name, { providers: list, defaultStrategy: strategy });
    ctx.log.info({ cluster: cluster.name, capacityProviders: list }, 'cluster capacity providers set');
    return { cluster: clusterJson(ctx.arn, cluster, counts(ctx, cluster.name), [], { providers: list, defaultStrategy: strategy }) };
  });
}

/**
 * A launch's capacityProviderStrategy as ECS resolves it: mutually exclusive
 * with launchType; each provider associated with the cluster; with neither
 * given, the cluster's default strategy (`useDefault`: CreateService and
 * RunTask, not UpdateService, where absence keeps the current one).
 */
export function resolveStrategy(ctx: ApiContext, p: Params, cluster: string, useDefault: boolean): CapacityProviderStrategyItem[] | undefined {
  const given = readStrategy(p.body['capacityProviderStrategy'], 'capacityProviderStrategy');
  const hasLaunchType = p.has('launchType');
  if (given && given.length > 0 && hasLaunchType) {
    throw new InvalidParameterException('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.', 'capacityProviderStrategy');
  }
  const attached = ctx.store.capacityProviders.ofCluster(cluster);
  if (given && given.length > 0) {
    given.forEach((s, i) => {
      // FARGATE and FARGATE_SPOT are in every cluster, as in ECS (docs/design/fargate.md).
      if (!attached.providers.includes(s.capacityProvider) && !isOtherKind(s.capacityProvider)) {
        throw new InvalidParameterException(
          'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
          `capacityProviderStrategy[${i}].capacityProvider`,
        );
      }
    });
    return given;
  }
  if (given) return given;
  if (useDefault && !hasLaunchType && attached.defaultStrategy.length > 0) return attached.defaultStrategy;
  return undefined;
}

/** The placement constraint for a strategy's host-group providers (none when it names only other kinds). */
export function strategyConstraints(ctx: ApiContext, strategy: CapacityProviderStrategyItem[] | undefined): PlacementConstraint[] {
  const groups: string[] = [];
  for (const item of strategy ?? []) {
    const cp = ctx.store.capacityProviders.get(item.capacityProvider);
    const g = cp && cp.status === 'ACTIVE' ? hostGroupNameOfArn(cp.autoScalingGroupArn) : undefined;
    if (g) groups.push(g);
  }
  return groups.length > 0 ? [hostGroupConstraint(groups)] : [];
}

/** Built-in providers of another kind (issue 13 adds them); not refused here so they can be associated. */
function isOtherKind(name: string): boolean {
  return name === 'FARGATE' || name === 'FARGATE_SPOT';
}

export const CAPACITY_PROVIDER_ACTIONS = {
  'AmazonEC2ContainerServiceV20141113.CreateCapacityProvider': createCapacityProvider,
  'AmazonEC2ContainerServiceV20141113.DescribeCapacityProviders': describeCapacityProviders,
  'AmazonEC2ContainerServiceV20141113.UpdateCapacityProvider': updateCapacityProvider,
  'AmazonEC2ContainerServiceV20141113.DeleteCapacityProvider': deleteCapacityProvider,
  'AmazonEC2ContainerServiceV20141113.PutClusterCapacityProviders': putClusterCapacityProviders,
};
