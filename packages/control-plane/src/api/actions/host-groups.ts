import { randomUUID } from 'node:crypto';
import {
  ATTRIBUTE_NAME_RULE,
  ATTRIBUTE_VALUE_RULE,
  HOST_GROUP_ATTRIBUTE,
  hostGroupArn,
  hostGroupNameOfArn,
  InvalidParameterException,
  isAttributeName,
  isAttributeValue,
  NotFoundError,
  StevedoreError,
  toEcsTimestamp,
  type HostGroup,
  type HostGroupProvisioner,
  type HostGroupSpec,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { NAME_PATTERN, NAME_PATTERN_TEXT, Params } from '../params';
import { requireCluster } from '../lookups';
import { expandHostIps } from '../../capacity/local-provisioner';

/** Auto Scaling's limits are far higher; a self-hosted group past this is a typo. */
const MAX_GROUP_SIZE = 1000;
const DEFAULT_JOIN_TIMEOUT_SECONDS = 300;
const DEFAULT_EXEC_TIMEOUT_SECONDS = 600;
const DEFAULT_EXEC_RETRIES = 2;

export function hostGroupJson(ctx: ApiContext, g: HostGroup) {
  const hosts = ctx.store.hostGroups.hosts(g.name);
  const prov = g.spec.provisioner;
  return {
    hostGroupName: g.name,
    hostGroupArn: hostGroupArn(ctx.arn.region, ctx.arn.account, g.uuid, g.name),
    cluster: g.cluster,
    status: g.status === 'DELETING' ? 'Delete in progress' : 'Active',
    minSize: g.spec.minSize,
    maxSize: g.spec.maxSize,
    desiredCapacity: g.desiredCapacity,
    joinTimeoutSeconds: g.spec.joinTimeoutSeconds,
    attributes: g.spec.attributes,
    provisioner:
      prov.type === 'local'
        ? { type: 'local', local: { hostIps: prov.hostIps, ownDockerd: prov.ownDockerd } }
        : { type: 'exec', exec: { createCommand: prov.createCommand, destroyCommand: prov.destroyCommand, timeoutSeconds: prov.timeoutSeconds, retries: prov.retries } },
    hosts: hosts.map((h) => ({
      hostId: h.id,
      lifecycleState: h.lifecycleState,
      ...(h.providerId ? { providerId: h.providerId } : {}),
      ...(h.hostIp ? { hostIp: h.hostIp } : {}),
      ...(h.containerInstanceId ? { containerInstanceArn: `arn:aws:ecs:${ctx.arn.region}:${ctx.arn.account}:container-instance/${g.cluster}/${h.containerInstanceId}` } : {}),
      ...(h.statusReason ? { statusReason: h.statusReason } : {}),
      launchTime: toEcsTimestamp(h.launchedAt),
    })),
    createdTime: toEcsTimestamp(g.createdAt),
  };
}

/** A group by name or ARN (the form capacity providers carry). */
function groupRef(p: Params, member = 'hostGroupName'): string {
  const raw = p.requiredString(member, { max: 1600 });
  const name = raw.startsWith('arn:') ? hostGroupNameOfArn(raw) : raw;
  if (!name || !NAME_PATTERN.test(name)) throw new InvalidParameterException(`${member} ${NAME_PATTERN_TEXT}.`, member);
  return name;
}

function requireGroup(ctx: ApiContext, name: string): HostGroup {
  const g = ctx.store.hostGroups.get(name);
  if (!g) throw new NotFoundError('ResourceNotFoundException', `Host group ${name} not found.`);
  return g;
}

function readAttributes(p: Params): { name: string; value: string }[] | undefined {
  const list = p.list('attributes', { max: 10 });
  if (!list) return undefined;
  return list.map((x, i) => {
    const at = `attributes[${i}]`;
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new InvalidParameterException(`${at} must be an object.`, at);
    const a = new Params(x as Record<string, unknown>);
    const name = a.requiredString('name');
    const value = a.requiredString('value');
    if (!isAttributeName(name)) throw new InvalidParameterException(`${at}.name must be ${ATTRIBUTE_NAME_RULE}.`, `${at}.name`);
    if (!isAttributeValue(value)) throw new InvalidParameterException(`${at}.value must be ${ATTRIBUTE_VALUE_RULE}.`, `${at}.value`);
    if (name === HOST_GROUP_ATTRIBUTE) throw new InvalidParameterException(`${at}.name: ${HOST_GROUP_ATTRIBUTE} is set by the group itself.`, `${at}.name`);
    return { name, value };
  });
}

function readProvisioner(p: Params): HostGroupProvisioner | undefined {
  const raw = p.object('provisioner');
  if (!raw) return undefined;
  const q = new Params(raw);
  const type = q.requiredString('type', { enum: ['local', 'exec'] }) as 'local' | 'exec';
  const field = (m: string) => `provisioner.${type}.${m}`;
  const sub = q.object(type);
  if (!sub) throw new InvalidParameterException(`provisioner.${type} is required.`, `provisioner.${type}`);
  const s = new Params(sub);
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InvalidParameterException && e.options.field) throw new InvalidParameterException(e.message.replace(e.options.field, field(e.options.field)), field(e.options.field));
      throw e;
    }
  };
  if (type === 'local') {
    const spec = wrap(() => s.requiredString('hostIps', { max: 4096 }));
    const hostIps = expandHostIps(spec);
    if (!hostIps) throw new InvalidParameterException(`${field('hostIps')} must be IPv4 addresses or ranges such as 127.0.11.100-127.0.11.109, comma-separated (at most 1024).`, field('hostIps'));
    if (hostIps.some((ip) => ip === '0.0.0.0')) throw new InvalidParameterException(`${field('hostIps')} must name specific addresses, not 0.0.0.0.`, field('hostIps'));
    return { type, hostIps, ownDockerd: wrap(() => s.boolean('ownDockerd')) ?? false };
  }
  return {
    type,
    createCommand: wrap(() => s.requiredString('createCommand', { max: 4096 })),
    destroyCommand: wrap(() => s.requiredString('destroyCommand', { max: 4096 })),
    timeoutSeconds: wrap(() => s.integer('timeoutSeconds', { min: 1, max: 3600 })) ?? DEFAULT_EXEC_TIMEOUT_SECONDS,
    retries: wrap(() => s.integer('retries', { min: 0, max: 10 })) ?? DEFAULT_EXEC_RETRIES,
  };
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min > max) throw new InvalidParameterException(`minSize (${min}) must be less than or equal to maxSize (${max}).`, 'minSize');
  if (desired < min || desired > max) throw new InvalidParameterException(`desiredCapacity (${desired}) must be between minSize (${min}) and maxSize (${max}).`, 'desiredCapacity');
}

/** Stevedore_20261125.CreateHostGroup */
export function createHostGroup(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('hostGroupName', { pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT });
  const minSize = p.integer('minSize', { min: 0, max: MAX_GROUP_SIZE }) ?? 0;
  const maxSize = p.integer('maxSize', { min: 0, max: MAX_GROUP_SIZE });
  if (maxSize === undefined) throw new InvalidParameterException('maxSize is required.', 'maxSize');
  const desired = p.integer('desiredCapacity', { min: 0, max: MAX_GROUP_SIZE }) ?? minSize;
  checkSizes(minSize, maxSize, desired);
  const provisioner = readProvisioner(p);
  if (!provisioner) throw new InvalidParameterException('provisioner is required.', 'provisioner');
  const spec: HostGroupSpec = {
    minSize,
    maxSize,
    attributes: readAttributes(p) ?? [],
    provisioner,
    joinTimeoutSeconds: p.integer('joinTimeoutSeconds', { min: 10, max: 3600 }) ?? DEFAULT_JOIN_TIMEOUT_SECONDS,
  };
  return ctx.store.tx(() => {
    const cluster = requireCluster(ctx, p);
    if (ctx.store.hostGroups.get(name)) throw new StevedoreError('ResourceInUseException', `A host group named ${name} already exists.`, { field: 'hostGroupName' });
    const g: HostGroup = { name, cluster: cluster.name, uuid: randomUUID(), status: 'ACTIVE', spec, desiredCapacity: desired, createdAt: ctx.clock.now() };
    ctx.store.hostGroups.put(g);
    ctx.log.info({ cluster: cluster.name, hostGroup: name, provisioner: provisioner.type, minSize, maxSize, desired }, 'host group created');
    return { hostGroup: hostGroupJson(ctx, g) };
  });
}

/** Stevedore_20261125.DescribeHostGroups: all, or the named ones (names or ARNs); `cluster` filters. */
export function describeHostGroups(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const names = p.stringList('hostGroupNames', { max: 100 });
  const cluster = p.has('cluster') ? requireCluster(ctx, p).name : undefined;
  const all = ctx.store.hostGroups.list(cluster);
  const wanted = names?.map((n) => (n.startsWith('arn:') ? (hostGroupNameOfArn(n) ?? n) : n));
  const groups = wanted ? all.filter((g) => wanted.includes(g.name)) : all;
  return { hostGroups: groups.map((g) => hostGroupJson(ctx, g)) };
}

/** Stevedore_20261125.UpdateHostGroup: sizes, attributes (for new hosts), provisioner, join timeout. */
export function updateHostGroup(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = groupRef(p);
  const minSize = p.integer('minSize', { min: 0, max: MAX_GROUP_SIZE });
  const maxSize = p.integer('maxSize', { min: 0, max: MAX_GROUP_SIZE });
  const desired = p.integer('desiredCapacity', { min: 0, max: MAX_GROUP_SIZE });
  const attributes = readAttributes(p);
  const provisioner = readProvisioner(p);
  const joinTimeoutSeconds = p.integer('joinTimeoutSeconds', { min: 10, max: 3600 });
  return ctx.store.tx(() => {
    const g = requireGroup(ctx, name);
    if (g.status === 'DELETING') throw new StevedoreError('ResourceInUseException', `Host group ${name} is being deleted.`);
    if (provisioner && provisioner.type !== g.spec.provisioner.type && ctx.store.hostGroups.hosts(name).length > 0) {
      throw new InvalidParameterException('provisioner.type can change only while the group has no hosts (its hosts were created by the other kind).', 'provisioner.type');
    }
    const spec: HostGroupSpec = {
      ...g.spec,
      ...(minSize !== undefined ? { minSize } : {}),
      ...(maxSize !== undefined ? { maxSize } : {}),
      ...(attributes ? { attributes } : {}),
      ...(provisioner ? { provisioner } : {}),
      ...(joinTimeoutSeconds !== undefined ? { joinTimeoutSeconds } : {}),
    };
    // As Auto Scaling: new bounds pull the desired capacity inside them.
    const d = desired ?? Math.min(spec.maxSize, Math.max(spec.minSize, g.desiredCapacity));
    checkSizes(spec.minSize, spec.maxSize, d);
    const next = { ...g, spec, desiredCapacity: d };
    ctx.store.hostGroups.put(next);
    ctx.log.info({ cluster: g.cluster, hostGroup: name, desired: d, minSize: spec.minSize, maxSize: spec.maxSize }, 'host group updated');
    return { hostGroup: hostGroupJson(ctx, next) };
  });
}

/** Stevedore_20261125.SetHostGroupDesiredCapacity (Auto Scaling's SetDesiredCapacity). */
export function setHostGroupDesiredCapacity(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = groupRef(p);
  const desired = p.integer('desiredCapacity', { min: 0, max: MAX_GROUP_SIZE });
  if (desired === undefined) throw new InvalidParameterException('desiredCapacity is required.', 'desiredCapacity');
  return ctx.store.tx(() => {
    const g = requireGroup(ctx, name);
    if (g.status === 'DELETING') throw new StevedoreError('ResourceInUseException', `Host group ${name} is being deleted.`);
    if (desired < g.spec.minSize || desired > g.spec.maxSize) {
      throw new StevedoreError('ValidationError', `New SetDesiredCapacity value ${desired} is outside the bounds of the group: min ${g.spec.minSize}, max ${g.spec.maxSize}.`, { field: 'desiredCapacity' });
    }
    ctx.store.hostGroups.setDesiredCapacity(name, desired);
    ctx.log.info({ cluster: g.cluster, hostGroup: name, desired }, 'host group desired capacity set');
    return { hostGroup: hostGroupJson(ctx, { ...g, desiredCapacity: desired }) };
  });
}

/**
 * Stevedore_20261125.DeleteHostGroup. Refused while a capacity provider uses
 * the group (delete that first, as ECS requires); otherwise every host is
 * drained and destroyed, and the group goes with its last host.
 */
export function deleteHostGroup(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = groupRef(p);
  return ctx.store.tx(() => {
    const g = requireGroup(ctx, name);
    const user = ctx.store.capacityProviders.list().find((cp) => cp.status === 'ACTIVE' && hostGroupNameOfArn(cp.autoScalingGroupArn) === name);
    if (user) throw new StevedoreError('ResourceInUseException', `Host group ${name} is used by capacity provider ${user.name}: delete the capacity provider first.`);
    const next: HostGroup = { ...g, status: 'DELETING', desiredCapacity: 0 };
    ctx.store.hostGroups.put(next);
    ctx.log.info({ cluster: g.cluster, hostGroup: name }, 'host group deletion started');
    return { hostGroup: hostGroupJson(ctx, next) };
  });
}

/** Stevedore_20261125.DescribeHostGroupActivities: newest first, paged. */
export function describeHostGroupActivities(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = groupRef(p);
  requireGroup(ctx, name);
  const limit = p.maxResults(50);
  const token = p.string('nextToken', { max: 64, pattern: /^\d+$/, patternText: 'is not a valid token' });
  const rows = ctx.store.hostGroups.activities(name, limit + 1, token ? Number(token) : undefined);
  const page = rows.slice(0, limit);
  return {
    activities: page.map((a) => ({
      activityId: a.id,
      hostGroupName: a.groupName,
      ...(a.hostId ? { hostId: a.hostId } : {}),
      description: a.description,
      cause: a.cause,
      statusCode: a.statusCode,
      ...(a.statusMessage ? { statusMessage: a.statusMessage } : {}),
      ...(a.details ? { details: a.details } : {}),
      startTime: toEcsTimestamp(a.startTime),
      ...(a.endTime !== undefined ? { endTime: toEcsTimestamp(a.endTime) } : {}),
    })),
    ...(rows.length > limit ? { nextToken: String(page[page.length - 1]!.seq) } : {}),
  };
}

/** The router's table for host groups (one line there). */
export const HOST_GROUP_ACTIONS = {
  'Stevedore_20261125.CreateHostGroup': createHostGroup,
  'Stevedore_20261125.DescribeHostGroups': describeHostGroups,
  'Stevedore_20261125.UpdateHostGroup': updateHostGroup,
  'Stevedore_20261125.SetHostGroupDesiredCapacity': setHostGroupDesiredCapacity,
  'Stevedore_20261125.DeleteHostGroup': deleteHostGroup,
  'Stevedore_20261125.DescribeHostGroupActivities': describeHostGroupActivities,
};
