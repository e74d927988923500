import { InvalidParameterException, NotFoundError, readTags, tagResource as addTags, untagResource as removeTags, type Tag } from '@stevedore/core';
import type { RequestContext } from '../context';
import { Params } from '../params';

/** ECS tag rules (core readTags): ≤50 tags, key 1-128, value ≤256, ECS's characters, `aws:` prefix reserved. */
export function validateTags(raw: unknown[] | undefined, field = 'tags'): Tag[] {
  return raw === undefined ? [] : readTags(raw, field);
}

/** One taggable resource, as TagResource, UntagResource and ListTagsForResource see it. */
interface Tagged {
  tags: Tag[];
  set(tags: Tag[]): void;
}

const ECS_ARN = /^arn:aws:ecs:([^:]*):([^:]*):([a-z-]+)\/(.+)$/;

const invalidArn = () => new InvalidParameterException('The ARN provided is invalid.', 'resourceArn');
const notFound = (listing: boolean) =>
  listing
    ? new InvalidParameterException('The specified resource is not found.', 'resourceArn')
    : new NotFoundError('ResourceNotFoundException', 'The specified resource is not found.');

function activeCluster(ctx: RequestContext, name: string) {
  const c = ctx.store.clusters.get(name);
  if (!c || c.status !== 'ACTIVE') throw new NotFoundError('ClusterNotFoundException', 'Cluster not found.');
  return c;
}

/**
 * The resource an ARN names: clusters, services, tasks, task definitions,
 * container instances and capacity providers, in this region and account
 * (ECS's taggable resources). A deleted resource has no tags to change.
 */
function resolve(ctx: RequestContext, arn: string, listing: boolean): Tagged {
  const m = ECS_ARN.exec(arn);
  if (!m) throw invalidArn();
  const [, region, account, type, path] = m as unknown as [string, string, string, string, string];
  if (region !== ctx.arn.region || account !== ctx.arn.account) throw notFound(listing);
  const parts = path.split('/');
  const { store } = ctx;
  switch (type) {
    case 'cluster': {
      if (parts.length !== 1) throw invalidArn();
      const c = activeCluster(ctx, path);
      return { tags: c.tags, set: (tags) => store.clusters.upsert({ ...c, tags }) };
    }
    case 'service': {
      if (parts.length !== 2) throw invalidArn();
      activeCluster(ctx, parts[0]!);
      const s = store.services.get(parts[0]!, parts[1]!);
      if (!s || s.service.status === 'INACTIVE') throw notFound(listing);
      return { tags: s.service.tags, set: (tags) => store.services.putSpec({ ...s.service, tags }) };
    }
    case 'task': {
      if (parts.length !== 2) throw invalidArn();
      activeCluster(ctx, parts[0]!);
      const t = store.tasks.get(parts[1]!);
      if (!t || t.clusterName !== parts[0]) throw notFound(listing);
      return { tags: t.tags, set: (tags) => store.tasks.put({ ...t, tags, version: t.version + 1 }) };
    }
    case 'container-instance': {
      if (parts.length !== 2) throw invalidArn();
      activeCluster(ctx, parts[0]!);
      const i = store.instances.get(parts[1]!);
      if (!i || i.clusterName !== parts[0] || i.status === 'INACTIVE') throw notFound(listing);
      return { tags: store.instances.tags(i.id), set: (tags) => store.instances.setTags(i.id, tags) };
    }
    case 'task-definition': {
      const td = /^([A-Za-z0-9_-]{1,255}):(\d{1,9})$/.exec(path);
      if (!td) throw invalidArn();
      const family = td[1]!;
      const revision = Number(td[2]);
      const stored = store.taskDefinitions.get(family, revision);
      if (!stored) throw notFound(listing);
      return { tags: stored.tags, set: (tags) => store.taskDefinitions.setTags(family, revision, tags) };
    }
    case 'capacity-provider': {
      if (parts.length !== 1) throw invalidArn();
      const p = store.capacityProviders.get(path);
      if (!p || p.status !== 'ACTIVE') throw notFound(listing);
      return { tags: p.tags, set: (tags) => store.capacityProviders.put({ ...p, tags: tags.map((t) => ({ key: t.key, value: t.value ?? '' })) }) };
    }
    default:
      throw invalidArn();
  }
}

function resourceArnOf(p: Params): string {
  return p.requiredString('resourceArn', { max: 2048 });
}

export function tagResource(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const arn = resourceArnOf(p);
  const raw = p.list('tags');
  if (raw === undefined) throw new InvalidParameterException('tags must be specified.', 'tags');
  const tags = validateTags(raw);
  ctx.store.tx(() => {
    const r = resolve(ctx, arn, false);
    r.set(addTags(r.tags, tags));
  });
  ctx.log.info({ resourceArn: arn, keys: tags.map((t) => t.key) }, 'resource tagged');
  return {};
}

export function untagResource(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const arn = resourceArnOf(p);
  const keys = p.stringList('tagKeys', { required: true, max: 50 })!;
  keys.forEach((k, i) => {
    if (k.length < 1 || k.length > 128) throw new InvalidParameterException(`tagKeys[${i}] must be 1-128 characters.`, `tagKeys[${i}]`);
  });
  ctx.store.tx(() => {
    const r = resolve(ctx, arn, false);
    r.set(removeTags(r.tags, keys));
  });
  ctx.log.info({ resourceArn: arn, keys }, 'resource untagged');
  return {};
}

export function listTagsForResource(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const arn = resourceArnOf(p);
  return { tags: resolve(ctx, arn, true).tags };
}
