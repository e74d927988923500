import { InvalidParameterException } from '../errors';
import type { ContainerOverride, TaskOverride } from '../model/task';
import type { ContainerDefinition, KeyValuePair, TaskDefinitionInput } from '../model/task-definition';
import { checkContainerResources, type ContainerResources } from './container-definition';
import { readEnvironmentFile, readKeyValue, readResourceRequirement } from './container-fields';
import { ObjectReader, childPath, compact, fieldOf, invalidParameter } from './json-reader';
import { checkTaskResourceSums } from './rules';
import { normalizeTaskCpu, normalizeTaskMemory } from './task-size';

/**
 * RunTask/StartTask `overrides`: validated against the task definition they
 * apply to, then resolved into the container definitions the agent runs.
 * The stored revision itself is never modified.
 */

/** ECS ContainerOverride members beyond the subset the Task model records. */
export interface ContainerOverrideInput extends ContainerOverride {
  environmentFiles?: { value: string; type: string }[];
  resourceRequirements?: ContainerDefinition['resourceRequirements'];
}

export interface TaskOverrideInput extends TaskOverride {
  containerOverrides?: ContainerOverrideInput[];
  ephemeralStorage?: { sizeInGiB: number };
  inferenceAcceleratorOverrides?: { deviceName?: string; deviceType?: string }[];
}

/** ECS limits the serialized overrides, not each part. */
export const MAX_OVERRIDES_LENGTH = 8192;


function readContainerOverride(raw: unknown, field: string, td: TaskDefinitionInput): ContainerOverrideInput {
  const r = ObjectReader.of(raw, field, 'ContainerOverride');
  const name = r.requiredString('name', { minLength: 1 });
  if (!td.containerDefinitions.some((c) => c.name === name)) {
    throw new InvalidParameterException(`Override for container named ${name} is not a container in the TaskDefinition. (${r.at('name')})`, r.at('name'));
  }
  return compact({
    name,
    command: r.stringList('command'),
    environment: r.list('environment', readKeyValue),
    environmentFiles: r.list('environmentFiles', readEnvironmentFile, { maxItems: 10 }),
    cpu: r.int('cpu', { unit: 'CPU units' }),
    memory: r.int('memory', { unit: 'MiB' }),
    memoryReservation: r.int('memoryReservation', { unit: 'MiB' }),
    resourceRequirements: r.list('resourceRequirements', readResourceRequirement),
  });
}

/**
 * Validates RunTask `overrides` for `td`; returns them normalized (task cpu
 * and memory in units). Absent overrides are `{}`.
 */
export function validateOverrides(raw: unknown, td: TaskDefinitionInput, field = 'overrides'): TaskOverrideInput {
  if (raw === undefined || raw === null) return {};
  const length = JSON.stringify(raw).length;
  if (length > MAX_OVERRIDES_LENGTH) {
    throw new InvalidParameterException(`Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH} (${field} is ${length} characters of JSON).`, field);
  }
  const r = ObjectReader.of(raw, field, 'TaskOverride');
  const containerOverrides = r.list('containerOverrides', (v, f) => readContainerOverride(v, f, td));
  const seen = new Map<string, string>();
  containerOverrides?.forEach((o, k) => {
    const f = childPath(childPath(r.at('containerOverrides'), k), 'name');
    const other = seen.get(o.name);
    if (other !== undefined) throw invalidParameter(f, `container '${o.name}' is overridden more than once (also ${other}).`);
    seen.set(o.name, f);
  });
  const cpu = r.string('cpu');
  const memory = r.string('memory');
  const overrides: TaskOverrideInput = compact({
    containerOverrides,
    cpu: cpu === undefined ? undefined : normalizeTaskCpu(cpu, r.at('cpu')),
    memory: memory === undefined ? undefined : normalizeTaskMemory(memory, r.at('memory')),
    taskRoleArn: r.string('taskRoleArn', { minLength: 1 }),
    executionRoleArn: r.string('executionRoleArn', { minLength: 1 }),
    ephemeralStorage: r.object('ephemeralStorage', (v, f) => {
      const e = ObjectReader.of(v, f, 'EphemeralStorage');
      return { sizeInGiB: e.requiredInt('sizeInGiB', { min: 21, max: 200, unit: 'GiB' }) };
    }),
    inferenceAcceleratorOverrides: r.list('inferenceAcceleratorOverrides', (v, f) => {
      const a = ObjectReader.of(v, f, 'InferenceAcceleratorOverride');
      return compact({ deviceName: a.string('deviceName'), deviceType: a.string('deviceType') });
    }),
  });
  checkResolvedResources(td, overrides, field);
  return overrides;
}

/** The registration rules again, on the values the task will actually run with. */
function checkResolvedResources(td: TaskDefinitionInput, overrides: TaskOverrideInput, field: string): void {
  const resolved = applyOverrides(td, overrides);
  overrides.containerOverrides?.forEach((o, k) => {
    const i = td.containerDefinitions.findIndex((c) => c.name === o.name);
    // The revision passed these checks on its own, so a violation always involves an overridden value: point there.
    const overridden = (['memory', 'memoryReservation', 'cpu'] as const).find((key) => o[key] !== undefined) ?? 'memory';
    const fieldOfKey = (key: keyof ContainerResources) => fieldOf(field, 'containerOverrides', k, o[key] !== undefined ? key : overridden);
    checkContainerResources(o.name, resolved[i]!, fieldOfKey);
  });
  checkTaskResourceSums(
    resolved,
    overrides.cpu ?? td.cpu,
    overrides.memory ?? td.memory,
    overrides.cpu !== undefined ? fieldOf(field, 'cpu') : fieldOf(field, 'containerOverrides'),
    overrides.memory !== undefined ? fieldOf(field, 'memory') : fieldOf(field, 'containerOverrides'),
  );
}

/** Override entries win by name; the definition's order is kept and new names are appended. */
export function mergeEnvironment(base: readonly KeyValuePair[] | undefined, override: readonly KeyValuePair[]): KeyValuePair[] {
  const merged = (base ?? []).map((kv) => ({ ...kv }));
  for (const kv of override) {
    let replaced = false;
    merged.forEach((existing, i) => {
      if (existing.name === kv.name) {
        merged[i] = { ...kv };
        replaced = true;
      }
    });
    if (!replaced) merged.push({ ...kv });
  }
  return merged;
}

/**
 * The container definitions a task runs: copies of the revision's containers
 * with RunTask container overrides applied (command, environmentFiles and
 * resourceRequirements replace; environment merges; cpu/memory replace).
 */
export function applyOverrides(td: TaskDefinitionInput, overrides?: TaskOverrideInput): ContainerDefinition[] {
  const byName = new Map<string, ContainerOverrideInput>((overrides?.containerOverrides ?? []).map((o) => [o.name, o]));
  return td.containerDefinitions.map((definition) => {
    const c = structuredClone(definition);
    const o = byName.get(c.name);
    if (o === undefined) return c;
    if (o.command !== undefined) c.command = [...o.command];
    if (o.environment !== undefined) c.environment = mergeEnvironment(c.environment, o.environment);
    if (o.environmentFiles !== undefined) c.environmentFiles = o.environmentFiles.map((f) => ({ ...f }));
    if (o.resourceRequirements !== undefined) c.resourceRequirements = o.resourceRequirements.map((r) => ({ ...r }));
    if (o.cpu !== undefined) c.cpu = o.cpu;
    if (o.memory !== undefined) c.memory = o.memory;
    if (o.memoryReservation !== undefined) c.memoryReservation = o.memoryReservation;
    return c;
  });
}
