import { GATEWAY_FAIL_OPEN_ATTRIBUTE, StevedoreError, validationError, type LoadBalancer, type LoadBalancerType } from '@stevedore/core';
import { elbAction, requireLoadBalancer } from './elb-input';
import { Params } from '../params';

type Check = (v: string) => boolean;
const bool: Check = (v) => v === 'true' || v === 'false';
const any: Check = (v) => v.length <= 1024;
const between = (min: number, max: number): Check => (v) => /^\d{1,6}$/.test(v) && Number(v) >= min && Number(v) <= max;

/**
 * ELB's load balancer attributes per type, with their defaults. Stevedore
 * applies `deletion_protection.enabled` (DeleteLoadBalancer refuses),
 * `idle_timeout.timeout_seconds` (HAProxy's client, keep-alive and server
 * timeouts, core `idleTimeoutOf`) and `routing.http2.enabled` (ALPN h2 on
 * HTTPS listeners); the rest are accepted and recorded only (their AWS
 * features, S3 access logs, WAF, cross-zone, header modes, have no
 * counterpart here yet; docs/design/load-balancing.md lists them).
 */
const ATTRIBUTES: Record<LoadBalancerType, ReadonlyMap<string, { def: string; check: Check }>> = {
  application: new Map([
    ['deletion_protection.enabled', { def: 'false', check: bool }],
    ['idle_timeout.timeout_seconds', { def: '60', check: between(1, 4000) }],
    ['routing.http2.enabled', { def: 'true', check: bool }],
    ['access_logs.s3.enabled', { def: 'false', check: bool }],
    ['access_logs.s3.bucket', { def: '', check: any }],
    ['access_logs.s3.prefix', { def: '', check: any }],
    ['routing.http.drop_invalid_header_fields.enabled', { def: 'false', check: bool }],
    ['routing.http.desync_mitigation_mode', { def: 'defensive', check: (v) => ['monitor', 'defensive', 'strictest'].includes(v) }],
    ['routing.http.preserve_host_header.enabled', { def: 'false', check: bool }],
    ['routing.http.xff_client_port.enabled', { def: 'false', check: bool }],
    ['routing.http.xff_header_processing.mode', { def: 'append', check: (v) => ['append', 'preserve', 'remove'].includes(v) }],
    ['routing.http.x_amzn_tls_version_and_cipher_suite.enabled', { def: 'false', check: bool }],
    ['waf.fail_open.enabled', { def: 'false', check: bool }],
  ]),
  network: new Map([
    ['deletion_protection.enabled', { def: 'false', check: bool }],
    ['load_balancing.cross_zone.enabled', { def: 'false', check: bool }],
    ['access_logs.s3.enabled', { def: 'false', check: bool }],
    ['access_logs.s3.bucket', { def: '', check: any }],
    ['access_logs.s3.prefix', { def: '', check: any }],
  ]),
  gateway: new Map([
    ['deletion_protection.enabled', { def: 'false', check: bool }],
    ['load_balancing.cross_zone.enabled', { def: 'false', check: bool }],
    // Stevedore's: with no healthy appliance, flows skip the appliances instead of failing (ALB's waf.fail_open in spirit).
    [GATEWAY_FAIL_OPEN_ATTRIBUTE, { def: 'false', check: bool }],
  ]),
};

/** Every attribute of the load balancer's type: the value set, else ELB's default. */
export function loadBalancerAttributes(lb: Pick<LoadBalancer, 'type' | 'attributes'>): { Key: string; Value: string }[] {
  return [...ATTRIBUTES[lb.type].entries()].map(([Key, a]) => ({ Key, Value: Object.prototype.hasOwnProperty.call(lb.attributes ?? {}, Key) ? lb.attributes![Key]! : a.def }));
}

export function loadBalancerAttribute(lb: Pick<LoadBalancer, 'type' | 'attributes'>, key: string): string | undefined {
  return loadBalancerAttributes(lb).find((a) => a.Key === key)?.Value;
}

export const describeLoadBalancerAttributes = elbAction((ctx, p) => ({ Attributes: loadBalancerAttributes(requireLoadBalancer(ctx, p)) }));

export const modifyLoadBalancerAttributes = elbAction((ctx, p) => {
  const raw = p.list('Attributes', { max: 20 });
  if (!raw || raw.length === 0) throw validationError('Attributes must contain at least one attribute.', 'Attributes');
  return ctx.store.tx(() => {
    const lb = requireLoadBalancer(ctx, p);
    const known = ATTRIBUTES[lb.type];
    const next: Record<string, string> = { ...(lb.attributes ?? {}) };
    raw.forEach((x, i) => {
      const a = Params.of(x);
      const key = a.requiredString('Key', { max: 256 });
      const value = a.string('Value', { max: 1024 }) ?? '';
      const spec = known.get(key);
      if (!spec) throw new StevedoreError('InvalidConfigurationRequestException', `Load balancer attribute key '${key}' is not recognized for a ${lb.type} load balancer.`, { field: `Attributes[${i}].Key` });
      if (!spec.check(value)) throw validationError(`'${value}' is not a valid value for load balancer attribute '${key}'.`, `Attributes[${i}].Value`);
      next[key] = value;
    });
    ctx.store.loadBalancers.updateLoadBalancer({ ...lb, attributes: next });
    ctx.log.info({ loadBalancer: lb.arn, attributes: Object.keys(next) }, 'load balancer attributes changed');
    return { Attributes: loadBalancerAttributes({ ...lb, attributes: next }) };
  });
});
