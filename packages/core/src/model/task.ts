import type { ContainerStatus, HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus, TaskStopCode } from '../status/task-status';
import type { KeyValuePair, Tag } from './task-definition';
import type { PlacementConstraint, PlacementStrategy } from './service';

export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

/** ECS launch types a task runs with. EXTERNAL (ECS Anywhere) runs as EC2 does: every Stevedore instance is the user's own machine; it is kept so ECS's filters and answers see it. */
export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

/** ECS `networkConfiguration.awsvpcConfiguration`: recorded and shown; Stevedore hosts have no VPC to apply it to. */
export interface AwsVpcConfiguration {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

/**
 * An awsvpc task's own network interface, shown as ECS shows its
 * ElasticNetworkInterface attachment. On a Stevedore host it is a network
 * namespace (the task's pause container) whose address is the host's.
 */
export interface TaskNetworkInterface {
  attachmentId: string;
  networkInterfaceId: string;
  configuration: AwsVpcConfiguration;
}

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: KeyValuePair[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
}

/** Control-plane view of one container of a task. */
export interface TaskContainer {
  id: string;
  name: string;
  image: string;
  /** Agent-side fine status; the API shows its ECS projection. */
  status: ContainerStatus;
  runtimeId?: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  healthStatus: HealthStatus;
  essential: boolean;
  /** Only containers with a healthCheck in their definition take part in task health. */
  hasHealthCheck: boolean;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

/**
 * How a task launched through a host-group capacity provider strategy is
 * placed: kept with the task, so a task waiting in PROVISIONING is placed by
 * the same rules after a restart (docs/design/capacity-providers.md).
 */
export interface TaskProvisioning {
  /** capacity/strategy.ts's CapacityProviderStrategyItem (written out: model imports no other folder). */
  capacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[];
  /** The launch's binding constraints (request and task definition), without the host-group one. */
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
}

/** Everything of a task but its timestamps (TaskTimestamps). */
export interface TaskFields {
  id: string;
  clusterName: string;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  containerInstanceId?: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  healthStatus: HealthStatus;
  /** Reservation used for placement: task-level value or the container sum. */
  cpu: number;
  memory: number;
  /** Static host ports reserved on the instance while the task runs. */
  hostPorts: { port: number; protocol: 'tcp' | 'udp' }[];
  startedBy?: string;
  group: string;
  /** Incremented on every change (ECS task `version`). */
  version: number;
  /** Incremented only when what the agent must do changes (desired status, stop reason). */
  assignmentVersion: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  overrides: TaskOverride;
  tags: Tag[];
  launchType: LaunchType;
  /** The capacity provider the strategy gave the task (FARGATE, FARGATE_SPOT, or a host group's provider). */
  capacityProviderName?: string;
  /** Launched through host-group capacity providers: what the provisioning placer needs to place it later. */
  provisioning?: TaskProvisioning;
  /** FARGATE tasks: the platform version they run on ('1.4.0'). */
  platformVersion?: string;
  /** awsvpc tasks. */
  networkInterface?: TaskNetworkInterface;
  /** FARGATE tasks: the definition's ephemeralStorage, 20 GiB by default (enforced where the host's storage driver allows a size: docs/design/fargate.md). */
  ephemeralStorage?: { sizeInGiB: number };
  clientToken?: string;
  /** ECS Exec is enabled for its containers (RunTask/CreateService enableExecuteCommand). */
  enableExecuteCommand?: boolean;
  containers: TaskContainer[];
}

/**
 * The task's timestamps (epoch ms), ECS's names in lifecycle order: the one
 * list the store's columns, the API's view, the agent's report and the wire
 * walk, instead of each naming them by hand.
 * - createdAt: RunTask/StartTask/the scheduler created it (always set).
 * - connectivityAt: the control plane first applied a report of its agent
 *   about it, i.e. the agent holds the assignment (ECS: when it last went
 *   CONNECTED; Stevedore tasks never move, so the first time is the time).
 * - stoppingAt: the control plane decided to stop it.
 * - the others: observed by the agent on its host (REPORTED_TASK_TIMESTAMPS).
 */
export const TASK_TIMESTAMPS = ['createdAt', 'connectivityAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'executionStoppedAt', 'stoppedAt'] as const;
export type TaskTimestamp = (typeof TASK_TIMESTAMPS)[number];

/** The timestamps the agent observes and reports (TaskReport, wire TaskStatus); set once, first report wins. */
export const REPORTED_TASK_TIMESTAMPS = ['pullStartedAt', 'pullStoppedAt', 'startedAt', 'executionStoppedAt', 'stoppedAt'] as const;
export type ReportedTaskTimestamp = (typeof REPORTED_TASK_TIMESTAMPS)[number];

export type TaskTimestamps = { createdAt: number } & { [K in Exclude<TaskTimestamp, 'createdAt'>]?: number };

export interface Task extends TaskTimestamps, TaskFields {}

/** ECS rule: only essential containers with a health check decide task health. */
export function deriveTaskHealth(containers: Pick<TaskContainer, 'essential' | 'hasHealthCheck' | 'healthStatus'>[]): HealthStatus {
  const checked = containers.filter((c) => c.essential && c.hasHealthCheck);
  if (checked.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  if (checked.length === 0 || checked.some((c) => c.healthStatus !== 'HEALTHY')) return 'UNKNOWN';
  return 'HEALTHY';
}
