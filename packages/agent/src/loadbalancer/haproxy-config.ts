import { createHash } from 'node:crypto';
import { haproxyTlsOptions, matcherCodes, sslPolicyOf, type HostListener, type HostTargetGroup, type HostAction, type LoadBalancerHostSet } from '@stevedore/core/host';
import { aclLines, actionBackend, forwardLines } from './haproxy-actions';
import { applianceBalance, gatewayFrontends } from './haproxy-gateway';
import { certificateAnswerOk, certificateCommands } from './certificate-plan';
import { address, addressWithPort, elbName, filePath, HaproxyConfigError, healthCheckPath, integer, oneOf, pemBundle, port, token } from './haproxy-values';

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
  /**
   * Where certificate files go (0700, files 0600, read by the master as root
   * before the workers chroot): HTTPS and TLS listeners need it.
   */
  certDir?: string;
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
  agentCheckPort?: number;
  healthCheck: HostTargetGroup['healthCheck'];
  /** The server's options but its weight (`check inter 2s fall 2 rise 3 ...`): what `add server` takes. */
  options: string;
  /** The backend's `dynamic-cookie-key` when its group is sticky: servers added at run time get their cookie from it. */
  cookieKey?: string;
}

export interface RenderedConfig {
  text: string;
  servers: RenderedServer[];
  /** Files the configuration reads (certificates, crt-lists), by absolute path: written before it is loaded. */
  files: Map<string, string>;
  /** Listeners skipped on this host (port clashes reported by the control plane). */
  errors: string[];
}

/** ALB's default `idle_timeout.timeout_seconds`. */
const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

/** HAProxy object names: letters, digits and `-_.:` only. */
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * A sticky group's `dynamic-cookie-key`: derived from its ARN, so every
 * load-balancer host and every reload gives a target the same AWSALB value.
 * Not a secret (ALB encrypts its cookie): a client that forges a value can
 * only pick among the group's targets.
 */
export function stickinessCookieKey(targetGroupArn: string): string {
  return createHash('sha256').update(`stevedore AWSALB ${targetGroupArn}`).digest('hex').slice(0, 32);
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

/**
 * `ssl crt-list ...` and the policy's TLS options for an HTTPS or TLS
 * listener; its certificate files and crt-list go into `files`, named by
 * role (certificate-plan.ts): a rotated certificate is the same file with
 * new content and the same bind line, changed through the runtime API.
 */
function tlsBind(l: HostListener, field: string, certDir: string | undefined, files: Map<string, string>): string {
  const tls = l.tls;
  if (!tls) throw new HaproxyConfigError(`${field}.tls`, `a ${l.protocol} listener needs certificates`);
  if (certDir === undefined) throw new HaproxyConfigError('certDir', 'HTTPS and TLS listeners need a certificate directory');
  const dir = filePath('certDir', certDir);
  const policy = sslPolicyOf(String(tls.sslPolicy));
  if (!policy) throw new HaproxyConfigError(`${field}.tls.sslPolicy`, `${JSON.stringify(String(tls.sslPolicy).slice(0, 64))} is not a known security policy`);
  if (!Array.isArray(tls.certificates) || tls.certificates.length === 0 || tls.certificates.length > 26) throw new HaproxyConfigError(`${field}.tls.certificates`, 'expected 1-26 certificates');
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  const listener = hash(String(l.arn));
  const paths = tls.certificates.map((c, i) => {
    // A content hash: it changes the set's version when a certificate is rotated.
    if (typeof c.id !== 'string' || !/^[0-9a-f]{4,64}$/.test(c.id)) throw new HaproxyConfigError(`${field}.tls.certificates[${i}].id`, `${JSON.stringify(String(c.id).slice(0, 64))} is not a certificate id (hex)`);
    const f = `${dir}/${listener}-${i === 0 ? 'default' : hash(String(c.arn))}.pem`;
    files.set(f, pemBundle(`${field}.tls.certificates[${i}].pem`, c.pem));
    return f;
  });
  // The first line is the default certificate; HAProxy picks among all by SNI (their names).
  const listPath = `${dir}/list-${listener}.txt`;
  files.set(listPath, [...new Set(paths)].join('\n') + '\n');
  const alpn = tls.http2 === true ? ' alpn h2,http/1.1' : l.protocol === 'HTTPS' ? ' alpn http/1.1' : '';
  return ` ssl crt-list ${listPath}${alpn} ${haproxyTlsOptions(policy).join(' ')}`;
}

function frontend(lbName: string, l: HostListener, hostIp: string, backends: Map<string, string>, field: string, certDir: string | undefined, files: Map<string, string>, actionBackends: string[][], idleSeconds: number): string[] {
  const protocol = oneOf(`${field}.protocol`, l.protocol, ['HTTP', 'HTTPS', 'TCP', 'TLS'] as const);
  const http = protocol === 'HTTP' || protocol === 'HTTPS';
  const tls = protocol === 'HTTPS' || protocol === 'TLS' ? tlsBind(l, field, certDir, files) : '';
  const backendOf = (arn: string, f: string): string => {
    const name = backends.get(arn);
    if (name === undefined) throw new HaproxyConfigError(f, `${JSON.stringify(String(arn).slice(0, 200))} is not a target group of this load balancer`);
    return name;
  };
  const lines = [`frontend ${frontendName(lbName, l)}`, `  mode ${http ? 'http' : 'tcp'}`, `  bind ${addressWithPort('hostIp', hostIp, port(`${field}.port`, l.port))}${tls}`];
  // The load balancer's idle timeout: an idle client connection (between requests too) is closed after it.
  lines.push(`  timeout client ${idleSeconds}s`);
  if (http) lines.push(`  timeout http-keep-alive ${idleSeconds}s`);
  // On a reload the old worker keeps idle keep-alive connections until their next request, answers it
  // with `Connection: close`, then closes: a client never writes into a connection being closed.
  if (http) lines.push('  option idle-close-on-response', '  option forwardfor', '  http-request set-header X-Forwarded-Port %[dst_port]', `  http-request set-header X-Forwarded-Proto ${protocol === 'HTTPS' ? 'https' : 'http'}`);
  else lines.push('  option tcplog');
  const head = lines.length;
  // With target group stickiness, a response needs to know which rule chose its backend: ALB's
  // first match is marked in priority order (txn.rule), the default action being "no mark".
  const sticky = [...l.rules.map((r) => r.action), l.defaultAction].some((a) => a?.type === 'forward' && a.stickinessSeconds !== undefined);
  l.rules.forEach((r, ri) => {
    const rf = `${field}.rules[${ri}]`;
    const priority = integer(`${rf}.priority`, r.priority, 1, 50_000);
    if (!Array.isArray(r.conditions) || r.conditions.length === 0 || r.conditions.length > 5) throw new HaproxyConfigError(`${rf}.conditions`, 'expected 1-5 conditions');
    const acls = r.conditions.map((c, i) => ({ name: `r${priority}_${i}`, c, f: `${rf}.conditions[${i}]` }));
    const cond = acls.map((a) => a.name).join(' ');
    lines.push(...acls.flatMap((a) => aclLines(a.name, a.c, a.f)));
    if (sticky) lines.push(`  http-request set-var(txn.rule) int(${priority}) if !{ var(txn.rule) -m found } ${cond}`);
    lines.push(...actionLines(r.action, r.targetGroupArn, `r${priority}`, cond, `${rf}.action`, `${rf}.targetGroupArn`, `{ var(txn.rule) -m int eq ${priority} }`));
  });
  const dflt = actionLines(l.defaultAction, l.defaultTargetGroupArn, 'default', '', `${field}.defaultAction`, `${field}.defaultTargetGroupArn`, '!{ var(txn.rule) -m found }');
  // A plain default forward is HAProxy's default_backend; anything else ends in use_backend lines.
  const last = dflt[dflt.length - 1]!;
  if (/^  use_backend \S+$/.test(last)) dflt[dflt.length - 1] = last.replace('use_backend', 'default_backend');
  lines.push(...dflt);
  // HAProxy runs http-request rules before any use_backend whatever their place, and wants them written
  // first; the rule marks name ACLs, so they follow the ACLs. Within each kind, the order is kept.
  const body = lines.slice(head);
  const kind = (x: string) => (x.startsWith('  http-request set-var(txn.w_') ? 0 : x.startsWith('  acl ') ? 1 : x.startsWith('  http-') ? 2 : 3);
  return [...lines.slice(0, head), ...[0, 1, 2, 3].flatMap((k) => body.filter((x) => kind(x) === k))];

  function actionLines(action: HostAction | undefined, targetGroupArn: string | undefined, key: string, cond: string, f: string, tgField: string, matched: string): string[] {
    if (action === undefined || action.type === 'forward') {
      const fwd = action ?? { type: 'forward' as const, targetGroups: [{ targetGroupArn: targetGroupArn!, weight: 1 }] };
      if (action === undefined && typeof targetGroupArn !== 'string') throw new HaproxyConfigError(tgField, 'needs a target group or an action');
      return forwardLines(fwd, `w_${frontendName(lbName, l).replace(/[^A-Za-z0-9_]/g, '_')}_${key}`, cond, (arn, i) => backendOf(arn, action ? `${f}.targetGroups[${i}]` : tgField), f, matched);
    }
    if (!http) throw new HaproxyConfigError(`${f}.action`, `${action.type} needs an HTTP or HTTPS listener`);
    const name = safe(`act-${lbName}-${l.port}-${key}`);
    actionBackends.push(actionBackend(name, action, f));
    return [`  use_backend ${name}${cond ? ` if ${cond}` : ''}`];
  }
}

function backend(tg: HostTargetGroup, name: string, servers: RenderedServer[], field: string, idleSeconds: number): string[] {
  const h = tg.healthCheck;
  const hf = `${field}.healthCheck`;
  const http = oneOf(`${field}.protocol`, tg.protocol, ['HTTP', 'TCP'] as const) === 'HTTP';
  const checkHttp = oneOf(`${hf}.protocol`, h.protocol, ['HTTP', 'TCP'] as const) === 'HTTP';
  const algorithm = tg.algorithm === undefined ? 'round_robin' : oneOf(`${field}.algorithm`, tg.algorithm, ['round_robin', 'least_outstanding_requests'] as const);
  const balance = tg.flow !== undefined ? applianceBalance(oneOf(`${field}.flow`, tg.flow, ['source', 'connection'] as const), http ? 'http' : 'tcp') : `balance ${algorithm === 'round_robin' ? 'roundrobin' : 'leastconn'}`;
  const lines = [`backend ${name}`, `  mode ${http ? 'http' : 'tcp'}`, `  ${balance}`, `  timeout check ${integer(`${hf}.timeoutSeconds`, h.timeoutSeconds, 1, 3600)}s`];
  // A target silent for the idle timeout fails the request (ALB's 504); a group shared by load
  // balancers with different timeouts gets the longest (HAProxy has one server timeout per backend).
  lines.push(`  timeout server ${idleSeconds}s`);
  // ALB's lb_cookie stickiness: an AWSALB cookie naming the target, for the duration. The cookie values
  // are HAProxy's dynamic cookies (a hash of the key and the server's address and port), not per-server
  // `cookie` lines, which HAProxy 2.6 refuses on servers added at run time: so a sticky group's targets
  // change through the runtime API too, and every host (and every reload) gives a target the same value.
  const cookieKey = tg.stickinessSeconds === undefined ? undefined : stickinessCookieKey(tg.arn);
  if (cookieKey !== undefined) {
    if (!http) throw new HaproxyConfigError(`${field}.stickinessSeconds`, 'lb_cookie stickiness needs an HTTP target group');
    lines.push(`  cookie AWSALB insert indirect nocache dynamic attr "Max-Age=${integer(`${field}.stickinessSeconds`, tg.stickinessSeconds, 1, 604_800)}"`, `  dynamic-cookie-key ${cookieKey}`);
  }
  if (checkHttp) lines.push(`  option httpchk GET ${healthCheckPath(`${hf}.path`, h.path)}`, `  ${expectLine(h.matcher, `${hf}.matcher`)}`);
  // A target that refuses or drops a connection (a container still starting, a task
  // that just stopped) is retried on another one rather than failing the request.
  if (http) lines.push('  retry-on conn-failure empty-response response-timeout');
  const inter = integer(`${hf}.intervalSeconds`, h.intervalSeconds, 1, 3600);
  const fall = integer(`${hf}.unhealthyThresholdCount`, h.unhealthyThresholdCount, 1, 100);
  const rise = integer(`${hf}.healthyThresholdCount`, h.healthyThresholdCount, 1, 100);
  const checkPort = h.port === 'traffic-port' ? undefined : port(`${hf}.port`, h.port);
  const slowStart = integer(`${field}.slowStartSeconds`, tg.slowStartSeconds, 0, 900);
  const checks = [`check`, `inter ${inter}s`, `fall ${fall}`, `rise ${rise}`];
  const extra = [...(checkPort !== undefined ? [`port ${checkPort}`] : []), ...(slowStart > 0 ? [`slowstart ${slowStart}s`] : [])];
  servers.forEach((s, i) => {
    // TCP: the target's host agent also says whether the container itself accepts connections
    // (docker-proxy accepts the check's connection before trying it); see target-check-server.ts.
    const agent = s.agentCheckPort === undefined ? [] : [`agent-check agent-addr ${address(`${field}.targets[${i}].address`, s.address)} agent-port ${port(`${field}.targets[${i}].agentCheckPort`, s.agentCheckPort)} agent-send ${s.port} agent-inter ${inter}s`];
    s.options = [...checks, ...extra, ...agent].join(' ');
    if (cookieKey !== undefined) s.cookieKey = cookieKey;
    // A draining target of a sticky group takes no request, its cookie's included (ALB moves sticky clients
    // at deregistration; HAProxy's drain state would still take them): maintenance instead of drain.
    const off = s.draining && cookieKey !== undefined ? ['disabled'] : [];
    lines.push(`  server ${s.server} ${addressWithPort(`${field}.targets[${i}].address`, s.address, port(`${field}.targets[${i}].port`, s.port))} ${[...checks, `weight ${s.draining ? 0 : 1}`, ...off, ...extra, ...agent].join(' ')}`);
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
    // ALB's default idle timeout; every frontend and backend sets its load balancer's own.
    `  timeout client ${DEFAULT_IDLE_TIMEOUT_SECONDS}s`,
    `  timeout server ${DEFAULT_IDLE_TIMEOUT_SECONDS}s`,
    '  timeout http-request 60s',
    `  timeout http-keep-alive ${DEFAULT_IDLE_TIMEOUT_SECONDS}s`,
    '  timeout queue 30s',
    '  load-server-state-from-file global',
    '  option redispatch',
    '  retries 3',
    // Idle connections kept to a target for reuse are purged after 1 s unused (HAProxy: 5 s): a removed
    // target's last ones go within the agent's patience for `del server`, so removal needs no reload.
    '  default-server pool-purge-delay 1s',
  ];
  const servers: RenderedServer[] = [];
  const backends = new Map<string, string>();
  const groups = new Map<string, HostTargetGroup>();
  const errors: string[] = [];
  const fieldOf = new Map<string, string>();
  const idleOf = (lb: (typeof set.loadBalancers)[number], li: number) => integer(`loadBalancers[${li}].idleTimeoutSeconds`, lb.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS, 1, 4000);
  const groupIdle = new Map<string, number>();
  set.loadBalancers.forEach((lb, li) => {
    errors.push(...lb.errors);
    lb.targetGroups.forEach((tg) => groupIdle.set(tg.arn, Math.max(groupIdle.get(tg.arn) ?? 1, idleOf(lb, li))));
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
  const files = new Map<string, string>();
  const actionBackends: string[][] = [];
  set.loadBalancers.forEach((lb, li) => {
    lb.listeners.forEach((l, i) => {
      const f = `loadBalancers[${li}].listeners[${i}]`;
      out.push('', ...(l.gateway ? gatewayListener(lb.name, l, f, idleOf(lb, li)) : frontend(lb.name, l, o.hostIp, backends, f, o.certDir, files, actionBackends, idleOf(lb, li))));
    });
  });
  for (const b of actionBackends) out.push('', ...b);

  /** A gateway listener's two frontends; the chain speaks its destination group's protocol. */
  function gatewayListener(lbName: string, l: HostListener, f: string, idleSeconds: number): string[] {
    const g = l.gateway!;
    const backendOf = (arn: string | undefined, field: string): string => {
      const name = arn === undefined ? undefined : backends.get(arn);
      if (name === undefined) throw new HaproxyConfigError(field, `${JSON.stringify(String(arn).slice(0, 200))} is not a target group of this load balancer`);
      return name;
    };
    const destination = backendOf(g.destinationTargetGroupArn, `${f}.gateway.destinationTargetGroupArn`);
    const mode = groups.get(g.destinationTargetGroupArn)!.protocol === 'HTTP' ? 'http' : 'tcp';
    const names = { entry: safe(`gw-${lbName}-${l.port}`), back: safe(`gw-${lbName}-${g.returnPort}-return`), appliances: backendOf(l.defaultTargetGroupArn, `${f}.defaultTargetGroupArn`), destination };
    return gatewayFrontends(g, l.port, mode, o.hostIp, names, f, idleSeconds);
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
      ...(t.agentCheckPort !== undefined ? { agentCheckPort: t.agentCheckPort } : {}),
      healthCheck: tg.healthCheck,
      options: '',
    }));
    servers.push(...mine);
    out.push('', ...backend(tg, be, mine, fieldOf.get(tg.arn)!, groupIdle.get(tg.arn)!));
  }
  return { text: out.join('\n') + '\n', servers, errors, files };
}

export type ApplyPlan = { kind: 'none' } | { kind: 'runtime'; commands: string[] } | { kind: 'reload' };

/** The configuration without its server lines and version comment: what only a reload can change. */
function skeleton(c: RenderedConfig): string {
  return c.text
    .split('\n')
    .filter((l) => !l.startsWith('  server ') && !l.startsWith('# Written by '))
    .join('\n');
}

const key = (s: RenderedServer): string => `${s.backend}/${s.server}`;

/** How a deregistered target stops taking requests: `drain` keeps cookie-persistent ones, so sticky groups use `maint`. */
const drainState = (s: RenderedServer): 'drain' | 'maint' => (s.cookieKey !== undefined ? 'maint' : 'drain');

/**
 * How to go from the running configuration to the next one: nothing;
 * through the runtime API when only targets changed (added, removed,
 * moved, draining), so no worker is replaced and no keep-alive client
 * sees its idle connection closed; or a reload (without dropping
 * connections) for anything else: listeners, rules, target group
 * settings.
 *
 * A new server is added with weight 0 and its health forced down before
 * it leaves maintenance, so it takes no request before `rise` checks pass
 * (as a new target in a reload starts DOWN through the server-state file).
 * A removed server is put in maintenance, then deleted (its remaining
 * sessions are closed if HAProxy still refuses after a moment: it drained
 * for the deregistration delay already).
 */
export function planApply(prev: RenderedConfig | undefined, next: RenderedConfig): ApplyPlan {
  if (!prev) return { kind: 'reload' };
  const certificates = certificateCommands(prev.files, next.files);
  if (!certificates) return { kind: 'reload' };
  if (prev.text === next.text && certificates.length === 0) return { kind: 'none' };
  if (skeleton(prev) !== skeleton(next)) return { kind: 'reload' };
  const before = new Map(prev.servers.map((s) => [key(s), s]));
  const after = new Map(next.servers.map((s) => [key(s), s]));
  // Two servers of one name: only `haproxy -c` on a reload can refuse it.
  if (after.size !== next.servers.length) return { kind: 'reload' };
  const commands: string[] = [...certificates];
  // Sticky backends with a new or moved server: HAProxy computes dynamic cookies when the key is set.
  const rekey = new Map<string, string>();
  for (const s of prev.servers) {
    if (after.has(key(s))) continue;
    // Requests still in flight on it (a killed container's, retried elsewhere) may finish first: the agent
    // shuts its remaining sessions down only if `del server` is still refused a moment later (lb-host.ts).
    commands.push(`set server ${key(s)} state maint`, `del server ${key(s)}`);
  }
  for (const s of next.servers) {
    const k = key(s);
    const was = before.get(k);
    if (!was) {
      if (s.cookieKey !== undefined) rekey.set(s.backend, s.cookieKey);
      const checked = s.options.split(' ').includes('check');
      commands.push(`add server ${k} ${addressWithPort('address', s.address, s.port)} ${s.options} weight 0`);
      if (checked) commands.push(`enable health ${k}`);
      // A dynamic server's agent check is off until enabled, like its health check.
      if (s.agentCheckPort !== undefined) commands.push(`enable agent ${k}`);
      commands.push(`enable server ${k}`);
      if (checked) commands.push(`set server ${k} health down`);
      commands.push(s.draining ? `set server ${k} state ${drainState(s)}` : `set weight ${k} 1`);
      continue;
    }
    if (was.options !== s.options) return { kind: 'reload' };
    if (was.address !== s.address || was.port !== s.port) {
      commands.push(`set server ${k} addr ${s.address} port ${s.port}`);
      if (s.cookieKey !== undefined) rekey.set(s.backend, s.cookieKey);
    }
    if (was.draining === s.draining) continue;
    commands.push(s.draining ? `set server ${k} state ${drainState(s)}` : `set server ${k} state ready`);
    commands.push(`set weight ${k} ${s.draining ? 0 : 1}`);
  }
  for (const [backend, cookieKey] of rekey) commands.push(`set dynamic-cookie-key backend ${backend} ${cookieKey}`);
  return { kind: 'runtime', commands };
}

/** Whether HAProxy's answer to a runtime command says it was done (most answer nothing; some say what they did). */
export function runtimeAnswerOk(command: string, answer: string): boolean {
  const a = answer.trim();
  const certificate = certificateAnswerOk(command, a);
  if (certificate !== undefined) return certificate;
  if (command.startsWith('add server ')) return a === 'New server registered.';
  if (command.startsWith('del server ')) return a === 'Server deleted.';
  if (/^set server \S+ addr /.test(command)) return /^(no need to change|IP changed|.*port changed)/.test(a);
  return a === '';
}
