import {
  DESIRED_STATUSES,
  REPORTED_TASK_TIMESTAMPS,
  TASK_STOP_CODES,
  type ContainerReport,
  type ContainerStatus,
  type HealthStatus,
  type HostAccess,
  type ReportedTaskTimestamp,
  type ResolvedEfsVolume,
  type TaskAssignment,
  type TaskReport,
  type TaskSecrets,
  type TaskStatus,
  type TaskStopCode,
  type Volume,
} from '@stevedore/core/host';
import type {
  WireAssignment,
  WireResolvedEfsVolume,
  WireTaskSpec,
  WireTaskStatus,
  WireVolume,
} from './wire-types';
import type { HostAccess__Output as WireHostAccess } from './generated/stevedore/agent/v1/HostAccess';
import { fromWireContainer, toWireContainer } from './container-convert';
import { ENABLED, list, map, NETWORK_MODES, oneOf, put, required, VOLUME_SCOPES, WireFormatError } from './wire-fields';

export { WireFormatError } from './wire-fields';

/**
 * Core <-> wire conversions of the task, in one place for both ends of the
 * channel: the control plane sends TaskAssignment as TaskSpec and reads
 * TaskStatus as TaskReport; the agent does the opposite. Field for field, so
 * the round-trip tests (task-convert.test.ts) catch a field added on one side
 * only. Reading is strict: a value outside ECS's list for a field, or a
 * missing required field, refuses the assignment with a WireFormatError
 * naming the field (the agent rechecks what the control plane sends).
 */

/** The wire names of the reported timestamps: the one table both directions walk. */
const WIRE_TIMESTAMPS: Record<ReportedTaskTimestamp, 'pull_started_at' | 'pull_stopped_at' | 'started_at' | 'execution_stopped_at' | 'stopped_at'> = {
  pullStartedAt: 'pull_started_at',
  pullStoppedAt: 'pull_stopped_at',
  startedAt: 'started_at',
  executionStoppedAt: 'execution_stopped_at',
  stoppedAt: 'stopped_at',
};

// ---- TaskAssignment -> TaskSpec

export function toWireTaskSpec(a: TaskAssignment): WireTaskSpec {
  return {
    task_arn: a.taskArn,
    task_id: a.taskId,
    cluster: a.cluster,
    family: a.family,
    revision: a.revision,
    desired_status: a.desiredStatus,
    version: a.version,
    network_mode: a.networkMode,
    launch_type: a.launchType,
    cpu: a.cpu,
    memory: a.memory,
    ephemeral_storage_gib: a.ephemeralStorageGiB,
    pid_mode: a.pidMode,
    ipc_mode: a.ipcMode,
    volumes: a.volumes.map(toWireVolume),
    containers: a.containers.map(toWireContainer),
    efs_volumes: (a.efsVolumes ?? []).map(toWireEfsVolume),
    service_name: a.serviceName,
    tags: (a.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    task_role_arn: a.taskRoleArn,
    execution_role_arn: a.executionRoleArn,
    host_access: a.hostAccess ? toWireHostAccess(a.hostAccess) : null,
    stop_code: a.stopCode,
    stopped_reason: a.stoppedReason,
    enable_execute_command: a.enableExecuteCommand === true,
  };
}

function toWireHostAccess(h: HostAccess): WireHostAccess {
  return {
    privileged: h.privileged,
    host_network: h.hostNetwork,
    host_pid: h.hostPid,
    host_ipc: h.hostIpc,
    added_capabilities: h.addedCapabilities,
    host_devices: h.hostDevices,
    host_path_volumes: h.hostPathVolumes,
    host_docker_volumes: h.hostDockerVolumes,
    security_options: h.securityOptions,
    host_system_controls: h.hostSystemControls,
  };
}

function toWireVolume(v: Volume): WireVolume {
  const d = v.dockerVolumeConfiguration;
  const e = v.efsVolumeConfiguration;
  const f = v.fsxWindowsFileServerVolumeConfiguration;
  return {
    name: v.name,
    host: v.host ? { source_path: v.host.sourcePath } : null,
    configured_at_launch: v.configuredAtLaunch,
    docker_volume_configuration: d ? { scope: d.scope, autoprovision: d.autoprovision, driver: d.driver, driver_opts: d.driverOpts ?? {}, labels: d.labels ?? {} } : null,
    efs_volume_configuration: e
      ? {
          file_system_id: e.fileSystemId,
          root_directory: e.rootDirectory,
          transit_encryption: e.transitEncryption,
          transit_encryption_port: e.transitEncryptionPort,
          authorization_config: e.authorizationConfig ? { access_point_id: e.authorizationConfig.accessPointId, iam: e.authorizationConfig.iam } : null,
        }
      : null,
    fsx_windows_file_server_volume_configuration: f
      ? {
          file_system_id: f.fileSystemId,
          root_directory: f.rootDirectory,
          authorization_config: { credentials_parameter: f.authorizationConfig.credentialsParameter, domain: f.authorizationConfig.domain },
        }
      : null,
  };
}

function toWireEfsVolume(v: ResolvedEfsVolume): WireResolvedEfsVolume {
  return {
    name: v.name,
    file_system_id: v.fileSystemId,
    server: v.server,
    path: v.path,
    nfs_version: v.nfsVersion,
    mount_options: v.mountOptions,
    transit_encryption: v.transitEncryption,
    transit_encryption_port: v.transitEncryptionPort,
    error: v.error,
    mount_error: v.mountError,
  };
}

// ---- TaskSpec -> TaskAssignment

export function fromWireTaskSpec(w: WireTaskSpec): TaskAssignment {
  const a: TaskAssignment = {
    taskArn: required(w.task_arn, 'spec.task_arn'),
    taskId: required(w.task_id, 'spec.task_id'),
    cluster: required(w.cluster, 'spec.cluster'),
    family: required(w.family, 'spec.family'),
    revision: w.revision,
    desiredStatus: oneOf(DESIRED_STATUSES, w.desired_status, 'spec.desired_status'),
    version: w.version,
    networkMode: oneOf(NETWORK_MODES, w.network_mode, 'spec.network_mode'),
    volumes: w.volumes.map((v, i) => fromWireVolume(v, `spec.volumes[${i}]`)),
    containers: w.containers.map((c, i) => fromWireContainer(c, `spec.containers[${i}]`)),
  };
  if (w.launch_type !== undefined) a.launchType = oneOf(['FARGATE'] as const, w.launch_type, 'spec.launch_type');
  put(a, 'cpu', w.cpu);
  put(a, 'memory', w.memory);
  put(a, 'ephemeralStorageGiB', w.ephemeral_storage_gib);
  put(a, 'pidMode', w.pid_mode);
  put(a, 'ipcMode', w.ipc_mode);
  put(a, 'efsVolumes', list(w.efs_volumes)?.map(fromWireEfsVolume));
  put(a, 'serviceName', w.service_name);
  put(
    a,
    'tags',
    list(w.tags)?.map((t) => (t.value === undefined ? { key: t.key } : { key: t.key, value: t.value })),
  );
  put(a, 'taskRoleArn', w.task_role_arn);
  put(a, 'executionRoleArn', w.execution_role_arn);
  if (w.host_access) a.hostAccess = fromWireHostAccess(w.host_access);
  if (w.stop_code !== undefined) a.stopCode = oneOf(TASK_STOP_CODES, w.stop_code, 'spec.stop_code');
  put(a, 'stoppedReason', w.stopped_reason);
  if (w.enable_execute_command) a.enableExecuteCommand = true;
  return a;
}

function fromWireHostAccess(h: WireHostAccess): HostAccess {
  return {
    privileged: h.privileged,
    hostNetwork: h.host_network,
    hostPid: h.host_pid,
    hostIpc: h.host_ipc,
    addedCapabilities: h.added_capabilities,
    hostDevices: h.host_devices,
    hostPathVolumes: h.host_path_volumes,
    hostDockerVolumes: h.host_docker_volumes,
    securityOptions: h.security_options,
    hostSystemControls: h.host_system_controls,
  };
}

function fromWireVolume(w: WireVolume, at: string): Volume {
  const v: Volume = {};
  put(v, 'name', w.name);
  if (w.host) {
    v.host = {};
    put(v.host, 'sourcePath', w.host.source_path);
  }
  put(v, 'configuredAtLaunch', w.configured_at_launch);
  const d = w.docker_volume_configuration;
  if (d) {
    const o: NonNullable<Volume['dockerVolumeConfiguration']> = {};
    if (d.scope !== undefined) o.scope = oneOf(VOLUME_SCOPES, d.scope, `${at}.docker_volume_configuration.scope`);
    put(o, 'autoprovision', d.autoprovision);
    put(o, 'driver', d.driver);
    put(o, 'driverOpts', map(d.driver_opts));
    put(o, 'labels', map(d.labels));
    v.dockerVolumeConfiguration = o;
  }
  const e = w.efs_volume_configuration;
  if (e) {
    const o: NonNullable<Volume['efsVolumeConfiguration']> = { fileSystemId: e.file_system_id };
    put(o, 'rootDirectory', e.root_directory);
    if (e.transit_encryption !== undefined) o.transitEncryption = oneOf(ENABLED, e.transit_encryption, `${at}.efs_volume_configuration.transit_encryption`);
    put(o, 'transitEncryptionPort', e.transit_encryption_port);
    if (e.authorization_config) {
      const auth: NonNullable<typeof o.authorizationConfig> = {};
      put(auth, 'accessPointId', e.authorization_config.access_point_id);
      if (e.authorization_config.iam !== undefined) auth.iam = oneOf(ENABLED, e.authorization_config.iam, `${at}.efs_volume_configuration.authorization_config.iam`);
      o.authorizationConfig = auth;
    }
    v.efsVolumeConfiguration = o;
  }
  const f = w.fsx_windows_file_server_volume_configuration;
  if (f) {
    v.fsxWindowsFileServerVolumeConfiguration = {
      fileSystemId: f.file_system_id,
      rootDirectory: f.root_directory,
      authorizationConfig: { credentialsParameter: f.authorization_config?.credentials_parameter ?? '', domain: f.authorization_config?.domain ?? '' },
    };
  }
  return v;
}

function fromWireEfsVolume(w: WireResolvedEfsVolume, i: number): ResolvedEfsVolume {
  const v: ResolvedEfsVolume = { name: w.name, fileSystemId: w.file_system_id };
  put(v, 'server', w.server);
  put(v, 'path', w.path);
  put(v, 'nfsVersion', w.nfs_version);
  put(v, 'mountOptions', w.mount_options);
  if (w.transit_encryption !== undefined) v.transitEncryption = oneOf(ENABLED, w.transit_encryption, `spec.efs_volumes[${i}].transit_encryption`);
  put(v, 'transitEncryptionPort', w.transit_encryption_port);
  put(v, 'error', w.error);
  put(v, 'mountError', w.mount_error);
  return v;
}

// ---- Assignment envelope

export interface WireAssignmentOptions {
  /**
   * The agent reads Assignment.spec (SessionRequest.reads_task_spec). False
   * for agents older than the typed spec: they get spec_json, for one version
   * (docs/design/dispatcher-protocol.md, "Rolling upgrades").
   */
  typedSpec: boolean;
}

/** Secret values travel in their own fields, never in the spec (which the agent journals). */
export function toWireAssignment(a: TaskAssignment, opts: WireAssignmentOptions = { typedSpec: true }, s?: TaskSecrets): WireAssignment {
  return {
    task_arn: a.taskArn,
    version: a.version,
    spec: opts.typedSpec ? toWireTaskSpec(a) : null,
    spec_json: opts.typedSpec ? '' : JSON.stringify(a),
    secrets: (s?.environment ?? []).map((e) => ({ container_name: e.container, name: e.name, value: e.value })),
    registry_credentials: (s?.registryAuth ?? []).map((r) => ({ container_name: r.container, username: r.username, password: r.password })),
    secrets_error: s?.error ?? '',
    environment_file_variables: (s?.environmentFiles ?? []).map((e) => ({ container_name: e.container, name: e.name, value: e.value })),
  };
}

/**
 * The assignment the agent runs. The envelope's task ARN and version are the
 * ones the sequence is about: a spec that names another task is refused.
 * Reads spec_json only when the control plane sent no typed spec (one older
 * than the agent, during a rolling upgrade).
 */
export function fromWireAssignment(w: WireAssignment): TaskAssignment {
  let a: TaskAssignment;
  if (w.spec) {
    a = fromWireTaskSpec(w.spec);
  } else if (w.spec_json) {
    a = JSON.parse(w.spec_json) as TaskAssignment;
    if (!a || typeof a !== 'object' || !Array.isArray(a.containers)) throw new WireFormatError('spec_json', 'is not a task assignment');
    a.volumes ??= [];
  } else {
    throw new WireFormatError('spec', 'is required');
  }
  if (a.taskArn !== w.task_arn) throw new WireFormatError('spec.task_arn', 'does not match the assignment envelope');
  if (w.version) a.version = w.version;
  return a;
}

/** undefined when the assignment carries no secret field at all. */
export function secretsOfWire(w: WireAssignment): TaskSecrets | undefined {
  const env = w.secrets ?? [];
  const auth = w.registry_credentials ?? [];
  const files = w.environment_file_variables ?? [];
  if (env.length === 0 && auth.length === 0 && files.length === 0 && !w.secrets_error) return undefined;
  const out: TaskSecrets = {
    environment: env.map((e) => ({ container: e.container_name, name: e.name, value: e.value })),
    registryAuth: auth.map((r) => ({ container: r.container_name, username: r.username, password: r.password })),
  };
  if (files.length > 0) out.environmentFiles = files.map((e) => ({ container: e.container_name, name: e.name, value: e.value }));
  if (w.secrets_error) out.error = w.secrets_error;
  return out;
}

// ---- TaskReport <-> TaskStatus

export function toWireTaskStatus(r: TaskReport): WireTaskStatus {
  const w: WireTaskStatus = {
    task_arn: r.taskArn,
    last_status: r.lastStatus,
    containers: r.containers.map((c) => ({
      name: c.name,
      status: c.status,
      runtime_id: c.runtimeId ?? '',
      exit_code: c.exitCode,
      reason: c.reason ?? '',
      network_bindings: c.networkBindings.map((b) => ({ bind_ip: b.bindIP, container_port: b.containerPort, host_port: b.hostPort, protocol: b.protocol })),
      health_status: c.healthStatus,
    })),
    stop_code: r.stopCode ?? '',
    stopped_reason: r.stoppedReason ?? '',
    pull_started_at: 0,
    pull_stopped_at: 0,
    started_at: 0,
    execution_stopped_at: 0,
    stopped_at: 0,
  };
  for (const k of REPORTED_TASK_TIMESTAMPS) w[WIRE_TIMESTAMPS[k]] = r[k] ?? 0;
  return w;
}

/** Trusts nothing: the caller validates statuses with the core state machines. */
export function fromWireTaskStatus(w: WireTaskStatus): TaskReport {
  const r: TaskReport = {
    taskArn: w.task_arn,
    lastStatus: w.last_status as TaskStatus,
    containers: w.containers.map((c) => {
      const cr: ContainerReport = {
        name: c.name,
        status: c.status as ContainerStatus,
        networkBindings: c.network_bindings.map((b) => ({
          bindIP: b.bind_ip,
          containerPort: b.container_port,
          hostPort: b.host_port,
          protocol: b.protocol === 'udp' ? 'udp' : 'tcp',
        })),
        healthStatus: (c.health_status || 'UNKNOWN') as HealthStatus,
      };
      if (c.runtime_id) cr.runtimeId = c.runtime_id;
      if (c.exit_code !== undefined && c.exit_code !== null) cr.exitCode = c.exit_code;
      if (c.reason) cr.reason = c.reason;
      return cr;
    }),
  };
  if (w.stop_code) r.stopCode = w.stop_code as TaskStopCode;
  if (w.stopped_reason) r.stoppedReason = w.stopped_reason;
  for (const k of REPORTED_TASK_TIMESTAMPS) {
    const v = w[WIRE_TIMESTAMPS[k]];
    if (v) r[k] = v;
  }
  return r;
}
