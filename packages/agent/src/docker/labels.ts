import type { ContainerDefinition, TaskAssignment } from '@stevedore/core/host';

/**
 * Docker labels are the agent's memory: after a restart it finds its
 * containers by `stevedore.instance` and rebuilds each task from the rest.
 */
export const LABEL = {
  cluster: 'stevedore.cluster',
  instance: 'stevedore.instance',
  task: 'stevedore.task',
  taskId: 'stevedore.task-id',
  container: 'stevedore.container',
  version: 'stevedore.version',
  ecsCluster: 'com.amazonaws.ecs.cluster',
  ecsContainerName: 'com.amazonaws.ecs.container-name',
  ecsTaskArn: 'com.amazonaws.ecs.task-arn',
  ecsFamily: 'com.amazonaws.ecs.task-definition-family',
  ecsRevision: 'com.amazonaws.ecs.task-definition-version',
} as const;

/** Labels that let a restarted agent serve a container again (its endpoint id, MAC and credentials id). */
export const ENDPOINT_LABEL = {
  metadataId: 'stevedore.endpoint-id',
  mac: 'stevedore.endpoint-mac',
  credentialsId: 'stevedore.credentials-id',
} as const;

/** Task-scope volumes carry the same identity labels so cleanup finds them. */
export function taskLabels(task: TaskAssignment, instanceId: string): Record<string, string> {
  return {
    [LABEL.cluster]: task.cluster,
    [LABEL.instance]: instanceId,
    [LABEL.task]: task.taskArn,
    [LABEL.taskId]: task.taskId,
  };
}

/** System labels are written last so a user's dockerLabels can never spoof them. */
export function containerLabels(task: TaskAssignment, container: ContainerDefinition, instanceId: string, agentVersion: string): Record<string, string> {
  return {
    ...(container.dockerLabels ?? {}),
    ...taskLabels(task, instanceId),
    [LABEL.container]: container.name,
    [LABEL.version]: agentVersion,
    [LABEL.ecsCluster]: task.cluster,
    [LABEL.ecsContainerName]: container.name,
    [LABEL.ecsTaskArn]: task.taskArn,
    [LABEL.ecsFamily]: task.family,
    [LABEL.ecsRevision]: String(task.revision),
  };
}
