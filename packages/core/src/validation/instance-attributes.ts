import type { Attribute } from '../model/container-instance';

/**
 * Container instance attributes as ECS's PutAttributes accepts them, shared by
 * the API (operators) and the dispatcher (what agents report at registration),
 * so an agent cannot store a name or value the API would refuse.
 */

/** ECS: at most 10 custom attributes per resource (AttributeLimitExceededException). */
export const MAX_CUSTOM_ATTRIBUTES = 10;
const NAME = /^[A-Za-z0-9_\-/\\.]{1,128}$/;
const VALUE = /^[A-Za-z0-9_\-.@/\\: ]{1,128}$/;

export const ATTRIBUTE_NAME_RULE = '1-128 letters, numbers, hyphens, underscores, forward slashes, back slashes or periods';
export const ATTRIBUTE_VALUE_RULE = '1-128 letters, numbers, hyphens, underscores, periods, at signs, slashes, colons or spaces, without leading or trailing spaces';

export function isAttributeName(name: string): boolean {
  return NAME.test(name);
}

export function isAttributeValue(value: string): boolean {
  return VALUE.test(value) && value.trim() === value;
}

/** Built-in and agent capability attributes: set at registration, never through PutAttributes. */
export function isBuiltInAttribute(name: string): boolean {
  return name.startsWith('ecs.') || name.startsWith('com.amazonaws.');
}

/**
 * The attributes of an instance after its agent registers (again) with
 * `reported`. Each stored attribute carries its source:
 * - `operator` (PutAttributes) always wins: the agent can neither change nor
 *   remove it, and a reported attribute of that name is ignored;
 * - `agent`: the agent's own report is authoritative, so one it no longer
 *   reports is gone;
 * - no source (written before sources were tracked): built-in names only ever
 *   came from agents; a custom one is kept unless the agent reports it, which
 *   is how registration always treated it.
 */
export function mergeAgentAttributes(existing: readonly Attribute[], reported: readonly Attribute[]): Attribute[] {
  const operatorNames = new Set(existing.filter((a) => a.source === 'operator').map((a) => a.name));
  const reportedNames = new Set(reported.map((a) => a.name));
  const kept = existing.filter((a) => a.source === 'operator' || (a.source === undefined && !isBuiltInAttribute(a.name) && !reportedNames.has(a.name)));
  const fromAgent = reported
    .filter((a) => !operatorNames.has(a.name))
    .map((a): Attribute => (a.value === undefined ? { name: a.name, source: 'agent' } : { name: a.name, value: a.value, source: 'agent' }));
  return [...kept, ...fromAgent];
}
