import { applyOverrides, arns, type ArnContext, type TaskAssignment, type TaskDefinition } from '@stevedore/core';
import type { StoredTask } from '../store/tasks-repo';

/** Builds the self-contained assignment an agent runs, from a task and its revision. */
export function buildAssignment(arn: ArnContext, task: StoredTask, td: TaskDefinition): TaskAssignment {
  const containers = applyOverrides(td, task.overrides).map((c) => {
    const stored = task.containers.find((x) => x.name === c.name);
    return { ...c, containerArn: arns.container(arn, task.clusterName, task.id, stored?.id ?? c.name) };
  });
  const a: TaskAssignment = {
    taskArn: arns.task(arn, task.clusterName, task.id),
    taskId: task.id,
    cluster: task.clusterName,
    family: task.family,
    revision: task.revision,
    desiredStatus: task.desiredStatus,
    version: task.assignmentVersion,
    networkMode: td.networkMode ?? 'bridge',
    volumes: td.volumes ?? [],
    containers,
  };
  const cpu = task.overrides.cpu ?? td.cpu;
  const memory = task.overrides.memory ?? td.memory;
  if (cpu !== undefined) a.cpu = cpu;
  if (memory !== undefined) a.memory = memory;
  if (task.group.startsWith('service:')) a.serviceName = task.group.slice('service:'.length);
  if (task.tags.length > 0) a.tags = task.tags;
  const taskRoleArn = task.overrides.taskRoleArn ?? td.taskRoleArn;
  const executionRoleArn = task.overrides.executionRoleArn ?? td.executionRoleArn;
  if (taskRoleArn !== undefined) a.taskRoleArn = taskRoleArn;
  if (executionRoleArn !== undefined) a.executionRoleArn = executionRoleArn;
  if (task.launchType === 'FARGATE') a.launchType = 'FARGATE';
  if (task.launchType === 'FARGATE' && task.ephemeralStorage) a.ephemeralStorageGiB = task.ephemeralStorage.sizeInGiB;
  if (td.pidMode !== undefined) a.pidMode = td.pidMode;
  if (td.ipcMode !== undefined) a.ipcMode = td.ipcMode;
  if (task.enableExecuteCommand) a.enableExecuteCommand = true;
  if (task.stopCode !== undefined) a.stopCode = task.stopCode;
  if (task.stoppedReason !== undefined) a.stoppedReason = task.stoppedReason;
  return a;
}

export interface AssignmentDiff {
  changed: string[];
  removed: string[];
}

/**
 * What to send after `sent` (task ARN -> assignment version) so the agent's
 * view equals `current`. Pure, so resending after a missed event is harmless.
 */
export function diffAssignments(sent: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): AssignmentDiff {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [arn, version] of current) if (sent.get(arn) !== version) changed.push(arn);
  for (const arn of sent.keys()) if (!current.has(arn)) removed.push(arn);
  return { changed, removed };
}
