import { isIP } from 'node:net';
import { Command } from 'commander';
import { ATTRIBUTE_NAME_RULE, ATTRIBUTE_VALUE_RULE, DEFAULT_RESERVED_PORTS, isAttributeName, isAttributeValue, isBuiltInAttribute, MAX_CUSTOM_ATTRIBUTES, versionText } from '@stevedore/core/host';
import { normalizeCaCertHash, parseJoinToken } from '@stevedore/proto';
import { PULL_BEHAVIORS, type PullBehavior } from './worker/image-puller';
import type { HealthListen } from './health/health-server';

/** Everything the agent is told at startup; each option also comes from STEVEDORE_<NAME> for systemd env files. */
export interface AgentConfig {
  /** --control-plane as given (logs). */
  controlPlane: string;
  /** Its HOST:PORT entries: every replica of a highly available control plane; the agent moves on failure. */
  controlPlanes: string[];
  cluster: string;
  hostIp: string;
  dataDir: string;
  attributes: Record<string, string>;
  availabilityZone: string;
  reservedMemory: number;
  reservedPorts: number[];
  dockerHost: string;
  cleanupWaitMs: number;
  stopTimeoutSeconds: number;
  imagePullBehavior: PullBehavior;
  /** The pause container of awsvpc tasks (and pidMode/ipcMode task). */
  pauseImage: string;
  /** Its command; empty: the image's own. */
  pauseCommand: string[];
  logLevel: string;
  /** restartAttemptPeriod is multiplied by this: 1 (ECS) unless shortened for tests and demos. */
  restartAttemptPeriodScale: number;
  /** How often task usage (CPU, memory, network, block I/O) is reported. */
  metricsIntervalMs: number;
  /** Port on the host IP answering load balancers' agent checks for this host's containers; 0 = none. */
  targetCheckPort: number;
  /** ECS_CONTAINER_INSTANCE_TAGS: this host's tags, served to its tasks by TMDS taskWithTags. */
  containerInstanceTags: Record<string, string>;
  /** The agent's health endpoint (health/health-server.ts): local only. */
  healthListen: HealthListen;
  /** First start only: join the cluster with this token, trusting only the CA whose key hashes to caCertHash. */
  join?: { token: string; caCertHash: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

interface OptionSpec {
  flags: string;
  key: string;
  env: string;
  help: string;
  default?: string;
}

const OPTIONS: OptionSpec[] = [
  { flags: '--control-plane <host:port,...>', key: 'controlPlane', env: 'STEVEDORE_CONTROL_PLANE', help: 'control plane agent endpoint; several replicas comma-separated (the agent moves to the next on failure)' },
  { flags: '--cluster <name>', key: 'cluster', env: 'STEVEDORE_CLUSTER', help: 'cluster to join', default: 'default' },
  { flags: '--host-ip <ip>', key: 'hostIp', env: 'STEVEDORE_HOST_IP', help: 'address published container ports bind on' },
  { flags: '--data-dir <dir>', key: 'dataDir', env: 'STEVEDORE_DATA_DIR', help: 'where the instance identity and task journal live' },
  { flags: '--availability-zone <az>', key: 'availabilityZone', env: 'STEVEDORE_AVAILABILITY_ZONE', help: 'ecs.availability-zone attribute', default: 'local-a' },
  { flags: '--reserved-memory <MiB>', key: 'reservedMemory', env: 'STEVEDORE_RESERVED_MEMORY', help: 'memory hidden from placement', default: '0' },
  { flags: '--reserved-ports <list>', key: 'reservedPorts', env: 'STEVEDORE_RESERVED_PORTS', help: 'reserved TCP host ports', default: DEFAULT_RESERVED_PORTS.join(',') },
  { flags: '--docker-host <url>', key: 'dockerHost', env: 'STEVEDORE_DOCKER_HOST', help: 'Docker endpoint (default $DOCKER_HOST or /var/run/docker.sock)' },
  { flags: '--cleanup-wait <seconds>', key: 'cleanupWait', env: 'STEVEDORE_CLEANUP_WAIT', help: 'stopped task containers are removed after this', default: '10800' },
  { flags: '--stop-timeout <seconds>', key: 'stopTimeout', env: 'STEVEDORE_STOP_TIMEOUT', help: 'default SIGTERM-to-SIGKILL grace', default: '30' },
  { flags: '--image-pull-behavior <behavior>', key: 'imagePullBehavior', env: 'STEVEDORE_IMAGE_PULL_BEHAVIOR', help: PULL_BEHAVIORS.join(' | '), default: 'default' },
  { flags: '--pause-image <image>', key: 'pauseImage', env: 'STEVEDORE_PAUSE_IMAGE', help: "image of each awsvpc task's pause container (holds the task's network namespace)", default: 'busybox:stable' },
  {
    flags: '--pause-command <command>',
    key: 'pauseCommand',
    env: 'STEVEDORE_PAUSE_COMMAND',
    help: "the pause container's command, space-separated; 'image' for the image's own (a real pause image)",
    default: 'sleep 2147483647',
  },
  {
    flags: '--restart-attempt-period-scale <factor>',
    key: 'restartAttemptPeriodScale',
    env: 'STEVEDORE_RESTART_ATTEMPT_PERIOD_SCALE',
    help: "multiplies containers' restartAttemptPeriod, for tests and demos only (0.05: ECS's 60 s minimum becomes 3 s)",
    default: '1',
  },
  {
    flags: '--target-check-port <port>',
    key: 'targetCheckPort',
    env: 'STEVEDORE_TARGET_CHECK_PORT',
    help: "port on the host IP where load balancers ask whether this host's containers accept connections (TCP target health checks behind docker-proxy); 0 = off",
    default: '51679',
  },
  { flags: '--metrics-interval <seconds>', key: 'metricsInterval', env: 'STEVEDORE_METRICS_INTERVAL', help: 'task usage report period', default: '10' },
  {
    flags: '--container-instance-tags <json>',
    key: 'containerInstanceTags',
    env: 'STEVEDORE_CONTAINER_INSTANCE_TAGS',
    help: 'this host\'s tags as a JSON object, like ECS_CONTAINER_INSTANCE_TAGS (served by the task metadata endpoint\'s taskWithTags)',
    default: '{}',
  },
  {
    flags: '--health-listen <where>',
    key: 'healthListen',
    env: 'STEVEDORE_HEALTH_LISTEN',
    help: "the agent's own GET /ping and GET /ready: unix:PATH, a loopback HOST:PORT, or off (default unix:<data-dir>/health.sock)",
  },
  { flags: '--log-level <level>', key: 'logLevel', env: 'STEVEDORE_LOG_LEVEL', help: 'trace | debug | info | warn | error', default: 'info' },
  { flags: '--token <token>', key: 'token', env: 'STEVEDORE_TOKEN', help: 'join token (stevedore cluster join-token create); first start only' },
  { flags: '--ca-cert-hash <sha256:hex>', key: 'caCertHash', env: 'STEVEDORE_CA_CERT_HASH', help: "the cluster CA's public key hash, pinned when joining" },
];

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `name=value`, each as ECS PutAttributes accepts it: the control plane refuses a registration with anything else. */
function parseAttribute(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new ConfigError(`--attribute ${JSON.stringify(s)}: expected key=value`);
  const [name, value] = [s.slice(0, i).trim(), s.slice(i + 1).trim()];
  if (!isAttributeName(name)) throw new ConfigError(`--attribute ${JSON.stringify(s)}: the name must be ${ATTRIBUTE_NAME_RULE}`);
  if (!isAttributeValue(value)) throw new ConfigError(`--attribute ${JSON.stringify(s)}: the value must be ${ATTRIBUTE_VALUE_RULE}`);
  return [name, value];
}

function nonNegative(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name}: expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function buildCommand(): Command {
  const cmd = new Command('stevedore-agent').description('Stevedore host agent: runs the tasks the control plane assigns to this host').version(versionText('stevedore-agent'), '--version').exitOverride();
  for (const o of OPTIONS) cmd.option(o.flags, `${o.help} [env ${o.env}]${o.default !== undefined ? ` (default ${o.default})` : ''}`);
  cmd.option('--attribute <key=value>', 'custom instance attribute, repeatable [env STEVEDORE_ATTRIBUTES=k=v,k2=v2]', collect);
  return cmd;
}

/** CLI flag, else STEVEDORE_* environment variable, else the documented default. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const cmd = buildCommand();
  cmd.parse(argv, { from: 'user' });
  const cli = cmd.opts<Record<string, string | string[] | undefined>>();
  const get = (key: string): string | undefined => {
    const o = OPTIONS.find((x) => x.key === key)!;
    const v = (cli[key] as string | undefined) ?? env[o.env] ?? o.default;
    return v === '' ? o.default : v;
  };
  const required = (key: string): string => {
    const v = get(key);
    if (!v) {
      const o = OPTIONS.find((x) => x.key === key)!;
      throw new ConfigError(`missing ${o.flags.split(' ')[0]} (or ${o.env})`);
    }
    return v;
  };

  const hostIp = required('hostIp');
  if (!isIP(hostIp)) throw new ConfigError(`--host-ip: ${JSON.stringify(hostIp)} is not an IP address`);
  // Several agents may share one host and one dockerd: binding every address would collide.
  if (hostIp === '0.0.0.0' || hostIp === '::') throw new ConfigError('--host-ip must be a specific address, not a wildcard');
  const controlPlane = required('controlPlane');
  const controlPlanes = controlPlane.split(',').map((x) => x.trim());
  for (const cp of controlPlanes) {
    if (!/^[^\s:,]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(cp)) throw new ConfigError(`--control-plane: expected HOST:PORT[,HOST:PORT...], got ${JSON.stringify(cp)} in ${JSON.stringify(controlPlane)}`);
  }
  if (new Set(controlPlanes).size !== controlPlanes.length) throw new ConfigError(`--control-plane: ${JSON.stringify(controlPlane)} names a replica twice`);

  const attrList = [...((cli['attribute'] as string[] | undefined) ?? []), ...(!cli['attribute'] && env['STEVEDORE_ATTRIBUTES'] ? env['STEVEDORE_ATTRIBUTES'].split(',').filter(Boolean) : [])];
  const attributes = Object.fromEntries(attrList.map(parseAttribute));
  if (Object.keys(attributes).filter((n) => !isBuiltInAttribute(n)).length > MAX_CUSTOM_ATTRIBUTES) {
    throw new ConfigError(`--attribute: at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes (as ECS)`);
  }

  const availabilityZone = get('availabilityZone')!;
  if (!isAttributeValue(availabilityZone)) throw new ConfigError(`--availability-zone: must be ${ATTRIBUTE_VALUE_RULE}`);

  const behavior = get('imagePullBehavior')!;
  if (!(PULL_BEHAVIORS as readonly string[]).includes(behavior)) throw new ConfigError(`--image-pull-behavior: expected one of ${PULL_BEHAVIORS.join(', ')}`);

  const ports = get('reservedPorts')!
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`--reserved-ports: bad port ${JSON.stringify(p)}`);
      return n;
    });

  const stopTimeout = nonNegative('--stop-timeout', get('stopTimeout')!);
  const metricsInterval = nonNegative('--metrics-interval', get('metricsInterval')!);
  // Docker's stats stream gives one reading a second: a shorter window would measure nothing.
  if (metricsInterval < 1 || metricsInterval > 3600) throw new ConfigError('--metrics-interval: expected 1 to 3600 seconds');
  const restartScale = Number(get('restartAttemptPeriodScale'));
  // Shorter only: a longer period than the task definition says is not what ECS promises.
  if (!Number.isFinite(restartScale) || restartScale <= 0 || restartScale > 1) throw new ConfigError('--restart-attempt-period-scale: expected a factor greater than 0 and at most 1');
  const join = joinOptions(get('token'), get('caCertHash'));
  const targetCheckPort = Number(get('targetCheckPort'));
  if (!Number.isInteger(targetCheckPort) || targetCheckPort < 0 || targetCheckPort > 65535) throw new ConfigError('--target-check-port: expected a port (0 = off)');
  const dataDir = required('dataDir');
  return {
    healthListen: healthListenOf(get('healthListen'), dataDir),
    targetCheckPort,
    controlPlane,
    controlPlanes,
    cluster: required('cluster'),
    hostIp,
    dataDir: required('dataDir'),
    attributes,
    availabilityZone,
    reservedMemory: nonNegative('--reserved-memory', get('reservedMemory')!),
    reservedPorts: ports,
    dockerHost: (cli['dockerHost'] as string | undefined) ?? env['STEVEDORE_DOCKER_HOST'] ?? env['DOCKER_HOST'] ?? '/var/run/docker.sock',
    cleanupWaitMs: nonNegative('--cleanup-wait', get('cleanupWait')!) * 1000,
    // ECS_CONTAINER_STOP_TIMEOUT has a 1s minimum.
    stopTimeoutSeconds: Math.max(1, stopTimeout),
    imagePullBehavior: behavior as PullBehavior,
    pauseImage: get('pauseImage')!,
    pauseCommand: get('pauseCommand') === 'image' ? [] : get('pauseCommand')!.split(' ').filter(Boolean),
    logLevel: get('logLevel')!,
    metricsIntervalMs: Math.round(metricsInterval * 1000),
    containerInstanceTags: parseInstanceTags(get('containerInstanceTags')!),
    restartAttemptPeriodScale: restartScale,
    ...(join ? { join } : {}),
  };
}

/** ECS's tag rules: at most 50, keys 1-128 and values 0-256 characters, no `aws:` prefix. */
function parseInstanceTags(json: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new ConfigError('--container-instance-tags: expected a JSON object of strings, e.g. {"team":"web"}');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('--container-instance-tags: expected a JSON object of strings');
  const entries = Object.entries(doc as Record<string, unknown>);
  if (entries.length > 50) throw new ConfigError('--container-instance-tags: at most 50 tags');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length < 1 || k.length > 128 || v.length > 256 || /^aws:/i.test(k)) {
      throw new ConfigError(`--container-instance-tags: ${JSON.stringify(k).slice(0, 140)} must be a key of 1-128 characters (not aws:...) with a string value of at most 256`);
    }
  }
  // Own data properties only: a tag named __proto__ stays a tag.
  return Object.fromEntries(entries as [string, string][]);
}

/** Both or neither: a token without the pin would trust whoever answers first. */
function joinOptions(token: string | undefined, hash: string | undefined): AgentConfig['join'] {
  if (!token && !hash) return undefined;
  if (!token) throw new ConfigError('--ca-cert-hash needs --token (or STEVEDORE_TOKEN)');
  if (!hash) throw new ConfigError('--token needs --ca-cert-hash (or STEVEDORE_CA_CERT_HASH): the agent never joins a control plane it cannot verify');
  if (!parseJoinToken(token)) throw new ConfigError('--token: not a Stevedore join token (SVDR-<id>.<secret>, from `stevedore cluster join-token create`)');
  const caCertHash = normalizeCaCertHash(hash);
  if (!caCertHash) throw new ConfigError(`--ca-cert-hash: expected sha256:<64 hex digits>, got ${JSON.stringify(hash)}`);
  return { token: token.trim(), caCertHash };
}

/** Linux's sun_path holds 108 bytes, the last one the terminating NUL. */
const MAX_UNIX_SOCKET_PATH = 107;

/** --health-listen: a unix socket (default, in the data dir), a loopback address (no authentication: never off the host), or off. */
export function healthListenOf(v: string | undefined, dataDir: string): HealthListen {
  if (v === undefined || v === '') {
    const path = `${dataDir.replace(/\/+$/, '')}/health.sock`;
    // A deep data dir (a test's or a local host group's) cannot hold a socket: the agent runs on
    // without the endpoint, and says so, rather than fail at start.
    if (Buffer.byteLength(path) > MAX_UNIX_SOCKET_PATH) {
      return { kind: 'off', reason: `${path} is longer than a unix socket path may be (${MAX_UNIX_SOCKET_PATH} bytes): set --health-listen` };
    }
    return { kind: 'unix', path };
  }
  if (v === 'off') return { kind: 'off' };
  if (v.startsWith('unix:')) {
    const p = v.slice('unix:'.length);
    if (!p.startsWith('/')) throw new ConfigError(`--health-listen: unix:PATH needs an absolute path, got ${JSON.stringify(v)}`);
    if (Buffer.byteLength(p) > MAX_UNIX_SOCKET_PATH) throw new ConfigError(`--health-listen: a unix socket path may have at most ${MAX_UNIX_SOCKET_PATH} bytes, got ${Buffer.byteLength(p)}`);
    return { kind: 'unix', path: p };
  }
  const m = /^(\[[0-9a-fA-F:]+\]|[^\s:]+):(\d+)$/.exec(v);
  const host = m?.[1]?.replace(/^\[|\]$/g, '');
  const port = Number(m?.[2]);
  if (!m || !host || !Number.isInteger(port) || port > 65535) throw new ConfigError(`--health-listen: expected unix:PATH, HOST:PORT or off, got ${JSON.stringify(v)}`);
  if (!(host === 'localhost' || host === '::1' || /^127\./.test(host))) throw new ConfigError(`--health-listen: ${host} is not a loopback address (the endpoint has no authentication)`);
  return { kind: 'tcp', host, port };
}
