import { Command, InvalidArgumentError } from 'commander';
import { parseByteSize, versionText } from '@stevedore/core';
import { DEFAULT_API_RATE_LIMIT, parseRateLimit, type RateLimit } from './api/auth/rate-limiter';
import { isLoopbackHost } from './api/auth/loopback';
import { DEFAULT_JOIN_RATE_LIMIT, type JoinRateLimit } from './dispatcher/join-limits';

export interface ControlPlaneConfig {
  dataDir: string;
  /**
   * Where desired state lives (--store): `postgres://...` for a PostgreSQL
   * database shared by replicas, `sqlite:PATH` for a SQLite file; default the
   * SQLite file <data-dir>/stevedore.db (docs/design/store-backends.md).
   */
  store?: string;
  /** Name of this process among replicas (the lease holder); default hostname-pid-random. Unique per process. */
  replicaId?: string;
  /** Leader lease lifetime (--leader-lease-ttl); a new leader takes over within about 1.2x of it. */
  leaderLeaseTtlMs?: number;
  apiListen: { host: string; port: number };
  /**
   * Where other replicas reach this one's API for relays (log reads, ECS
   * Exec), --api-advertise: needed when apiListen is a wildcard address;
   * default the listen address.
   */
  apiAdvertise?: { host: string; port: number };
  agentListen: string;
  region: string;
  account: string;
  logLevel: string;
  heartbeatPeriodMs: number;
  /** Extra names or addresses agents may dial the agent channel by (server certificate SANs). */
  agentCertSans?: string[];
  /** Lifetime of agent client certificates; agents renew them at 2/3 of it. */
  agentCertValidityMs?: number;
  /** Where the first start writes the admin access key (AWS shared-credentials file); default <data-dir>/admin-credentials. */
  adminCredentialsFile?: string;
  /** How the API is served: plain HTTP (loopback, or --insecure-http), or HTTPS with files or a cluster-CA certificate. */
  apiTls?: ApiTlsConfig;
  /** Extra names or addresses clients may reach the API by (SANs of a cluster-CA-issued API certificate). */
  apiCertSans?: string[];
  /** Benchmarks only, and only on a loopback API address. */
  insecureDisableAuth?: boolean;
  /** Per access key token bucket. */
  apiRateLimit?: RateLimit;
  /** Per (client address, access key id) bucket for refused signatures (tests change it). */
  apiFailedAuthRateLimit?: RateLimit;
  /** Join attempts per agent-channel peer address (tests that join many agents raise it). */
  agentJoinRateLimit?: JoinRateLimit;
  /** An instance disconnected this long is lost and its service tasks are replaced (ECS never does). */
  instanceLostGraceSeconds?: number;
  /** GetTaskLogs streams open at once per container instance. */
  maxLogStreamsPerInstance?: number;
  /** Stopped tasks are deleted this long after they stop (ECS: about an hour). */
  stoppedTaskRetentionSeconds?: number;
  /** Lifetime of the temporary credentials issued to task roles (at most 6 hours). */
  taskCredentialsTtlSeconds?: number;
  /** Every CloudWatch alarm is evaluated this often (new datapoints also wake their alarms). */
  alarmEvaluationIntervalMs?: number;
  /** Bytes of log messages the log store keeps at most (0 = no cap). */
  logStoreMaxBytes?: number;
  /** Length of a log retention "day" in seconds (86400; tests shorten it). */
  logRetentionDaySeconds?: number;
  /** Metrics: publishing period, the loopback Prometheus listener, the scrape token for GET /metrics on the API. */
  metrics?: MetricsConfig;
  /** Fine tuning of the service orchestrator, for tests and benchmarks. */
  orchestrator?: Partial<import('./orchestrator/service-reconciler').OrchestratorOptions>;
  /** How often the autoscaler evaluates every scalable target (tests shorten it). */
  autoscaling?: Partial<import('./autoscaling/autoscaler').AutoscalerOptions>;
  /** Host groups and capacity providers (docs/design/capacity-providers.md). */
  capacity?: CapacityConfig;
}

export interface CapacityConfig {
  /** HOST:PORT new hosts dial (default: --agent-listen, a wildcard read as 127.0.0.1). */
  agentAdvertise?: string;
  /** How often managed scaling computes CapacityProviderReservation (ECS: every minute). */
  scalingIntervalMs: number;
  /** Below target this long before a scale in (ECS: its alarm's 15 one-minute data points). */
  scaleInCooldownMs: number;
}

export interface MetricsConfig {
  /** How often service, cluster and target group figures are computed and published. */
  periodMs: number;
  /** Plain-HTTP Prometheus listener; loopback only (off loopback, scrape the API endpoint with the token). */
  listen?: { host: string; port: number };
  /** File holding the bearer token that GET /metrics on the API endpoint requires. */
  tokenFile?: string;
}

/**
 * `http`: loopback addresses by default, anywhere with --insecure-http.
 * `files`: --api-tls-cert/--api-tls-key (re-read when they change on disk).
 * `cluster-ca`: the default off loopback; the cluster CA issues (and renews)
 * a certificate for the listen address and its bundle goes to <data-dir>/api-ca.pem.
 */
export type ApiTlsConfig = { mode: 'http'; insecure?: boolean } | { mode: 'files'; certFile: string; keyFile: string } | { mode: 'cluster-ca' };

/** The API's transport from the flags: TLS whenever the API is reachable from off this host, unless explicitly refused. */
export function apiTlsOf(host: string, opts: { certFile?: string | undefined; keyFile?: string | undefined; insecureHttp?: boolean }): ApiTlsConfig {
  if (Boolean(opts.certFile) !== Boolean(opts.keyFile)) throw new InvalidArgumentError('--api-tls-cert and --api-tls-key go together');
  if (opts.certFile && opts.keyFile) {
    if (opts.insecureHttp) throw new InvalidArgumentError('--insecure-http contradicts --api-tls-cert/--api-tls-key');
    return { mode: 'files', certFile: opts.certFile, keyFile: opts.keyFile };
  }
  if (isLoopbackHost(host)) return { mode: 'http' };
  return opts.insecureHttp ? { mode: 'http', insecure: true } : { mode: 'cluster-ca' };
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected HOST:PORT, got '${v}'`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new InvalidArgumentError(`port out of range in '${v}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** An address other machines dial: HOST:PORT with a real host (not a wildcard) and a port 1-65535; errors name the option. */
function advertisedHostPort(option: string, v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v.trim());
  const host = m?.[1]!.replace(/^\[|\]$/g, '') ?? '';
  const port = Number(m?.[2]);
  if (!m || !/^[A-Za-z0-9.:-]+$/.test(host) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`${option} must be HOST:PORT (a name or address and a port from 1 to 65535) that other replicas can reach, got '${v}'`);
  }
  if (host === '0.0.0.0' || host === '::') throw new InvalidArgumentError(`${option} must name an address other replicas can reach, not a wildcard (got '${v}')`);
  return { host, port };
}

/** The target tracking alarm settings from their flags (CloudWatch's rules for a period). */
function trackingAlarmsOf(period: string, evaluations: string): import('./autoscaling/tracking-alarms').TrackingAlarmOptions {
  const p = Number(period);
  if (!Number.isInteger(p) || p < 1 || (p % 60 !== 0 && ![1, 5, 10, 30].includes(p))) throw new InvalidArgumentError('--autoscaling-alarm-period must be 1, 5, 10, 30 (high resolution) or a multiple of 60 (seconds)');
  const m = /^\s*(\d{1,4})\s*,\s*(\d{1,4})\s*$/.exec(evaluations);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || p * Math.max(Number(m[1]), Number(m[2])) > 86_400) throw new InvalidArgumentError('--autoscaling-alarm-evaluation-periods must be HIGH,LOW, both at least 1, within a day of periods (e.g. 3,15)');
  return { periodSeconds: p, highEvaluationPeriods: Number(m[1]), lowEvaluationPeriods: Number(m[2]) };
}

/** `90s`, `15m`, `12h`, `7d` (or plain seconds) in milliseconds, at least `minMs`. */
export function parseDuration(name: string, v: string, minMs: number): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = m ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(ms) || ms < minMs) throw new InvalidArgumentError(`${name} must be a duration like 90s, 12h or 7d, at least ${minMs / 1000}s`);
  return ms;
}

/** Flags win over STEVEDORE_* environment variables (systemd env files). */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const cmd = new Command('stevedore-control-plane')
    .description('Stevedore control plane: desired state, ECS API, agent dispatcher (also: backup --to FILE, restore --from FILE)')
    .version(versionText('stevedore-control-plane'), '--version')
    .option('--data-dir <dir>', 'directory for the SQLite database', env['STEVEDORE_DATA_DIR'] ?? '/var/lib/stevedore/control-plane')
    .option('--store <location>', 'desired-state store: postgres://user:pass@host/db (shared by replicas) or sqlite:PATH (default <data-dir>/stevedore.db) [env STEVEDORE_STORE]', env['STEVEDORE_STORE'])
    .option('--api-listen <host:port>', 'ECS JSON API address', env['STEVEDORE_API_LISTEN'] ?? '127.0.0.1:8080')
    .option('--api-advertise <host:port>', 'address other replicas reach this API at, for relayed log reads and exec sessions (default --api-listen; needed when it is a wildcard such as 0.0.0.0) [env STEVEDORE_API_ADVERTISE]', env['STEVEDORE_API_ADVERTISE'])
    .option('--agent-listen <host:port>', 'agent channel (gRPC) address', env['STEVEDORE_AGENT_LISTEN'] ?? '127.0.0.1:8443')
    .option('--region <region>', 'region used in ARNs', env['STEVEDORE_REGION'] ?? 'us-east-1')
    .option('--account <id>', 'account id used in ARNs', env['STEVEDORE_ACCOUNT'] ?? '000000000000')
    .option('--heartbeat-period-ms <ms>', 'agent heartbeat period', env['STEVEDORE_HEARTBEAT_PERIOD_MS'] ?? '3000')
    .option('--agent-cert-san <name>', 'extra DNS name or IP for the agent channel certificate, repeatable [env STEVEDORE_AGENT_CERT_SANS=a,b]', (v: string, prev: string[] = []) => [...prev, v])
    .option('--agent-cert-validity <duration>', 'lifetime of agent certificates, e.g. 7d, 12h, 90s; agents renew at 2/3', env['STEVEDORE_AGENT_CERT_VALIDITY'] ?? '7d')
    .option('--instance-lost-grace-seconds <s>', 'replace service tasks of an instance disconnected this long', env['STEVEDORE_INSTANCE_LOST_GRACE_SECONDS'] ?? '30')
    .option('--deployment-timeout-seconds <s>', 'a deployment that makes no progress this long fails (and rolls back when its circuit breaker says rollback)', env['STEVEDORE_DEPLOYMENT_TIMEOUT_SECONDS'] ?? '600')
    .option('--healthy-after-running-seconds <s>', 'during deployments a task without health checks counts as healthy this long after RUNNING (ECS: 40)', env['STEVEDORE_HEALTHY_AFTER_RUNNING_SECONDS'] ?? '5')
    .option('--admin-credentials-file <path>', 'first start writes the admin access key here, mode 0600 (default <data-dir>/admin-credentials)', env['STEVEDORE_ADMIN_CREDENTIALS_FILE'])
    .option('--api-rate-limit <steady,burst>', 'requests per second per access key, and burst', env['STEVEDORE_API_RATE_LIMIT'] ?? `${DEFAULT_API_RATE_LIMIT.steady},${DEFAULT_API_RATE_LIMIT.burst}`)
    .option('--agent-join-rate-limit <per-minute,burst>', 'join attempts per minute per agent-channel client address, and burst', env['STEVEDORE_AGENT_JOIN_RATE_LIMIT'] ?? `${DEFAULT_JOIN_RATE_LIMIT.perMinute},${DEFAULT_JOIN_RATE_LIMIT.burst}`)
    .option('--api-tls-cert <file>', 'PEM certificate (chain) for HTTPS on the API [env STEVEDORE_API_TLS_CERT]; default off loopback: one issued by the cluster CA', env['STEVEDORE_API_TLS_CERT'])
    .option('--api-tls-key <file>', 'PEM private key of --api-tls-cert [env STEVEDORE_API_TLS_KEY]', env['STEVEDORE_API_TLS_KEY'])
    .option('--api-cert-san <name>', 'extra DNS name or IP for the cluster-CA-issued API certificate, repeatable [env STEVEDORE_API_CERT_SANS=a,b]', (v: string, prev: string[] = []) => [...prev, v])
    .option('--insecure-http', 'serve the API as plain HTTP on a non-loopback address (signatures still checked, but requests and replies travel in clear) [env STEVEDORE_API_INSECURE_HTTP=1]')
    .option('--insecure-disable-auth', 'accept unsigned API requests (benchmarks only; refused unless --api-listen is a loopback address)')
    .option('--stopped-task-retention-seconds <s>', 'delete stopped tasks this long after they stop (ECS keeps them about an hour)', env['STEVEDORE_STOPPED_TASK_RETENTION_SECONDS'] ?? '3600')
    .option('--max-log-streams-per-instance <n>', 'GetTaskLogs streams open at once per container instance; more get LimitExceededException', env['STEVEDORE_MAX_LOG_STREAMS_PER_INSTANCE'] ?? '10')
    .option('--task-credentials-ttl <seconds>', 'lifetime of task role credentials, 10-21600 (agents renew them at half of it; under 900, AWS STS\'s minimum, only for tests of rotation)', env['STEVEDORE_TASK_CREDENTIALS_TTL'] ?? '3600')
    .option('--autoscaling-interval <duration>', 'evaluate every scalable target this often (scheduled actions, alarms, bounds), e.g. 10s', env['STEVEDORE_AUTOSCALING_INTERVAL'] ?? '10s')
    .option('--autoscaling-alarm-period <seconds>', 'period of the alarms target tracking creates: 1, 5, 10, 30 or a multiple of 60 seconds (AWS: 60)', env['STEVEDORE_AUTOSCALING_ALARM_PERIOD'] ?? '60')
    .option('--autoscaling-alarm-evaluation-periods <high,low>', 'periods the metric must stay above the target (scale out) and under 90% of it (scale in) (AWS: 3,15)', env['STEVEDORE_AUTOSCALING_ALARM_EVALUATION_PERIODS'] ?? '3,15')
    .option('--alarm-evaluation-interval-ms <ms>', 'evaluate every CloudWatch alarm this often [env STEVEDORE_ALARM_EVALUATION_INTERVAL_MS]', env['STEVEDORE_ALARM_EVALUATION_INTERVAL_MS'] ?? '10000')
    .option('--log-store-max-bytes <size>', 'log store size cap (awslogs and PutLogEvents); past it the oldest events go, e.g. 10g, 500m, 0 = none', env['STEVEDORE_LOG_STORE_MAX_BYTES'] ?? '10g')
    .option('--log-retention-day-seconds <s>', 'length of a retentionInDays day (testing only)', env['STEVEDORE_LOG_RETENTION_DAY_SECONDS'] ?? '86400')
    .option('--metrics-period <duration>', 'how often service, cluster and target group metrics are computed and published, e.g. 10s', env['STEVEDORE_METRICS_PERIOD'] ?? '10s')
    .option('--metrics-listen <host:port>', 'Prometheus GET /metrics without authentication, loopback addresses only [env STEVEDORE_METRICS_LISTEN]', env['STEVEDORE_METRICS_LISTEN'])
    .option('--metrics-token-file <file>', 'bearer token (file, mode 0600) that GET /metrics on the API endpoint requires [env STEVEDORE_METRICS_TOKEN_FILE]', env['STEVEDORE_METRICS_TOKEN_FILE'])
    .option('--leader-lease-ttl <duration>', 'leader lease lifetime with several replicas on one store; a new leader takes over within about 1.2x of it', env['STEVEDORE_LEADER_LEASE_TTL'] ?? '6s')
    .option('--log-level <level>', 'pino log level', env['STEVEDORE_LOG_LEVEL'] ?? 'info')
    .option('--agent-advertise <host:port>', 'agent channel address new hosts of host groups dial (default --agent-listen)', env['STEVEDORE_AGENT_ADVERTISE'])
    .option('--capacity-scaling-interval <duration>', 'how often managed scaling computes CapacityProviderReservation', env['STEVEDORE_CAPACITY_SCALING_INTERVAL'] ?? '15s')
    .option('--capacity-scale-in-cooldown <duration>', 'CapacityProviderReservation below target this long before hosts are removed (ECS: 15 minutes)', env['STEVEDORE_CAPACITY_SCALE_IN_COOLDOWN'] ?? '15m')
    .exitOverride()
    .parse(argv, { from: 'node' });
  const o = cmd.opts<Record<string, string>>();
  const period = Number(o['heartbeatPeriodMs']);
  if (!Number.isInteger(period) || period < 100) throw new InvalidArgumentError('--heartbeat-period-ms must be an integer ≥ 100');
  const grace = Number(o['instanceLostGraceSeconds']);
  if (!Number.isFinite(grace) || grace < 0) throw new InvalidArgumentError('--instance-lost-grace-seconds must be a number ≥ 0');
  const deploymentTimeout = Number(o['deploymentTimeoutSeconds']);
  if (!Number.isFinite(deploymentTimeout) || deploymentTimeout < 1) throw new InvalidArgumentError('--deployment-timeout-seconds must be a number ≥ 1');
  const healthyAfter = Number(o['healthyAfterRunningSeconds']);
  if (!Number.isFinite(healthyAfter) || healthyAfter < 0) throw new InvalidArgumentError('--healthy-after-running-seconds must be a number ≥ 0');
  const retention = Number(o['stoppedTaskRetentionSeconds']);
  if (!Number.isFinite(retention) || retention < 1) throw new InvalidArgumentError('--stopped-task-retention-seconds must be a number ≥ 1');
  const alarmInterval = Number(o['alarmEvaluationIntervalMs']);
  if (!Number.isInteger(alarmInterval) || alarmInterval < 100) throw new InvalidArgumentError('--alarm-evaluation-interval-ms must be an integer ≥ 100');
  const maxLogStreams = Number(o['maxLogStreamsPerInstance']);
  if (!Number.isInteger(maxLogStreams) || maxLogStreams < 1) throw new InvalidArgumentError('--max-log-streams-per-instance must be an integer ≥ 1');
  const credentialsTtl = Number(o['taskCredentialsTtl']);
  if (!Number.isInteger(credentialsTtl) || credentialsTtl < 10 || credentialsTtl > 21600) throw new InvalidArgumentError('--task-credentials-ttl must be an integer from 10 to 21600 seconds (6 hours)');
  const logStoreMaxBytes = parseByteSize(o['logStoreMaxBytes']!);
  if (logStoreMaxBytes === undefined) throw new InvalidArgumentError('--log-store-max-bytes must be a size like 10g, 500m or a number of bytes');
  const logDay = Number(o['logRetentionDaySeconds']);
  if (!Number.isFinite(logDay) || logDay <= 0) throw new InvalidArgumentError('--log-retention-day-seconds must be a number > 0');
  if (!/^\d{12}$/.test(o['account']!)) throw new InvalidArgumentError('--account must be 12 digits');
  let apiRateLimit: RateLimit;
  try {
    apiRateLimit = parseRateLimit(o['apiRateLimit']!);
  } catch (e) {
    throw new InvalidArgumentError(`--api-rate-limit: ${(e as Error).message}`);
  }
  const joinLimit = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(o['agentJoinRateLimit']!);
  if (!joinLimit || Number(joinLimit[1]) < 1 || Number(joinLimit[2]) < 1) throw new InvalidArgumentError('--agent-join-rate-limit must be PER_MINUTE,BURST, both at least 1 (e.g. 60,20)');
  const agentJoinRateLimit: JoinRateLimit = { perMinute: Number(joinLimit[1]), burst: Number(joinLimit[2]) };
  const insecureDisableAuth = (o['insecureDisableAuth'] as unknown) === true;
  const apiListen = hostPort(o['apiListen']!);
  if (insecureDisableAuth && !isLoopbackHost(apiListen.host)) {
    throw new InvalidArgumentError(`--insecure-disable-auth is refused unless --api-listen is a loopback address (got ${apiListen.host})`);
  }
  hostPort(o['agentListen']!);
  const apiAdvertise = o['apiAdvertise'] !== undefined ? advertisedHostPort('--api-advertise', o['apiAdvertise']) : undefined;
  const insecureHttp = (o['insecureHttp'] as unknown) === true || env['STEVEDORE_API_INSECURE_HTTP'] === '1' || env['STEVEDORE_API_INSECURE_HTTP'] === 'true';
  const apiTls = apiTlsOf(apiListen.host, { certFile: o['apiTlsCert'], keyFile: o['apiTlsKey'], insecureHttp });
  const metricsListen = o['metricsListen'] ? hostPort(o['metricsListen']) : undefined;
  if (metricsListen && !isLoopbackHost(metricsListen.host)) {
    throw new InvalidArgumentError(
      `--metrics-listen must be a loopback address (got ${metricsListen.host}): it has no authentication. To scrape from another host, use GET /metrics on the API endpoint (HTTPS) with --metrics-token-file`,
    );
  }
  const metrics: MetricsConfig = {
    periodMs: parseDuration('--metrics-period', o['metricsPeriod']!, 500),
    ...(metricsListen ? { listen: metricsListen } : {}),
    ...(o['metricsTokenFile'] ? { tokenFile: o['metricsTokenFile'] } : {}),
  };
  const apiCertSans = (o['apiCertSan'] as unknown as string[] | undefined) ?? (env['STEVEDORE_API_CERT_SANS'] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const store = o['store'];
  if (store !== undefined && !/^postgres(ql)?:\/\/./.test(store) && !/^sqlite:./.test(store)) {
    throw new InvalidArgumentError('--store must be postgres://USER@HOST/DATABASE (or postgresql://) or sqlite:PATH');
  }
  return {
    dataDir: o['dataDir']!,
    ...(store !== undefined ? { store } : {}),
    leaderLeaseTtlMs: parseDuration('--leader-lease-ttl', o['leaderLeaseTtl']!, 1000),
    apiListen: hostPort(o['apiListen']!),
    ...(apiAdvertise ? { apiAdvertise } : {}),
    agentListen: o['agentListen']!,
    region: o['region']!,
    account: o['account']!,
    logLevel: o['logLevel']!,
    heartbeatPeriodMs: period,
    agentCertSans: (o['agentCertSan'] as unknown as string[] | undefined) ?? (env['STEVEDORE_AGENT_CERT_SANS'] ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    agentCertValidityMs: parseDuration('--agent-cert-validity', o['agentCertValidity']!, 10_000),
    apiRateLimit,
    agentJoinRateLimit,
    apiTls,
    ...(apiCertSans.length > 0 ? { apiCertSans } : {}),
    ...(o['adminCredentialsFile'] ? { adminCredentialsFile: o['adminCredentialsFile'] } : {}),
    ...(insecureDisableAuth ? { insecureDisableAuth } : {}),
    instanceLostGraceSeconds: grace,
    stoppedTaskRetentionSeconds: retention,
    maxLogStreamsPerInstance: maxLogStreams,
    taskCredentialsTtlSeconds: credentialsTtl,
    alarmEvaluationIntervalMs: alarmInterval,
    logStoreMaxBytes,
    logRetentionDaySeconds: logDay,
    metrics,
    orchestrator: { deploymentTimeoutMs: deploymentTimeout * 1000, healthyAfterRunningMs: healthyAfter * 1000 },
    autoscaling: { intervalMs: parseDuration('--autoscaling-interval', o['autoscalingInterval']!, 1000), alarms: trackingAlarmsOf(o['autoscalingAlarmPeriod']!, o['autoscalingAlarmEvaluationPeriods']!) },
    capacity: {
      ...(o['agentAdvertise'] ? { agentAdvertise: `${hostPort(o['agentAdvertise']).host}:${hostPort(o['agentAdvertise']).port}` } : {}),
      scalingIntervalMs: parseDuration('--capacity-scaling-interval', o['capacityScalingInterval']!, 100),
      scaleInCooldownMs: parseDuration('--capacity-scale-in-cooldown', o['capacityScaleInCooldown']!, 0),
    },
  };
}
