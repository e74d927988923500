import {
  toEcsTimestamp,
  type ContainerInstance,
  type RuleAction,
  type Listener,
  type ListenerRule,
  type LoadBalancer,
  type RegisteredTarget,
  type RuleCondition,
  type TargetGroup,
  type TargetHealth,
} from '@stevedore/core';
import type { LoadBalancerHostStatus } from '../store/targets-repo';
import { applianceAttributesJson } from './actions/appliance-attributes';

/**
 * Domain -> ELBv2 JSON (PascalCase members, epoch-second timestamps as the
 * JSON protocol has them). Stevedore's own members (`Cluster`, `Placement`)
 * sit next to ELB's; the hosts running a load balancer show up where ELB
 * lists its nodes: AvailabilityZones[].LoadBalancerAddresses.
 */
export function loadBalancerJson(lb: LoadBalancer, hosts: ContainerInstance[], statuses: LoadBalancerHostStatus[]) {
  const zones = hosts.map((h) => ({
    ZoneName: h.attributes.find((a) => a.name === 'ecs.availability-zone')?.value ?? 'local',
    SubnetId: h.id,
    LoadBalancerAddresses: [{ IpAddress: h.hostIp }],
  }));
  return {
    LoadBalancerArn: lb.arn,
    DNSName: hosts[0]?.hostIp ?? '',
    CanonicalHostedZoneId: '',
    CreatedTime: toEcsTimestamp(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.cluster,
    State: loadBalancerState(hosts, statuses),
    Type: lb.type,
    AvailabilityZones: zones,
    SecurityGroups: lb.securityGroups ?? [],
    IpAddressType: 'ipv4',
    Cluster: lb.cluster,
    Placement: { ...(lb.placement.expression !== undefined ? { Expression: lb.placement.expression } : {}), ContainerInstanceIds: lb.placement.containerInstanceIds ?? [] },
  };
}

/**
 * ELB's State: `provisioning` until a connected host runs the current
 * configuration, `active` when every connected host does, `active_impaired`
 * when some failed, `failed` (with the host's reason) when all did.
 */
export function loadBalancerState(hosts: ContainerInstance[], statuses: LoadBalancerHostStatus[]): { Code: string; Reason?: string } {
  const connected = new Set(hosts.filter((h) => h.agentConnected).map((h) => h.id));
  const mine = statuses.filter((s) => connected.has(s.instanceId));
  const failed = mine.filter((s) => s.state === 'failed');
  if (mine.length === 0) return { Code: 'provisioning', Reason: connected.size === 0 ? 'No connected container instance matches the placement' : 'Waiting for the hosts to load the configuration' };
  if (failed.length === mine.length) return { Code: 'failed', Reason: failed[0]!.reason ?? 'The configuration was rejected' };
  if (failed.length > 0) return { Code: 'active_impaired', Reason: failed.map((f) => `${f.instanceId}: ${f.reason ?? 'failed'}`).join('; ') };
  return { Code: 'active' };
}

export function targetGroupJson(tg: TargetGroup, loadBalancerArns: string[]) {
  const h = tg.healthCheck;
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId ?? '',
    HealthCheckProtocol: h.protocol,
    HealthCheckPort: String(h.port),
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: h.intervalSeconds,
    HealthCheckTimeoutSeconds: h.timeoutSeconds,
    HealthyThresholdCount: h.healthyThresholdCount,
    UnhealthyThresholdCount: h.unhealthyThresholdCount,
    ...(h.protocol === 'HTTP' ? { HealthCheckPath: h.path, Matcher: { HttpCode: h.matcher } } : {}),
    LoadBalancerArns: loadBalancerArns,
    TargetType: tg.targetType,
    IpAddressType: 'ipv4',
  };
}

export function targetGroupAttributesJson(tg: TargetGroup) {
  if (tg.protocol === 'GENEVE') return applianceAttributesJson(tg);
  return [
    { Key: 'deregistration_delay.timeout_seconds', Value: String(tg.attributes.deregistrationDelaySeconds) },
    { Key: 'slow_start.duration_seconds', Value: String(tg.attributes.slowStartSeconds) },
    { Key: 'stickiness.enabled', Value: String(tg.attributes.stickinessSeconds !== undefined) },
    { Key: 'stickiness.type', Value: tg.protocol === 'HTTP' ? 'lb_cookie' : 'source_ip' },
    { Key: 'stickiness.lb_cookie.duration_seconds', Value: String(tg.attributes.stickinessSeconds ?? 86_400) },
    { Key: 'load_balancing.algorithm.type', Value: tg.attributes.algorithm ?? 'round_robin' },
  ];
}

export function actionsJson(actions: RuleAction[]) {
  return actions.map((a, i) => {
    const Order = i + 1;
    if (a.type === 'redirect') {
      return { Type: a.type, Order, RedirectConfig: { Protocol: a.protocol, Port: a.port, Host: a.host, Path: a.path, Query: a.query, StatusCode: a.statusCode } };
    }
    if (a.type === 'fixed-response') {
      return { Type: a.type, Order, FixedResponseConfig: { StatusCode: a.statusCode, ...(a.contentType !== undefined ? { ContentType: a.contentType } : {}), ...(a.messageBody !== undefined ? { MessageBody: a.messageBody } : {}) } };
    }
    const groups = a.targetGroups ?? [{ targetGroupArn: a.targetGroupArn, weight: 1 }];
    return {
      Type: a.type,
      ...(groups.length === 1 ? { TargetGroupArn: a.targetGroupArn } : {}),
      Order,
      ForwardConfig: { TargetGroups: groups.map((g) => ({ TargetGroupArn: g.targetGroupArn, Weight: g.weight })), TargetGroupStickinessConfig: a.stickinessSeconds !== undefined ? { Enabled: true, DurationSeconds: a.stickinessSeconds } : { Enabled: false } },
    };
  });
}

export function listenerJson(l: Listener) {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol,
    ...(l.certificates?.[0] !== undefined ? { Certificates: [{ CertificateArn: l.certificates[0] }] } : {}),
    ...(l.sslPolicy !== undefined ? { SslPolicy: l.sslPolicy } : {}),
    DefaultActions: actionsJson(l.defaultActions),
    ...(l.protocol === 'HTTPS' ? { AlpnPolicy: ['HTTP2Preferred'] } : {}),
  };
}

function conditionJson(c: RuleCondition) {
  switch (c.field) {
    case 'host-header':
      return { Field: c.field, Values: c.values, HostHeaderConfig: { Values: c.values } };
    case 'path-pattern':
      return { Field: c.field, Values: c.values, PathPatternConfig: { Values: c.values } };
    case 'http-header':
      return { Field: c.field, HttpHeaderConfig: { HttpHeaderName: c.httpHeaderName, Values: c.values } };
    case 'http-request-method':
      return { Field: c.field, HttpRequestMethodConfig: { Values: c.values } };
    case 'source-ip':
      return { Field: c.field, SourceIpConfig: { Values: c.values } };
    case 'query-string':
      return { Field: c.field, QueryStringConfig: { Values: (c.queryStrings ?? []).map((q) => ({ ...(q.key !== undefined ? { Key: q.key } : {}), Value: q.value })) } };
  }
}

export function ruleJson(r: ListenerRule) {
  return { RuleArn: r.arn, Priority: String(r.priority), Conditions: r.conditions.map(conditionJson), Actions: actionsJson(r.actions), IsDefault: false };
}

/** ELB lists a listener's default action as a rule with priority "default". */
export function defaultRuleJson(l: Listener) {
  return { RuleArn: l.arn.replace(':listener/', ':listener-rule/') + '/default', Priority: 'default', Conditions: [], Actions: actionsJson(l.defaultActions), IsDefault: true };
}

export function targetHealthJson(t: RegisteredTarget, health: TargetHealth, healthCheckPort: string) {
  return {
    Target: { Id: t.id, Port: t.port },
    HealthCheckPort: healthCheckPort === 'traffic-port' ? String(t.port) : healthCheckPort,
    TargetHealth: { State: health.state, ...(health.reason ? { Reason: health.reason } : {}), ...(health.description ? { Description: health.description } : {}) },
  };
}
