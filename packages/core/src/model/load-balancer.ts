/**
 * Elastic Load Balancing (v2) concepts as Stevedore runs them: an
 * `application` (HTTP) or `network` (TCP) load balancer is a set of
 * listeners running on the container instances its placement picks; rules
 * forward to target groups; targets are registered by hand (RegisterTargets)
 * or by a service for each RUNNING task. Field names follow ELBv2 in
 * camelCase; the API maps them to ELB's PascalCase JSON.
 */

/** `gateway`: a listener's flows pass through appliance tasks first (core/load-balancing/gateway.ts). */
export type LoadBalancerType = 'application' | 'network' | 'gateway';
export type LoadBalancerScheme = 'internet-facing' | 'internal';
/** GENEVE: a gateway load balancer's appliance target groups (Stevedore sends them plain HTTP or TCP). */
export type ElbProtocol = 'HTTP' | 'TCP' | 'GENEVE';
/** What health checks speak (HTTPS and the rest are refused). */
export type HealthCheckProtocol = 'HTTP' | 'TCP';
/** Listeners also terminate TLS: HTTPS (application) and TLS (network), to HTTP and TCP target groups. */
export type ListenerProtocol = ElbProtocol | 'HTTPS' | 'TLS';
export type TargetType = 'instance' | 'ip';

/**
 * Stevedore's stand-in for subnets: which container instances of the cluster
 * run the load balancer (HAProxy on each), by cluster query expression
 * (`attribute:role == lb`) or by instance ids, or both (an instance in either).
 */
export interface LoadBalancerPlacement {
  expression?: string;
  containerInstanceIds?: string[];
}

/** ELB tags, on load balancers, target groups, listeners and rules (AddTags/RemoveTags/DescribeTags). */
export interface ElbTag {
  key: string;
  value?: string;
}

export interface LoadBalancer {
  arn: string;
  name: string;
  type: LoadBalancerType;
  scheme: LoadBalancerScheme;
  cluster: string;
  placement: LoadBalancerPlacement;
  createdAt: number;
  tags?: ElbTag[];
  /** ELB's Subnets and SecurityGroups: accepted and recorded, with no effect (placement picks the hosts). */
  subnets?: string[];
  securityGroups?: string[];
  /** ModifyLoadBalancerAttributes: only the keys set, over ELB's defaults. */
  attributes?: Record<string, string>;
}

export interface TargetGroupHealthCheck {
  protocol: HealthCheckProtocol;
  /** `traffic-port` (the target's registered port) or a fixed port. */
  port: 'traffic-port' | number;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  /** ELB Matcher.HttpCode: `200`, `200-299`, `200,202`. */
  matcher: string;
}

export interface TargetGroupAttributes {
  /** deregistration_delay.timeout_seconds: 0-3600, default 300. */
  deregistrationDelaySeconds: number;
  /** slow_start.duration_seconds: 0 (off) or 30-900. */
  slowStartSeconds: number;
  /** stickiness.enabled with stickiness.type lb_cookie: stickiness.lb_cookie.duration_seconds (1-604800); absent = off. */
  stickinessSeconds?: number;
  /** load_balancing.algorithm.type. */
  algorithm?: 'round_robin' | 'least_outstanding_requests';
  /** GENEVE groups: stickiness.enabled with stickiness.type (a flow's client always meets the same appliance); absent = 5-tuple. */
  flowStickiness?: FlowStickinessType;
  /** GENEVE groups: target_failover.on_deregistration / on_unhealthy (recorded). */
  targetFailover?: { onDeregistration: TargetFailover; onUnhealthy: TargetFailover };
}

export type FlowStickinessType = 'source_ip_dest_ip' | 'source_ip_dest_ip_proto';
export type TargetFailover = 'no_rebalance' | 'rebalance';

export interface TargetGroup {
  arn: string;
  name: string;
  protocol: ElbProtocol;
  port: number;
  targetType: TargetType;
  healthCheck: TargetGroupHealthCheck;
  attributes: TargetGroupAttributes;
  createdAt: number;
  tags?: ElbTag[];
  /** Recorded as given. */
  vpcId?: string;
}

export interface WeightedTargetGroup {
  targetGroupArn: string;
  /** ALB: 0-999; traffic is split in proportion. */
  weight: number;
}

export interface ForwardAction {
  type: 'forward';
  /** The (first) target group; with weights, `targetGroups` holds them all. */
  targetGroupArn: string;
  /** ForwardConfig.TargetGroups with weights (blue/green, canaries): 2-5 groups. */
  targetGroups?: WeightedTargetGroup[];
  /**
   * ForwardConfig.TargetGroupStickinessConfig: a client stays on the target
   * group it first hit for this long (ALB's AWSALBTG cookie); absent = off.
   */
  stickinessSeconds?: number;
}

/** ALB redirect: each component a literal or `#{protocol}`/`#{host}`/`#{port}`/`#{path}`/`#{query}`. */
export interface RedirectAction {
  type: 'redirect';
  protocol: string;
  host: string;
  port: string;
  path: string;
  query: string;
  statusCode: 'HTTP_301' | 'HTTP_302';
}

export interface FixedResponseAction {
  type: 'fixed-response';
  statusCode: string;
  contentType?: string;
  messageBody?: string;
}

export type RuleAction = ForwardAction | RedirectAction | FixedResponseAction;

/** Every target group a listener sends traffic to: its default actions' and, for a gateway, its destination. */
export function listenerTargetGroups(l: Pick<Listener, 'defaultActions' | 'gateway'>): string[] {
  return [...l.defaultActions.flatMap(actionTargetGroups), ...(l.gateway ? [l.gateway.destinationTargetGroupArn] : [])];
}

/** The target groups an action sends traffic to (none for redirect and fixed-response). */
export function actionTargetGroups(a: RuleAction): string[] {
  if (a.type !== 'forward') return [];
  return a.targetGroups ? a.targetGroups.map((g) => g.targetGroupArn) : [a.targetGroupArn];
}

export interface Listener {
  arn: string;
  loadBalancerArn: string;
  protocol: ListenerProtocol;
  port: number;
  defaultActions: RuleAction[];
  createdAt: number;
  tags?: ElbTag[];
  /** HTTPS/TLS: certificate ARNs (ACM-like store), the default first, then those AddListenerCertificates added (SNI). */
  certificates?: string[];
  /** HTTPS/TLS: ELB security policy name (core/load-balancing/ssl-policies.ts). */
  sslPolicy?: string;
  /** Gateway load balancers: where flows go after the appliances (core/load-balancing/gateway.ts). */
  gateway?: GatewayRoute;
}

/**
 * A gateway listener's second half. The listener forwards to the appliance
 * target group; each appliance sends what it lets through back to the
 * gateway's return port on the host that sent it, which forwards to the
 * destination target group (HAProxy chaining instead of GENEVE).
 */
export interface GatewayRoute {
  /** The original destination: an HTTP or TCP target group (its protocol is the chain's mode). */
  destinationTargetGroupArn: string;
  /** Port on the load balancer's hosts where appliances send flows back. */
  returnPort: number;
  /** HTTP chains: returned requests must carry it, so no client skips the appliances. Never shown by the API. */
  returnToken: string;
}

export type RuleField = 'host-header' | 'path-pattern' | 'http-header' | 'http-request-method' | 'query-string' | 'source-ip';

export interface RuleCondition {
  field: RuleField;
  /** OR within a condition; conditions of a rule are ANDed. query-string: `key=value` or `=value` pairs as given. */
  values: string[];
  /** http-header: the header's name. */
  httpHeaderName?: string;
  /** query-string: key/value pairs (key optional), wildcards in both. */
  queryStrings?: { key?: string; value: string }[];
}

export interface ListenerRule {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  actions: RuleAction[];
  createdAt: number;
  tags?: ElbTag[];
}

/**
 * A registered target. `registrationId` changes on every registration of the
 * same (group, id, port), so a port reused by a later task is a new target
 * with fresh health. Service targets carry the task that owns them.
 */
export interface RegisteredTarget {
  targetGroupArn: string;
  /** Container instance id (target type instance) or IP address (type ip). */
  id: string;
  port: number;
  registrationId: string;
  taskId?: string;
  cluster?: string;
  serviceName?: string;
  state: 'registered' | 'draining';
  registeredAt: number;
  drainingSince?: number;
  drainingUntil?: number;
}

export const TARGET_HEALTH_STATES = ['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable'] as const;
export type TargetHealthState = (typeof TARGET_HEALTH_STATES)[number];

export type TargetHealthReason =
  | 'Elb.RegistrationInProgress'
  | 'Elb.InitialHealthChecking'
  | 'Elb.InternalError'
  | 'Target.ResponseCodeMismatch'
  | 'Target.Timeout'
  | 'Target.FailedHealthChecks'
  | 'Target.NotRegistered'
  | 'Target.NotInUse'
  | 'Target.DeregistrationInProgress'
  | 'Target.InvalidState';

export interface TargetHealth {
  state: TargetHealthState;
  reason?: TargetHealthReason;
  description?: string;
}

/** One load-balancer host's view of one target, as its agent reported it from HAProxy. */
export interface TargetHealthObservation {
  targetGroupArn: string;
  id: string;
  port: number;
  registrationId: string;
  reporterInstanceId: string;
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining';
  reason?: TargetHealthReason;
  description?: string;
  /** Cumulative counters from HAProxy since the target appeared on that host (RequestCountPerTarget). */
  requests: number;
  errors: number;
  /** HAProxy's average response time over its last 1024 requests, ms (TargetResponseTime); absent: none yet. */
  responseTimeMs?: number;
  observedAt: number;
}

/**
 * The drain state of a service task with load balancer targets, written
 * only by the control plane's load balancer role. The dispatcher reads it to
 * hold the agent's stop until draining is over (see `agentDesiredStatus`).
 */
export interface TaskDrain {
  taskId: string;
  state: 'registered' | 'draining' | 'deregistered';
  registeredAt: number;
  drainingUntil?: number;
}

/** ECS service `loadBalancers[]` member (ALB/NLB form). */
export interface ServiceLoadBalancer {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

/** ECS: at most 5 target groups per service. */
export const MAX_SERVICE_LOAD_BALANCERS = 5;

/** Whether a listener or target group protocol belongs to a load balancer type. */
export function protocolFitsType(protocol: ListenerProtocol, type: LoadBalancerType): boolean {
  if (type === 'gateway') return protocol === 'GENEVE';
  return type === 'application' ? protocol === 'HTTP' || protocol === 'HTTPS' : protocol === 'TCP' || protocol === 'TLS';
}

/** Listener protocols that terminate TLS with certificates. */
export function isTlsProtocol(protocol: ListenerProtocol): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS';
}
