import type { ElbProtocol, Listener, LoadBalancer, TargetGroup } from '../model/load-balancer';

/**
 * Gateway load balancers (ELB's GWLB) on your own hosts. AWS carries every
 * packet to an appliance inside GENEVE (UDP 6081) and the appliance sends it
 * back the same way; HAProxy cannot speak GENEVE, so Stevedore chains
 * proxies instead:
 *
 *   client -> listener port (frontend) -> appliance target group (backend)
 *          -> appliance task -> return port on the same host (frontend)
 *          -> destination target group (backend) -> target
 *
 * The chain's mode is the destination group's protocol: HTTP (HAProxy `mode
 * http`: the appliance sees requests and learns the return address from a
 * header) or TCP (`mode tcp`: the appliance sees the client's byte stream and
 * is configured with the return address). docs/design/load-balancing.md
 * has the whole contract.
 */

/** GENEVE's port: AWS's only port for GENEVE target groups, and the default return port. */
export const GENEVE_PORT = 6081;

/** HTTP chains: where the appliance sends the request back (`<host IP>:<return port>`). */
export const GATEWAY_RETURN_HEADER = 'X-Stevedore-Gateway-Return';
/** HTTP chains: the listener's token; the return port refuses requests without it (and removes it). */
export const GATEWAY_TOKEN_HEADER = 'X-Stevedore-Gateway-Token';

/** Listener tags carrying the gateway's Stevedore extensions (ELB's CreateListener has no member for them). */
export const GATEWAY_DESTINATION_TAG = 'stevedore:destination';
export const GATEWAY_RETURN_PORT_TAG = 'stevedore:return-port';

/** Load balancer attribute: with no healthy appliance, send flows straight to the destination (default: fail closed). */
export const GATEWAY_FAIL_OPEN_ATTRIBUTE = 'stevedore.fail_open.enabled';

/** What a load-balancer host needs of a gateway listener besides its default forward (to the appliances). */
export interface HostGateway {
  destinationTargetGroupArn: string;
  returnPort: number;
  returnToken: string;
  failOpen: boolean;
}

export function hostGateway(lb: Pick<LoadBalancer, 'attributes'>, l: Pick<Listener, 'gateway'>): HostGateway | undefined {
  if (!l.gateway) return undefined;
  const { destinationTargetGroupArn, returnPort, returnToken } = l.gateway;
  const failOpen = Object.prototype.hasOwnProperty.call(lb.attributes ?? {}, GATEWAY_FAIL_OPEN_ATTRIBUTE) && lb.attributes![GATEWAY_FAIL_OPEN_ATTRIBUTE] === 'true';
  return { destinationTargetGroupArn, returnPort, returnToken, failOpen };
}

/**
 * The protocol HAProxy speaks to each appliance group of these listeners:
 * its gateway's destination protocol (the appliance receives the flow as
 * the target would, not GENEVE-encapsulated).
 */
export function applianceModes(listeners: Pick<Listener, 'gateway' | 'defaultActions'>[], byTg: ReadonlyMap<string, Pick<TargetGroup, 'protocol'>>): Map<string, ElbProtocol> {
  const out = new Map<string, ElbProtocol>();
  for (const l of listeners) {
    if (!l.gateway) continue;
    const mode = byTg.get(l.gateway.destinationTargetGroupArn)?.protocol;
    const a = l.defaultActions[0];
    if (mode && a?.type === 'forward') out.set(a.targetGroupArn, mode);
  }
  return out;
}

/** A destination may be an HTTP or TCP group; GENEVE (another gateway's appliances) is not a destination. */
export function isGatewayDestinationProtocol(p: ElbProtocol): p is 'HTTP' | 'TCP' {
  return p === 'HTTP' || p === 'TCP';
}

/** Ports a listener takes on each of its load balancer's hosts: its own and, for a gateway, the return port. */
export function listenerHostPorts(l: Pick<Listener, 'port' | 'gateway'>): number[] {
  return [l.port, ...(l.gateway ? [l.gateway.returnPort] : [])];
}
