import { validationError, type FlowStickinessType, type TargetFailover, type TargetGroup } from '@stevedore/core';

/**
 * Attributes of GENEVE target groups (ELB's for GWLB): stickiness.enabled
 * with stickiness.type `source_ip_dest_ip` or `source_ip_dest_ip_proto`
 * (default 5-tuple: per connection), target_failover.on_deregistration and
 * on_unhealthy (`no_rebalance`, `rebalance`: recorded; HAProxy moves a flow
 * only when its appliance is gone), deregistration_delay.timeout_seconds.
 */
const STICKY_TYPES: readonly FlowStickinessType[] = ['source_ip_dest_ip', 'source_ip_dest_ip_proto'];
const FAILOVER: readonly TargetFailover[] = ['no_rebalance', 'rebalance'];

export function applianceAttributesJson(tg: TargetGroup) {
  const a = tg.attributes;
  return [
    { Key: 'deregistration_delay.timeout_seconds', Value: String(a.deregistrationDelaySeconds) },
    { Key: 'stickiness.enabled', Value: String(a.flowStickiness !== undefined) },
    { Key: 'stickiness.type', Value: a.flowStickiness ?? 'source_ip_dest_ip_proto' },
    { Key: 'target_failover.on_deregistration', Value: a.targetFailover?.onDeregistration ?? 'no_rebalance' },
    { Key: 'target_failover.on_unhealthy', Value: a.targetFailover?.onUnhealthy ?? 'no_rebalance' },
  ];
}

export function modifyApplianceAttributes(tg: TargetGroup, list: unknown[]): TargetGroup {
  const attrs = { ...tg.attributes };
  let sticky = attrs.flowStickiness !== undefined;
  let type: FlowStickinessType = attrs.flowStickiness ?? 'source_ip_dest_ip_proto';
  const failover = { onDeregistration: attrs.targetFailover?.onDeregistration ?? 'no_rebalance', onUnhealthy: attrs.targetFailover?.onUnhealthy ?? 'no_rebalance' };
  list.forEach((raw, i) => {
    const a = raw as { Key?: unknown; Value?: unknown };
    const field = `Attributes[${i}]`;
    if (typeof a?.Key !== 'string' || typeof a.Value !== 'string') throw validationError('Each attribute needs a Key and a Value (strings).', field);
    const v = a.Value;
    switch (a.Key) {
      case 'deregistration_delay.timeout_seconds':
        if (!/^\d{1,4}$/.test(v) || Number(v) > 3600) throw validationError(`Attribute '${a.Key}' must be an integer from 0 to 3600.`, field);
        attrs.deregistrationDelaySeconds = Number(v);
        break;
      case 'stickiness.enabled':
        if (v !== 'true' && v !== 'false') throw validationError(`Attribute 'stickiness.enabled' must be true or false.`, field);
        sticky = v === 'true';
        break;
      case 'stickiness.type':
        if (!(STICKY_TYPES as readonly string[]).includes(v)) throw validationError(`Stickiness type '${v}' is not valid for a GENEVE target group; use ${STICKY_TYPES.join(' or ')}.`, field);
        type = v as FlowStickinessType;
        break;
      case 'target_failover.on_deregistration':
      case 'target_failover.on_unhealthy':
        if (!(FAILOVER as readonly string[]).includes(v)) throw validationError(`Attribute '${a.Key}' must be no_rebalance or rebalance.`, field);
        failover[a.Key === 'target_failover.on_unhealthy' ? 'onUnhealthy' : 'onDeregistration'] = v as TargetFailover;
        break;
      default:
        throw validationError(`Attribute key '${a.Key}' is not recognized for a GENEVE target group`, field);
    }
  });
  // ELB: both failover attributes change together.
  if (failover.onDeregistration !== failover.onUnhealthy) throw validationError('target_failover.on_deregistration and target_failover.on_unhealthy must have the same value.', 'Attributes');
  if (sticky) attrs.flowStickiness = type;
  else delete attrs.flowStickiness;
  if (failover.onDeregistration === 'no_rebalance') delete attrs.targetFailover;
  else attrs.targetFailover = failover;
  return { ...tg, attributes: attrs };
}
