import { checkFargatePoolSetting, FARGATE_POOL_SETTING, HEALTHY_AFTER_RUNNING_SETTING, healthyAfterRunningSettingError, HOST_ACCESS_SETTINGS, InvalidParameterException, NotFoundError, StevedoreError, arns, clusterNameOf, type Cluster, type ClusterConfiguration } from '@stevedore/core';
import type { ApiContext, RequestContext } from '../context';
import { callerPrincipal, effectiveAccountSetting } from './account-settings';
import { decodeToken, isString, page } from '../paging';
import { NAME_PATTERN, NAME_PATTERN_TEXT, Params } from '../params';
import { clusterJson } from '../serialize';
import { requireCluster } from '../lookups';
import { validateTags } from './tags';

export function counts(ctx: ApiContext, name: string) {
  const { running, pending } = ctx.store.tasks.countByStatus(name);
  return { instances: ctx.store.instances.countActive(name), running, pending, services: ctx.store.services.countActive(name) };
}

const CLUSTER_INCLUDE = ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] as const;

/**
 * ECS's containerInsights, plus Stevedore's host-access switches
 * (stevedore:allow..., enabled | disabled). Changing a host-access switch
 * also needs stevedore:AllowHostAccess (api/auth), which only admin policies
 * grant.
 */
const SETTING_NAMES = ['containerInsights', FARGATE_POOL_SETTING, HEALTHY_AFTER_RUNNING_SETTING, ...HOST_ACCESS_SETTINGS.keys()];

function readSettings(p: Params): Cluster['settings'] {
  const raw = p.list('settings', { max: SETTING_NAMES.length }) ?? [];
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const sp = Params.of(s);
    const name = sp.requiredString('name', { enum: SETTING_NAMES });
    // The FARGATE pool is a cluster query expression (docs/design/fargate.md); the others are switches.
    const value =
      name === FARGATE_POOL_SETTING
        ? sp.requiredString('value', { max: 2000 })
        : name === HEALTHY_AFTER_RUNNING_SETTING
          ? sp.requiredString('value', { max: 10 })
          : sp.requiredString('value', { enum: name === 'containerInsights' ? ['enabled', 'disabled', 'enhanced'] : ['enabled', 'disabled'] });
    if (name === FARGATE_POOL_SETTING && value !== undefined) checkFargatePoolSetting(value, `settings[${i}].value`);
    // The check-less warm-up of deployments (docs/design/deployments.md): whole seconds.
    const warmUpError = name === HEALTHY_AFTER_RUNNING_SETTING && value !== undefined ? healthyAfterRunningSettingError(value) : undefined;
    if (warmUpError) throw new InvalidParameterException(warmUpError, `settings[${i}].value`);
    if (!name || !value) throw new InvalidParameterException(`settings[${i}] is invalid.`, `settings[${i}]`);
    if (seen.has(name)) throw new InvalidParameterException(`settings[${i}]: ${name} is given twice.`, `settings[${i}].name`);
    seen.add(name);
    return { name, value };
  });
}

/** UpdateClusterSettings: the given settings replace those of the same name; the others stay. */
export function updateClusterSettings(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  p.requiredString('cluster', { max: 2048 });
  const settings = readSettings(p);
  if (settings.length === 0) throw new InvalidParameterException('settings can not be empty.', 'settings');
  return ctx.store.tx(() => {
    const c = requireCluster(ctx, p);
    const next: Cluster = { ...c, settings: [...c.settings.filter((s) => !settings.some((x) => x.name === s.name)), ...settings] };
    ctx.store.clusters.upsert(next);
    ctx.log.info({ cluster: c.name, settings }, 'cluster settings updated');
    return { cluster: clusterJson(ctx.arn, next, counts(ctx, c.name), ['SETTINGS']) };
  });
}

/** ECS ClusterConfiguration: known members checked, unknown ones ignored (as every request member). */
function readConfiguration(p: Params): ClusterConfiguration | undefined {
  const raw = p.object('configuration');
  if (!raw) return undefined;
  const c = new Params(raw);
  const out: ClusterConfiguration = {};
  const exec = c.object('executeCommandConfiguration');
  if (exec) {
    const e = new Params(exec);
    const logging = e.string('logging', { enum: ['NONE', 'DEFAULT', 'OVERRIDE'] }) as 'NONE' | 'DEFAULT' | 'OVERRIDE' | undefined;
    const kmsKeyId = e.string('kmsKeyId', { max: 2048 });
    const lc = e.object('logConfiguration');
    let logConfiguration: NonNullable<ClusterConfiguration['executeCommandConfiguration']>['logConfiguration'];
    if (lc) {
      const l = new Params(lc);
      logConfiguration = compactObject({
        cloudWatchLogGroupName: l.string('cloudWatchLogGroupName', { max: 512 }),
        cloudWatchEncryptionEnabled: l.boolean('cloudWatchEncryptionEnabled'),
        s3BucketName: l.string('s3BucketName', { max: 255 }),
        s3EncryptionEnabled: l.boolean('s3EncryptionEnabled'),
        s3KeyPrefix: l.string('s3KeyPrefix', { max: 1024 }),
      });
    }
    if (logging === 'OVERRIDE' && !logConfiguration) {
      throw new InvalidParameterException('logConfiguration must be specified when logging is OVERRIDE.', 'configuration.executeCommandConfiguration.logConfiguration');
    }
    out.executeCommandConfiguration = compactObject({ kmsKeyId, logging, logConfiguration });
  }
  const storage = c.object('managedStorageConfiguration');
  if (storage) {
    const m = new Params(storage);
    out.managedStorageConfiguration = compactObject({ kmsKeyId: m.string('kmsKeyId', { max: 2048 }), fargateEphemeralStorageKmsKeyId: m.string('fargateEphemeralStorageKmsKeyId', { max: 2048 }) });
  }
  return out;
}

function compactObject<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function readServiceConnectDefaults(p: Params): Cluster['serviceConnectDefaults'] {
  const raw = p.object('serviceConnectDefaults');
  if (!raw) return undefined;
  return { namespace: new Params(raw).requiredString('namespace', { max: 1024 }) };
}

/** UpdateCluster: settings as UpdateClusterSettings, configuration and serviceConnectDefaults replaced when given. */
export function updateCluster(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  p.requiredString('cluster', { max: 2048 });
  const settings = readSettings(p);
  const configuration = readConfiguration(p);
  const serviceConnectDefaults = readServiceConnectDefaults(p);
  return ctx.store.tx(() => {
    const c = requireCluster(ctx, p);
    const next: Cluster = {
      ...c,
      settings: [...c.settings.filter((s) => !settings.some((x) => x.name === s.name)), ...settings],
      ...(configuration ? { configuration } : {}),
      ...(serviceConnectDefaults ? { serviceConnectDefaults } : {}),
    };
    ctx.store.clusters.upsert(next);
    ctx.log.info({ cluster: c.name, settings, configuration: configuration !== undefined }, 'cluster updated');
    return { cluster: clusterJson(ctx.arn, next, counts(ctx, c.name), ['SETTINGS', 'CONFIGURATIONS'], ctx.store.capacityProviders.ofCluster(c.name)) };
  });
}

export function createCluster(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = p.string('clusterName', { pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT }) ?? 'default';
  const tags = validateTags(p.list('tags'));
  const settings = readSettings(p);
  const configuration = readConfiguration(p);
  const serviceConnectDefaults = readServiceConnectDefaults(p);
  return ctx.store.tx(() => {
    const existing = ctx.store.clusters.get(name);
    if (existing && existing.status === 'ACTIVE') {
      return { cluster: clusterJson(ctx.arn, existing, counts(ctx, name), ['SETTINGS', 'TAGS']) };
    }
    // The account setting containerInsights is the default of a new cluster's, as in ECS.
    const insights = settings.some((s) => s.name === 'containerInsights') ? [] : [{ name: 'containerInsights', value: effectiveAccountSetting(ctx, 'containerInsights', callerPrincipal(ctx)) }];
    const c: Cluster = {
      name,
      status: 'ACTIVE',
      tags,
      settings: [...insights, ...settings],
      ...(configuration ? { configuration } : {}),
      ...(serviceConnectDefaults ? { serviceConnectDefaults } : {}),
      createdAt: ctx.clock.now(),
    };
    ctx.store.clusters.upsert(c);
    ctx.log.info({ cluster: name }, 'cluster created');
    return { cluster: clusterJson(ctx.arn, c, counts(ctx, name), ['SETTINGS', 'TAGS', 'CONFIGURATIONS']) };
  });
}

export function describeClusters(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const refs = p.stringList('clusters', { max: 100 }) ?? ['default'];
  const include = p.stringList('include') ?? [];
  include.forEach((v, i) => {
    if (!(CLUSTER_INCLUDE as readonly string[]).includes(v)) throw new InvalidParameterException(`include[${i}] must be one of: ${CLUSTER_INCLUDE.join(', ')}.`, `include[${i}]`);
  });
  const clusters: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const name = clusterNameOf(ref);
    const c = ctx.store.clusters.get(name);
    if (!c) failures.push({ arn: arns.cluster(ctx.arn, name), reason: 'MISSING' });
    else clusters.push(clusterJson(ctx.arn, c, counts(ctx, name), include, ctx.store.capacityProviders.ofCluster(name)));
  }
  return { clusters, failures };
}

export function listClusters(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const rows = ctx.store.clusters.listActive(after, limit + 1);
  const { items, nextToken } = page(rows, limit, (c) => c.name);
  return { clusterArns: items.map((c) => arns.cluster(ctx.arn, c.name)), ...(nextToken ? { nextToken } : {}) };
}

export function deleteCluster(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  p.requiredString('cluster');
  return ctx.store.tx(() => {
    const c = requireCluster(ctx, p);
    if (ctx.store.instances.countActive(c.name) > 0) {
      throw new StevedoreError('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
    }
    if (ctx.store.services.countNotInactive(c.name) > 0) {
      throw new StevedoreError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
    }
    if (ctx.store.tasks.countNotStopped(c.name) > 0) {
      throw new StevedoreError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
    }
    ctx.store.clusters.setStatus(c.name, 'INACTIVE');
    const after = ctx.store.clusters.get(c.name);
    if (!after) throw new NotFoundError('ClusterNotFoundException', 'Cluster not found.');
    ctx.log.info({ cluster: c.name }, 'cluster deleted');
    return { cluster: clusterJson(ctx.arn, after, counts(ctx, c.name)) };
  });
}
