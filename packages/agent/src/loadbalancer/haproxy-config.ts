import { matcherCodes, wildcardToRegex, type HostListener, type HostTargetGroup, type LoadBalancerHostSet, type RuleCondition } from '@stevedore/core';

/**
 * Renders HAProxy's configuration for one load-balancer host, pure: the same
 * host set always gives the same text. One frontend per listener, bound on
 * the agent's host IP; ALB rules become ACLs evaluated in priority order,
 * the default action last; one backend per target group (shared by every
 * listener that forwards to it, so each target is checked once), with a
 * `server` per target carrying the group's health check. HAProxy's own
 * checks are the source of target health.
 */
export interface RenderOptions {
  hostIp: string;
  /** Admin stats socket: runtime API (drain, weights) and `show stat`. */
  statsSocket: string;
  /** Server states carried across reloads (`load-server-state-from-file`). */
  serverStateFile: string;
  /** How long an old worker may finish its connections after a reload (the longest deregistration delay). */
  hardStopAfterSeconds: number;
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
export function expectLine(matcher: string): string {
  const codes = matcherCodes(matcher);
  return codes.length === 1 ? `http-check expect status ${codes[0]}` : `http-check expect rstatus '^(${codes.join('|')})$'`;
}

function aclLines(name: string, c: RuleCondition): string {
  const patterns = c.values.map((v) => `'${wildcardToRegex(v)}'`).join(' ');
  // ALB matches the host without its port, case-insensitively; paths as sent.
  return c.field === 'host-header' ? `  acl ${name} req.hdr(host),field(1,:) -m reg -i ${patterns}` : `  acl ${name} path -m reg ${patterns}`;
}

function frontend(lbName: string, l: HostListener, hostIp: string, backends: Map<string, string>): string[] {
  const http = l.protocol === 'HTTP';
  const lines = [`frontend ${frontendName(lbName, l)}`, `  mode ${http ? 'http' : 'tcp'}`, `  bind ${hostIp}:${l.port}`];
  if (http) lines.push('  option forwardfor', '  http-request set-header X-Forwarded-Port %[dst_port]', '  http-request set-header X-Forwarded-Proto http');
  else lines.push('  option tcplog');
  for (const r of l.rules) {
    const acls = r.conditions.map((c, i) => ({ name: `r${r.priority}_${i}`, c }));
    lines.push(...acls.map((a) => aclLines(a.name, a.c)));
    lines.push(`  use_backend ${backends.get(r.targetGroupArn)} if ${acls.map((a) => a.name).join(' ')}`);
  }
  lines.push(`  default_backend ${backends.get(l.defaultTargetGroupArn)}`);
  return lines;
}

function backend(tg: HostTargetGroup, name: string, servers: RenderedServer[]): string[] {
  const h = tg.healthCheck;
  const http = tg.protocol === 'HTTP';
  const lines = [`backend ${name}`, `  mode ${http ? 'http' : 'tcp'}`, '  balance roundrobin', `  timeout check ${h.timeoutSeconds}s`];
  if (h.protocol === 'HTTP') lines.push(`  option httpchk GET ${h.path}`, `  ${expectLine(h.matcher)}`);
  // A target that refuses or drops a connection (a container still starting, a task
  // that just stopped) is retried on another one rather than failing the request.
  if (http) lines.push('  retry-on conn-failure empty-response response-timeout');
  for (const s of servers) {
    const opts = [`check`, `inter ${h.intervalSeconds}s`, `fall ${h.unhealthyThresholdCount}`, `rise ${h.healthyThresholdCount}`, `weight ${s.draining ? 0 : 1}`];
    if (h.port !== 'traffic-port') opts.push(`port ${h.port}`);
    if (tg.slowStartSeconds > 0) opts.push(`slowstart ${tg.slowStartSeconds}s`);
    lines.push(`  server ${s.server} ${s.address}:${s.port} ${opts.join(' ')}`);
  }
  return lines;
}

export function renderHaproxyConfig(set: LoadBalancerHostSet, o: RenderOptions): RenderedConfig {
  const out = [
    `# Written by the Stevedore agent from load balancer set ${set.version}; rewritten on every change.`,
    'global',
    `  stats socket ${o.statsSocket} mode 600 level admin expose-fd listeners`,
    `  server-state-file ${o.serverStateFile}`,
    `  hard-stop-after ${Math.max(1, o.hardStopAfterSeconds)}s`,
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
  for (const lb of set.loadBalancers) {
    errors.push(...lb.errors);
    for (const tg of lb.targetGroups) {
      if (!groups.has(tg.arn)) groups.set(tg.arn, tg);
      backends.set(tg.arn, backendName(tg));
    }
  }
  for (const lb of set.loadBalancers) {
    for (const l of lb.listeners) out.push('', ...frontend(lb.name, l, o.hostIp, backends));
  }
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
    out.push('', ...backend(tg, be, mine));
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
