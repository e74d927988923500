import type { ContainerDefinition, LinuxParameters } from '@stevedore/core/host';
import type { WireContainerDefinition } from './wire-types';
import type { LinuxParameters__Output as WireLinuxParameters } from './generated/stevedore/agent/v1/LinuxParameters';
import { APP_PROTOCOLS, CONDITIONS, FIRELENS_TYPES, list, map, oneOf, PROTOCOLS, put, required, RESOURCE_TYPES, VERSION_CONSISTENCY } from './wire-fields';

/** A container definition and its Linux parameters, core <-> wire (the task around them: task-convert.ts). */

export function toWireContainer(c: ContainerDefinition & { containerArn: string }): WireContainerDefinition {
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

export function toWireLinuxParameters(l: LinuxParameters): WireLinuxParameters {
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


export function fromWireContainer(w: WireContainerDefinition, at: string): ContainerDefinition & { containerArn: string } {
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

export function fromWireLinuxParameters(w: WireLinuxParameters): LinuxParameters {
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

