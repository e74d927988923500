import type Docker from 'dockerode';
import type { ContainerDefinition, HealthCheck } from '@stevedore/core/host';
import type { CreateContainerRequest } from '../exec/container-controller';

/**
 * ECS container definition -> Docker create body, field for field as the ECS
 * agent maps them (ecs-semantics.md 1.3). Pure so that the whole mapping is
 * table-tested without a daemon.
 */
const MIB = 1024 * 1024;
const NS_PER_S = 1_000_000_000;

/** ECS defaults (not Docker's: Docker's timeout default is 30s). */
export const HEALTHCHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3 } as const;

export function toDockerHealthcheck(h: HealthCheck): Docker.HealthConfig {
  const [first, ...rest] = h.command;
  const test = first === 'CMD' || first === 'CMD-SHELL' ? [first, ...rest] : ['CMD', ...h.command];
  const hc: Docker.HealthConfig = {
    Test: test,
    Interval: (h.interval ?? HEALTHCHECK_DEFAULTS.interval) * NS_PER_S,
    Timeout: (h.timeout ?? HEALTHCHECK_DEFAULTS.timeout) * NS_PER_S,
    Retries: h.retries ?? HEALTHCHECK_DEFAULTS.retries,
  };
  if (h.startPeriod) hc.StartPeriod = h.startPeriod * NS_PER_S;
  return hc;
}

/** ECS agent >= 1.2: cpu null/0/1 becomes 2 shares (Docker's minimum meaningful value). */
export function cpuShares(cpu: number | undefined): number {
  return cpu === undefined || cpu < 2 ? 2 : cpu;
}

function portKey(containerPort: number, protocol: string | undefined): string {
  return `${containerPort}/${protocol ?? 'tcp'}`;
}

function ports(req: CreateContainerRequest): { exposed: Record<string, object>; bindings: Docker.PortMap } {
  const exposed: Record<string, object> = {};
  const bindings: Docker.PortMap = {};
  // Joined the task's network namespace: its pause container publishes the ports.
  if (req.networkMode === 'none' || req.namespaces?.network !== undefined) return { exposed, bindings };
  for (const pm of req.definition.portMappings ?? []) {
    if (pm.containerPort === undefined) continue;
    const key = portKey(pm.containerPort, pm.protocol);
    exposed[key] = {};
    // Host mode shares the host's stack: there is nothing to publish.
    if (req.networkMode !== 'bridge') continue;
    // HostPort '' lets Docker pick an ephemeral port, bound only on this agent's host IP.
    const hostPort = pm.hostPort === undefined || pm.hostPort === 0 ? '' : String(pm.hostPort);
    (bindings[key] ??= []).push({ HostIp: req.hostIp, HostPort: hostPort });
  }
  return { exposed, bindings };
}

/**
 * `environment`, then the resolved `secrets` (a secret wins over a plain
 * variable of the same name), then the agent's own variables (the endpoint
 * URIs win over anything the definition says, as the ECS agent's do).
 */
function env(def: ContainerDefinition, secrets: { name: string; value: string }[] = [], agent: { name: string; value: string }[] = [], files: { name: string; value: string }[] = []): string[] {
  const agentNames = new Set(agent.map((s) => s.name));
  const secret = new Set(secrets.map((s) => s.name));
  const plainNames = new Set((def.environment ?? []).map((kv) => kv.name));
  const plain = (def.environment ?? []).filter((kv) => kv.name && !secret.has(kv.name) && !agentNames.has(kv.name)).map((kv) => `${kv.name}=${kv.value ?? ''}`);
  // environmentFiles are lowest (ECS): `environment`, `secrets` and the agent's own win; a later file line wins over an earlier one.
  const fromFiles = new Map<string, string>();
  for (const f of files) if (!plainNames.has(f.name) && !secret.has(f.name) && !agentNames.has(f.name)) fromFiles.set(f.name, f.value);
  return [...[...fromFiles].map(([k, v]) => `${k}=${v}`), ...plain, ...secrets.filter((s) => !agentNames.has(s.name)).map((s) => `${s.name}=${s.value}`), ...agent.map((s) => `${s.name}=${s.value}`)];
}

function tmpfs(def: ContainerDefinition): Record<string, string> | undefined {
  const list = def.linuxParameters?.tmpfs;
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const t of list) out[t.containerPath] = [`size=${t.size}m`, ...(t.mountOptions ?? [])].join(',');
  return out;
}

function devicePermissions(p: string[] | undefined): string {
  if (!p?.length) return 'rwm';
  return p.map((x) => (x === 'read' ? 'r' : x === 'write' ? 'w' : 'm')).join('');
}

function sysctls(def: ContainerDefinition): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const s of def.systemControls ?? []) if (s.namespace) out[s.namespace] = s.value ?? '';
  return Object.keys(out).length ? out : undefined;
}

function links(req: CreateContainerRequest): string[] | undefined {
  if (req.networkMode !== 'bridge' || !req.definition.links?.length) return undefined;
  return req.definition.links.map((l) => {
    const [name, alias] = l.split(':') as [string, string | undefined];
    return `${req.peers.get(name) ?? name}:${alias ?? name}`;
  });
}

function volumesFrom(req: CreateContainerRequest): string[] | undefined {
  const list = req.definition.volumesFrom ?? [];
  const out = list.filter((v) => v.sourceContainer).map((v) => `${req.peers.get(v.sourceContainer!) ?? v.sourceContainer}:${v.readOnly ? 'ro' : 'rw'}`);
  return out.length ? out : undefined;
}

function binds(req: CreateContainerRequest): string[] | undefined {
  if (!req.mounts.length) return undefined;
  return req.mounts.map((m) => `${m.source}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
}

/** Drops undefined keys: dockerode would send them as null, which some daemons reject. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Rotation of the json-file under awslogs: the agent ships from it, so it
 * only has to hold what is not delivered yet (a control plane away for a
 * while); beyond 3 x 10 MiB the oldest undelivered lines would be lost.
 */
export const AWSLOGS_JSON_FILE_OPTIONS: Readonly<Record<string, string>> = { 'max-size': '10m', 'max-file': '3' };

/** Docker's log driver: awslogs runs on json-file (the agent ships the lines); others pass through with their options. */
export function logConfig(def: ContainerDefinition): Docker.HostConfig['LogConfig'] {
  const log = def.logConfiguration;
  if (log?.logDriver === 'awslogs') return { Type: 'json-file', Config: { ...AWSLOGS_JSON_FILE_OPTIONS } };
  return { Type: log?.logDriver ?? 'json-file', Config: log?.options ?? {} };
}

export function toDockerCreateOptions(req: CreateContainerRequest): Docker.ContainerCreateOptions {
  const def = req.definition;
  const lp = def.linuxParameters;
  const { exposed, bindings } = ports(req);
  const hostConfig: Docker.HostConfig = compact({
    CpuShares: cpuShares(def.cpu),
    Memory: def.memory ? def.memory * MIB : undefined,
    MemoryReservation: def.memoryReservation ? def.memoryReservation * MIB : undefined,
    MemorySwap: lp?.maxSwap !== undefined && def.memory ? (def.memory + lp.maxSwap) * MIB : undefined,
    MemorySwappiness: lp?.swappiness,
    PortBindings: Object.keys(bindings).length ? bindings : undefined,
    // An init process by default: sleep/httpd as PID 1 ignore SIGTERM, so every stop would wait the full timeout.
    Init: lp?.initProcessEnabled ?? true,
    Ulimits: def.ulimits?.map((u) => ({ Name: u.name, Soft: u.softLimit, Hard: u.hardLimit })),
    ReadonlyRootfs: def.readonlyRootFilesystem,
    ExtraHosts: def.extraHosts?.map((h) => `${h.hostname}:${h.ipAddress}`),
    Dns: def.dnsServers,
    DnsSearch: def.dnsSearchDomains,
    Privileged: def.privileged,
    CapAdd: lp?.capabilities?.add,
    CapDrop: lp?.capabilities?.drop,
    Devices: lp?.devices?.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: devicePermissions(d.permissions) })),
    Tmpfs: tmpfs(def),
    ShmSize: lp?.sharedMemorySize ? lp.sharedMemorySize * MIB : undefined,
    Sysctls: sysctls(def),
    SecurityOpt: def.dockerSecurityOptions,
    Links: links(req),
    Binds: binds(req),
    VolumesFrom: volumesFrom(req),
    NetworkMode: req.namespaces?.network !== undefined ? `container:${req.namespaces.network}` : req.networkMode === 'awsvpc' ? 'bridge' : req.networkMode,
    PidMode: req.namespaces?.pid !== undefined ? `container:${req.namespaces.pid}` : req.pidMode === 'host' ? 'host' : undefined,
    IpcMode:
      req.namespaces?.ipc !== undefined ? `container:${req.namespaces.ipc}` : req.shareableIpc ? 'shareable' : req.ipcMode === 'host' || req.ipcMode === 'none' ? req.ipcMode : undefined,
    CgroupParent: req.cgroupParent,
    StorageOpt: req.storageSizeGiB !== undefined ? { size: `${req.storageSizeGiB}G` } : undefined,
    LogConfig: logConfig(def),
    // The agent owns restarts: Docker must never restart a task container behind its back.
    RestartPolicy: { Name: 'no' },
  });
  return compact({
    name: req.dockerName,
    Image: req.image,
    Env: env(def, req.secretEnvironment, req.agentEnvironment, req.fileEnvironment),
    // Docker API 1.41 takes the MAC of the default bridge endpoint here (task endpoint rule, endpoint-rules.ts).
    MacAddress: req.macAddress,
    Cmd: def.command,
    Entrypoint: def.entryPoint,
    WorkingDir: def.workingDirectory,
    User: def.user,
    Hostname: req.networkMode === 'bridge' && req.namespaces?.network === undefined ? def.hostname : undefined,
    Labels: req.labels,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Healthcheck: def.healthCheck ? toDockerHealthcheck(def.healthCheck) : undefined,
    NetworkDisabled: def.disableNetworking,
    OpenStdin: def.interactive,
    Tty: def.pseudoTerminal,
    StopTimeout: req.stopTimeoutSeconds,
    HostConfig: hostConfig,
  });
}
