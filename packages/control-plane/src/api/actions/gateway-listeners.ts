import { randomBytes } from 'node:crypto';
import {
  elbArns,
  GATEWAY_DESTINATION_TAG,
  GATEWAY_RETURN_PORT_TAG,
  GENEVE_PORT,
  isGatewayDestinationProtocol,
  StevedoreError,
  validationError,
  type ElbTag,
  type GatewayRoute,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { listenerJson } from '../elb-json';
import type { Params } from '../params';
import { readForwardActions } from './elb-input';
import { readElbTags, tagValue } from './elb-tags';
import { targetGroupByRef } from './target-groups';

/**
 * Listeners of gateway load balancers (core/load-balancing/gateway.ts has
 * the model). As in ELB there is one per load balancer, without a protocol,
 * forwarding to one GENEVE target group of appliances. Where AWS steers
 * traffic into the gateway with route tables, Stevedore needs three things
 * ELB's shape has no member for: the `Port` clients connect to (ELB refuses
 * one on a gateway), and as listener tags the destination target group
 * (`stevedore:destination`, required) and the return port appliances send
 * flows back to (`stevedore:return-port`, default 6081).
 */
export function createGatewayListener(ctx: ApiContext, lb: LoadBalancer, p: Params, checkPortFree: (port: number) => void) {
  if (p.has('Protocol') && p.string('Protocol') !== 'GENEVE') throw validationError('You cannot specify a protocol for a Gateway Load Balancer.', 'Protocol');
  for (const m of ['Certificates', 'SslPolicy', 'AlpnPolicy']) if (p.has(m)) throw validationError(`${m} cannot be specified for a Gateway Load Balancer listener.`, m);
  const port = p.integer('Port', { min: 1, max: 65535 });
  if (port === undefined) {
    throw validationError("A gateway listener needs a Port in Stevedore: the port clients connect to on the load balancer's hosts (AWS steers traffic into a gateway with route tables instead).", 'Port');
  }
  const appliances = readApplianceAction(ctx, lb, p);
  const tags = readElbTags(p.list('Tags'));
  const gateway = readGatewayRoute(ctx, tags, port);
  return ctx.store.tx(() => {
    const existing = ctx.store.loadBalancers.listenersOf(lb.arn)[0];
    if (existing) throw new StevedoreError('TooManyListenersException', `A gateway load balancer has one listener ('${existing.arn}').`, { field: 'LoadBalancerArn' });
    checkApplianceGroupFree(ctx, appliances.tg);
    checkPortFree(port);
    checkPortFree(gateway.returnPort);
    const l: Listener = {
      arn: elbArns.listener(lb.arn),
      loadBalancerArn: lb.arn,
      protocol: 'GENEVE',
      port,
      defaultActions: appliances.actions,
      gateway,
      createdAt: ctx.clock.now(),
      ...(tags.length > 0 ? { tags } : {}),
    };
    ctx.store.loadBalancers.putListener(l);
    ctx.log.info({ loadBalancer: lb.arn, listener: l.arn, port, returnPort: gateway.returnPort, destination: gateway.destinationTargetGroupArn }, 'gateway listener created');
    return { Listeners: [listenerJson(l)] };
  });
}

/** ModifyListener of a gateway listener: its port and its appliance group; the route's tags are read at creation only. */
export function modifyGatewayListener(ctx: ApiContext, lb: LoadBalancer, l: Listener, p: Params, checkPortFree: (port: number) => void) {
  if (p.has('Protocol') && p.string('Protocol') !== 'GENEVE') throw validationError('You cannot specify a protocol for a Gateway Load Balancer.', 'Protocol');
  for (const m of ['Certificates', 'SslPolicy', 'AlpnPolicy']) if (p.has(m)) throw validationError(`${m} cannot be specified for a Gateway Load Balancer listener.`, m);
  const port = p.integer('Port', { min: 1, max: 65535 }) ?? l.port;
  if (l.gateway && port === l.gateway.returnPort) throw validationError(`Port ${port} is the gateway's return port.`, 'Port');
  const appliances = p.has('DefaultActions') ? readApplianceAction(ctx, lb, p) : undefined;
  return ctx.store.tx(() => {
    if (appliances) checkApplianceGroupFree(ctx, appliances.tg, l.arn);
    if (port !== l.port) checkPortFree(port);
    const next: Listener = { ...l, port, ...(appliances ? { defaultActions: appliances.actions } : {}) };
    ctx.store.loadBalancers.putListener(next);
    ctx.log.info({ listener: l.arn, port }, 'gateway listener modified');
    return { Listeners: [listenerJson(next)] };
  });
}

/** One forward to one GENEVE target group: the appliances. */
function readApplianceAction(ctx: ApiContext, lb: LoadBalancer, p: Params) {
  const { actions, targetGroups } = readForwardActions(ctx, p.list('DefaultActions'), 'DefaultActions', lb.type);
  const tg = targetGroups[0];
  if (!tg || targetGroups.length !== 1) throw validationError('A gateway listener forwards to exactly one target group of appliances.', 'DefaultActions');
  if (tg.protocol !== 'GENEVE') {
    throw new StevedoreError('InvalidConfigurationRequestException', `The target group '${tg.name}' uses protocol ${tg.protocol}; a gateway load balancer forwards to a GENEVE target group (its appliances).`, { field: 'DefaultActions' });
  }
  return { actions, tg };
}

/** An appliance group serves one gateway: the chain's mode (its destination's protocol) is the group's. */
function checkApplianceGroupFree(ctx: ApiContext, tg: TargetGroup, self?: string): void {
  const other = ctx.store.loadBalancers.targetGroupUsers(tg.arn).find((arn) => arn !== self);
  if (other) throw new StevedoreError('InvalidConfigurationRequestException', `The target group '${tg.name}' is already used by '${other}'; a GENEVE target group serves one gateway load balancer.`, { field: 'DefaultActions' });
}

function readGatewayRoute(ctx: ApiContext, tags: ElbTag[], port: number): GatewayRoute {
  const ref = tagValue(tags, GATEWAY_DESTINATION_TAG);
  if (ref === undefined || ref === '') {
    throw validationError(`A gateway listener needs a tag '${GATEWAY_DESTINATION_TAG}' naming the target group (ARN or name) its flows reach after the appliances.`, 'Tags');
  }
  const dest = targetGroupByRef(ctx, ref);
  if (!dest) throw new StevedoreError('TargetGroupNotFoundException', `Target group '${ref.slice(0, 256)}' (tag ${GATEWAY_DESTINATION_TAG}) not found`, { field: 'Tags' });
  if (!isGatewayDestinationProtocol(dest.protocol)) {
    throw new StevedoreError('InvalidConfigurationRequestException', `The destination target group '${dest.name}' uses protocol ${dest.protocol}; a gateway's destination is an HTTP or TCP target group.`, { field: 'Tags' });
  }
  const rawPort = tagValue(tags, GATEWAY_RETURN_PORT_TAG);
  let returnPort = GENEVE_PORT;
  if (rawPort !== undefined) {
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) throw validationError(`Tag '${GATEWAY_RETURN_PORT_TAG}' must be a port number (1-65535).`, 'Tags');
    returnPort = Number(rawPort);
  }
  if (returnPort === port) throw validationError(`The return port (${returnPort}, tag ${GATEWAY_RETURN_PORT_TAG}) must differ from the listener's Port.`, 'Tags');
  return { destinationTargetGroupArn: dest.arn, returnPort, returnToken: randomBytes(16).toString('hex') };
}

