import { ClientException, InvalidParameterException } from '../errors';
import type { TaskDefinitionInput } from '../model/task-definition';
import { checkRequiredCompatibilities } from './compatibilities';
import { readContainerDefinition } from './container-definition';
import { NAME_RULE } from './container-fields';
import { checkDependsOn } from './dependencies';
import { ALL_HOST_ACCESS, hostAccessViolations } from './host-access';
import { ObjectReader, checkEnum, compact, describeJson, invalidParameter, isPlainObject } from './json-reader';
import {
  checkAwsvpcContainerSettings,
  checkContainerNames,
  checkEssential,
  checkLinks,
  checkLogConfigurations,
  checkMemoryPresence,
  checkPortConflicts,
  checkPortMappings,
  checkTaskReferences,
  checkExecutionRole,
  checkTaskResourceSums,
  checkVolumeReferences,
  withDefaultHostPorts,
} from './rules';
import { readRoleArn, readTaskLevelFields } from './task-level';
import { normalizeTaskCpu, normalizeTaskMemory } from './task-size';
import { checkVolumeList, readVolume } from './volumes';

export const REGISTER_TASK_DEFINITION_KEYS = [
  'family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'containerDefinitions', 'volumes', 'placementConstraints',
  'requiresCompatibilities', 'cpu', 'memory', 'tags', 'pidMode', 'ipcMode', 'proxyConfiguration', 'inferenceAccelerators',
  'ephemeralStorage', 'runtimePlatform', 'enableFaultInjection',
] as const;

/** The ECS documented quota; more containers per task is a sign of a misplaced service. */
export const MAX_CONTAINERS_PER_TASK_DEFINITION = 10;

/**
 * Validates a raw RegisterTaskDefinition request and returns it normalized:
 * every member the user sent, in ECS's units, with ECS's defaults filled in
 * (essential, networkMode, protocol, host ports in host/awsvpc mode, health
 * check timings, volume and mount defaults). Throws InvalidParameterException
 * for requests that don't fit the API model and ClientException for
 * definitions ECS refuses, both carrying the offending field path.
 */
export function validateRegisterTaskDefinition(body: unknown): TaskDefinitionInput {
  if (!isPlainObject(body)) {
    throw new InvalidParameterException(`The RegisterTaskDefinition request must be a JSON object, got ${describeJson(body)}.`);
  }
  const r = ObjectReader.of(body, '', 'RegisterTaskDefinition request');
  // People feed `describe-task-definition` output back in: its wrapper is the one unknown member worth naming.
  if (!r.has('family') && isPlainObject(body.taskDefinition)) {
    throw invalidParameter('taskDefinition', "'taskDefinition' wraps DescribeTaskDefinition output; register the object inside it.");
  }
  const family = r.requiredString('family', NAME_RULE);
  const containerDefinitions = r.requiredList('containerDefinitions', readContainerDefinition, { minItems: 1, maxItems: MAX_CONTAINERS_PER_TASK_DEFINITION });
  const volumes = r.list('volumes', readVolume);
  if (volumes !== undefined) checkVolumeList(volumes, r.at('volumes'));
  const cpu = r.string('cpu');
  const memory = r.string('memory');

  const td: TaskDefinitionInput = compact({
    family,
    taskRoleArn: readRoleArn(r, 'taskRoleArn'),
    executionRoleArn: readRoleArn(r, 'executionRoleArn'),
    // Linux EC2 default; ECS returns it explicitly once registered.
    networkMode: r.enumOf('networkMode', ['bridge', 'host', 'awsvpc', 'none'] as const) ?? 'bridge',
    containerDefinitions,
    volumes,
    requiresCompatibilities: r.list('requiresCompatibilities', (v, f) => checkEnum(v, f, ['EC2', 'FARGATE', 'EXTERNAL'] as const)),
    cpu: cpu === undefined ? undefined : normalizeTaskCpu(cpu, r.at('cpu')),
    memory: memory === undefined ? undefined : normalizeTaskMemory(memory, r.at('memory')),
    ...readTaskLevelFields(r),
  });

  checkContainerNames(td.containerDefinitions);
  checkEssential(td.containerDefinitions);
  checkRequiredCompatibilities(td);
  checkMemoryPresence(td.containerDefinitions, td.memory);
  checkTaskResourceSums(td.containerDefinitions, td.cpu, td.memory);
  checkPortMappings(td);
  checkAwsvpcContainerSettings(td);
  checkLinks(td);
  checkVolumeReferences(td);
  checkDependsOn(td.containerDefinitions);
  checkLogConfigurations(td);
  checkTaskReferences(td);
  checkExecutionRole(td);

  const normalized = withDefaultHostPorts(td);
  checkPortConflicts(normalized);
  // What no cluster setting allows is refused now; what one does is the cluster's call at launch.
  const never = hostAccessViolations(normalized, ALL_HOST_ACCESS);
  if (never.length > 0) throw new ClientException(never.map((v) => v.message).join('; '), never[0]!.field);
  return normalized;
}
