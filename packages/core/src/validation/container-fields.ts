import type {
  ContainerDefinition,
  ContainerDependency,
  HealthCheck,
  HostEntry,
  KeyValuePair,
  LinuxParameters,
  LogConfiguration,
  MountPoint,
  PortMapping,
  Secret,
  Ulimit,
  VolumeFrom,
} from '../model/task-definition';
import { isSystemControlName } from './host-access-rules';
import { ObjectReader, compact, invalidParameter } from './json-reader';

/** The nested structures of a container definition, read and defaulted one by one. */

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const NAME_RULE = { pattern: NAME_PATTERN, patternText: 'use 1-255 letters, digits, hyphens and underscores' };

/**
 * ECS health check defaults and bounds (note: Docker's own default timeout is 30 s, ECS uses 5 s).
 * Departure from ECS: `interval` and `timeout` go down to 1 s (ECS: 5 s and 2 s), as our target
 * group checks already do, so a rolling update waits one second per wave for a probe instead of
 * five (docs/design/deployments.md). The maximums and messages stay ECS's.
 */
export const HEALTH_CHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3 } as const;
const HEALTH_CHECK_BOUNDS = {
  interval: { min: 1, max: 300, unit: 'seconds' },
  timeout: { min: 1, max: 60, unit: 'seconds' },
  retries: { min: 1, max: 10 },
  startPeriod: { min: 0, max: 300, unit: 'seconds' },
} as const;

/**
 * The API's LogDriver enum plus `logentries` (still documented for EC2) and
 * `none`, which the ECS agent advertises as `logging-driver.none` by default.
 */
export const LOG_DRIVERS = ['json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens', 'logentries', 'none'] as const;

export const ULIMIT_NAMES = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice',
  'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
] as const;

/** KernelCapabilities valid values in the ECS API reference. */
export const LINUX_CAPABILITIES = [
  'ALL', 'AUDIT_CONTROL', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER',
  'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD',
  'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
] as const;

const PORT_RANGE = /^(\d{1,5})-(\d{1,5})$/;
/** Service Connect port names: lowercase, digits, underscores and hyphens, not starting with a hyphen. */
const PORT_NAME_RULE = { pattern: /^[a-z0-9_][a-z0-9_-]{0,63}$/, patternText: 'use up to 64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen' };

export function readPortMapping(raw: unknown, field: string): PortMapping {
  const r = ObjectReader.of(raw, field, 'PortMapping');
  const containerPort = r.int('containerPort', { min: 1, max: 65535 });
  const hostPort = r.int('hostPort', { min: 0, max: 65535 });
  const containerPortRange = r.string('containerPortRange');
  if (containerPortRange !== undefined) {
    const m = PORT_RANGE.exec(containerPortRange);
    const first = Number(m?.[1]);
    const last = Number(m?.[2]);
    if (m === null || first < 1 || last > 65535 || first >= last) {
      throw invalidParameter(r.at('containerPortRange'), `${JSON.stringify(containerPortRange)} is not valid: use "first-last" with 1 <= first < last <= 65535.`);
    }
    if (containerPort !== undefined) throw invalidParameter(r.at('containerPort'), 'cannot be combined with containerPortRange.');
    if (hostPort !== undefined) throw invalidParameter(r.at('hostPort'), 'cannot be combined with containerPortRange; the host range is chosen at launch.');
  } else if (containerPort === undefined) {
    throw invalidParameter(r.at('containerPort'), "'containerPort' is required (or 'containerPortRange').");
  }
  return compact({
    containerPort,
    hostPort,
    protocol: r.enumOf('protocol', ['tcp', 'udp'] as const) ?? 'tcp',
    name: r.string('name', PORT_NAME_RULE),
    appProtocol: r.enumOf('appProtocol', ['http', 'http2', 'grpc'] as const),
    containerPortRange,
  });
}

export function readHealthCheck(raw: unknown, field: string): HealthCheck {
  const r = ObjectReader.of(raw, field, 'HealthCheck');
  if (!r.has('command')) throw invalidParameter(r.at('command'), "'command' is required.");
  return compact({
    command: r.stringList('command', { minItems: 1 })!,
    interval: r.int('interval', HEALTH_CHECK_BOUNDS.interval) ?? HEALTH_CHECK_DEFAULTS.interval,
    timeout: r.int('timeout', HEALTH_CHECK_BOUNDS.timeout) ?? HEALTH_CHECK_DEFAULTS.timeout,
    retries: r.int('retries', HEALTH_CHECK_BOUNDS.retries) ?? HEALTH_CHECK_DEFAULTS.retries,
    // ECS leaves the start period off (0) when absent; keep it absent rather than invent a value.
    startPeriod: r.int('startPeriod', HEALTH_CHECK_BOUNDS.startPeriod),
  });
}

export function readKeyValue(raw: unknown, field: string): KeyValuePair {
  const r = ObjectReader.of(raw, field, 'KeyValuePair');
  return compact({ name: r.requiredString('name', { minLength: 1 }), value: r.string('value') });
}

export function readSecret(raw: unknown, field: string): Secret {
  const r = ObjectReader.of(raw, field, 'Secret');
  return { name: r.requiredString('name', { minLength: 1 }), valueFrom: r.requiredString('valueFrom', { minLength: 1 }) };
}

export function readMountPoint(raw: unknown, field: string): MountPoint {
  const r = ObjectReader.of(raw, field, 'MountPoint');
  return {
    sourceVolume: r.requiredString('sourceVolume', { minLength: 1 }),
    containerPath: r.requiredString('containerPath', { minLength: 1 }),
    readOnly: r.bool('readOnly') ?? false,
  };
}

export function readVolumeFrom(raw: unknown, field: string): VolumeFrom {
  const r = ObjectReader.of(raw, field, 'VolumeFrom');
  return { sourceContainer: r.requiredString('sourceContainer', { minLength: 1 }), readOnly: r.bool('readOnly') ?? false };
}

export function readDependency(raw: unknown, field: string): ContainerDependency {
  const r = ObjectReader.of(raw, field, 'ContainerDependency');
  return {
    containerName: r.requiredString('containerName', { minLength: 1 }),
    condition: r.requiredEnum('condition', ['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'] as const),
  };
}

export function readHostEntry(raw: unknown, field: string): HostEntry {
  const r = ObjectReader.of(raw, field, 'HostEntry');
  return { hostname: r.requiredString('hostname', { minLength: 1 }), ipAddress: r.requiredString('ipAddress', { minLength: 1 }) };
}

export function readUlimit(raw: unknown, field: string): Ulimit {
  const r = ObjectReader.of(raw, field, 'Ulimit');
  return {
    name: r.requiredEnum('name', ULIMIT_NAMES),
    softLimit: r.requiredInt('softLimit'),
    hardLimit: r.requiredInt('hardLimit'),
  };
}

export function readLogConfiguration(raw: unknown, field: string): LogConfiguration {
  const r = ObjectReader.of(raw, field, 'LogConfiguration');
  return compact({
    logDriver: r.requiredEnum('logDriver', LOG_DRIVERS),
    options: r.stringMap('options'),
    secretOptions: r.list('secretOptions', readSecret),
  });
}

export function readLinuxParameters(raw: unknown, field: string): LinuxParameters {
  const r = ObjectReader.of(raw, field, 'LinuxParameters');
  return compact({
    capabilities: r.object('capabilities', (v, f) => {
      const c = ObjectReader.of(v, f, 'KernelCapabilities');
      const caps = (key: string) => c.list(key, (item, itemField) => {
        if (typeof item === 'string' && (LINUX_CAPABILITIES as readonly string[]).includes(item)) return item;
        throw invalidParameter(itemField, `${JSON.stringify(item)} is not a Linux capability ECS accepts (for example 'NET_ADMIN' or 'SYS_PTRACE', without the CAP_ prefix).`);
      });
      return compact({ add: caps('add'), drop: caps('drop') });
    }),
    devices: r.list('devices', (v, f) => {
      const d = ObjectReader.of(v, f, 'Device');
      return compact({
        hostPath: d.requiredString('hostPath', { minLength: 1 }),
        containerPath: d.string('containerPath'),
        permissions: d.list('permissions', (p, pf) => {
          if (p === 'read' || p === 'write' || p === 'mknod') return p;
          throw invalidParameter(pf, `must be one of 'read', 'write', 'mknod', got ${JSON.stringify(p)}.`);
        }),
      });
    }),
    initProcessEnabled: r.bool('initProcessEnabled'),
    sharedMemorySize: r.int('sharedMemorySize', { min: 1, unit: 'MiB' }),
    tmpfs: r.list('tmpfs', (v, f) => {
      const t = ObjectReader.of(v, f, 'Tmpfs');
      return compact({
        containerPath: t.requiredString('containerPath', { minLength: 1 }),
        size: t.requiredInt('size', { min: 1, unit: 'MiB' }),
        mountOptions: t.stringList('mountOptions'),
      });
    }),
    maxSwap: r.int('maxSwap', { min: 0, unit: 'MiB' }),
    swappiness: r.int('swappiness', { min: 0, max: 100 }),
  });
}

export function readRestartPolicy(raw: unknown, field: string): NonNullable<ContainerDefinition['restartPolicy']> {
  const r = ObjectReader.of(raw, field, 'ContainerRestartPolicy');
  return compact({
    enabled: r.requiredBool('enabled'),
    ignoredExitCodes: r.list('ignoredExitCodes', (v, f) => checkExitCode(v, f), { maxItems: 50 }),
    // ECS documents 300 s as the period a container must run before a restart counts as healthy again.
    restartAttemptPeriod: r.int('restartAttemptPeriod', { min: 60, max: 1800, unit: 'seconds' }) ?? 300,
  });
}

function checkExitCode(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidParameter(field, `expected an integer exit code, got ${JSON.stringify(value)}.`);
  return value;
}

export function readResourceRequirement(raw: unknown, field: string): NonNullable<ContainerDefinition['resourceRequirements']>[number] {
  const r = ObjectReader.of(raw, field, 'ResourceRequirement');
  const type = r.requiredEnum('type', ['GPU', 'InferenceAccelerator'] as const);
  const value = r.requiredString('value', { minLength: 1 });
  if (type === 'GPU' && !/^[1-9]\d*$/.test(value)) {
    throw invalidParameter(r.at('value'), `a GPU requirement is a positive whole number of GPUs, got ${JSON.stringify(value)}.`);
  }
  return { value, type };
}

export function readFirelensConfiguration(raw: unknown, field: string): NonNullable<ContainerDefinition['firelensConfiguration']> {
  const r = ObjectReader.of(raw, field, 'FirelensConfiguration');
  return compact({ type: r.requiredEnum('type', ['fluentd', 'fluentbit'] as const), options: r.stringMap('options') });
}

export function readEnvironmentFile(raw: unknown, field: string): { value: string; type: string } {
  const r = ObjectReader.of(raw, field, 'EnvironmentFile');
  return { value: r.requiredString('value', { minLength: 1 }), type: r.requiredEnum('type', ['s3'] as const) };
}

export function readSystemControl(raw: unknown, field: string): { namespace?: string; value?: string } {
  const r = ObjectReader.of(raw, field, 'SystemControl');
  const namespace = r.string('namespace');
  // Docker hands the name to runc as a /proc/sys path: a slash or '..' could point it at any kernel parameter.
  if (namespace !== undefined && !isSystemControlName(namespace)) {
    throw invalidParameter(r.at('namespace'), `${JSON.stringify(namespace)} is not a kernel parameter name (for example 'net.core.somaxconn': dot-separated letters, digits, '_' and '-').`);
  }
  return compact({ namespace, value: r.string('value') });
}
