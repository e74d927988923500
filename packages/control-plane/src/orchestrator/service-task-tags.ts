import { newTaskTags, type Service, type Tag, type TaskDefinition } from '@stevedore/core';
import type { Store } from '../store/store';

/** A new task of a service: its tags (propagateTags, enableECSManagedTags) and whether ECS Exec is on. */
export function serviceTaskSpec(store: Store, service: Service, td: TaskDefinition): { tags: Tag[]; enableExecuteCommand?: boolean } {
  const tags = newTaskTags({
    clusterName: service.clusterName,
    serviceName: service.name,
    propagateTags: service.propagateTags,
    enableECSManagedTags: service.enableECSManagedTags,
    taskDefinitionTags: service.propagateTags === 'TASK_DEFINITION' ? (store.taskDefinitions.get(td.family, td.revision)?.tags ?? []) : [],
    serviceTags: service.tags,
  });
  return service.enableExecuteCommand ? { tags, enableExecuteCommand: true } : { tags };
}
