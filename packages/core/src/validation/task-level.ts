import type { Tag, TaskDefinitionInput, TaskDefinitionPlacementConstraint } from '../model/task-definition';
import { readKeyValue } from './container-fields';
import { parseQuery } from '../placement/query-language';
import { ObjectReader, checkList, checkString, childPath, compact, ecsRejection, invalidParameter } from './json-reader';

/** Task-level members of RegisterTaskDefinition other than containers and volumes. */

export const MAX_TAGS = 50;
/** ECS counts task definition and RunTask/CreateService constraints together against this limit. */
export const MAX_PLACEMENT_CONSTRAINTS = 10;

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_CHARS_TEXT = 'use letters, digits, spaces and _ . : / = + - @';

export const OPERATING_SYSTEM_FAMILIES = [
  'LINUX',
  'WINDOWS_SERVER_2016_FULL',
  'WINDOWS_SERVER_2019_FULL',
  'WINDOWS_SERVER_2019_CORE',
  'WINDOWS_SERVER_2004_CORE',
  'WINDOWS_SERVER_20H2_CORE',
  'WINDOWS_SERVER_2022_FULL',
  'WINDOWS_SERVER_2022_CORE',
  'WINDOWS_SERVER_2025_FULL',
  'WINDOWS_SERVER_2025_CORE',
] as const;

/**
 * Resource tags as every ECS tagging API takes them. Exported so TagResource
 * and the other create calls apply the same rules.
 */
export function readTags(raw: unknown, field: string): Tag[] {
  const tags = checkList(raw, field, { maxItems: MAX_TAGS }).map((item, i) => {
    const itemField = childPath(field, i);
    const t = ObjectReader.of(item, itemField, 'Tag');
    const key = t.requiredString('key', { minLength: 1, maxLength: 128, pattern: TAG_CHARS, patternText: TAG_CHARS_TEXT });
    if (key.toLowerCase().startsWith('aws:')) {
      throw ecsRejection(t.at('key'), "Tag keys beginning with 'aws:' are reserved for AWS use.", `choose another key than ${JSON.stringify(key)}`);
    }
    return compact({ key, value: t.string('value', { maxLength: 256, pattern: TAG_CHARS, patternText: TAG_CHARS_TEXT }) });
  });
  const seen = new Map<string, number>();
  tags.forEach((tag, i) => {
    const first = seen.get(tag.key);
    if (first !== undefined) {
      throw invalidParameter(childPath(childPath(field, i), 'key'), `duplicate tag key ${JSON.stringify(tag.key)} (also ${childPath(field, first)}).`);
    }
    seen.set(tag.key, i);
  });
  return tags;
}

function readPlacementConstraint(raw: unknown, field: string): TaskDefinitionPlacementConstraint {
  const r = ObjectReader.of(raw, field, 'TaskDefinitionPlacementConstraint');
  const type = r.requiredEnum('type', ['memberOf', 'distinctInstance'] as const);
  if (type === 'distinctInstance') {
    // Spreading one task per instance only makes sense for a group of tasks, so ECS only takes it at run time.
    throw ecsRejection(
      r.at('type'),
      "The 'distinctInstance' placement constraint is not supported in task definitions.",
      "only 'memberOf' is allowed here; pass distinctInstance to RunTask or CreateService placementConstraints instead",
    );
  }
  const expression = r.requiredString('expression', { minLength: 1, maxLength: 2000 });
  // Checked now: a bad expression would otherwise only surface when a task is placed.
  try {
    parseQuery(expression);
  } catch (e) {
    throw invalidParameter(r.at('expression'), (e as Error).message);
  }
  return { type, expression };
}

export type TaskLevelFields = Pick<
  TaskDefinitionInput,
  'placementConstraints' | 'tags' | 'pidMode' | 'ipcMode' | 'proxyConfiguration' | 'inferenceAccelerators' | 'ephemeralStorage' | 'runtimePlatform' | 'enableFaultInjection'
>;

export function readTaskLevelFields(r: ObjectReader): TaskLevelFields {
  return compact({
    placementConstraints: r.list('placementConstraints', readPlacementConstraint, { maxItems: MAX_PLACEMENT_CONSTRAINTS }),
    tags: r.has('tags') ? readTags(r.value('tags'), r.at('tags')) : undefined,
    pidMode: r.enumOf('pidMode', ['host', 'task'] as const),
    ipcMode: r.enumOf('ipcMode', ['host', 'task', 'none'] as const),
    proxyConfiguration: r.object('proxyConfiguration', (v, f) => {
      const p = ObjectReader.of(v, f, 'ProxyConfiguration');
      return compact({
        // APPMESH is the only proxy type ECS has.
        type: p.enumOf('type', ['APPMESH'] as const) ?? 'APPMESH',
        containerName: p.requiredString('containerName', { minLength: 1 }),
        properties: p.list('properties', readKeyValue),
      });
    }),
    inferenceAccelerators: r.list('inferenceAccelerators', (v, f) => {
      const a = ObjectReader.of(v, f, 'InferenceAccelerator');
      return { deviceName: a.requiredString('deviceName', { minLength: 1 }), deviceType: a.requiredString('deviceType', { minLength: 1 }) };
    }),
    ephemeralStorage: r.object('ephemeralStorage', (v, f) => {
      const e = ObjectReader.of(v, f, 'EphemeralStorage');
      return { sizeInGiB: e.requiredInt('sizeInGiB', { min: 21, max: 200, unit: 'GiB' }) };
    }),
    runtimePlatform: r.object('runtimePlatform', (v, f) => {
      const p = ObjectReader.of(v, f, 'RuntimePlatform');
      return compact({
        cpuArchitecture: p.enumOf('cpuArchitecture', ['X86_64', 'ARM64'] as const),
        operatingSystemFamily: p.enumOf('operatingSystemFamily', OPERATING_SYSTEM_FAMILIES),
      });
    }),
    enableFaultInjection: r.bool('enableFaultInjection'),
  });
}

/** ARNs are passed through to IAM-aware code later; here we only insist on a non-empty string. */
export function readRoleArn(r: ObjectReader, key: 'taskRoleArn' | 'executionRoleArn'): string | undefined {
  const v = r.value(key);
  return v === undefined ? undefined : checkString(v, r.at(key), { minLength: 1 });
}
