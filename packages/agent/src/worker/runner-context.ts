import type { Logger } from 'pino';
import type { Clock, ContainerDefinition, TaskAssignment, TaskReport, TaskSecrets, TaskStopCode } from '@stevedore/core/host';
import type { ContainerController, ContainerEvent, ContainerObservation, RegistryAuth } from '../exec/container-controller';
import type { TaskJournal } from './task-journal';
import type { PauseSettings } from './create-request';
import type { AwslogsTarget } from '../awslogs/container-shipper';
import type { EndpointGrant } from './endpoint-grant';
import type { StorageQuotaSupport } from '../host/storage-quota';

/**
 * What a task runner is given (RunnerContext), the messages its mailbox
 * takes, and the names and delays of its Docker actions: the vocabulary
 * task-runner.ts and its helpers (task-namespaces.ts, container-create.ts,
 * task-cleanup.ts) share.
 */

/** What the runner needs of awslogs shipping (AwslogsShipper). */
export interface AwslogsPort {
  prepare(target: AwslogsTarget): Promise<void>;
  watch(target: AwslogsTarget): void;
  waitDrained(runtimeIds: Iterable<string>, timeoutMs: number): Promise<boolean>;
}

/** How long a cleanup waits for awslogs containers' last lines to be delivered before removing them anyway. */
export const AWSLOGS_DRAIN_WAIT_MS = 30_000;

export interface RunnerContext {
  controller: ContainerController;
  images: { ensure(image: string, auth?: RegistryAuth): Promise<void> };
  journal: TaskJournal;
  /** Resolved secrets of the task, in memory only. */
  secrets: { wait(taskArn: string): Promise<TaskSecrets | undefined> };
  clock: Clock;
  log: Logger;
  instanceId: string;
  hostIp: string;
  agentVersion: string;
  defaultStopTimeoutSeconds: number;
  cleanupWaitMs: number;
  /** The pause container's image and command (awsvpc, pidMode/ipcMode task); DEFAULT_PAUSE when absent. */
  pause?: PauseSettings;
  /** Whether this host's storage driver enforces FARGATE ephemeralStorage (absent: not checked, not enforced). */
  storageQuota?: StorageQuotaSupport;
  /** `--restart-attempt-period-scale`: restartAttemptPeriod x this (1 unless shortened for tests and demos). */
  restartPeriodScale?: number;
  /** Task cgroups for FARGATE tasks; absent (tests without a cgroup fs): no task-level limit. */
  cgroups?: { create(taskId: string, limits: { cpu: number; memoryMiB: number }): Promise<string>; remove(taskId: string): Promise<void> };
  onReport(report: TaskReport): void;
  onCleanedUp(taskArn: string, finalReport: TaskReport): void;
  /** awslogs shipping; without it, awslogs containers still run (json-file) but ship nothing. */
  awslogs?: AwslogsPort;
  /** The credentials and metadata endpoint (absent in tests without one). */
  endpoint?: {
    prepare(spec: TaskAssignment, def: ContainerDefinition): Promise<EndpointGrant>;
    /** awsvpc: the MAC (and its rule) of the task's pause container, whose network the containers join. */
    preparePause(spec: TaskAssignment): Promise<EndpointGrant>;
    release(taskArn: string): Promise<void>;
  };
}

export type Action = 'pull' | 'create' | 'start' | 'stop';

export interface Looked {
  observation?: ContainerObservation;
  /** The init process could not exec the command (see ContainerController.initExecFailure). */
  execFailure?: string;
}

export type ActionResult = ({ ok: true; runtimeId?: string; dockerName?: string } & Looked) | { ok: false; error: unknown };

export type RunnerMessage =
  | { kind: 'assign'; assignment: TaskAssignment }
  | { kind: 'stop'; stopCode?: TaskStopCode; reason: string }
  | { kind: 'event'; event: ContainerEvent }
  | { kind: 'resync' }
  | { kind: 'done'; container: string; action: Action; result: ActionResult }
  | { kind: 'retryStop'; container: string }
  | { kind: 'tick' }
  /** The control plane applied a report of ours. */
  | { kind: 'acknowledged'; lastStatus: string }
  /** The control plane no longer knows the task: never report it again, clean it up once stopped. */
  | { kind: 'forget' }
  /** Run startup check `attempt` of the container run that started at `startedAt` (worker/startup-check.ts). */
  | { kind: 'startupCheck'; container: string; startedAt: number; attempt: number }
  | { kind: 'startupCheckResult'; container: string; startedAt: number; attempt: number; passed: boolean };

export const DEFAULT_PAUSE: PauseSettings = { image: 'busybox:stable', command: ['sleep', '2147483647'] };

/** How long to wait before retrying a docker stop that failed (daemon error or timeout). */
export const STOP_RETRY_MS = 5000;
/** Cleanup is not urgent: retry a failed one (dockerd down) a minute later. */
export const CLEANUP_RETRY_MS = 60_000;
/** Bound on synchronous re-evaluation rounds per message (a step chain is at most one per container). */
export const MAX_ROUNDS = 64;

export const ERROR_PREFIX: Record<Action, string> = {
  pull: 'CannotPullContainerError',
  create: 'CannotCreateContainerError',
  start: 'CannotStartContainerError',
  stop: 'CannotStopContainerError',
};

