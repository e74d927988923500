import type { ContainerStatus, HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus, TaskStopCode } from '../status/task-status';
import type { KeyValuePair, Tag } from './task-definition';

export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
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
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface Task {
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
  version: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  overrides: TaskOverride;
  tags: Tag[];
  launchType: 'EC2';
  clientToken?: string;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  containers: TaskContainer[];
}

/** Essential containers only decide task health (ECS rule). */
export function deriveTaskHealth(containers: Pick<TaskContainer, 'essential' | 'healthStatus'>[], hasCheck: (name: number) => boolean): HealthStatus {
  let sawUnknown = false;
  let sawChecked = false;
  containers.forEach((c, i) => {
    if (!c.essential || !hasCheck(i)) return;
    sawChecked = true;
    if (c.healthStatus === 'UNKNOWN') sawUnknown = true;
  });
  if (containers.some((c, i) => c.essential && hasCheck(i) && c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  if (!sawChecked || sawUnknown) return 'UNKNOWN';
  return 'HEALTHY';
}
