/** Tables and describe views of ELB objects (the API's PascalCase shapes). */
import { renderFields, renderTable } from './table';
import { formatTime, shortId } from './format';

export type Elb = Record<string, any>;

/** `name/id` of a target group ARN, the way ELB consoles show it. */
export function targetGroupName(arn: string | undefined): string {
  if (!arn) return '-';
  const m = /:targetgroup\/([^/]+)\//.exec(arn);
  return m ? m[1]! : arn;
}

function hosts(lb: Elb): string {
  const ips = ((lb.AvailabilityZones ?? []) as Elb[]).flatMap((z) => ((z.LoadBalancerAddresses ?? []) as Elb[]).map((a) => a.IpAddress as string));
  return ips.length ? ips.join(',') : '-';
}

function placement(lb: Elb): string {
  const p = lb.Placement ?? {};
  const parts = [p.Expression, ...((p.ContainerInstanceIds ?? []) as string[])].filter((x) => x);
  return parts.length ? parts.join(' | ') : '-';
}

export function renderLoadBalancerTable(lbs: Elb[]): string {
  return renderTable(
    ['NAME', 'TYPE', 'STATE', 'CLUSTER', 'HOSTS', 'PLACEMENT'],
    lbs.map((lb) => [lb.LoadBalancerName, lb.Type, lb.State?.Code ?? '-', lb.Cluster ?? '-', hosts(lb), placement(lb)]),
  );
}

export function renderListenerTable(listeners: Elb[]): string {
  return renderTable(
    ['PORT', 'PROTOCOL', 'DEFAULT TARGET GROUP', 'LISTENER'],
    listeners.map((l) => [String(l.Port), l.Protocol, targetGroupName(l.DefaultActions?.[0]?.TargetGroupArn), l.ListenerArn]),
  );
}

function conditions(r: Elb): string {
  const c = (r.Conditions ?? []) as Elb[];
  return c.length ? c.map((x) => `${x.Field}=${((x.Values ?? []) as string[]).join(',')}`).join(' AND ') : '(default)';
}

export function renderRuleTable(rules: Elb[]): string {
  return renderTable(
    ['PRIORITY', 'CONDITIONS', 'TARGET GROUP', 'RULE'],
    rules.map((r) => [r.Priority, conditions(r), targetGroupName(r.Actions?.[0]?.TargetGroupArn), r.IsDefault ? '-' : shortId(r.RuleArn)]),
  );
}

function check(tg: Elb): string {
  const where = tg.HealthCheckProtocol === 'HTTP' ? `${tg.HealthCheckPath} ${tg.Matcher?.HttpCode ?? ''}` : 'TCP';
  return `${where.trim()} every ${tg.HealthCheckIntervalSeconds}s (${tg.HealthyThresholdCount} up/${tg.UnhealthyThresholdCount} down)`;
}

export function renderTargetGroupTable(tgs: Elb[]): string {
  return renderTable(
    ['NAME', 'PROTOCOL', 'PORT', 'TYPE', 'HEALTH CHECK', 'LOAD BALANCERS'],
    tgs.map((tg) => [tg.TargetGroupName, tg.Protocol, String(tg.Port), tg.TargetType, check(tg), String((tg.LoadBalancerArns ?? []).length)]),
  );
}

export function renderTargetGroup(tg: Elb, attributes: Elb[]): string {
  const attr = (k: string) => attributes.find((a) => a.Key === k)?.Value ?? '-';
  return renderFields([
    ['Name', tg.TargetGroupName],
    ['ARN', tg.TargetGroupArn],
    ['Protocol/port', `${tg.Protocol} ${tg.Port}`],
    ['Target type', tg.TargetType],
    ['Health check', `${check(tg)}, timeout ${tg.HealthCheckTimeoutSeconds}s, port ${tg.HealthCheckPort}`],
    ['Deregistration delay', `${attr('deregistration_delay.timeout_seconds')}s`],
    ['Slow start', `${attr('slow_start.duration_seconds')}s`],
    ['Load balancers', ((tg.LoadBalancerArns ?? []) as string[]).join(', ') || '-'],
  ]);
}

export function renderTargetHealthTable(descriptions: Elb[]): string {
  return renderTable(
    ['TARGET', 'PORT', 'STATE', 'REASON', 'DESCRIPTION'],
    descriptions.map((d) => [d.Target.Id, String(d.Target.Port), d.TargetHealth.State, d.TargetHealth.Reason ?? '-', d.TargetHealth.Description ?? '-']),
  );
}

export function renderLoadBalancer(lb: Elb, listeners: Elb[], rules: Map<string, Elb[]>): string {
  let out = renderFields([
    ['Name', lb.LoadBalancerName],
    ['ARN', lb.LoadBalancerArn],
    ['Type/scheme', `${lb.Type} ${lb.Scheme}`],
    ['State', lb.State?.Reason ? `${lb.State.Code} (${lb.State.Reason})` : (lb.State?.Code ?? '-')],
    ['Cluster', lb.Cluster ?? '-'],
    ['Placement', placement(lb)],
    ['Hosts', hosts(lb)],
    ['Created', formatTime(lb.CreatedTime)],
  ]);
  out += '\nListeners:\n' + (listeners.length ? renderListenerTable(listeners) : '  (none)\n');
  for (const l of listeners) {
    const rs = rules.get(l.ListenerArn) ?? [];
    if (rs.length > 1) out += `\nRules of port ${l.Port}:\n` + renderRuleTable(rs);
  }
  return out;
}
