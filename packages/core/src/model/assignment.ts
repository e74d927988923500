import type { ContainerStatus, HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus, TaskStopCode } from '../status/task-status';
import type { ContainerDefinition, NetworkMode, Volume } from './task-definition';
import type { NetworkBinding } from './task';

/**
 * Everything an agent needs to run one task, self-contained: the control plane
 * resolves the task definition revision and the RunTask overrides before
 * sending it, so the agent never looks anything up.
 */
export interface TaskAssignment {
  taskArn: string;
  taskId: string;
  cluster: string;
  family: string;
  revision: number;
  desiredStatus: DesiredStatus;
  /** Incremented by the control plane on every change of this assignment. */
  version: number;
  networkMode: NetworkMode;
  cpu?: string;
  memory?: string;
  pidMode?: string;
  ipcMode?: string;
  volumes: Volume[];
  /** Container definitions with overrides applied, in definition order. */
  containers: (ContainerDefinition & { containerArn: string })[];
  /** Why the control plane wants it stopped (StopTask reason, scheduler). */
  stopCode?: TaskStopCode;
  stoppedReason?: string;
}

/** One container's state as the agent last saw it. */
export interface ContainerReport {
  name: string;
  status: ContainerStatus;
  runtimeId?: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  healthStatus: HealthStatus;
}

/** A task state report, agent -> control plane. Idempotent: resending is harmless. */
export interface TaskReport {
  taskArn: string;
  lastStatus: TaskStatus;
  containers: ContainerReport[];
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
}
