import type { ContainerDefinition, PortMapping, TaskDefinitionInput } from '../model/task-definition';
import { NAME_PATTERN } from './container-fields';
import { parseLink } from './dependencies';
import { ecsRejection, fieldOf } from './json-reader';
import { parseCpuUnits, parseMemoryMiB } from './task-size';
import { logOptionProblems } from '../logs/log-driver-options';

/**
 * Registration rules that look at more than one field. Each takes an already
 * shape-checked definition and throws the first violation with its path.
 */

const at = (i: number, ...rest: (string | number)[]) => fieldOf('containerDefinitions', i, ...rest);

export function checkContainerNames(containers: readonly ContainerDefinition[]): void {
  const seen = new Map<string, number>();
  containers.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined) {
      throw ecsRejection(at(i, 'name'), `Duplicate container name '${c.name}'.`, `also used by ${at(first)}; names must be unique in a task definition`);
    }
    seen.set(c.name, i);
  });
}

export function checkEssential(containers: readonly ContainerDefinition[]): void {
  if (!containers.some((c) => c.essential !== false)) {
    throw ecsRejection('containerDefinitions', 'A task definition must have at least one essential container.', 'every container has "essential": false');
  }
}

/** On EC2 a container without any memory figure could not be placed nor limited, unless the task sets one. */
export function checkMemoryPresence(containers: readonly ContainerDefinition[], taskMemory: string | undefined): void {
  if (taskMemory !== undefined) return;
  containers.forEach((c, i) => {
    if (c.memory === undefined && c.memoryReservation === undefined) {
      throw ecsRejection(
        at(i, 'memory'),
        `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
        "set one of them on the container, or set the task-level 'memory'",
      );
    }
  });
}

/** Task-level cpu/memory are hard limits the containers' reservations must fit into. */
export function checkTaskResourceSums(containers: readonly ContainerDefinition[], taskCpu: string | undefined, taskMemory: string | undefined, cpuField = 'cpu', memoryField = 'memory'): void {
  if (taskCpu !== undefined) {
    const limit = parseCpuUnits(taskCpu, cpuField);
    const sum = containers.reduce((s, c) => s + (c.cpu ?? 0), 0);
    if (sum > limit) {
      throw ecsRejection(cpuField, "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.", `containers reserve ${sum} CPU units, the task has ${limit}`);
    }
  }
  if (taskMemory !== undefined) {
    const limit = parseMemoryMiB(taskMemory, memoryField);
    const sum = containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0);
    if (sum > limit) {
      throw ecsRejection(
        memoryField,
        "The sum of all container 'memoryReservation' (else 'memory') values cannot be greater than the value of the task 'memory'.",
        `containers reserve ${sum} MiB, the task has ${limit} MiB`,
      );
    }
  }
}

/** Per network mode rules of §4.1: which host ports a mapping may ask for. */
export function checkPortMappings(td: TaskDefinitionInput): void {
  const mode = td.networkMode ?? 'bridge';
  td.containerDefinitions.forEach((c, i) => {
    const mappings = c.portMappings ?? [];
    if (mode === 'none' && mappings.length > 0) {
      throw ecsRejection(at(i, 'portMappings'), 'Port mappings are not supported when networkMode=none.', `container '${c.name}' has ${mappings.length}`);
    }
    mappings.forEach((m, j) => {
      if (m.containerPortRange !== undefined && mode === 'host') {
        throw ecsRejection(at(i, 'portMappings', j, 'containerPortRange'), 'containerPortRange is only supported when networkMode is bridge or awsvpc.', "networkMode is 'host'");
      }
      if ((mode === 'awsvpc' || mode === 'host') && m.hostPort !== undefined && m.hostPort !== m.containerPort) {
        throw ecsRejection(
          at(i, 'portMappings', j, 'hostPort'),
          `When networkMode=${mode}, the host ports and container ports in port mappings must match.`,
          `hostPort ${m.hostPort} != containerPort ${m.containerPort}; omit hostPort or make them equal`,
        );
      }
    });
  });
}

/** The host ports a mapping will hold for as long as the task runs; dynamic ones don't count. */
export function staticHostPort(mode: TaskDefinitionInput['networkMode'], m: PortMapping): number | undefined {
  switch (mode ?? 'bridge') {
    case 'bridge':
      return m.hostPort !== undefined && m.hostPort > 0 ? m.hostPort : undefined;
    case 'host':
      return m.hostPort ?? m.containerPort;
    default:
      // awsvpc tasks get their own network interface; none has no ports.
      return undefined;
  }
}

/** Two mappings asking for the same static port could never be placed on any instance. */
export function checkPortConflicts(td: TaskDefinitionInput): void {
  const mode = td.networkMode ?? 'bridge';
  const taken = new Map<string, string>();
  const names = new Map<string, string>();
  td.containerDefinitions.forEach((c, i) => {
    c.portMappings?.forEach((m, j) => {
      const field = at(i, 'portMappings', j);
      // awsvpc containers share one network namespace, so equal container ports collide as well.
      const port = mode === 'awsvpc' ? m.containerPort : staticHostPort(mode, m);
      if (port !== undefined) {
        const key = `${port}/${m.protocol ?? 'tcp'}`;
        const other = taken.get(key);
        if (other !== undefined) {
          throw ecsRejection(field, `Port conflict: host port ${key} is mapped more than once in the task.`, `also mapped by ${other}; such a task could never be placed`);
        }
        taken.set(key, field);
      }
      if (m.name !== undefined) {
        const other = names.get(m.name);
        if (other !== undefined) throw ecsRejection(`${field}.name`, `Port mapping name '${m.name}' is used more than once in the task definition.`, `also ${other}`);
        names.set(m.name, field);
      }
    });
  });
}

/** Fills the host port ECS implies: awsvpc and host mode bind the container port itself. */
export function withDefaultHostPorts(td: TaskDefinitionInput): TaskDefinitionInput {
  const mode = td.networkMode ?? 'bridge';
  if (mode !== 'awsvpc' && mode !== 'host') return td;
  return {
    ...td,
    containerDefinitions: td.containerDefinitions.map((c) =>
      c.portMappings === undefined
        ? c
        : { ...c, portMappings: c.portMappings.map((m) => (m.hostPort === undefined && m.containerPort !== undefined ? { ...m, hostPort: m.containerPort } : m)) },
    ),
  };
}

/** awsvpc gives every task its own ENI: the Docker-level network settings have nothing to apply to. */
export function checkAwsvpcContainerSettings(td: TaskDefinitionInput): void {
  if (td.networkMode !== 'awsvpc') return;
  td.containerDefinitions.forEach((c, i) => {
    const present: [string, boolean][] = [
      ['hostname', c.hostname !== undefined],
      ['dnsServers', (c.dnsServers?.length ?? 0) > 0],
      ['dnsSearchDomains', (c.dnsSearchDomains?.length ?? 0) > 0],
      ['extraHosts', (c.extraHosts?.length ?? 0) > 0],
    ];
    const found = present.find(([, set]) => set);
    if (found !== undefined) throw ecsRejection(at(i, found[0]), `${found[0]} is not supported on container when networkMode=awsvpc.`);
  });
}

export function checkLinks(td: TaskDefinitionInput): void {
  const mode = td.networkMode ?? 'bridge';
  const names = new Set(td.containerDefinitions.map((c) => c.name));
  td.containerDefinitions.forEach((c, i) => {
    c.links?.forEach((link, j) => {
      const field = at(i, 'links', j);
      if (mode !== 'bridge') {
        throw ecsRejection(at(i, 'links'), 'Links are only supported when networkMode=bridge.', `networkMode is '${mode}'; containers of the task can reach each other on localhost there`);
      }
      const { name, alias } = parseLink(link);
      if (!NAME_PATTERN.test(name) || (alias !== undefined && !NAME_PATTERN.test(alias))) {
        throw ecsRejection(field, `Invalid link ${JSON.stringify(link)} for container '${c.name}'.`, 'use "name" or "name:alias" with 1-255 letters, digits, hyphens and underscores');
      }
      if (!names.has(name)) throw ecsRejection(field, `Invalid link for container '${c.name}'. Container '${name}' is not defined in the task definition.`);
      if (name === c.name) throw ecsRejection(field, `Invalid link for container '${c.name}'. A container cannot link to itself.`);
    });
  });
}

export function checkVolumeReferences(td: TaskDefinitionInput): void {
  const volumes = new Set((td.volumes ?? []).map((v) => v.name));
  const names = new Set(td.containerDefinitions.map((c) => c.name));
  td.containerDefinitions.forEach((c, i) => {
    c.mountPoints?.forEach((mp, j) => {
      if (!volumes.has(mp.sourceVolume)) {
        throw ecsRejection(
          at(i, 'mountPoints', j, 'sourceVolume'),
          `Invalid mount point for container '${c.name}'. Unknown volume '${mp.sourceVolume}'.`,
          'declare it in the task definition volumes',
        );
      }
    });
    c.volumesFrom?.forEach((vf, j) => {
      const field = at(i, 'volumesFrom', j, 'sourceContainer');
      if (!names.has(vf.sourceContainer ?? '')) {
        throw ecsRejection(field, `Invalid volumesFrom for container '${c.name}'. Container '${vf.sourceContainer}' is not defined in the task definition.`);
      }
      if (vf.sourceContainer === c.name) throw ecsRejection(field, `Invalid volumesFrom for container '${c.name}'. A container cannot take volumes from itself.`);
    });
  });
}

const AWSLOGS_REQUIRED = ['awslogs-region', 'awslogs-group'];

export function checkLogConfigurations(td: TaskDefinitionInput): void {
  const hasLogRouter = td.containerDefinitions.some((c) => c.firelensConfiguration !== undefined);
  td.containerDefinitions.forEach((c, i) => {
    const log = c.logConfiguration;
    const problem = log ? logOptionProblems(log)[0] : undefined;
    if (problem) throw ecsRejection(at(i, 'logConfiguration', ...problem.path.split(/\.(.*)/s).filter((x) => x !== '')), problem.message);
    if (log?.logDriver === 'awslogs') {
      const missing = AWSLOGS_REQUIRED.filter((k) => log.options?.[k] === undefined);
      if (missing.length > 0) {
        throw ecsRejection(at(i, 'logConfiguration', 'options'), 'Log driver awslogs requires options: awslogs-region, awslogs-group', `missing ${missing.join(', ')}`);
      }
    }
    if (log?.logDriver === 'awsfirelens' && !hasLogRouter) {
      throw ecsRejection(
        at(i, 'logConfiguration', 'logDriver'),
        'The awsfirelens log driver requires a log router container with firelensConfiguration in the task definition.',
      );
    }
  });
}

/** Task-level fields that name containers or accelerators must name existing ones. */
/**
 * ECS: the agent reads `secrets` and pulls private images (`repositoryCredentials`)
 * with the task execution role, so a definition using either needs one.
 */
export function checkExecutionRole(td: TaskDefinitionInput): void {
  if (td.executionRoleArn !== undefined) return;
  td.containerDefinitions.forEach((c, i) => {
    if ((c.secrets?.length ?? 0) > 0) {
      throw ecsRejection(at(i, 'secrets'), "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
    }
    if (c.repositoryCredentials !== undefined) {
      throw ecsRejection(at(i, 'repositoryCredentials'), 'Private repository authentication requires that the task definition specify a value for executionRoleArn.');
    }
  });
}

export function checkTaskReferences(td: TaskDefinitionInput): void {
  const proxy = td.proxyConfiguration;
  if (proxy !== undefined && !td.containerDefinitions.some((c) => c.name === proxy.containerName)) {
    throw ecsRejection('proxyConfiguration.containerName', `Proxy container '${proxy.containerName}' is not defined in the task definition.`);
  }
  const devices = new Set((td.inferenceAccelerators ?? []).map((a) => a.deviceName));
  td.containerDefinitions.forEach((c, i) => {
    c.resourceRequirements?.forEach((r, j) => {
      if (r.type === 'InferenceAccelerator' && !devices.has(r.value)) {
        throw ecsRejection(at(i, 'resourceRequirements', j, 'value'), `Inference accelerator '${r.value}' is not declared in the task definition inferenceAccelerators.`);
      }
    });
    const gpus = (c.resourceRequirements ?? []).filter((r) => r.type === 'GPU').length;
    if (gpus > 1) throw ecsRejection(at(i, 'resourceRequirements'), `Container '${c.name}' has more than one GPU resource requirement.`, 'declare the GPU count once');
  });
}
