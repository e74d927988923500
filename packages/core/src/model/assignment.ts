import type { ContainerStatus, HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus, TaskStopCode } from '../status/task-status';
import type { ContainerDefinition, NetworkMode, Tag, Volume } from './task-definition';
import type { HostAccess } from './host-access';
import type { NetworkBinding, ReportedTaskTimestamp } from './task';

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
  /** FARGATE: the agent gives the task no host access whatever the policy says, and a task cgroup with its cpu and memory. */
  launchType?: 'FARGATE';
  cpu?: string;
  memory?: string;
  /** FARGATE: the task's ephemeralStorage.sizeInGiB, enforced where the host's storage driver can (agent host/storage-quota.ts). */
  ephemeralStorageGiB?: number;
  pidMode?: string;
  ipcMode?: string;
  volumes: Volume[];
  /** Container definitions with overrides applied, in definition order. */
  containers: (ContainerDefinition & { containerArn: string })[];
  /** The file systems of its efsVolumeConfiguration volumes, resolved from the registry when sent. */
  efsVolumes?: ResolvedEfsVolume[];
  /** The service that started it (its group is service:<name>): TMDS ServiceName. */
  serviceName?: string;
  /** The task's tags (TMDS taskWithTags `TaskTags`). */
  tags?: Tag[];
  /** The task role (overrides applied): its credentials are served to the containers. */
  taskRoleArn?: string;
  /** The execution role (overrides applied): what the agent acts as for the task. */
  executionRoleArn?: string;
  /** The cluster's host-access policy when this was sent: the agent refuses anything beyond it. Absent: none. */
  hostAccess?: HostAccess;
  /** ECS Exec: the agent serves exec sessions in its containers only when this is set (it rechecks every request). */
  enableExecuteCommand?: boolean;
  /** Why the control plane wants it stopped (StopTask reason, scheduler). */
  stopCode?: TaskStopCode;
  stoppedReason?: string;
}

/**
 * One efsVolumeConfiguration volume as the agent mounts it: the registered
 * NFS export (server, exported path joined with the volume's root directory
 * or access point), or why it cannot be mounted.
 */
export interface ResolvedEfsVolume {
  /** The task definition's volume name. */
  name: string;
  fileSystemId: string;
  server?: string;
  /** Absolute path on the server: the export's path joined with rootDirectory or the access point's root. */
  path?: string;
  nfsVersion?: string;
  mountOptions?: string;
  transitEncryption?: 'ENABLED' | 'DISABLED';
  transitEncryptionPort?: number;
  /** Set when it cannot be mounted (no such file system or access point): the task fails with it. */
  error?: string;
  /**
   * Set when the mount itself is refused (EFS IAM authorization): ECS reports
   * that as its mount helper's failure, so this is the task's reason as is,
   * after `ResourceInitializationError: `.
   */
  mountError?: string;
}

/**
 * Secret values the control plane resolved for one task (task definition
 * `secrets` and `repositoryCredentials`), carried beside the assignment,
 * never inside it: the spec is journaled, these are not.
 */
export interface TaskSecrets {
  environment: { container: string; name: string; value: string }[];
  registryAuth: { container: string; username: string; password: string }[];
  /** Variables of the containers' `environmentFiles` (secrets-store ARNs), each file's in order. */
  environmentFiles?: { container: string; name: string; value: string }[];
  /** Set when a secret could not be resolved: the task fails to start with it. */
  error?: string;
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
export interface TaskReport extends Partial<Record<ReportedTaskTimestamp, number>> {
  taskArn: string;
  lastStatus: TaskStatus;
  containers: ContainerReport[];
  stopCode?: TaskStopCode;
  stoppedReason?: string;
}
