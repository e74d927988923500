import {
  DEFAULT_TARGET_GROUP_ATTRIBUTES,
  GENEVE_PORT,
  defaultHealthCheck,
  ELB_NAME,
  ELB_NAME_TEXT,
  elbArns,
  StevedoreError,
  validateAttributes,
  validateHealthCheck,
  validationError,
  type ElbProtocol,
  type TargetGroup,
  type TargetGroupHealthCheck,
  type TargetType,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, encodeToken, isString } from '../paging';
import type { Params } from '../params';
import { targetGroupAttributesJson, targetGroupJson } from '../elb-json';
import { LoadBalancingView } from '../../store/load-balancing-view';
import { elbAction, notFound, pageSize, requireLoadBalancer, requireTargetGroup } from './elb-input';
import { readElbTags } from './elb-tags';
import { modifyApplianceAttributes } from './appliance-attributes';

function readPort(p: Params, name: string): number | undefined {
  return p.integer(name, { min: 1, max: 65535 });
}

/** The health check members of Create/ModifyTargetGroup over `base`. */
function readHealthCheck(p: Params, base: TargetGroupHealthCheck): TargetGroupHealthCheck {
  const protocol = (p.string('HealthCheckProtocol', { enum: ['HTTP', 'TCP', 'HTTPS'] }) ?? base.protocol) as TargetGroupHealthCheck['protocol'] | 'HTTPS';
  if (protocol === 'HTTPS') throw validationError('HealthCheckProtocol HTTPS is not supported by Stevedore.', 'HealthCheckProtocol');
  const portRaw = p.string('HealthCheckPort', { max: 11 });
  let port = base.port;
  if (portRaw !== undefined) {
    if (portRaw === 'traffic-port') port = 'traffic-port';
    else if (/^\d{1,5}$/.test(portRaw)) port = Number(portRaw);
    else throw validationError("HealthCheckPort must be 'traffic-port' or a port number.", 'HealthCheckPort');
  }
  const matcher = p.object('Matcher');
  if (matcher && matcher['GrpcCode'] !== undefined) throw validationError('Matcher.GrpcCode is not supported by Stevedore.', 'Matcher');
  const httpCode = matcher ? matcher['HttpCode'] : undefined;
  if (httpCode !== undefined && typeof httpCode !== 'string') throw validationError('Matcher.HttpCode must be a string.', 'Matcher.HttpCode');
  if (p.boolean('HealthCheckEnabled') === false) throw validationError('Health checks cannot be disabled for target groups of type instance or ip.', 'HealthCheckEnabled');
  const hc: TargetGroupHealthCheck = {
    protocol,
    port,
    path: p.string('HealthCheckPath', { max: 1024 }) ?? base.path,
    intervalSeconds: p.integer('HealthCheckIntervalSeconds') ?? base.intervalSeconds,
    timeoutSeconds: p.integer('HealthCheckTimeoutSeconds') ?? base.timeoutSeconds,
    healthyThresholdCount: p.integer('HealthyThresholdCount') ?? base.healthyThresholdCount,
    unhealthyThresholdCount: p.integer('UnhealthyThresholdCount') ?? base.unhealthyThresholdCount,
    matcher: typeof httpCode === 'string' ? httpCode : base.matcher,
  };
  validateHealthCheck(hc);
  return hc;
}

export const createTargetGroup = elbAction((ctx, p) => {
  const name = p.requiredString('Name', { pattern: ELB_NAME, patternText: ELB_NAME_TEXT });
  const targetType = (p.string('TargetType', { enum: ['instance', 'ip', 'lambda', 'alb'] }) ?? 'instance') as TargetType | 'lambda' | 'alb';
  if (targetType !== 'instance' && targetType !== 'ip') throw validationError(`Target type '${targetType}' is not supported by Stevedore; use instance or ip.`, 'TargetType');
  const protocol = p.requiredString('Protocol', { enum: ['HTTP', 'TCP', 'HTTPS', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] }) as ElbProtocol | string;
  if (protocol !== 'HTTP' && protocol !== 'TCP' && protocol !== 'GENEVE') throw validationError(`Protocol '${protocol}' is not supported by Stevedore; use HTTP (application), TCP (network) or GENEVE (gateway).`, 'Protocol');
  const port = readPort(p, 'Port');
  if (port === undefined) throw validationError('A port must be specified', 'Port');
  if (protocol === 'GENEVE' && port !== GENEVE_PORT) throw validationError(`If the protocol is GENEVE, the supported port is ${GENEVE_PORT}.`, 'Port');
  const vpcId = p.string('VpcId', { max: 255 });
  const tags = readElbTags(p.list('Tags'));
  p.string('IpAddressType', { enum: ['ipv4'] });
  const healthCheck = readHealthCheck(p, defaultHealthCheck(protocol as ElbProtocol));
  return ctx.store.tx(() => {
    const existing = ctx.store.loadBalancers.targetGroupByName(name);
    if (existing) {
      if (existing.protocol === protocol && existing.port === port && existing.targetType === targetType && JSON.stringify(existing.healthCheck) === JSON.stringify(healthCheck)) {
        return { TargetGroups: [targetGroupJson(existing, new LoadBalancingView(ctx.store).loadBalancersOf(existing.arn))] };
      }
      throw new StevedoreError('DuplicateTargetGroupNameException', 'A target group with the same name exists, but with different settings', { field: 'Name' });
    }
    const tg: TargetGroup = {
      arn: elbArns.targetGroup(ctx.arn, name),
      name,
      protocol: protocol as ElbProtocol,
      port,
      targetType: targetType as TargetType,
      healthCheck,
      attributes: { ...DEFAULT_TARGET_GROUP_ATTRIBUTES },
      createdAt: ctx.clock.now(),
      ...(vpcId !== undefined ? { vpcId } : {}),
      ...(tags.length > 0 ? { tags } : {}),
    };
    ctx.store.loadBalancers.putTargetGroup(tg);
    ctx.log.info({ targetGroup: tg.arn }, 'target group created');
    return { TargetGroups: [targetGroupJson(tg, [])] };
  });
});

/** ModifyTargetGroup: health check settings only (ELB). */
export const modifyTargetGroup = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const tg = requireTargetGroup(ctx, p);
    const next: TargetGroup = { ...tg, healthCheck: readHealthCheck(p, tg.healthCheck) };
    ctx.store.loadBalancers.putTargetGroup(next);
    return { TargetGroups: [targetGroupJson(next, new LoadBalancingView(ctx.store).loadBalancersOf(tg.arn))] };
  }),
);

export const describeTargetGroups = elbAction((ctx, p) => {
  const arnList = p.stringList('TargetGroupArns', { max: 20 });
  const names = p.stringList('Names', { max: 20 });
  const lbArn = p.has('LoadBalancerArn') ? requireLoadBalancer(ctx, p).arn : undefined;
  const view = new LoadBalancingView(ctx.store);
  let list: TargetGroup[];
  let marker: string | undefined;
  if (arnList || names) {
    const found = (arnList ?? names ?? []).map((ref) => (arnList ? ctx.store.loadBalancers.getTargetGroup(ref) : ctx.store.loadBalancers.targetGroupByName(ref)));
    if (found.some((tg) => !tg)) throw notFound.targetGroup();
    list = found as TargetGroup[];
  } else {
    const size = pageSize(p);
    const after = decodeToken(p.string('Marker'), isString);
    const rows = ctx.store.loadBalancers.listTargetGroups({ ...(after !== undefined ? { after } : {}), limit: lbArn ? -1 : size + 1 });
    list = lbArn ? rows : rows.slice(0, size);
    if (!lbArn && rows.length > size) marker = encodeToken(list[list.length - 1]!.name);
  }
  const out = list.map((tg) => targetGroupJson(tg, view.loadBalancersOf(tg.arn))).filter((j) => !lbArn || j.LoadBalancerArns.includes(lbArn));
  return { TargetGroups: out, ...(marker ? { NextMarker: marker } : {}) };
});

/** Refused while a listener or rule forwards to it (ELB's ResourceInUse). */
export const deleteTargetGroup = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const tg = requireTargetGroup(ctx, p);
    const users = ctx.store.loadBalancers.targetGroupUsers(tg.arn);
    if (users.length > 0) throw new StevedoreError('ResourceInUseException', `Target group '${tg.arn}' is currently in use by a listener or a rule`, { field: 'TargetGroupArn' });
    ctx.store.loadBalancers.deleteTargetGroup(tg.arn);
    ctx.log.info({ targetGroup: tg.arn }, 'target group deleted');
    return {};
  }),
);

const ATTRIBUTE_KEYS = ['deregistration_delay.timeout_seconds', 'slow_start.duration_seconds', 'stickiness.enabled', 'stickiness.type', 'stickiness.lb_cookie.duration_seconds', 'load_balancing.algorithm.type'];

export const describeTargetGroupAttributes = elbAction((ctx, p) => ({ Attributes: targetGroupAttributesJson(requireTargetGroup(ctx, p)) }));

/**
 * deregistration_delay.timeout_seconds (0-3600), slow_start.duration_seconds
 * (0 or 30-900), stickiness (lb_cookie, HTTP target groups; duration
 * 1-604800 s, default 1 day) and load_balancing.algorithm.type (round_robin,
 * least_outstanding_requests: HAProxy's leastconn).
 */
export const modifyTargetGroupAttributes = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const tg = requireTargetGroup(ctx, p);
    const attrs = { ...tg.attributes };
    const list = p.list('Attributes', { max: 20 }) ?? [];
    if (list.length === 0) throw validationError('Attributes must contain at least one attribute.', 'Attributes');
    if (tg.protocol === 'GENEVE') {
      const appliances = modifyApplianceAttributes(tg, list);
      ctx.store.loadBalancers.putTargetGroup(appliances);
      return { Attributes: targetGroupAttributesJson(appliances) };
    }
    let sticky: boolean | undefined;
    let duration: number | undefined;
    list.forEach((raw, i) => {
      const a = raw as { Key?: unknown; Value?: unknown };
      const field = `Attributes[${i}]`;
      if (typeof a?.Key !== 'string' || typeof a.Value !== 'string') throw validationError('Each attribute needs a Key and a Value (strings).', field);
      if (!ATTRIBUTE_KEYS.includes(a.Key)) throw validationError(`Attribute key '${a.Key}' is not recognized`, field);
      const n = Number(a.Value);
      if (a.Key === 'deregistration_delay.timeout_seconds' || a.Key === 'slow_start.duration_seconds') {
        if (!/^\d+$/.test(a.Value)) throw validationError(`Attribute '${a.Key}' must be an integer.`, field);
        if (a.Key === 'deregistration_delay.timeout_seconds') attrs.deregistrationDelaySeconds = n;
        else attrs.slowStartSeconds = n;
      } else if (a.Key === 'stickiness.enabled') {
        if (a.Value !== 'true' && a.Value !== 'false') throw validationError(`Attribute 'stickiness.enabled' must be true or false.`, field);
        sticky = a.Value === 'true';
      } else if (a.Key === 'stickiness.type') {
        if (a.Value !== 'lb_cookie') throw validationError(`Stickiness type '${a.Value}' is not supported by Stevedore; use lb_cookie.`, field);
      } else if (a.Key === 'stickiness.lb_cookie.duration_seconds') {
        if (!/^\d{1,6}$/.test(a.Value) || n < 1 || n > 604_800) throw validationError(`Attribute 'stickiness.lb_cookie.duration_seconds' must be from 1 to 604800.`, field);
        duration = n;
      } else if (a.Key === 'load_balancing.algorithm.type') {
        if (a.Value !== 'round_robin' && a.Value !== 'least_outstanding_requests') throw validationError(`Algorithm '${a.Value}' is not supported by Stevedore; use round_robin or least_outstanding_requests.`, field);
        if (a.Value === 'round_robin') delete attrs.algorithm;
        else attrs.algorithm = a.Value;
      }
    });
    if (sticky === true && tg.protocol !== 'HTTP') throw validationError('lb_cookie stickiness needs an HTTP target group.', 'Attributes');
    if (sticky === false) delete attrs.stickinessSeconds;
    else if (sticky === true || (duration !== undefined && attrs.stickinessSeconds !== undefined)) attrs.stickinessSeconds = duration ?? attrs.stickinessSeconds ?? 86_400;
    validateAttributes(attrs);
    const next: TargetGroup = { ...tg, attributes: attrs };
    ctx.store.loadBalancers.putTargetGroup(next);
    return { Attributes: targetGroupAttributesJson(next) };
  }),
);

export function targetGroupByRef(ctx: ApiContext, ref: string): TargetGroup | undefined {
  return ref.startsWith('arn:') ? ctx.store.loadBalancers.getTargetGroup(ref) : ctx.store.loadBalancers.targetGroupByName(ref);
}
