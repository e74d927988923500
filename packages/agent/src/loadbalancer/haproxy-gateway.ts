import { GATEWAY_RETURN_HEADER, GATEWAY_TOKEN_HEADER, type HostGateway } from '@stevedore/core/host';
import { addressWithPort, HaproxyConfigError, integer, port } from './haproxy-values';

/**
 * A gateway listener as two HAProxy frontends (core/load-balancing/gateway.ts):
 *
 *   entry:  listener port -> appliance backend (or, failing open with no
 *           appliance up, straight to the destination backend)
 *   return: return port   -> destination backend
 *
 * HTTP chains tell the appliance where to send the request back
 * (`X-Stevedore-Gateway-Return: <host IP>:<return port>`, the address the
 * client reached) and carry the listener's token, which the return frontend
 * requires and removes: a client that connects to the return port itself
 * skips nothing. TCP chains carry bytes only: the appliance is configured
 * with the return address, and the return port should be reachable from the
 * appliance hosts only (documented).
 */
export interface GatewayNames {
  entry: string;
  back: string;
  appliances: string;
  destination: string;
}

/** The connection's own source port, kept for the appliance backend's per-connection hash (ELB's 5-tuple flows). */
export const FLOW_PORT_VAR = 'sess.gw_sport';

export function gatewayFrontends(g: HostGateway, listenerPort: number, mode: 'http' | 'tcp', hostIp: string, names: GatewayNames, field: string, idleSeconds: number): string[] {
  const returnPort = port(`${field}.gateway.returnPort`, g.returnPort);
  const entryPort = port(`${field}.port`, listenerPort);
  if (returnPort === entryPort) throw new HaproxyConfigError(`${field}.gateway.returnPort`, 'must differ from the listener port');
  if (typeof g.returnToken !== 'string' || !/^[0-9a-f]{16,64}$/.test(g.returnToken)) throw new HaproxyConfigError(`${field}.gateway.returnToken`, 'expected 16-64 hex characters');
  const noAppliance = `{ nbsrv(${names.appliances}) eq 0 }`;
  // The load balancer's idle timeout on both hops (an appliance holds the return connection as long as its client).
  const idle = [`  timeout client ${integer(`${field}.idleSeconds`, idleSeconds, 1, 4000)}s`, ...(mode === 'http' ? [`  timeout http-keep-alive ${idleSeconds}s`] : [])];
  const entry = [`frontend ${names.entry}`, `  mode ${mode}`, `  bind ${addressWithPort('hostIp', hostIp, entryPort)}`, ...idle];
  const back = [`frontend ${names.back}`, `  mode ${mode}`, `  bind ${addressWithPort('hostIp', hostIp, returnPort)}`, ...idle];
  if (mode === 'http') {
    entry.push(
      '  option idle-close-on-response',
      '  option forwardfor',
      '  http-request set-header X-Forwarded-Port %[dst_port]',
      '  http-request set-header X-Forwarded-Proto http',
      `  http-request del-header ${GATEWAY_TOKEN_HEADER}`,
      `  http-request del-header ${GATEWAY_RETURN_HEADER}`,
      `  http-request set-var(${FLOW_PORT_VAR}) src_port`,
      // Only requests bound for an appliance carry the way back (a fail-open bypass goes to the target as is).
      `  http-request set-header ${GATEWAY_RETURN_HEADER} %[dst]:${returnPort}${g.failOpen ? ` unless ${noAppliance}` : ''}`,
      `  http-request set-header ${GATEWAY_TOKEN_HEADER} ${g.returnToken}${g.failOpen ? ` unless ${noAppliance}` : ''}`,
    );
    // The request was forwarded for the client already: the appliance hop adds no X-Forwarded-For.
    back.push(
      '  option idle-close-on-response',
      `  http-request deny deny_status 403 unless { req.hdr(${GATEWAY_TOKEN_HEADER}) -m str ${g.returnToken} }`,
      `  http-request del-header ${GATEWAY_TOKEN_HEADER}`,
      `  http-request del-header ${GATEWAY_RETURN_HEADER}`,
    );
  } else {
    entry.push('  option tcplog');
    back.push('  option tcplog');
  }
  if (g.failOpen) entry.push(`  use_backend ${names.destination} if ${noAppliance}`);
  // Failing closed: with no appliance up, HAProxy answers 503 (HTTP) or closes the connection (TCP).
  entry.push(`  default_backend ${names.appliances}`);
  back.push(`  default_backend ${names.destination}`);
  return [...entry, '', ...back];
}

/** The appliance backend's `balance` line: a client's flows (`source`) or each connection (5-tuple) stay on one appliance. */
export function applianceBalance(flow: 'source' | 'connection', mode: 'http' | 'tcp'): string {
  if (flow === 'source') return 'balance source';
  // TCP: one connection is one flow, and HAProxy never moves a connection. HTTP balances
  // per request, so the connection's own address and port pick the appliance.
  return mode === 'tcp' ? 'balance roundrobin' : `balance hash src,concat(:,${FLOW_PORT_VAR})`;
}
