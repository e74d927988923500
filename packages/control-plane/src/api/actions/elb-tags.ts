import { elbResourceType, StevedoreError, validationError, type ElbTag } from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { elbAction, notFound } from './elb-input';

/** ELB: at most 50 tags per resource, keys 1-128 characters, values up to 256, `aws:` reserved. */
const MAX_TAGS = 50;

/** `[{Key, Value}]` as ELB takes them; DuplicateTagKeys when a key repeats. */
export function readElbTags(raw: unknown[] | undefined, field = 'Tags'): ElbTag[] {
  if (!raw) return [];
  if (raw.length > MAX_TAGS) throw new StevedoreError('TooManyTagsException', `A resource can have at most ${MAX_TAGS} tags.`, { field });
  const seen = new Set<string>();
  return raw.map((t, i) => {
    const p = Params.of(t);
    const f = `${field}[${i}]`;
    const key = p.requiredString('Key', { max: 128 });
    if (key.toLowerCase().startsWith('aws:')) throw validationError(`${f}.Key: the aws: prefix is reserved for AWS use.`, `${f}.Key`);
    const value = p.string('Value', { max: 256 });
    if (seen.has(key)) throw new StevedoreError('DuplicateTagKeysException', `Tag key '${key}' is specified more than once.`, { field: `${f}.Key` });
    seen.add(key);
    return value === undefined ? { key } : { key, value };
  });
}

export function elbTagsJson(tags: ElbTag[] | undefined): { Key: string; Value?: string }[] {
  return (tags ?? []).map((t) => (t.value === undefined ? { Key: t.key } : { Key: t.key, Value: t.value }));
}

/** A tag's value by key (own data; a linear scan of at most 50). */
export function tagValue(tags: ElbTag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.key === key)?.value;
}

/** Reads and rewrites the tags of any ELB resource by ARN, inside the caller's transaction. */
function withTags(ctx: ApiContext, arn: string, change?: (tags: ElbTag[]) => ElbTag[]): ElbTag[] {
  const lbs = ctx.store.loadBalancers;
  switch (elbResourceType(arn)) {
    case 'loadbalancer': {
      const r = lbs.getLoadBalancer(arn);
      if (!r) throw notFound.loadBalancer();
      if (change) lbs.updateLoadBalancer({ ...r, tags: change(r.tags ?? []) });
      return change ? lbs.getLoadBalancer(arn)!.tags ?? [] : r.tags ?? [];
    }
    case 'targetgroup': {
      const r = lbs.getTargetGroup(arn);
      if (!r) throw notFound.targetGroup();
      if (change) lbs.putTargetGroup({ ...r, tags: change(r.tags ?? []) });
      return change ? lbs.getTargetGroup(arn)!.tags ?? [] : r.tags ?? [];
    }
    case 'listener': {
      const r = lbs.getListener(arn);
      if (!r) throw notFound.listener();
      if (change) lbs.putListener({ ...r, tags: change(r.tags ?? []) });
      return change ? lbs.getListener(arn)!.tags ?? [] : r.tags ?? [];
    }
    case 'listener-rule': {
      const r = lbs.getRule(arn);
      if (!r) throw notFound.rule();
      if (change) lbs.putRule({ ...r, tags: change(r.tags ?? []) });
      return change ? lbs.getRule(arn)!.tags ?? [] : r.tags ?? [];
    }
    default:
      throw validationError(`'${arn.slice(0, 256)}' is not a valid resource ARN.`, 'ResourceArns');
  }
}

function resourceArns(p: Params): string[] {
  return p.stringList('ResourceArns', { required: true, min: 1, max: 20 })!;
}

/** AddTags: a key already there gets the new value; more than 50 in all is TooManyTags. */
export const addTags = elbAction((ctx, p) => {
  const arns = resourceArns(p);
  const tags = readElbTags(p.list('Tags'));
  if (tags.length === 0) throw validationError('Tags must contain at least one tag.', 'Tags');
  ctx.store.tx(() => {
    for (const arn of arns) {
      withTags(ctx, arn, (old) => {
        const next = [...old.filter((t) => !tags.some((n) => n.key === t.key)), ...tags];
        if (next.length > MAX_TAGS) throw new StevedoreError('TooManyTagsException', `The quota for the number of tags that can be assigned to a load balancer resource (${MAX_TAGS}) has been reached.`, { field: 'Tags' });
        return next;
      });
    }
  });
  return {};
});

export const removeTags = elbAction((ctx, p) => {
  const arns = resourceArns(p);
  const keys = new Set(p.stringList('TagKeys', { required: true, max: MAX_TAGS })!);
  ctx.store.tx(() => {
    for (const arn of arns) withTags(ctx, arn, (old) => old.filter((t) => !keys.has(t.key)));
  });
  return {};
});

export const describeTags = elbAction((ctx, p) => {
  const arns = resourceArns(p);
  return { TagDescriptions: arns.map((arn) => ({ ResourceArn: arn, Tags: elbTagsJson(withTags(ctx, arn)) })) };
});
