import {
  elbArns,
  MAX_RULE_PRIORITY,
  MIN_RULE_PRIORITY,
  protocolFitsType,
  isTlsProtocol,
  listenerHostPorts,
  sslPolicyOf,
  DEFAULT_SSL_POLICY,
  type ListenerProtocol,
  StevedoreError,
  validateConditions,
  validationError,
  type Listener,
  type ListenerRule,
  type LoadBalancer,
  type TargetGroup,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { readElbTags } from './elb-tags';
import { defaultRuleJson, listenerJson, ruleJson } from '../elb-json';
import { LoadBalancingView } from '../../store/load-balancing-view';
import { elbAction, notFound, readConditions, readForwardActions, requireListener, requireLoadBalancer, requireRule } from './elb-input';
import { createGatewayListener, modifyGatewayListener } from './gateway-listeners';

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
  const existing = ctx.store.loadBalancers.listenersOf(lb.arn).find((l) => listenerHostPorts(l).includes(port));
  if (existing) throw new StevedoreError('DuplicateListenerException', `A listener already exists on port ${port} for this load balancer ('${existing.arn}')`, { field: 'Port' });
  const view = new LoadBalancingView(ctx.store);
  const mine = new Set(view.hostsOf(lb.arn).map((h) => h.id));
  for (const other of ctx.store.loadBalancers.listLoadBalancers({ cluster: lb.cluster })) {
    if (other.arn === lb.arn) continue;
    const clash = ctx.store.loadBalancers.listenersOf(other.arn).find((l) => listenerHostPorts(l).includes(port));
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

function readProtocol(p: Params, lb: LoadBalancer): ListenerProtocol {
  const protocol = p.requiredString('Protocol', { enum: ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] });
  if (protocol === 'UDP' || protocol === 'TCP_UDP' || protocol === 'GENEVE') throw validationError(`Listener protocol '${protocol}' is not supported by Stevedore; use HTTP or HTTPS (application), TCP or TLS (network).`, 'Protocol');
  if (!protocolFitsType(protocol as ListenerProtocol, lb.type)) {
    throw new StevedoreError('IncompatibleProtocolsException', `Listener protocol '${protocol}' is not supported by a ${lb.type} load balancer; use ${lb.type === 'application' ? 'HTTP or HTTPS' : 'TCP or TLS'}.`, { field: 'Protocol' });
  }
  return protocol as ListenerProtocol;
}

/** Certificates of an HTTPS/TLS listener: exactly one default, from the certificate store. */
function readDefaultCertificate(ctx: ApiContext, p: Params): string | undefined {
  const raw = p.list('Certificates', { max: 1 });
  if (!raw || raw.length === 0) return undefined;
  const arn = Params.of(raw[0]).requiredString('CertificateArn', { max: 2048 });
  if (!ctx.store.certificates.get(arn)) throw new StevedoreError('CertificateNotFoundException', `Certificate '${arn.slice(0, 256)}' not found`, { field: 'Certificates[0].CertificateArn' });
  return arn;
}

function readSslPolicy(p: Params): string | undefined {
  const name = p.string('SslPolicy', { max: 256 });
  if (name !== undefined && !sslPolicyOf(name)) throw new StevedoreError('SSLPolicyNotFoundException', `SSL policy '${name}' not found`, { field: 'SslPolicy' });
  return name;
}

/** TLS settings of a listener after a create or modify: required for HTTPS/TLS, refused otherwise. */
function tlsSettings(protocol: ListenerProtocol, certificate: string | undefined, sslPolicy: string | undefined, previous?: Listener): Pick<Listener, 'certificates' | 'sslPolicy'> {
  if (!isTlsProtocol(protocol)) {
    if (certificate !== undefined) throw validationError(`Certificates are only used by HTTPS and TLS listeners.`, 'Certificates');
    if (sslPolicy !== undefined) throw validationError(`An SSL policy is only used by HTTPS and TLS listeners.`, 'SslPolicy');
    return {};
  }
  const certificates = certificate !== undefined ? [certificate, ...(previous?.certificates ?? []).slice(1).filter((c) => c !== certificate)] : previous?.certificates;
  if (!certificates || certificates.length === 0) throw validationError(`A certificate must be specified for ${protocol} listeners.`, 'Certificates');
  return { certificates, sslPolicy: sslPolicy ?? previous?.sslPolicy ?? DEFAULT_SSL_POLICY };
}

function readListenerPort(p: Params): number | undefined {
  return p.integer('Port', { min: 1, max: 65535 });
}

export const createListener = elbAction((ctx, p) => {
  const lb = requireLoadBalancer(ctx, p);
  if (lb.type === 'gateway') return createGatewayListener(ctx, lb, p, (port) => checkPortFree(ctx, lb, port));
  const protocol = readProtocol(p, lb);
  const port = readListenerPort(p);
  if (port === undefined) throw validationError('A listener port must be specified', 'Port');
  const tls = tlsSettings(protocol, readDefaultCertificate(ctx, p), readSslPolicy(p));
  const { actions, targetGroups } = readForwardActions(ctx, p.list('DefaultActions'), 'DefaultActions', lb.type);
  checkTargetGroups(lb, targetGroups, 'DefaultActions');
  const tags = readElbTags(p.list('Tags'));
  return ctx.store.tx(() => {
    checkPortFree(ctx, lb, port);
    const l: Listener = { arn: elbArns.listener(lb.arn), loadBalancerArn: lb.arn, protocol, port, defaultActions: actions, createdAt: ctx.clock.now(), ...tls, ...(tags.length > 0 ? { tags } : {}) };
    ctx.store.loadBalancers.putListener(l);
    ctx.log.info({ loadBalancer: lb.arn, listener: l.arn, port }, 'listener created');
    return { Listeners: [listenerJson(l)] };
  });
});

/** ModifyListener: port, protocol and default actions; what is not given stays. */
export const modifyListener = elbAction((ctx, p) => {
  const l = requireListener(ctx, p);
  const lb = ctx.store.loadBalancers.getLoadBalancer(l.loadBalancerArn);
  if (!lb) throw notFound.loadBalancer();
  if (lb.type === 'gateway') return modifyGatewayListener(ctx, lb, l, p, (port) => checkPortFree(ctx, lb, port));
  const protocol = p.has('Protocol') ? readProtocol(p, lb) : l.protocol;
  const port = readListenerPort(p) ?? l.port;
  const tls = tlsSettings(protocol, readDefaultCertificate(ctx, p), readSslPolicy(p), isTlsProtocol(l.protocol) ? l : undefined);
  let defaultActions = l.defaultActions;
  if (p.has('DefaultActions')) {
    const read = readForwardActions(ctx, p.list('DefaultActions'), 'DefaultActions', lb.type);
    checkTargetGroups(lb, read.targetGroups, 'DefaultActions');
    defaultActions = read.actions;
  }
  return ctx.store.tx(() => {
    if (port !== l.port) checkPortFree(ctx, lb, port);
    const { certificates: _c, sslPolicy: _s, ...rest } = l;
    const next: Listener = { ...rest, protocol, port, defaultActions, ...tls };
    ctx.store.loadBalancers.putListener(next);
    ctx.log.info({ listener: l.arn, port }, 'listener modified');
    return { Listeners: [listenerJson(next)] };
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
  const { actions, targetGroups } = readForwardActions(ctx, p.list('Actions'), 'Actions', lb.type);
  checkTargetGroups(lb, targetGroups, 'Actions');
  const tags = readElbTags(p.list('Tags'));
  return ctx.store.tx(() => {
    if (ctx.store.loadBalancers.rulesOf(l.arn).some((r) => r.priority === priority)) {
      throw new StevedoreError('PriorityInUseException', `Priority '${priority}' is currently in use`, { field: 'Priority' });
    }
    const r: ListenerRule = { arn: elbArns.rule(l.arn), listenerArn: l.arn, priority, conditions, actions, createdAt: ctx.clock.now(), ...(tags.length > 0 ? { tags } : {}) };
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

/** The listener's default rule (`.../default`) is not a rule of the table: ELB refuses to change it this way. */
function isDefaultRuleArn(arn: string): boolean {
  return arn.endsWith('/default');
}

/** ModifyRule: conditions and/or actions; the priority changes only through SetRulePriorities. */
export const modifyRule = elbAction((ctx, p) => {
  if (isDefaultRuleArn(String(p.body['RuleArn'] ?? ''))) throw new StevedoreError('OperationNotPermittedException', 'Default rules cannot be modified; use ModifyListener to change the default actions.', { field: 'RuleArn' });
  const r = requireRule(ctx, p);
  const l = ctx.store.loadBalancers.getListener(r.listenerArn);
  const lb = l && ctx.store.loadBalancers.getLoadBalancer(l.loadBalancerArn);
  if (!lb) throw notFound.loadBalancer();
  let { conditions, actions } = r;
  if (p.has('Conditions')) {
    conditions = readConditions(p.list('Conditions'));
    validateConditions(conditions);
  }
  if (p.has('Actions')) {
    const read = readForwardActions(ctx, p.list('Actions'), 'Actions', lb.type);
    checkTargetGroups(lb, read.targetGroups, 'Actions');
    actions = read.actions;
  }
  return ctx.store.tx(() => {
    const next: ListenerRule = { ...r, conditions, actions };
    ctx.store.loadBalancers.putRule(next);
    ctx.log.info({ rule: r.arn }, 'rule modified');
    return { Rules: [ruleJson(next)] };
  });
});

/**
 * SetRulePriorities: all or nothing. Rules may swap priorities, so they are
 * first moved out of the way (negative, never a real priority), then set.
 */
export const setRulePriorities = elbAction((ctx, p) => {
  const raw = p.list('RulePriorities');
  if (!raw || raw.length === 0) throw validationError('RulePriorities must contain at least one rule.', 'RulePriorities');
  const wanted = raw.map((x, i) => {
    const rp = Params.of(x);
    const arn = rp.requiredString('RuleArn', { max: 2048 });
    if (isDefaultRuleArn(arn)) throw new StevedoreError('OperationNotPermittedException', 'The priority of a default rule cannot be changed.', { field: `RulePriorities[${i}].RuleArn` });
    const priority = rp.integer('Priority');
    if (priority === undefined || priority < MIN_RULE_PRIORITY || priority > MAX_RULE_PRIORITY) throw validationError(`Priority must be from ${MIN_RULE_PRIORITY} to ${MAX_RULE_PRIORITY}.`, `RulePriorities[${i}].Priority`);
    return { arn, priority };
  });
  return ctx.store.tx(() => {
    const rules = wanted.map((w) => {
      const r = ctx.store.loadBalancers.getRule(w.arn);
      if (!r) throw notFound.rule();
      return { r, priority: w.priority };
    });
    const moving = new Set(rules.map((x) => x.r.arn));
    const byListener = new Map<string, number[]>();
    for (const { r, priority } of rules) {
      const taken = byListener.get(r.listenerArn) ?? [];
      if (taken.includes(priority)) throw new StevedoreError('PriorityInUseException', `Priority '${priority}' is given to more than one rule`, { field: 'RulePriorities' });
      taken.push(priority);
      byListener.set(r.listenerArn, taken);
      const clash = ctx.store.loadBalancers.rulesOf(r.listenerArn).find((o) => o.priority === priority && !moving.has(o.arn));
      if (clash) throw new StevedoreError('PriorityInUseException', `Priority '${priority}' is currently in use`, { field: 'RulePriorities' });
    }
    rules.forEach(({ r }, i) => ctx.store.loadBalancers.putRule({ ...r, priority: -1 - i }));
    const out = rules.map(({ r, priority }) => ({ ...r, priority }));
    for (const r of out) ctx.store.loadBalancers.putRule(r);
    ctx.log.info({ rules: out.length }, 'rule priorities set');
    return { Rules: out.map(ruleJson) };
  });
});

/** AddListenerCertificates: more certificates for SNI (at most 25 besides the default, ELB's quota). */
export const addListenerCertificates = elbAction((ctx, p) => {
  const raw = p.list('Certificates', { max: 25 });
  if (!raw || raw.length === 0) throw validationError('Certificates must contain at least one certificate.', 'Certificates');
  const arns = raw.map((c, i) => {
    const arn = Params.of(c).requiredString('CertificateArn', { max: 2048 });
    if (!ctx.store.certificates.get(arn)) throw new StevedoreError('CertificateNotFoundException', `Certificate '${arn.slice(0, 256)}' not found`, { field: `Certificates[${i}].CertificateArn` });
    return arn;
  });
  return ctx.store.tx(() => {
    const l = requireListener(ctx, p);
    if (!isTlsProtocol(l.protocol)) throw validationError('Certificates can only be added to HTTPS and TLS listeners.', 'ListenerArn');
    const certificates = [...(l.certificates ?? [])];
    for (const a of arns) if (!certificates.includes(a)) certificates.push(a);
    if (certificates.length > 26) throw new StevedoreError('TooManyCertificatesException', 'A listener can have at most 25 certificates besides its default.', { field: 'Certificates' });
    ctx.store.loadBalancers.putListener({ ...l, certificates });
    return { Certificates: arns.map((CertificateArn) => ({ CertificateArn, IsDefault: false })) };
  });
});

export const removeListenerCertificates = elbAction((ctx, p) => {
  const raw = p.list('Certificates', { max: 25 }) ?? [];
  const arns = new Set(raw.map((c) => Params.of(c).requiredString('CertificateArn', { max: 2048 })));
  return ctx.store.tx(() => {
    const l = requireListener(ctx, p);
    if (l.certificates?.[0] !== undefined && arns.has(l.certificates[0])) throw new StevedoreError('OperationNotPermittedException', 'The default certificate of a listener cannot be removed; use ModifyListener to replace it.', { field: 'Certificates' });
    ctx.store.loadBalancers.putListener({ ...l, certificates: (l.certificates ?? []).filter((c) => !arns.has(c)) });
    return {};
  });
});

export const describeListenerCertificates = elbAction((ctx, p) => {
  const l = requireListener(ctx, p);
  return { Certificates: (l.certificates ?? []).map((CertificateArn, i) => ({ CertificateArn, IsDefault: i === 0 })) };
});
