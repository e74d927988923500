import {
  clusterNameOf,
  ELB_NAME,
  ELB_NAME_TEXT,
  elbArns,
  idOf,
  parseQuery,
  StevedoreError,
  validationError,
  type LoadBalancer,
  type LoadBalancerPlacement,
  type LoadBalancerType,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, encodeToken, isString } from '../paging';
import { Params } from '../params';
import { loadBalancerJson } from '../elb-json';
import { LoadBalancingView } from '../../store/load-balancing-view';
import { elbAction, notFound, pageSize, requireLoadBalancer } from './elb-input';
import { readElbTags, tagValue } from './elb-tags';
import { loadBalancerAttribute } from './load-balancer-attributes';

/** Stevedore's extensions in ELB's standard request shape: tags. */
export const CLUSTER_TAG = 'stevedore:cluster';
export const PLACEMENT_TAG = 'stevedore:placement';

function readPlacement(ctx: ApiContext, p: Params, cluster: string, tagged: string | undefined): LoadBalancerPlacement {
  const raw = p.object('Placement') ?? (tagged !== undefined ? { Expression: tagged } : undefined);
  if (!raw) throw validationError(`Placement is required: a tag '${PLACEMENT_TAG}' with a cluster query such as 'attribute:role == lb' (or, in Stevedore's JSON form, Placement with an Expression and/or ContainerInstanceIds).`, 'Tags');
  const pp = new Params(raw);
  const expression = pp.string('Expression', { max: 2000 });
  const ids = (pp.stringList('ContainerInstanceIds', { max: 100 }) ?? []).map(idOf);
  if (expression === undefined && ids.length === 0) throw validationError('Placement needs an Expression or ContainerInstanceIds.', 'Placement');
  if (expression !== undefined) {
    try {
      parseQuery(expression);
    } catch (e) {
      throw validationError(`Placement.Expression: ${(e as Error).message}`, 'Placement.Expression');
    }
  }
  for (const id of ids) {
    const i = ctx.store.instances.get(id);
    if (!i || i.clusterName !== cluster || i.status === 'INACTIVE') throw validationError(`Container instance '${id}' is not an active instance of cluster '${cluster}'.`, 'Placement.ContainerInstanceIds');
  }
  const out: LoadBalancerPlacement = {};
  if (expression !== undefined) out.expression = expression;
  if (ids.length > 0) out.containerInstanceIds = ids;
  return out;
}

/**
 * CreateLoadBalancer. ELB's Subnets become a Stevedore placement: the
 * container instances (of `Cluster`) that run the load balancer's HAProxy.
 * A repeated request with the same name and settings returns the existing
 * load balancer, as ELB does.
 */
export const createLoadBalancer = elbAction((ctx, p) => {
  const name = p.requiredString('Name', { pattern: ELB_NAME, patternText: ELB_NAME_TEXT });
  if (name.startsWith('internal-')) throw validationError("Load balancer names cannot begin with 'internal-'.", 'Name');
  const type = (p.string('Type', { enum: ['application', 'network', 'gateway'] }) ?? 'application') as LoadBalancerType;
  const scheme = (p.string('Scheme', { enum: ['internet-facing', 'internal'] }) ?? 'internet-facing') as LoadBalancer['scheme'];
  p.string('IpAddressType', { enum: ['ipv4'] });
  const tags = readElbTags(p.list('Tags'));
  const subnets = p.stringList('Subnets', { max: 200 }) ?? (p.list('SubnetMappings', { max: 200 }) ?? []).map((m) => Params.of(m).requiredString('SubnetId', { max: 256 }));
  const securityGroups = p.stringList('SecurityGroups', { max: 5 }) ?? [];
  const clusterRef = p.string('Cluster', { max: 2048 }) ?? tagValue(tags, CLUSTER_TAG) ?? 'default';
  const cluster = clusterNameOf(clusterRef);
  const c = ctx.store.clusters.get(cluster);
  if (!c || c.status !== 'ACTIVE') throw new StevedoreError('ClusterNotFoundException', `Cluster '${cluster.slice(0, 255)}' not found (the ${CLUSTER_TAG} tag names the cluster whose instances run the load balancer).`, { field: 'Cluster' });
  const placement = readPlacement(ctx, p, cluster, tagValue(tags, PLACEMENT_TAG));
  return ctx.store.tx(() => {
    const existing = ctx.store.loadBalancers.loadBalancerByName(name);
    if (existing) {
      if (existing.type === type && existing.scheme === scheme && existing.cluster === cluster && JSON.stringify(existing.placement) === JSON.stringify(placement)) {
        return { LoadBalancers: [describeOne(ctx, existing, new LoadBalancingView(ctx.store))] };
      }
      throw new StevedoreError('DuplicateLoadBalancerNameException', 'A load balancer with the same name exists, but with different settings', { field: 'Name' });
    }
    const lb: LoadBalancer = {
      arn: elbArns.loadBalancer(ctx.arn, type, name),
      name,
      type,
      scheme,
      cluster,
      placement,
      createdAt: ctx.clock.now(),
      ...(tags.length > 0 ? { tags } : {}),
      ...(subnets.length > 0 ? { subnets } : {}),
      ...(securityGroups.length > 0 ? { securityGroups } : {}),
    };
    ctx.store.loadBalancers.putLoadBalancer(lb);
    ctx.log.info({ loadBalancer: lb.arn, cluster, placement }, 'load balancer created');
    return { LoadBalancers: [describeOne(ctx, lb, new LoadBalancingView(ctx.store))] };
  });
});

function describeOne(ctx: ApiContext, lb: LoadBalancer, view: LoadBalancingView) {
  return loadBalancerJson(lb, view.hostsOf(lb.arn), ctx.store.targets.statusesOf(lb.arn));
}

export const describeLoadBalancers = elbAction((ctx, p) => {
  const arnList = p.stringList('LoadBalancerArns', { max: 20 });
  const names = p.stringList('Names', { max: 20 });
  if (arnList && names) throw validationError('LoadBalancerArns and Names cannot be used together.', 'Names');
  const view = new LoadBalancingView(ctx.store);
  if (arnList || names) {
    const found = (arnList ?? names ?? []).map((ref) => (arnList ? ctx.store.loadBalancers.getLoadBalancer(ref) : ctx.store.loadBalancers.loadBalancerByName(ref)));
    if (found.some((lb) => !lb)) throw notFound.loadBalancer();
    return { LoadBalancers: found.map((lb) => describeOne(ctx, lb!, view)) };
  }
  const size = pageSize(p);
  const after = decodeToken(p.string('Marker'), isString);
  const cluster = p.string('Cluster', { max: 2048 });
  const rows = ctx.store.loadBalancers.listLoadBalancers({ ...(after !== undefined ? { after } : {}), ...(cluster !== undefined ? { cluster: clusterNameOf(cluster) } : {}), limit: size + 1 });
  const items = rows.slice(0, size);
  return { LoadBalancers: items.map((lb) => describeOne(ctx, lb, view)), ...(rows.length > size ? { NextMarker: encodeToken(items[items.length - 1]!.name) } : {}) };
});

/** DeleteLoadBalancer: its listeners and rules go too; target groups stay (ELB). Deleting an unknown one succeeds. */
export const deleteLoadBalancer = elbAction((ctx, p) => {
  let lb: LoadBalancer;
  try {
    lb = requireLoadBalancer(ctx, p);
  } catch (e) {
    if (e instanceof StevedoreError && e.code === 'LoadBalancerNotFoundException') return {};
    throw e;
  }
  if (loadBalancerAttribute(lb, 'deletion_protection.enabled') === 'true') {
    throw new StevedoreError('OperationNotPermittedException', `Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`, { field: 'LoadBalancerArn' });
  }
  ctx.store.tx(() => {
    ctx.store.loadBalancers.deleteLoadBalancer(lb.arn);
    ctx.store.targets.deleteStatuses(lb.arn);
  });
  ctx.log.info({ loadBalancer: lb.arn }, 'load balancer deleted');
  return {};
});
