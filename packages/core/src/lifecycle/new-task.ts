import { newId } from '../arn';
import type { Tag, TaskDefinition } from '../model/task-definition';
import type { AwsVpcConfiguration, LaunchType, Task, TaskOverride, TaskProvisioning } from '../model/task';
import { networkInterfaceIds } from '../launch/fargate';
import { applyOverrides } from '../validation/overrides';
import { taskReservation } from '../validation/task-reservation';

export interface NewTaskSpec {
  clusterName: string;
  td: TaskDefinition;
  overrides?: TaskOverride;
  /** Absent: the task waits in PROVISIONING for capacity (a host-group capacity provider scaling out). */
  containerInstanceId?: string;
  group: string;
  startedBy?: string;
  tags?: Tag[];
  now: number;
  /** EC2 when absent. */
  launchType?: LaunchType;
  capacityProviderName?: string;
  platformVersion?: string;
  /** awsvpc task definitions: the launch's awsvpcConfiguration (recorded, shown in the ENI attachment). */
  awsvpcConfiguration?: AwsVpcConfiguration;
  provisioning?: TaskProvisioning;
  /** ECS Exec: ExecuteCommand may open sessions in its containers (docs/design/ecs-exec.md). */
  enableExecuteCommand?: boolean;
}

/**
 * A task as RunTask and the service scheduler create it: placed on its
 * instance and PENDING, or (no instance yet) PROVISIONING while a capacity
 * provider adds a host; desired RUNNING, with the reservation that placement
 * counts. Tasks never move: to move one, stop it and create another.
 */
export function newTask(spec: NewTaskSpec): Task {
  const overrides = spec.overrides ?? {};
  const reservation = taskReservation(spec.td, overrides);
  const t: Task = {
    id: newId(),
    clusterName: spec.clusterName,
    taskDefinitionArn: spec.td.taskDefinitionArn,
    family: spec.td.family,
    revision: spec.td.revision,
    lastStatus: spec.containerInstanceId === undefined ? 'PROVISIONING' : 'PENDING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    cpu: reservation.cpu,
    memory: reservation.memory,
    hostPorts: reservation.hostPorts,
    group: spec.group,
    version: 1,
    assignmentVersion: 1,
    overrides,
    tags: spec.tags ?? [],
    launchType: spec.launchType ?? 'EC2',
    createdAt: spec.now,
    containers: applyOverrides(spec.td, overrides).map((c) => {
      const tc: Task['containers'][number] = {
        id: newId(),
        name: c.name,
        image: c.image,
        status: 'NONE',
        networkBindings: [],
        healthStatus: 'UNKNOWN',
        essential: c.essential !== false,
        hasHealthCheck: c.healthCheck !== undefined,
      };
      if (c.cpu !== undefined) tc.cpu = c.cpu;
      if (c.memory !== undefined) tc.memory = c.memory;
      if (c.memoryReservation !== undefined) tc.memoryReservation = c.memoryReservation;
      return tc;
    }),
  };
  if (spec.containerInstanceId !== undefined) t.containerInstanceId = spec.containerInstanceId;
  if (spec.provisioning !== undefined) t.provisioning = spec.provisioning;
  if (spec.startedBy !== undefined) t.startedBy = spec.startedBy;
  if (spec.enableExecuteCommand) t.enableExecuteCommand = true;
  if (spec.capacityProviderName !== undefined) t.capacityProviderName = spec.capacityProviderName;
  if (spec.platformVersion !== undefined) t.platformVersion = spec.platformVersion;
  if (t.launchType === 'FARGATE') t.ephemeralStorage = { sizeInGiB: spec.td.ephemeralStorage?.sizeInGiB ?? 20 };
  if (spec.td.networkMode === 'awsvpc') {
    t.networkInterface = { ...networkInterfaceIds(newId()), configuration: spec.awsvpcConfiguration ?? { subnets: [], securityGroups: [], assignPublicIp: 'DISABLED' } };
  }
  return t;
}
