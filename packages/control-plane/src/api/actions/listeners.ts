import {
  elbArns,
  MAX_RULE_PRIORITY,
  MIN_RULE_PRIORITY,
  protocolFitsType,
  StevedoreError,
  validateConditions,
  validationError,
  type ElbProtocol,
  type Listener,
  type ListenerRule,
  type LoadBalancer,
  type TargetGroup,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { defaultRuleJson, listenerJson, ruleJson } from '../elb-json';
import { LoadBalancingView } from '../../store/load-balancing-view';
import { elbAction, notFound, readConditions, readForwardActions, requireListener, requireLoadBalancer, requireRule } from './elb-input';

/** A target group must speak its load balancer's protocol: HTTP behind application, TCP behind network. */
function checkTargetGroups(lb: LoadBalancer, groups: TargetGroup[], field: string): void {
  for (const tg of groups) {
    if (!protocolFitsType(tg.protocol, lb.type)) {
      throw new StevedoreError(
        'InvalidConfigurationRequestException',
        `The target group '${tg.name}' uses protocol ${tg.protocol}, which a ${lb.type} load balancer cannot forward to; use a ${lb.type === 'application' ? 'HTTP' : 'TCP'} target group.`,
        { field },
      );
    }
  }
}

/**
 * Listener ports belong to the hosts: another load balancer placed on a
 * host of this one (now, or by the same placement) may not listen on the port.
 */
function checkPortFree(ctx: ApiContext, lb: LoadBalancer, port: number): void {
  const existing = ctx.store.loadBalancers.listenersOf(lb.arn).find((l) => l.port === port);
  if (existing) throw new StevedoreError('DuplicateListenerException', `A listener already exists on port ${port} for this load balancer ('${existing.arn}')`, { field: 'Port' });
  const view = new LoadBalancingView(ctx.store);
  const mine = new Set(view.hostsOf(lb.arn).map((h) => h.id));
  for (const other of ctx.store.loadBalancers.listLoadBalancers({ cluster: lb.cluster })) {
    if (other.arn === lb.arn) continue;
    const clash = ctx.store.loadBalancers.listenersOf(other.arn).find((l) => l.port === port);
    if (!clash) continue;
    const shared = view.hostsOf(other.arn).find((h) => mine.has(h.id));
    const samePlacement = JSON.stringify(other.placement) === JSON.stringify(lb.placement);
    if (shared || samePlacement) {
      throw new StevedoreError(
        'InvalidConfigurationRequestException',
        `Port ${port} is already used by listener '${clash.arn}' of load balancer '${other.name}'${shared ? ` on container instance ${shared.id}` : ' (same placement)'}.`,
        { field: 'Port' },
      );
    }
  }
}

export const createListener = elbAction((ctx, p) => {
  const lb = requireLoadBalancer(ctx, p);
  const protocol = p.requiredString('Protocol', { enum: ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] });
  if (protocol !== 'HTTP' && protocol !== 'TCP') throw validationError(`Listener protocol '${protocol}' is not supported by Stevedore; use HTTP (application) or TCP (network).`, 'Protocol');
  if (!protocolFitsType(protocol as ElbProtocol, lb.type)) {
    throw new StevedoreError('IncompatibleProtocolsException', `Listener protocol '${protocol}' is not supported by a ${lb.type} load balancer; use ${lb.type === 'application' ? 'HTTP' : 'TCP'}.`, { field: 'Protocol' });
  }
  const port = p.integer('Port', { min: 1, max: 65535 });
  if (port === undefined) throw validationError('A listener port must be specified', 'Port');
  if (p.list('Certificates')?.length) throw validationError('Certificates are not supported by Stevedore (HTTPS listeners are not available yet).', 'Certificates');
  const { actions, targetGroups } = readForwardActions(ctx, p.list('DefaultActions'), 'DefaultActions');
  checkTargetGroups(lb, targetGroups, 'DefaultActions');
  return ctx.store.tx(() => {
    checkPortFree(ctx, lb, port);
    const l: Listener = { arn: elbArns.listener(lb.arn), loadBalancerArn: lb.arn, protocol: protocol as ElbProtocol, port, defaultActions: actions, createdAt: ctx.clock.now() };
    ctx.store.loadBalancers.putListener(l);
    ctx.log.info({ loadBalancer: lb.arn, listener: l.arn, port }, 'listener created');
    return { Listeners: [listenerJson(l)] };
  });
});

export const describeListeners = elbAction((ctx, p) => {
  const arnList = p.stringList('ListenerArns', { max: 20 });
  if (arnList) {
    const found = arnList.map((a) => ctx.store.loadBalancers.getListener(a));
    if (found.some((l) => !l)) throw notFound.listener();
    return { Listeners: (found as Listener[]).map(listenerJson) };
  }
  if (!p.has('LoadBalancerArn')) throw validationError('Either LoadBalancerArn or ListenerArns must be specified.', 'LoadBalancerArn');
  const lb = requireLoadBalancer(ctx, p);
  return { Listeners: ctx.store.loadBalancers.listenersOf(lb.arn).map(listenerJson) };
});

export const deleteListener = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const l = requireListener(ctx, p);
    ctx.store.loadBalancers.deleteListener(l.arn);
    ctx.log.info({ listener: l.arn }, 'listener deleted');
    return {};
  }),
);

/** CreateRule: application load balancers; priority 1-50000, unique per listener. */
export const createRule = elbAction((ctx, p) => {
  const l = requireListener(ctx, p);
  const lb = ctx.store.loadBalancers.getLoadBalancer(l.loadBalancerArn);
  if (!lb) throw notFound.loadBalancer();
  if (lb.type !== 'application') throw new StevedoreError('InvalidConfigurationRequestException', 'Rules are only supported on listeners of application load balancers.', { field: 'ListenerArn' });
  const priority = p.integer('Priority');
  if (priority === undefined) throw validationError('A rule priority must be specified', 'Priority');
  if (priority < MIN_RULE_PRIORITY || priority > MAX_RULE_PRIORITY) throw validationError(`Priority must be from ${MIN_RULE_PRIORITY} to ${MAX_RULE_PRIORITY}.`, 'Priority');
  const conditions = readConditions(p.list('Conditions'));
  validateConditions(conditions);
  const { actions, targetGroups } = readForwardActions(ctx, p.list('Actions'), 'Actions');
  checkTargetGroups(lb, targetGroups, 'Actions');
  return ctx.store.tx(() => {
    if (ctx.store.loadBalancers.rulesOf(l.arn).some((r) => r.priority === priority)) {
      throw new StevedoreError('PriorityInUseException', `Priority '${priority}' is currently in use`, { field: 'Priority' });
    }
    const r: ListenerRule = { arn: elbArns.rule(l.arn), listenerArn: l.arn, priority, conditions, actions, createdAt: ctx.clock.now() };
    ctx.store.loadBalancers.putRule(r);
    ctx.log.info({ listener: l.arn, rule: r.arn, priority }, 'rule created');
    return { Rules: [ruleJson(r)] };
  });
});

/** DescribeRules lists the listener's default rule last, as ELB does. */
export const describeRules = elbAction((ctx, p) => {
  const arnList = p.stringList('RuleArns', { max: 20 });
  if (arnList) {
    const found = arnList.map((a) => ctx.store.loadBalancers.getRule(a));
    if (found.some((r) => !r)) throw notFound.rule();
    return { Rules: (found as ListenerRule[]).map(ruleJson) };
  }
  if (!p.has('ListenerArn')) throw validationError('Either ListenerArn or RuleArns must be specified.', 'ListenerArn');
  const l = requireListener(ctx, p);
  return { Rules: [...ctx.store.loadBalancers.rulesOf(l.arn).map(ruleJson), defaultRuleJson(l)] };
});

export const deleteRule = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const r = requireRule(ctx, p);
    ctx.store.loadBalancers.deleteRule(r.arn);
    return {};
  }),
);
