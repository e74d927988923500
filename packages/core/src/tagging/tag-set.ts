import type { Tag } from '../model/task-definition';
import { InvalidParameterException } from '../errors';

/**
 * ECS resource tags as a set keyed by tag key: what TagResource,
 * UntagResource, the create calls and tag propagation do to a resource's
 * tags, as pure functions. ECS's rules: at most 50 tags per resource, where
 * the `aws:` tags AWS puts on (managed tags) do not count; a key has one
 * value, so a tag given again replaces the value; `aws:` keys are AWS's,
 * never added or removed by a caller.
 */

export const MAX_RESOURCE_TAGS = 50;

/** `aws:`, `AWS:`, `Aws:`: every case of the prefix is reserved. */
export function isAwsReservedKey(key: string): boolean {
  return key.toLowerCase().startsWith('aws:');
}

/** Tags in a stable order (insertion), a later tag of the same key replacing the earlier one's value. */
export function mergeTags(...lists: readonly (readonly Tag[])[]): Tag[] {
  const byKey = new Map<string, Tag>();
  for (const list of lists) for (const t of list) byKey.set(t.key, t.value === undefined ? { key: t.key } : { key: t.key, value: t.value });
  return [...byKey.values()];
}

function checkLimit(tags: readonly Tag[], field: string): void {
  const own = tags.filter((t) => !isAwsReservedKey(t.key)).length;
  if (own > MAX_RESOURCE_TAGS) {
    throw new InvalidParameterException(`The resource would have ${own} tags, more than the ${MAX_RESOURCE_TAGS} tags a resource can have.`, field);
  }
}

/** TagResource: the resource's tags with `added` put on (already validated by readTags). */
export function tagResource(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const next = mergeTags(existing, added);
  checkLimit(next, 'tags');
  return next;
}

/** UntagResource: the resource's tags without `keys`; unknown keys are ignored, as in ECS. */
export function untagResource(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  keys.forEach((k, i) => {
    if (isAwsReservedKey(k)) throw new InvalidParameterException("Tag keys beginning with 'aws:' are reserved for AWS use and cannot be removed.", `tagKeys[${i}]`);
  });
  const drop = new Set(keys);
  return existing.filter((t) => !drop.has(t.key));
}

export type PropagateTags = 'TASK_DEFINITION' | 'SERVICE' | 'NONE';

/** ECS managed tags (enableECSManagedTags): the cluster's name on every task, the service's on a service's tasks. */
export function ecsManagedTags(clusterName: string, serviceName?: string): Tag[] {
  const tags: Tag[] = [{ key: 'aws:ecs:clusterName', value: clusterName }];
  if (serviceName !== undefined) tags.push({ key: 'aws:ecs:serviceName', value: serviceName });
  return tags;
}

export interface NewTaskTagsInput {
  clusterName: string;
  /** Set for a service's tasks. */
  serviceName?: string;
  propagateTags: PropagateTags;
  enableECSManagedTags: boolean;
  taskDefinitionTags: readonly Tag[];
  serviceTags?: readonly Tag[];
  /** RunTask/StartTask `tags`: they win over propagated ones of the same key. */
  requestTags?: readonly Tag[];
}

/** The tags a new task starts with: propagated ones, then the request's, then ECS's managed tags. */
export function newTaskTags(i: NewTaskTagsInput): Tag[] {
  const propagated = i.propagateTags === 'TASK_DEFINITION' ? i.taskDefinitionTags : i.propagateTags === 'SERVICE' ? (i.serviceTags ?? []) : [];
  const managed = i.enableECSManagedTags ? ecsManagedTags(i.clusterName, i.serviceName) : [];
  // Propagated tags never bring an aws: key along (a task definition cannot carry one anyway).
  const next = mergeTags(propagated.filter((t) => !isAwsReservedKey(t.key)), i.requestTags ?? [], managed);
  checkLimit(next, 'tags');
  return next;
}
