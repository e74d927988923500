/**
 * The ECS response shapes the CLI reads, as the public API returns them.
 * Only the fields the CLI shows are typed; `--output json` prints whatever
 * the server sent, so nothing here limits what scripts can see.
 */
import type { TaskDefinition, TaskTimestamp } from '@stevedore/core';

export type { TaskDefinition };

export interface Failure {
  arn?: string;
  reason?: string;
  detail?: string;
}

export interface NetworkBinding {
  bindIP?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface EcsContainer {
  containerArn?: string;
  taskArn?: string;
  name: string;
  image?: string;
  runtimeId?: string;
  lastStatus?: string;
  exitCode?: number | null;
  reason?: string;
  networkBindings?: NetworkBinding[];
  healthStatus?: string;
  cpu?: string;
  memory?: string;
  memoryReservation?: string;
}

/** Timestamps: core's TASK_TIMESTAMPS, in the API's epoch seconds. */
export interface EcsTask extends Partial<Record<TaskTimestamp, number>> {
  taskArn: string;
  clusterArn?: string;
  taskDefinitionArn?: string;
  containerInstanceArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  healthStatus?: string;
  cpu?: string;
  memory?: string;
  containers?: EcsContainer[];
  startedBy?: string;
  group?: string;
  version?: number;
  stopCode?: string;
  stoppedReason?: string;
  launchType?: string;
}

export interface Resource {
  name: string;
  type?: string;
  integerValue?: number;
  longValue?: number;
  doubleValue?: number;
  stringSetValue?: string[];
}

export interface EcsAttribute {
  name: string;
  value?: string;
}

export interface EcsContainerInstance {
  containerInstanceArn: string;
  ec2InstanceId?: string;
  version?: number;
  versionInfo?: { agentVersion?: string; agentHash?: string; dockerVersion?: string };
  remainingResources?: Resource[];
  registeredResources?: Resource[];
  status?: string;
  statusReason?: string;
  agentConnected?: boolean;
  runningTasksCount?: number;
  pendingTasksCount?: number;
  attributes?: EcsAttribute[];
  registeredAt?: number;
}

export interface EcsCluster {
  clusterArn?: string;
  clusterName: string;
  status?: string;
  registeredContainerInstancesCount?: number;
  runningTasksCount?: number;
  pendingTasksCount?: number;
  activeServicesCount?: number;
}

export interface TasksResponse {
  tasks?: EcsTask[];
  failures?: Failure[];
}

export interface EcsDeployment {
  id: string;
  status?: string;
  taskDefinition?: string;
  desiredCount?: number;
  pendingCount?: number;
  runningCount?: number;
  failedTasks?: number;
  createdAt?: number;
  updatedAt?: number;
  rolloutState?: string;
  rolloutStateReason?: string;
}

export interface EcsServiceEvent {
  id: string;
  createdAt?: number;
  message: string;
}

export interface EcsService {
  serviceArn?: string;
  serviceName: string;
  status?: string;
  taskDefinition?: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  deployments?: EcsDeployment[];
  events?: EcsServiceEvent[];
  deploymentConfiguration?: {
    minimumHealthyPercent?: number;
    maximumPercent?: number;
    deploymentCircuitBreaker?: { enable?: boolean; rollback?: boolean };
  };
  schedulingStrategy?: string;
  placementStrategy?: { type: string; field?: string }[];
  placementConstraints?: { type: string; expression?: string }[];
  createdAt?: number;
}

export interface ServicesResponse {
  services?: EcsService[];
  failures?: Failure[];
}
