import {
  DESIRED_STATUSES,
  REPORTED_TASK_TIMESTAMPS,
  TASK_STOP_CODES,
  type ContainerDefinition,
  type ContainerReport,
  type ContainerStatus,
  type HealthStatus,
  type HostAccess,
  type LinuxParameters,
  type ReportedTaskTimestamp,
  type ResolvedEfsVolume,
  type TaskAssignment,
  type TaskReport,
  type TaskSecrets,
  type TaskStatus,
  type TaskStopCode,
  type Volume,
} from '@stevedore/core';
import type {
  WireAssignment,
  WireContainerDefinition,
  WireResolvedEfsVolume,
  WireTaskSpec,
  WireTaskStatus,
  WireVolume,
} from './wire-types';
import type { HostAccess__Output as WireHostAccess } from './generated/stevedore/agent/v1/HostAccess';
import type { LinuxParameters__Output as WireLinuxParameters } from './generated/stevedore/agent/v1/LinuxParameters';

/**
 * Core <-> wire conversions of the task, in one place for both ends of the
 * channel: the control plane sends TaskAssignment as TaskSpec and reads
 * TaskStatus as TaskReport; the agent does the opposite. Field for field, so
 * the round-trip tests (task-convert.test.ts) catch a field added on one side
 * only. Reading is strict: a value outside ECS's list for a field, or a
 * missing required field, refuses the assignment with a WireFormatError
 * naming the field (the agent rechecks what the control plane sends).
 */

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** The wire names of the reported timestamps: the one table both directions walk. */
const WIRE_TIMESTAMPS: Record<ReportedTaskTimestamp, 'pull_started_at' | 'pull_stopped_at' | 'started_at' | 'execution_stopped_at' | 'stopped_at'> = {
  pullStartedAt: 'pull_started_at',
  pullStoppedAt: 'pull_stopped_at',
  startedAt: 'started_at',
  executionStoppedAt: 'execution_stopped_at',
  stoppedAt: 'stopped_at',
};

const NETWORK_MODES = ['bridge', 'host', 'awsvpc', 'none'] as const;
const PROTOCOLS = ['tcp', 'udp'] as const;
const APP_PROTOCOLS = ['http', 'http2', 'grpc'] as const;
const CONDITIONS = ['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'] as const;
const ENABLED = ['ENABLED', 'DISABLED'] as const;
const VERSION_CONSISTENCY = ['enabled', 'disabled'] as const;
const VOLUME_SCOPES = ['task', 'shared'] as const;
const RESOURCE_TYPES = ['GPU', 'InferenceAccelerator'] as const;
const FIRELENS_TYPES = ['fluentd', 'fluentbit'] as const;

function oneOf<T extends string>(allowed: readonly T[], v: string, field: string): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new WireFormatError(field, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
}

function required(v: string, field: string): string {
  if (!v) throw new WireFormatError(field, 'is required');
  return v;
}

/** Optional fields are copied only when present, so core objects never carry `undefined` members. */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | null | undefined): void {
  if (v !== undefined && v !== null) o[k] = v;
}

/** An empty repeated field or map is an absent one (task.proto's rules). */
function list<T>(v: T[] | undefined): T[] | undefined {
  return v && v.length > 0 ? v : undefined;
}
function map(v: Record<string, string> | undefined): Record<string, string> | undefined {
  return v && Object.keys(v).length > 0 ? { ...v } : undefined;
}

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

function toWireContainer(c: ContainerDefinition & { containerArn: string }): WireContainerDefinition {
  return {
    name: c.name,
    image: c.image,
    container_arn: c.containerArn,
    repository_credentials: c.repositoryCredentials ? { credentials_parameter: c.repositoryCredentials.credentialsParameter } : null,
    cpu: c.cpu,
    memory: c.memory,
    memory_reservation: c.memoryReservation,
    links: c.links ?? [],
    port_mappings: (c.portMappings ?? []).map((p) => ({
      container_port: p.containerPort,
      host_port: p.hostPort,
      protocol: p.protocol,
      name: p.name,
      app_protocol: p.appProtocol,
      container_port_range: p.containerPortRange,
    })),
    essential: c.essential,
    restart_policy: c.restartPolicy
      ? { enabled: c.restartPolicy.enabled, ignored_exit_codes: c.restartPolicy.ignoredExitCodes ?? [], restart_attempt_period: c.restartPolicy.restartAttemptPeriod }
      : null,
    entry_point: c.entryPoint ?? [],
    command: c.command ?? [],
    environment: (c.environment ?? []).map((e) => ({ name: e.name, value: e.value })),
    environment_files: (c.environmentFiles ?? []).map((f) => ({ value: f.value, type: f.type })),
    mount_points: (c.mountPoints ?? []).map((m) => ({ source_volume: m.sourceVolume, container_path: m.containerPath, read_only: m.readOnly })),
    volumes_from: (c.volumesFrom ?? []).map((v) => ({ source_container: v.sourceContainer, read_only: v.readOnly })),
    linux_parameters: c.linuxParameters ? toWireLinuxParameters(c.linuxParameters) : null,
    secrets: (c.secrets ?? []).map((s) => ({ name: s.name, value_from: s.valueFrom })),
    depends_on: (c.dependsOn ?? []).map((d) => ({ container_name: d.containerName, condition: d.condition })),
    start_timeout: c.startTimeout,
    stop_timeout: c.stopTimeout,
    version_consistency: c.versionConsistency,
    hostname: c.hostname,
    user: c.user,
    working_directory: c.workingDirectory,
    disable_networking: c.disableNetworking,
    privileged: c.privileged,
    readonly_root_filesystem: c.readonlyRootFilesystem,
    dns_servers: c.dnsServers ?? [],
    dns_search_domains: c.dnsSearchDomains ?? [],
    extra_hosts: (c.extraHosts ?? []).map((h) => ({ hostname: h.hostname, ip_address: h.ipAddress })),
    docker_security_options: c.dockerSecurityOptions ?? [],
    interactive: c.interactive,
    pseudo_terminal: c.pseudoTerminal,
    docker_labels: c.dockerLabels ?? {},
    ulimits: (c.ulimits ?? []).map((u) => ({ name: u.name, soft_limit: u.softLimit, hard_limit: u.hardLimit })),
    log_configuration: c.logConfiguration
      ? {
          log_driver: c.logConfiguration.logDriver,
          options: c.logConfiguration.options ?? {},
          secret_options: (c.logConfiguration.secretOptions ?? []).map((s) => ({ name: s.name, value_from: s.valueFrom })),
        }
      : null,
    health_check: c.healthCheck
      ? { command: c.healthCheck.command, interval: c.healthCheck.interval, timeout: c.healthCheck.timeout, retries: c.healthCheck.retries, start_period: c.healthCheck.startPeriod }
      : null,
    system_controls: (c.systemControls ?? []).map((s) => ({ namespace: s.namespace, value: s.value })),
    resource_requirements: (c.resourceRequirements ?? []).map((r) => ({ value: r.value, type: r.type })),
    firelens_configuration: c.firelensConfiguration ? { type: c.firelensConfiguration.type, options: c.firelensConfiguration.options ?? {} } : null,
    credential_specs: c.credentialSpecs ?? [],
  };
}

function toWireLinuxParameters(l: LinuxParameters): WireLinuxParameters {
  return {
    capabilities: l.capabilities ? { add: l.capabilities.add ?? [], drop: l.capabilities.drop ?? [] } : null,
    devices: (l.devices ?? []).map((d) => ({ host_path: d.hostPath, container_path: d.containerPath, permissions: d.permissions ?? [] })),
    init_process_enabled: l.initProcessEnabled,
    shared_memory_size: l.sharedMemorySize,
    tmpfs: (l.tmpfs ?? []).map((t) => ({ container_path: t.containerPath, size: t.size, mount_options: t.mountOptions ?? [] })),
    max_swap: l.maxSwap,
    swappiness: l.swappiness,
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

function fromWireContainer(w: WireContainerDefinition, at: string): ContainerDefinition & { containerArn: string } {
  const c: ContainerDefinition & { containerArn: string } = {
    name: required(w.name, `${at}.name`),
    image: required(w.image, `${at}.image`),
    containerArn: w.container_arn,
  };
  if (w.repository_credentials) c.repositoryCredentials = { credentialsParameter: w.repository_credentials.credentials_parameter };
  put(c, 'cpu', w.cpu);
  put(c, 'memory', w.memory);
  put(c, 'memoryReservation', w.memory_reservation);
  put(c, 'links', list(w.links));
  put(
    c,
    'portMappings',
    list(w.port_mappings)?.map((p, i) => {
      const m: NonNullable<ContainerDefinition['portMappings']>[number] = {};
      put(m, 'containerPort', p.container_port);
      put(m, 'hostPort', p.host_port);
      if (p.protocol !== undefined) m.protocol = oneOf(PROTOCOLS, p.protocol, `${at}.port_mappings[${i}].protocol`);
      put(m, 'name', p.name);
      if (p.app_protocol !== undefined) m.appProtocol = oneOf(APP_PROTOCOLS, p.app_protocol, `${at}.port_mappings[${i}].app_protocol`);
      put(m, 'containerPortRange', p.container_port_range);
      return m;
    }),
  );
  put(c, 'essential', w.essential);
  if (w.restart_policy) {
    const r: NonNullable<ContainerDefinition['restartPolicy']> = { enabled: w.restart_policy.enabled };
    put(r, 'ignoredExitCodes', list(w.restart_policy.ignored_exit_codes));
    put(r, 'restartAttemptPeriod', w.restart_policy.restart_attempt_period);
    c.restartPolicy = r;
  }
  put(c, 'entryPoint', list(w.entry_point));
  put(c, 'command', list(w.command));
  put(
    c,
    'environment',
    list(w.environment)?.map((e) => {
      const kv: { name?: string; value?: string } = {};
      put(kv, 'name', e.name);
      put(kv, 'value', e.value);
      return kv;
    }),
  );
  put(c, 'environmentFiles', list(w.environment_files)?.map((f) => ({ value: f.value, type: f.type })));
  put(
    c,
    'mountPoints',
    list(w.mount_points)?.map((m) => {
      const o: NonNullable<ContainerDefinition['mountPoints']>[number] = {};
      put(o, 'sourceVolume', m.source_volume);
      put(o, 'containerPath', m.container_path);
      put(o, 'readOnly', m.read_only);
      return o;
    }),
  );
  put(
    c,
    'volumesFrom',
    list(w.volumes_from)?.map((v) => {
      const o: NonNullable<ContainerDefinition['volumesFrom']>[number] = {};
      put(o, 'sourceContainer', v.source_container);
      put(o, 'readOnly', v.read_only);
      return o;
    }),
  );
  if (w.linux_parameters) c.linuxParameters = fromWireLinuxParameters(w.linux_parameters);
  put(c, 'secrets', list(w.secrets)?.map((s) => ({ name: s.name, valueFrom: s.value_from })));
  put(
    c,
    'dependsOn',
    list(w.depends_on)?.map((d, i) => ({ containerName: d.container_name, condition: oneOf(CONDITIONS, d.condition, `${at}.depends_on[${i}].condition`) })),
  );
  put(c, 'startTimeout', w.start_timeout);
  put(c, 'stopTimeout', w.stop_timeout);
  if (w.version_consistency !== undefined) c.versionConsistency = oneOf(VERSION_CONSISTENCY, w.version_consistency, `${at}.version_consistency`);
  put(c, 'hostname', w.hostname);
  put(c, 'user', w.user);
  put(c, 'workingDirectory', w.working_directory);
  put(c, 'disableNetworking', w.disable_networking);
  put(c, 'privileged', w.privileged);
  put(c, 'readonlyRootFilesystem', w.readonly_root_filesystem);
  put(c, 'dnsServers', list(w.dns_servers));
  put(c, 'dnsSearchDomains', list(w.dns_search_domains));
  put(c, 'extraHosts', list(w.extra_hosts)?.map((h) => ({ hostname: h.hostname, ipAddress: h.ip_address })));
  put(c, 'dockerSecurityOptions', list(w.docker_security_options));
  put(c, 'interactive', w.interactive);
  put(c, 'pseudoTerminal', w.pseudo_terminal);
  put(c, 'dockerLabels', map(w.docker_labels));
  put(c, 'ulimits', list(w.ulimits)?.map((u) => ({ name: u.name, softLimit: u.soft_limit, hardLimit: u.hard_limit })));
  if (w.log_configuration) {
    const l: NonNullable<ContainerDefinition['logConfiguration']> = { logDriver: required(w.log_configuration.log_driver, `${at}.log_configuration.log_driver`) };
    put(l, 'options', map(w.log_configuration.options));
    put(l, 'secretOptions', list(w.log_configuration.secret_options)?.map((s) => ({ name: s.name, valueFrom: s.value_from })));
    c.logConfiguration = l;
  }
  if (w.health_check) {
    const h: NonNullable<ContainerDefinition['healthCheck']> = { command: w.health_check.command };
    put(h, 'interval', w.health_check.interval);
    put(h, 'timeout', w.health_check.timeout);
    put(h, 'retries', w.health_check.retries);
    put(h, 'startPeriod', w.health_check.start_period);
    c.healthCheck = h;
  }
  put(
    c,
    'systemControls',
    list(w.system_controls)?.map((s) => {
      const o: { namespace?: string; value?: string } = {};
      put(o, 'namespace', s.namespace);
      put(o, 'value', s.value);
      return o;
    }),
  );
  put(
    c,
    'resourceRequirements',
    list(w.resource_requirements)?.map((r, i) => ({ value: r.value, type: oneOf(RESOURCE_TYPES, r.type, `${at}.resource_requirements[${i}].type`) })),
  );
  if (w.firelens_configuration) {
    const f: NonNullable<ContainerDefinition['firelensConfiguration']> = { type: oneOf(FIRELENS_TYPES, w.firelens_configuration.type, `${at}.firelens_configuration.type`) };
    put(f, 'options', map(w.firelens_configuration.options));
    c.firelensConfiguration = f;
  }
  put(c, 'credentialSpecs', list(w.credential_specs));
  return c;
}

function fromWireLinuxParameters(w: WireLinuxParameters): LinuxParameters {
  const l: LinuxParameters = {};
  if (w.capabilities) {
    const caps: NonNullable<LinuxParameters['capabilities']> = {};
    put(caps, 'add', list(w.capabilities.add));
    put(caps, 'drop', list(w.capabilities.drop));
    l.capabilities = caps;
  }
  put(
    l,
    'devices',
    list(w.devices)?.map((d) => {
      const o: NonNullable<LinuxParameters['devices']>[number] = { hostPath: d.host_path };
      put(o, 'containerPath', d.container_path);
      put(o, 'permissions', list(d.permissions));
      return o;
    }),
  );
  put(l, 'initProcessEnabled', w.init_process_enabled);
  put(l, 'sharedMemorySize', w.shared_memory_size);
  put(
    l,
    'tmpfs',
    list(w.tmpfs)?.map((t) => {
      const o: NonNullable<LinuxParameters['tmpfs']>[number] = { containerPath: t.container_path, size: t.size };
      put(o, 'mountOptions', list(t.mount_options));
      return o;
    }),
  );
  put(l, 'maxSwap', w.max_swap);
  put(l, 'swappiness', w.swappiness);
  return l;
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
