import { createHash } from 'node:crypto';
import type { ContainerInstance } from '../model/container-instance';
import { actionTargetGroups, listenerTargetGroups } from '../model/load-balancer';
import type {
  ElbProtocol,
  FixedResponseAction,
  RedirectAction,
  RuleAction,
  WeightedTargetGroup,
  ListenerProtocol,
  TargetGroupHealthCheck,
  Listener,
  ListenerRule,
  LoadBalancer,
  LoadBalancerType,
  RegisteredTarget,
  RuleCondition,
  TargetGroup,
} from '../model/load-balancer';
import { evaluateQuery, parseQuery } from '../placement/query-language';
import { sortRules } from './rules';
import { DEFAULT_SSL_POLICY } from './ssl-policies';
import { applianceModes, hostGateway, listenerHostPorts, type HostGateway } from './gateway';

/**
 * What one load-balancer host must run: every load balancer placed on it,
 * self-contained (target addresses resolved), so the agent renders HAProxy's
 * configuration without looking anything up. Travels as JSON on the session
 * stream, like task assignments.
 */
export interface HostTarget {
  /** HAProxy server name: stable for one registration, new for the next. */
  registrationId: string;
  id: string;
  address: string;
  port: number;
  draining: boolean;
  /**
   * TCP groups: where the target's host agent answers whether the container
   * behind the published port accepts connections (HAProxy `agent-check`);
   * absent when its agent does not serve target checks.
   */
  agentCheckPort?: number;
}

/** The instance attribute an agent sets when it serves target checks (agent target-check-server.ts). */
export const TARGET_CHECK_PORT_ATTRIBUTE = 'ecs.capability.stevedore.target-check-port';

function agentCheckPortOf(instance: ContainerInstance | undefined): number | undefined {
  const v = Number(instance?.attributes.find((a) => a.name === TARGET_CHECK_PORT_ATTRIBUTE)?.value);
  return Number.isInteger(v) && v >= 1 && v <= 65535 ? v : undefined;
}

export interface HostTargetGroup {
  arn: string;
  name: string;
  protocol: ElbProtocol;
  healthCheck: TargetGroupHealthCheck;
  slowStartSeconds: number;
  /** lb_cookie stickiness duration; absent = off. */
  stickinessSeconds?: number;
  algorithm?: 'round_robin' | 'least_outstanding_requests';
  /**
   * Appliance groups: what stays on one appliance. `source`: every flow of a
   * client (stickiness source_ip_dest_ip[_proto]; HAProxy `balance source`);
   * `connection`: each connection (ELB's 5-tuple default).
   */
  flow?: 'source' | 'connection';
  targets: HostTarget[];
}

/** An action other than a plain forward to one target group (weighted forward, redirect, fixed-response). */
export type HostAction = { type: 'forward'; targetGroups: WeightedTargetGroup[]; stickinessSeconds?: number } | RedirectAction | FixedResponseAction;

export interface HostRule {
  arn: string;
  priority: number;
  conditions: RuleCondition[];
  /** A plain forward; otherwise `action`. */
  targetGroupArn?: string;
  action?: HostAction;
}

/** A certificate as the load balancer host needs it: PEM certificate, chain and private key in one file. */
export interface HostCertificate {
  arn: string;
  /** Content hash: a re-imported certificate changes the set's version (the agent then rotates it through HAProxy's runtime API). */
  id: string;
  pem: string;
}

export interface HostTls {
  sslPolicy: string;
  /** The default certificate first; HAProxy picks among all by SNI. */
  certificates: HostCertificate[];
  /** ALPN h2 (HTTPS listeners, unless routing.http2.enabled is false). */
  http2: boolean;
}

export interface HostListener {
  arn: string;
  protocol: ListenerProtocol;
  port: number;
  tls?: HostTls;
  /** Evaluated in this order (priority ascending); the default action last. */
  rules: HostRule[];
  /** A plain forward; otherwise `defaultAction`. */
  defaultTargetGroupArn?: string;
  defaultAction?: HostAction;
  /** Gateway listeners: the default forward goes to the appliances; this is the way back and on. */
  gateway?: HostGateway;
}

export interface HostLoadBalancer {
  arn: string;
  name: string;
  type: LoadBalancerType;
  listeners: HostListener[];
  targetGroups: HostTargetGroup[];
  /**
   * How long a connection may stay idle (client side, keep-alive, and waiting
   * on a target): an application load balancer's `idle_timeout.timeout_seconds`,
   * NLB's fixed 350 s for TCP.
   */
  idleTimeoutSeconds?: number;
  /** Listeners left out on this host, and why (a port another load balancer holds here). */
  errors: string[];
}

export interface LoadBalancerHostSet {
  /** Hash of the content: equal sets have equal versions, so resends are no-ops. */
  version: string;
  loadBalancers: HostLoadBalancer[];
}

export interface LoadBalancingState {
  loadBalancers: LoadBalancer[];
  listeners: Listener[];
  rules: ListenerRule[];
  targetGroups: TargetGroup[];
  targets: RegisteredTarget[];
  /** PEM (certificate, chain, key) of the certificates HTTPS/TLS listeners name; keys opened by the caller. */
  certificates?: ReadonlyMap<string, string>;
}

/** Container instances (of the load balancer's cluster) that run it: by expression, by id, or both. */
export function loadBalancerHosts(lb: LoadBalancer, instances: ContainerInstance[]): ContainerInstance[] {
  const ids = new Set(lb.placement.containerInstanceIds ?? []);
  let expr: ReturnType<typeof parseQuery> | undefined;
  try {
    expr = lb.placement.expression ? parseQuery(lb.placement.expression) : undefined;
  } catch {
    expr = undefined; // validated at CreateLoadBalancer; a stored bad one places nowhere
  }
  return instances.filter(
    (i) =>
      i.clusterName === lb.cluster &&
      i.status !== 'INACTIVE' &&
      (ids.has(i.id) || (expr !== undefined && evaluateQuery(expr, { instance: i, runningTasksCount: 0, taskGroups: [] }))),
  );
}

/**
 * An action as the host renders it: a plain forward by target group ARN, or
 * the action itself; undefined when it names a target group that is gone.
 */
function hostAction(actions: RuleAction[], exists: (arn: string) => boolean): { targetGroupArn: string } | { action: HostAction } | undefined {
  const a = actions[0];
  if (!a) return undefined;
  if (a.type !== 'forward') return { action: a };
  if (!actionTargetGroups(a).every(exists)) return undefined;
  if (!a.targetGroups || a.targetGroups.length === 1) return { targetGroupArn: a.targetGroupArn };
  return { action: { type: 'forward', targetGroups: a.targetGroups, ...(a.stickinessSeconds !== undefined ? { stickinessSeconds: a.stickinessSeconds } : {}) } };
}

/**
 * The host set of one container instance. Listener ports are the host's:
 * when two load balancers placed on it want the same port, the older
 * listener keeps it and the other is reported in `errors`.
 */
export function hostSetFor(instance: ContainerInstance, state: LoadBalancingState, instancesById: ReadonlyMap<string, ContainerInstance>): LoadBalancerHostSet {
  const mine = state.loadBalancers.filter((lb) => loadBalancerHosts(lb, [instance]).length > 0).sort((a, b) => a.createdAt - b.createdAt || a.arn.localeCompare(b.arn));
  const portOwner = new Map<number, string>();
  const byTg = new Map(state.targetGroups.map((tg) => [tg.arn, tg]));
  const out: HostLoadBalancer[] = [];
  for (const lb of mine) {
    const errors: string[] = [];
    const listeners: HostListener[] = [];
    const used = new Set<string>();
    const lbListeners = state.listeners.filter((l) => l.loadBalancerArn === lb.arn).sort((a, b) => a.createdAt - b.createdAt || a.port - b.port);
    for (const l of lbListeners) {
      const ports = listenerHostPorts(l);
      const taken = ports.find((p) => portOwner.has(p));
      if (taken !== undefined) {
        errors.push(`Listener port ${taken} is already used on container instance ${instance.id} by listener ${portOwner.get(taken)}.`);
        continue;
      }
      const dflt = hostAction(l.defaultActions, (arn) => byTg.has(arn));
      if (!dflt) continue;
      const gateway = hostGateway(lb, l);
      if (gateway && !byTg.has(gateway.destinationTargetGroupArn)) continue;
      let tls: HostTls | undefined;
      if (l.protocol === 'HTTPS' || l.protocol === 'TLS') {
        const certificates = (l.certificates ?? []).flatMap((arn): HostCertificate[] => {
          const pem = state.certificates?.get(arn);
          return pem === undefined ? [] : [{ arn, id: createHash('sha256').update(pem).digest('hex').slice(0, 24), pem }];
        });
        if (certificates.length === 0 || certificates[0]!.arn !== l.certificates?.[0]) {
          errors.push(`Listener ${l.arn}: its default certificate is not in the certificate store.`);
          continue;
        }
        tls = { sslPolicy: l.sslPolicy ?? DEFAULT_SSL_POLICY, certificates, http2: l.protocol === 'HTTPS' && lb.attributes?.['routing.http2.enabled'] !== 'false' };
      }
      for (const p of ports) portOwner.set(p, l.arn);
      const rules: HostRule[] = [];
      for (const r of sortRules(state.rules.filter((x) => x.listenerArn === l.arn))) {
        const a = hostAction(r.actions, (arn) => byTg.has(arn));
        if (!a) continue;
        rules.push({ arn: r.arn, priority: r.priority, conditions: r.conditions, ...a });
        r.actions.flatMap(actionTargetGroups).forEach((tg) => used.add(tg));
      }
      listenerTargetGroups(l).forEach((tg) => used.add(tg));
      const defaults = 'targetGroupArn' in dflt ? { defaultTargetGroupArn: dflt.targetGroupArn } : { defaultAction: dflt.action };
      listeners.push({ arn: l.arn, protocol: l.protocol, port: l.port, ...(tls ? { tls } : {}), rules, ...defaults, ...(gateway ? { gateway } : {}) });
    }
    // Appliances get the flow as its destination would (HTTP or TCP), not in GENEVE.
    const modes = applianceModes(lbListeners.filter((l) => listeners.some((h) => h.arn === l.arn)), byTg);
    const targetGroups = [...used].sort().map((arn) => {
      const tg = byTg.get(arn)!;
      const targets = state.targets
        .filter((t) => t.targetGroupArn === arn)
        .flatMap((t): HostTarget[] => {
          const instance = tg.targetType === 'ip' ? undefined : instancesById.get(t.id);
          const address = tg.targetType === 'ip' ? t.id : instance?.hostIp;
          // Only TCP checks are fooled by docker-proxy accepting first; HTTP checks need an answer.
          const agentCheckPort = tg.protocol === 'TCP' ? agentCheckPortOf(instance) : undefined;
          return address ? [{ registrationId: t.registrationId, id: t.id, address, port: t.port, draining: t.state === 'draining', ...(agentCheckPort !== undefined ? { agentCheckPort } : {}) }] : [];
        })
        .sort((a, b) => a.registrationId.localeCompare(b.registrationId));
      return {
        arn,
        name: tg.name,
        protocol: modes.get(arn) ?? tg.protocol,
        healthCheck: tg.healthCheck,
        slowStartSeconds: tg.attributes.slowStartSeconds,
        ...(tg.attributes.stickinessSeconds !== undefined ? { stickinessSeconds: tg.attributes.stickinessSeconds } : {}),
        ...(tg.attributes.algorithm === 'least_outstanding_requests' ? { algorithm: tg.attributes.algorithm } : {}),
        ...(tg.protocol === 'GENEVE' ? { flow: tg.attributes.flowStickiness !== undefined ? ('source' as const) : ('connection' as const) } : {}),
        targets,
      };
    });
    out.push({ arn: lb.arn, name: lb.name, type: lb.type, listeners, targetGroups, idleTimeoutSeconds: idleTimeoutOf(lb), errors });
  }
  const body = JSON.stringify(out);
  return { version: createHash('sha1').update(body).digest('hex').slice(0, 16), loadBalancers: out };
}

/** ALB's idle timeout attribute (1-4000, default 60 s); NLB's TCP idle timeout is fixed at 350 s. */
export function idleTimeoutOf(lb: Pick<LoadBalancer, 'type' | 'attributes'>): number {
  // GWLB, like NLB, has a fixed 350 s idle timeout for TCP flows.
  if (lb.type === 'network' || lb.type === 'gateway') return NLB_TCP_IDLE_TIMEOUT_SECONDS;
  const v = Number(lb.attributes?.['idle_timeout.timeout_seconds'] ?? 60);
  return Number.isInteger(v) && v >= 1 && v <= 4000 ? v : 60;
}

export const NLB_TCP_IDLE_TIMEOUT_SECONDS = 350;

/** Target groups some listener or rule forwards to: only their targets get health checks ("unused" otherwise). */
export function targetGroupsInUse(state: Pick<LoadBalancingState, 'listeners' | 'rules'>): Set<string> {
  const used = new Set<string>();
  for (const l of state.listeners) listenerTargetGroups(l).forEach((tg) => used.add(tg));
  for (const r of state.rules) for (const a of r.actions) actionTargetGroups(a).forEach((tg) => used.add(tg));
  return used;
}
