import { StevedoreError } from '../errors';

/** ECS task lastStatus values in lifecycle order; a task only moves forward. */
export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** desiredStatus is written only by control-plane logic (never PENDING, as in ECS). */
export const DESIRED_STATUSES = ['RUNNING', 'STOPPED'] as const;
export type DesiredStatus = (typeof DESIRED_STATUSES)[number];

export const TASK_STOP_CODES = [
  'TaskFailedToStart',
  'EssentialContainerExited',
  'UserInitiated',
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TerminationNotice',
] as const;
export type TaskStopCode = (typeof TASK_STOP_CODES)[number];

export function taskStatusRank(s: TaskStatus): number {
  return TASK_STATUSES.indexOf(s);
}

export function isTaskStatus(s: string): s is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(s);
}

/** Forward-only: the same status again is a no-op, not a transition. */
export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return taskStatusRank(to) > taskStatusRank(from);
}

export class IllegalTransitionError extends StevedoreError {
  override readonly name = 'IllegalTransitionError';
  constructor(what: string, from: string, to: string) {
    super('ClientException', `illegal ${what} transition ${from} -> ${to}`);
  }
}

export interface Transition<S extends string> {
  from: S;
  to: S;
  reason: string;
}

/**
 * The single gate for task lastStatus changes. Returns the transition to log,
 * or undefined when `to` is not newer than `from` (duplicate or stale report).
 */
export function transitionTask(from: TaskStatus, to: TaskStatus, reason: string): Transition<TaskStatus> | undefined {
  if (from === to) return undefined;
  if (!canTransitionTask(from, to)) return undefined;
  return { from, to, reason };
}
