import {
  arns,
  ATTRIBUTE_NAME_RULE,
  ATTRIBUTE_VALUE_RULE,
  idOf,
  InvalidParameterException,
  isAttributeName,
  isAttributeValue,
  isBuiltInAttribute,
  MAX_CUSTOM_ATTRIBUTES,
  StevedoreError,
  type Attribute,
  type Cluster,
  type ContainerInstance,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, page } from '../paging';
import { Params } from '../params';
import { findInstance, requireCluster } from '../lookups';
import { instanceJson } from './container-instances';


interface AttributeRequest {
  name: string;
  value?: string;
  instance: ContainerInstance;
}

function readAttributes(ctx: ApiContext, cluster: Cluster, p: Params, forPut: boolean): AttributeRequest[] {
  const raw = p.list('attributes', { max: 10 });
  if (!raw || raw.length === 0) throw new InvalidParameterException('attributes is required.', 'attributes');
  return raw.map((a, i) => {
    const at = `attributes[${i}]`;
    const ap = Params.of(a);
    const name = ap.requiredString('name');
    if (!isAttributeName(name)) throw new InvalidParameterException(`${at}.name must be ${ATTRIBUTE_NAME_RULE}.`, `${at}.name`);
    if (isBuiltInAttribute(name)) throw new InvalidParameterException(`${at}.name: attribute names starting with ecs. or com.amazonaws. are reserved.`, `${at}.name`);
    const value = ap.string('value');
    if (forPut && value !== undefined && !isAttributeValue(value)) throw new InvalidParameterException(`${at}.value must be ${ATTRIBUTE_VALUE_RULE}.`, `${at}.value`);
    const targetType = ap.string('targetType') ?? 'container-instance';
    if (targetType !== 'container-instance') throw new InvalidParameterException(`${at}.targetType must be container-instance.`, `${at}.targetType`);
    const targetId = ap.string('targetId');
    if (!targetId) throw new InvalidParameterException(`${at}.targetId is required.`, `${at}.targetId`);
    const instance = findInstance(ctx, cluster, targetId);
    if (!instance || instance.status === 'INACTIVE') throw new StevedoreError('TargetNotFoundException', `Could not find container instance ${idOf(targetId)}.`, { field: `${at}.targetId` });
    return value === undefined ? { name, instance } : { name, value, instance };
  });
}

function echo(ctx: ApiContext, r: AttributeRequest) {
  const out: Record<string, string> = { name: r.name, targetType: 'container-instance', targetId: arns.containerInstance(ctx.arn, r.instance.clusterName, r.instance.id) };
  if (r.value !== undefined) out['value'] = r.value;
  return out;
}

export function putAttributes(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  return ctx.store.tx(() => {
    const reqs = readAttributes(ctx, cluster, p, true);
    const updated = new Map<string, Attribute[]>();
    for (const r of reqs) {
      const attrs = updated.get(r.instance.id) ?? [...(ctx.store.instances.get(r.instance.id)?.attributes ?? [])];
      const next = attrs.filter((a) => a.name !== r.name);
      // An operator's attribute outranks the agent's report of the same name, now and at every later registration.
      next.push(r.value === undefined ? { name: r.name, source: 'operator' } : { name: r.name, value: r.value, source: 'operator' });
      if (next.filter((a) => !isBuiltInAttribute(a.name)).length > MAX_CUSTOM_ATTRIBUTES) {
        throw new StevedoreError('AttributeLimitExceededException', `You can specify at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes per container instance (${r.instance.id}).`);
      }
      updated.set(r.instance.id, next);
    }
    for (const [id, attributes] of updated) {
      const i = ctx.store.instances.get(id)!;
      ctx.store.instances.put({ ...i, attributes, version: i.version + 1 });
    }
    return { attributes: reqs.map((r) => echo(ctx, r)) };
  });
}

export function deleteAttributes(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  return ctx.store.tx(() => {
    const reqs = readAttributes(ctx, cluster, p, false);
    for (const r of reqs) {
      const i = ctx.store.instances.get(r.instance.id)!;
      const attributes = i.attributes.filter((a) => a.name !== r.name);
      if (attributes.length !== i.attributes.length) ctx.store.instances.put({ ...i, attributes, version: i.version + 1 });
    }
    return { attributes: reqs.map((r) => echo(ctx, r)) };
  });
}

const isKey = (k: unknown): k is [string, string] => Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'string';

/** ListAttributes: every attribute of the cluster's instances, built-in and custom, paged by (instance, name). */
export function listAttributes(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  p.requiredString('targetType', { enum: ['container-instance'] });
  const name = p.string('attributeName', { max: 128 });
  const value = p.string('attributeValue', { max: 128 });
  if (value !== undefined && name === undefined) throw new InvalidParameterException('attributeValue can only be used together with attributeName.', 'attributeValue');
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isKey);
  const rows: { id: string; attr: Attribute; arn: string }[] = [];
  for (const i of ctx.store.instances.listByCluster(cluster.name)) {
    for (const a of [...i.attributes].sort((x, y) => x.name.localeCompare(y.name))) {
      if (name !== undefined && a.name !== name) continue;
      if (value !== undefined && a.value !== value) continue;
      if (after && (i.id < after[0] || (i.id === after[0] && a.name <= after[1]))) continue;
      rows.push({ id: i.id, attr: a, arn: arns.containerInstance(ctx.arn, cluster.name, i.id) });
    }
  }
  const { items, nextToken } = page(rows.slice(0, limit + 1), limit, (r) => [r.id, r.attr.name]);
  return {
    attributes: items.map((r) => ({ name: r.attr.name, ...(r.attr.value !== undefined ? { value: r.attr.value } : {}), targetType: 'container-instance', targetId: r.arn })),
    ...(nextToken ? { nextToken } : {}),
  };
}

/**
 * UpdateContainerInstancesState: ACTIVE <-> DRAINING. A DRAINING instance
 * gets no new tasks and the orchestrator moves its service tasks away.
 */
export function updateContainerInstancesState(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('containerInstances', { required: true, min: 1, max: 10 })!;
  const status = p.requiredString('status', { enum: ['ACTIVE', 'DRAINING'] }) as 'ACTIVE' | 'DRAINING';
  return ctx.store.tx(() => {
    const containerInstances: unknown[] = [];
    const failures: unknown[] = [];
    for (const ref of refs) {
      const i = findInstance(ctx, cluster, ref);
      const arn = i ? arns.containerInstance(ctx.arn, cluster.name, i.id) : ref.startsWith('arn:') ? ref : arns.containerInstance(ctx.arn, cluster.name, ref);
      if (!i) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      if (i.status !== 'ACTIVE' && i.status !== 'DRAINING') {
        failures.push({ arn, reason: 'INACTIVE', detail: `The container instance is ${i.status}; it must be ACTIVE or DRAINING.` });
        continue;
      }
      let current = i;
      if (i.status !== status) {
        current = { ...i, status, version: i.version + 1 };
        ctx.store.instances.put(current);
        ctx.log.info({ cluster: cluster.name, instance: i.id, from: i.status, to: status }, 'container instance state changed');
      }
      containerInstances.push(instanceJson(ctx, current));
    }
    return { containerInstances, failures };
  });
}
