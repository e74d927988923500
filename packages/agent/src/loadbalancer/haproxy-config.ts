import { matcherCodes, wildcardToRegex, type HostListener, type HostTargetGroup, type LoadBalancerHostSet, type RuleCondition } from '@stevedore/core';
import { addressWithPort, conditionValue, elbName, filePath, HaproxyConfigError, healthCheckPath, integer, oneOf, port, quotedRegex, token } from './haproxy-values';

export { HaproxyConfigError } from './haproxy-values';

/**
 * Renders HAProxy's configuration for one load-balancer host, pure: the same
 * host set always gives the same text. One frontend per listener, bound on
 * the agent's host IP; ALB rules become ACLs evaluated in priority order,
 * the default action last; one backend per target group (shared by every
 * listener that forwards to it, so each target is checked once), with a
 * `server` per target carrying the group's health check. HAProxy's own
 * checks are the source of target health.
 *
 * Every value is checked for its form first (haproxy-values.ts): a value
 * that is not an address, port, name, path... of the expected shape throws
 * a HaproxyConfigError and nothing is rendered.
 */
export interface RenderOptions {
  hostIp: string;
  /** Admin stats socket: runtime API (drain, weights) and `show stat`. */
  statsSocket: string;
  /** Server states carried across reloads (`load-server-state-from-file`). */
  serverStateFile: string;
  /** How long an old worker may finish its connections after a reload (the longest deregistration delay). */
  hardStopAfterSeconds: number;
  /**
   * Workers drop root: they run as this user and group, chrooted. The master
   * stays root to bind, reload, and open what lies outside the chroot (the
   * stats socket, the server-state file) before the workers start.
   */
  privileges?: { user: string; group: string; chroot: string };
}

/** One rendered `server` line, for the runtime API and health reports. */
export interface RenderedServer {
  backend: string;
  server: string;
  targetGroupArn: string;
  registrationId: string;
  id: string;
  port: number;
  address: string;
  draining: boolean;
  healthCheck: HostTargetGroup['healthCheck'];
}

export interface RenderedConfig {
  text: string;
  servers: RenderedServer[];
  /** Listeners skipped on this host (port clashes reported by the control plane). */
  errors: string[];
}

/** HAProxy object names: letters, digits and `-_.:` only. */
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function backendName(tg: Pick<HostTargetGroup, 'arn' | 'name'>): string {
  return safe(`tg-${tg.name}-${lastSegment(tg.arn)}`);
}

export function serverName(registrationId: string): string {
  return safe(`t-${registrationId}`);
}

function frontendName(lbName: string, l: HostListener): string {
  return safe(`lb-${lbName}-${l.port}`);
}

/** ALB's matcher as HAProxy's `http-check expect`. */
export function expectLine(matcher: string, field = 'healthCheck.matcher'): string {
  let codes: number[];
  try {
    codes = matcherCodes(matcher);
  } catch (e) {
    throw new HaproxyConfigError(field, (e as Error).message);
  }
  return codes.length === 1 ? `http-check expect status ${codes[0]}` : `http-check expect rstatus '^(${codes.join('|')})$'`;
}

function aclLines(name: string, c: RuleCondition, field: string): string {
  oneOf(`${field}.field`, c.field, ['host-header', 'path-pattern'] as const);
  if (!Array.isArray(c.values) || c.values.length === 0 || c.values.length > 5) throw new HaproxyConfigError(`${field}.values`, 'expected 1-5 values');
  const patterns = c.values.map((v, i) => quotedRegex(wildcardToRegex(conditionValue(`${field}.values[${i}]`, v)))).join(' ');
  // ALB matches the host without its port, case-insensitively; paths as sent.
  return c.field === 'host-header' ? `  acl ${name} req.hdr(host),field(1,:) -m reg -i ${patterns}` : `  acl ${name} path -m reg ${patterns}`;
}

function frontend(lbName: string, l: HostListener, hostIp: string, backends: Map<string, string>, field: string): string[] {
  const http = oneOf(`${field}.protocol`, l.protocol, ['HTTP', 'TCP'] as const) === 'HTTP';
  const backendOf = (arn: string, f: string): string => {
    const name = backends.get(arn);
    if (name === undefined) throw new HaproxyConfigError(f, `${JSON.stringify(String(arn).slice(0, 200))} is not a target group of this load balancer`);
    return name;
  };
  const lines = [`frontend ${frontendName(lbName, l)}`, `  mode ${http ? 'http' : 'tcp'}`, `  bind ${addressWithPort('hostIp', hostIp, port(`${field}.port`, l.port))}`];
  if (http) lines.push('  option forwardfor', '  http-request set-header X-Forwarded-Port %[dst_port]', '  http-request set-header X-Forwarded-Proto http');
  else lines.push('  option tcplog');
  l.rules.forEach((r, ri) => {
    const rf = `${field}.rules[${ri}]`;
    const priority = integer(`${rf}.priority`, r.priority, 1, 50_000);
    if (!Array.isArray(r.conditions) || r.conditions.length === 0 || r.conditions.length > 5) throw new HaproxyConfigError(`${rf}.conditions`, 'expected 1-5 conditions');
    const acls = r.conditions.map((c, i) => ({ name: `r${priority}_${i}`, c, f: `${rf}.conditions[${i}]` }));
    lines.push(...acls.map((a) => aclLines(a.name, a.c, a.f)));
    lines.push(`  use_backend ${backendOf(r.targetGroupArn, `${rf}.targetGroupArn`)} if ${acls.map((a) => a.name).join(' ')}`);
  });
  lines.push(`  default_backend ${backendOf(l.defaultTargetGroupArn, `${field}.defaultTargetGroupArn`)}`);
  return lines;
}

function backend(tg: HostTargetGroup, name: string, servers: RenderedServer[], field: string): string[] {
  const h = tg.healthCheck;
  const hf = `${field}.healthCheck`;
  const http = oneOf(`${field}.protocol`, tg.protocol, ['HTTP', 'TCP'] as const) === 'HTTP';
  const checkHttp = oneOf(`${hf}.protocol`, h.protocol, ['HTTP', 'TCP'] as const) === 'HTTP';
  const lines = [`backend ${name}`, `  mode ${http ? 'http' : 'tcp'}`, '  balance roundrobin', `  timeout check ${integer(`${hf}.timeoutSeconds`, h.timeoutSeconds, 1, 3600)}s`];
  if (checkHttp) lines.push(`  option httpchk GET ${healthCheckPath(`${hf}.path`, h.path)}`, `  ${expectLine(h.matcher, `${hf}.matcher`)}`);
  // A target that refuses or drops a connection (a container still starting, a task
  // that just stopped) is retried on another one rather than failing the request.
  if (http) lines.push('  retry-on conn-failure empty-response response-timeout');
  const inter = integer(`${hf}.intervalSeconds`, h.intervalSeconds, 1, 3600);
  const fall = integer(`${hf}.unhealthyThresholdCount`, h.unhealthyThresholdCount, 1, 100);
  const rise = integer(`${hf}.healthyThresholdCount`, h.healthyThresholdCount, 1, 100);
  const checkPort = h.port === 'traffic-port' ? undefined : port(`${hf}.port`, h.port);
  const slowStart = integer(`${field}.slowStartSeconds`, tg.slowStartSeconds, 0, 900);
  servers.forEach((s, i) => {
    const opts = [`check`, `inter ${inter}s`, `fall ${fall}`, `rise ${rise}`, `weight ${s.draining ? 0 : 1}`];
    if (checkPort !== undefined) opts.push(`port ${checkPort}`);
    if (slowStart > 0) opts.push(`slowstart ${slowStart}s`);
    lines.push(`  server ${s.server} ${addressWithPort(`${field}.targets[${i}].address`, s.address, port(`${field}.targets[${i}].port`, s.port))} ${opts.join(' ')}`);
  });
  return lines;
}

/** Throws HaproxyConfigError when any value of the set or the options is not of its expected form. */
export function renderHaproxyConfig(set: LoadBalancerHostSet, o: RenderOptions): RenderedConfig {
  const p = o.privileges;
  const out = [
    `# Written by the Stevedore agent from load balancer set ${token('version', set.version, 64)}; rewritten on every change.`,
    'global',
    ...(p ? [`  user ${token('privileges.user', p.user, 32)}`, `  group ${token('privileges.group', p.group, 32)}`, `  chroot ${filePath('privileges.chroot', p.chroot)}`] : []),
    `  stats socket ${filePath('statsSocket', o.statsSocket)} mode 600 level admin expose-fd listeners`,
    `  server-state-file ${filePath('serverStateFile', o.serverStateFile)}`,
    `  hard-stop-after ${integer('hardStopAfterSeconds', Math.max(1, o.hardStopAfterSeconds), 1, 86_400)}s`,
    '',
    'defaults',
    '  timeout connect 5s',
    // ALB's default idle timeout.
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 60s',
    '  timeout http-keep-alive 60s',
    '  timeout queue 30s',
    '  load-server-state-from-file global',
    '  option redispatch',
    '  retries 3',
  ];
  const servers: RenderedServer[] = [];
  const backends = new Map<string, string>();
  const groups = new Map<string, HostTargetGroup>();
  const errors: string[] = [];
  const fieldOf = new Map<string, string>();
  set.loadBalancers.forEach((lb, li) => {
    errors.push(...lb.errors);
    elbName(`loadBalancers[${li}].name`, lb.name);
    lb.targetGroups.forEach((tg, ti) => {
      const f = `loadBalancers[${li}].targetGroups[${ti}]`;
      elbName(`${f}.name`, tg.name);
      token(`${f}.arn`, lastSegment(tg.arn));
      tg.targets.forEach((t, i) => token(`${f}.targets[${i}].registrationId`, t.registrationId));
      if (!groups.has(tg.arn)) {
        groups.set(tg.arn, tg);
        fieldOf.set(tg.arn, f);
      }
      backends.set(tg.arn, backendName(tg));
    });
  });
  set.loadBalancers.forEach((lb, li) => {
    lb.listeners.forEach((l, i) => out.push('', ...frontend(lb.name, l, o.hostIp, backends, `loadBalancers[${li}].listeners[${i}]`)));
  });
  for (const tg of [...groups.values()].sort((a, b) => a.arn.localeCompare(b.arn))) {
    const be = backends.get(tg.arn)!;
    const mine = tg.targets.map((t) => ({
      backend: be,
      server: serverName(t.registrationId),
      targetGroupArn: tg.arn,
      registrationId: t.registrationId,
      id: t.id,
      port: t.port,
      address: t.address,
      draining: t.draining,
      healthCheck: tg.healthCheck,
    }));
    servers.push(...mine);
    out.push('', ...backend(tg, be, mine, fieldOf.get(tg.arn)!));
  }
  return { text: out.join('\n') + '\n', servers, errors };
}

export type ApplyPlan = { kind: 'none' } | { kind: 'runtime'; commands: string[] } | { kind: 'reload' };

/**
 * How to go from the running configuration to the next one: nothing; only
 * draining changed on existing servers (runtime API `set server ... state
 * drain` + weight, in-flight requests finish, no reload); or anything else
 * (reload without dropping connections).
 */
export function planApply(prev: RenderedConfig | undefined, next: RenderedConfig): ApplyPlan {
  if (prev && prev.text === next.text) return { kind: 'none' };
  if (!prev) return { kind: 'reload' };
  const neutral = (c: RenderedConfig) => c.text.replace(/ weight [01]( |$)/gm, ' weight _$1').replace(/^# Written by .*$/m, '');
  if (neutral(prev) !== neutral(next)) return { kind: 'reload' };
  const before = new Map(prev.servers.map((s) => [`${s.backend}/${s.server}`, s]));
  const commands: string[] = [];
  for (const s of next.servers) {
    const was = before.get(`${s.backend}/${s.server}`);
    if (!was || was.draining === s.draining) continue;
    commands.push(s.draining ? `set server ${s.backend}/${s.server} state drain` : `set server ${s.backend}/${s.server} state ready`);
    commands.push(`set weight ${s.backend}/${s.server} ${s.draining ? 0 : 1}`);
  }
  return { kind: 'runtime', commands };
}
