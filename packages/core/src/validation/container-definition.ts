import type { ContainerDefinition } from '../model/task-definition';
import {
  NAME_RULE,
  readDependency,
  readEnvironmentFile,
  readFirelensConfiguration,
  readHealthCheck,
  readHostEntry,
  readKeyValue,
  readLinuxParameters,
  readLogConfiguration,
  readMountPoint,
  readPortMapping,
  readResourceRequirement,
  readRestartPolicy,
  readSecret,
  readSystemControl,
  readUlimit,
  readVolumeFrom,
} from './container-fields';
import { ObjectReader, compact, ecsRejection, invalidParameter } from './json-reader';
import { DOCKER_MIN_MEMORY_MIB } from './task-size';

export const CONTAINER_DEFINITION_KEYS = [
  'name', 'image', 'repositoryCredentials', 'cpu', 'memory', 'memoryReservation', 'links', 'portMappings',
  'essential', 'restartPolicy', 'entryPoint', 'command', 'environment', 'environmentFiles', 'mountPoints',
  'volumesFrom', 'linuxParameters', 'secrets', 'dependsOn', 'startTimeout', 'stopTimeout', 'versionConsistency',
  'hostname', 'user', 'workingDirectory', 'disableNetworking', 'privileged', 'readonlyRootFilesystem', 'dnsServers',
  'dnsSearchDomains', 'extraHosts', 'dockerSecurityOptions', 'interactive', 'pseudoTerminal', 'dockerLabels',
  'ulimits', 'logConfiguration', 'healthCheck', 'systemControls', 'resourceRequirements', 'firelensConfiguration',
  'credentialSpecs',
] as const;

/** Container cpu is CPU shares: ECS caps a single container at 10 vCPU. */
export const CONTAINER_CPU_MAX = 10240;

/**
 * One container definition: shape, types and per-field ranges, with ECS's
 * container-level defaults filled in. Rules that need the whole task (network
 * mode, other containers, volumes) live in rules.ts and dependencies.ts.
 */
export function readContainerDefinition(raw: unknown, field: string): ContainerDefinition {
  const r = ObjectReader.of(raw, field, 'ContainerDefinition');
  const name = r.requiredString('name', NAME_RULE);
  const image = r.string('image');
  if (image === undefined || image.trim() === '') {
    throw ecsRejection(r.at('image'), 'Container.image should not be null or empty.', `container '${name}' needs an image`);
  }
  if (image.length > 255) throw invalidParameter(r.at('image'), `must be at most 255 characters long, got ${image.length}.`);

  const resources = readContainerResources(r, name);
  return compact({
    name,
    image,
    repositoryCredentials: r.object('repositoryCredentials', (v, f) => {
      const c = ObjectReader.of(v, f, 'RepositoryCredentials');
      return { credentialsParameter: c.requiredString('credentialsParameter', { minLength: 1 }) };
    }),
    ...resources,
    links: r.stringList('links'),
    portMappings: r.list('portMappings', readPortMapping),
    essential: r.bool('essential') ?? true,
    restartPolicy: r.object('restartPolicy', readRestartPolicy),
    entryPoint: r.stringList('entryPoint'),
    command: r.stringList('command'),
    environment: r.list('environment', readKeyValue),
    environmentFiles: r.list('environmentFiles', readEnvironmentFile, { maxItems: 10 }),
    mountPoints: r.list('mountPoints', readMountPoint),
    volumesFrom: r.list('volumesFrom', readVolumeFrom),
    linuxParameters: r.object('linuxParameters', readLinuxParameters),
    secrets: r.list('secrets', readSecret),
    dependsOn: r.list('dependsOn', readDependency),
    startTimeout: r.int('startTimeout', { min: 1, unit: 'seconds' }),
    stopTimeout: r.int('stopTimeout', { min: 1, unit: 'seconds' }),
    versionConsistency: r.enumOf('versionConsistency', ['enabled', 'disabled'] as const),
    hostname: r.string('hostname'),
    user: r.string('user'),
    workingDirectory: r.string('workingDirectory'),
    disableNetworking: r.bool('disableNetworking'),
    privileged: r.bool('privileged'),
    readonlyRootFilesystem: r.bool('readonlyRootFilesystem'),
    dnsServers: r.stringList('dnsServers'),
    dnsSearchDomains: r.stringList('dnsSearchDomains'),
    extraHosts: r.list('extraHosts', readHostEntry),
    dockerSecurityOptions: r.stringList('dockerSecurityOptions'),
    interactive: r.bool('interactive'),
    pseudoTerminal: r.bool('pseudoTerminal'),
    dockerLabels: r.stringMap('dockerLabels'),
    ulimits: r.list('ulimits', readUlimit),
    logConfiguration: r.object('logConfiguration', readLogConfiguration),
    healthCheck: r.object('healthCheck', readHealthCheck),
    systemControls: r.list('systemControls', readSystemControl),
    resourceRequirements: r.list('resourceRequirements', readResourceRequirement),
    firelensConfiguration: r.object('firelensConfiguration', readFirelensConfiguration),
    credentialSpecs: r.stringList('credentialSpecs'),
  });
}

export interface ContainerResources {
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

/**
 * cpu/memory/memoryReservation of one container, checked the way ECS does at
 * registration; RunTask overrides reuse this on the resolved values.
 */
export function checkContainerResources(name: string, res: ContainerResources, fieldOf: (key: keyof ContainerResources) => string): void {
  const { cpu, memory, memoryReservation } = res;
  if (cpu !== undefined && (cpu < 0 || cpu > CONTAINER_CPU_MAX)) {
    throw ecsRejection(fieldOf('cpu'), `Invalid 'cpu' setting for container '${name}'.`, `must be between 0 and ${CONTAINER_CPU_MAX} CPU units, got ${cpu}`);
  }
  if (memory !== undefined && memory < DOCKER_MIN_MEMORY_MIB) {
    throw ecsRejection(fieldOf('memory'), `Invalid 'memory' setting for container '${name}'.`, `must be at least ${DOCKER_MIN_MEMORY_MIB} MiB (the Docker minimum), got ${memory}`);
  }
  if (memoryReservation !== undefined && memoryReservation < DOCKER_MIN_MEMORY_MIB) {
    throw ecsRejection(
      fieldOf('memoryReservation'),
      `Invalid 'memoryReservation' setting for container '${name}'.`,
      `must be at least ${DOCKER_MIN_MEMORY_MIB} MiB (the Docker minimum), got ${memoryReservation}`,
    );
  }
  if (memory !== undefined && memoryReservation !== undefined && memory < memoryReservation) {
    throw ecsRejection(
      fieldOf('memoryReservation'),
      `Invalid setting for container '${name}'. 'memory' must be greater than or equal to 'memoryReservation'.`,
      `memory is ${memory} MiB but memoryReservation is ${memoryReservation} MiB`,
    );
  }
}

function readContainerResources(r: ObjectReader, name: string): ContainerResources {
  const res = compact({
    cpu: r.int('cpu', { unit: 'CPU units' }),
    memory: r.int('memory', { unit: 'MiB' }),
    memoryReservation: r.int('memoryReservation', { unit: 'MiB' }),
  });
  checkContainerResources(name, res, (key) => r.at(key));
  return res;
}
