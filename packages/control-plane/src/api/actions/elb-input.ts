import {
  elbResourceType,
  InvalidParameterException,
  StevedoreError,
  validationError,
  type ForwardAction,
  type Listener,
  type ListenerRule,
  type LoadBalancer,
  type RuleCondition,
  type TargetGroup,
} from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { Params } from '../params';

/**
 * Shared input handling of the load balancer operations. ELB answers bad
 * input with `ValidationError` where ECS says InvalidParameterException, so
 * every ELB action runs inside `elbAction`, which renames it.
 */
export function elbAction(fn: (ctx: ApiContext, p: Params) => unknown): Action {
  return (ctx, body) => {
    try {
      return fn(ctx, Params.of(body));
    } catch (e) {
      if (e instanceof InvalidParameterException) throw new StevedoreError('ValidationError', e.message, e.field === undefined ? {} : { field: e.field });
      throw e;
    }
  };
}

export const notFound = {
  loadBalancer: () => new StevedoreError('LoadBalancerNotFoundException', 'One or more load balancers not found'),
  targetGroup: () => new StevedoreError('TargetGroupNotFoundException', 'One or more target groups not found'),
  listener: () => new StevedoreError('ListenerNotFoundException', 'One or more listeners not found'),
  rule: () => new StevedoreError('RuleNotFoundException', 'One or more rules not found'),
};

function arnOf(p: Params, name: string, type: ReturnType<typeof elbResourceType>): string {
  const v = p.requiredString(name, { max: 2048 });
  if (elbResourceType(v) !== type) throw validationError(`'${v}' is not a valid ${name}.`, name);
  return v;
}

export function requireLoadBalancer(ctx: ApiContext, p: Params, member = 'LoadBalancerArn'): LoadBalancer {
  const lb = ctx.store.loadBalancers.getLoadBalancer(arnOf(p, member, 'loadbalancer'));
  if (!lb) throw notFound.loadBalancer();
  return lb;
}

export function requireTargetGroup(ctx: ApiContext, p: Params, member = 'TargetGroupArn'): TargetGroup {
  const tg = ctx.store.loadBalancers.getTargetGroup(arnOf(p, member, 'targetgroup'));
  if (!tg) throw notFound.targetGroup();
  return tg;
}

export function requireListener(ctx: ApiContext, p: Params, member = 'ListenerArn'): Listener {
  const l = ctx.store.loadBalancers.getListener(arnOf(p, member, 'listener'));
  if (!l) throw notFound.listener();
  return l;
}

export function requireRule(ctx: ApiContext, p: Params, member = 'RuleArn'): ListenerRule {
  const r = ctx.store.loadBalancers.getRule(arnOf(p, member, 'listener-rule'));
  if (!r) throw notFound.rule();
  return r;
}

/** ELB paging: Marker (opaque) and PageSize 1-400. */
export function pageSize(p: Params): number {
  return p.integer('PageSize', { min: 1, max: 400 }) ?? 400;
}

/**
 * `forward` actions, as ELB takes them: `{Type, TargetGroupArn}` or
 * `{Type, ForwardConfig: {TargetGroups: [{TargetGroupArn}]}}`. Stevedore
 * forwards to one target group per action; other action types are refused.
 */
export function readForwardActions(ctx: ApiContext, raw: unknown[] | undefined, member: string): { actions: ForwardAction[]; targetGroups: TargetGroup[] } {
  if (!raw || raw.length === 0) throw validationError(`${member} must contain exactly one forward action.`, member);
  if (raw.length > 1) throw validationError(`Stevedore supports one action (forward) per ${member === 'Actions' ? 'rule' : 'listener'}.`, member);
  const a = Params.of(raw[0]);
  const type = a.requiredString('Type');
  if (type !== 'forward') throw validationError(`Action type '${type}' is not supported by Stevedore; use 'forward'.`, `${member}[0].Type`);
  let arn = a.string('TargetGroupArn', { max: 2048 });
  const fc = a.object('ForwardConfig');
  if (fc) {
    const groups = new Params(fc).list('TargetGroups') ?? [];
    if (groups.length !== 1) throw validationError('Stevedore forwards to exactly one target group per action (weighted forwarding is not supported).', `${member}[0].ForwardConfig`);
    const fromConfig = Params.of(groups[0]).requiredString('TargetGroupArn', { max: 2048 });
    if (arn !== undefined && arn !== fromConfig) throw validationError('TargetGroupArn and ForwardConfig name different target groups.', `${member}[0]`);
    arn = fromConfig;
  }
  if (arn === undefined) throw validationError('A forward action needs a TargetGroupArn.', `${member}[0].TargetGroupArn`);
  const tg = elbResourceType(arn) === 'targetgroup' ? ctx.store.loadBalancers.getTargetGroup(arn) : undefined;
  if (!tg) throw notFound.targetGroup();
  return { actions: [{ type: 'forward', targetGroupArn: tg.arn }], targetGroups: [tg] };
}

/** `{Field, Values}` or `{Field, HostHeaderConfig|PathPatternConfig: {Values}}`. */
export function readConditions(raw: unknown[] | undefined): RuleCondition[] {
  return (raw ?? []).map((x, i) => {
    const c = Params.of(x);
    const field = c.requiredString('Field');
    if (field !== 'host-header' && field !== 'path-pattern') {
      throw validationError(`Condition field '${field}' is not supported by Stevedore; use host-header or path-pattern.`, `Conditions[${i}].Field`);
    }
    const configName = field === 'host-header' ? 'HostHeaderConfig' : 'PathPatternConfig';
    const config = c.object(configName);
    const values = (config ? new Params(config).stringList('Values') : undefined) ?? c.stringList('Values') ?? [];
    return { field, values };
  });
}
