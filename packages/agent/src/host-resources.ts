import * as os from 'node:os';
import type { RegisterRequest, WireAttribute } from '@stevedore/proto';
import { TARGET_CHECK_PORT_ATTRIBUTE, type BuildInfo } from '@stevedore/core/host';
import type { AgentConfig } from './config';

/** The parts of Docker's /info and /version the registration needs. */
export interface DockerFacts {
  ncpu: number;
  memTotalBytes: number;
  architecture: string;
  serverVersion: string;
  apiVersion: string;
  logDrivers: string[];
  /** Storage driver, its backing filesystem and Docker's root dir (FARGATE ephemeralStorage: host/storage-quota.ts). */
  storageDriver?: string;
  backingFilesystem?: string;
  dockerRootDir?: string;
  /** `cgroupfs` or `systemd`: how task cgroups are named (host/task-cgroups.ts). */
  cgroupDriver?: string;
}

/** Lowest Docker remote API capability ECS agents advertise. */
const MIN_REMOTE_API = 17;

function cpuArchitecture(arch: string): string {
  return arch === 'aarch64' || arch === 'arm64' ? 'arm64' : arch === 'amd64' ? 'x86_64' : arch;
}

/** Capability attributes (name only) that task definitions' requiresAttributes refer to. */
export function capabilityAttributes(f: DockerFacts): WireAttribute[] {
  const out: string[] = [
    'com.amazonaws.ecs.capability.privileged-container',
    'ecs.capability.container-health-check',
    'ecs.capability.container-ordering',
    'ecs.capability.task-cpu-mem-limit',
    'ecs.capability.docker-plugin.local',
  ];
  const minor = Number(f.apiVersion.split('.')[1] ?? 0);
  for (let v = MIN_REMOTE_API; v <= minor; v++) out.push(`com.amazonaws.ecs.capability.docker-remote-api.1.${v}`);
  // awslogs is the agent's own (json-file underneath, shipped to the control plane), whatever Docker lists.
  for (const d of new Set([...f.logDrivers, 'awslogs'])) out.push(`com.amazonaws.ecs.capability.logging-driver.${d}`);
  out.push('ecs.capability.execution-role-awslogs');
  // Task roles and TMDS through the agent's 169.254.170.2 endpoint; efsVolumeConfiguration from the file system registry.
  out.push('com.amazonaws.ecs.capability.task-iam-role', 'ecs.capability.efs', 'ecs.capability.efsAuth');
  return out.map((name) => ({ name, value: '' }));
}

export function registerRequest(cfg: AgentConfig, f: DockerFacts, instanceId: string | undefined, build: BuildInfo, targetCheckPort?: number): RegisterRequest {
  const memMiB = Math.floor(f.memTotalBytes / (1024 * 1024));
  // One value per name; a custom --attribute may override a built-in one (e.g. ecs.availability-zone).
  const byName = new Map<string, string>();
  for (const a of [
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.os-family', value: 'LINUX' },
    { name: 'ecs.cpu-architecture', value: cpuArchitecture(f.architecture) },
    { name: 'ecs.availability-zone', value: cfg.availabilityZone },
    ...capabilityAttributes(f),
    ...(targetCheckPort !== undefined ? [{ name: TARGET_CHECK_PORT_ATTRIBUTE, value: String(targetCheckPort) }] : []),
    ...Object.entries(cfg.attributes).map(([name, value]) => ({ name, value })),
  ]) {
    byName.set(a.name, a.value);
  }
  const attributes: WireAttribute[] = [...byName].map(([name, value]) => ({ name, value }));
  return {
    cluster: cfg.cluster,
    instance_id: instanceId ?? '',
    ec2_instance_id: os.hostname(),
    host_ip: cfg.hostIp,
    resources: {
      cpu: f.ncpu * 1024,
      memory: Math.max(0, memMiB - cfg.reservedMemory),
      ports: cfg.reservedPorts,
      ports_udp: [],
    },
    attributes,
    agent_version: build.version,
    agent_hash: build.commit,
    docker_version: f.serverVersion,
    tags: Object.entries(cfg.containerInstanceTags ?? {}).map(([key, value]) => ({ key, value })),
  };
}
