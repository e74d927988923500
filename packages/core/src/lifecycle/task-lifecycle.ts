import type { TaskReport } from '../model/assignment';
import { deriveTaskHealth, REPORTED_TASK_TIMESTAMPS, type Task, type TaskContainer } from '../model/task';
import { canTransitionContainer } from '../status/container-status';
import { transitionTask, type TaskStopCode, type Transition, type TaskStatus } from '../status/task-status';

/**
 * Pure task lifecycle rules shared by the API (StopTask) and the dispatcher
 * (agent reports). Each returns a new task, or undefined when nothing changed,
 * so callers write only real changes and bump `version` exactly once.
 */

export interface StopRequest {
  stopCode: TaskStopCode;
  reason: string;
  now: number;
}

/**
 * desiredStatus -> STOPPED. A second stop keeps the first reason (ECS does too).
 * A task still in PROVISIONING has no agent that could report its stop: it
 * is STOPPED at once (nothing ever ran).
 */
export function requestStop<T extends Task>(task: T, req: StopRequest): T | undefined {
  if (task.desiredStatus === 'STOPPED') return undefined;
  const next: T = {
    ...task,
    desiredStatus: 'STOPPED',
    stopCode: req.stopCode,
    stoppedReason: req.reason,
    version: task.version + 1,
    assignmentVersion: task.assignmentVersion + 1,
  };
  if (task.lastStatus !== 'STOPPED' && next.stoppingAt === undefined) next.stoppingAt = req.now;
  if (isUnplaced(task)) {
    next.lastStatus = 'STOPPED';
    next.executionStoppedAt = req.now;
    next.stoppedAt = req.now;
    next.containers = task.containers.map((c) => ({ ...c, status: 'STOPPED', reason: c.reason ?? req.reason }));
  }
  return next;
}

/** Waiting in PROVISIONING for capacity: no instance, so no agent knows of it. */
export function isUnplaced(task: Pick<Task, 'lastStatus' | 'containerInstanceId'>): boolean {
  return task.lastStatus === 'PROVISIONING' && task.containerInstanceId === undefined;
}

/**
 * A PROVISIONING task placed on a host that joined: the one control-plane
 * write of lastStatus PENDING (from then on only its agent moves it). The
 * capacity provider is the one the strategy gave it.
 */
export function assignToInstance<T extends Task>(task: T, instanceId: string): T | undefined {
  if (!isUnplaced(task) || task.desiredStatus !== 'RUNNING') return undefined;
  return { ...task, containerInstanceId: instanceId, lastStatus: 'PENDING', version: task.version + 1, assignmentVersion: task.assignmentVersion + 1 };
}

/**
 * For a task whose agent can never report again (its instance was
 * deregistered): the one control-plane path that writes lastStatus after
 * assignment (swarmkit's ORPHANED).
 */
export function markStoppedByControlPlane<T extends Task>(task: T, reason: string, now: number): T | undefined {
  if (task.lastStatus === 'STOPPED') return undefined;
  const stopped: T = requestStop(task, { stopCode: task.stopCode ?? 'UserInitiated', reason: task.stoppedReason ?? reason, now }) ?? task;
  return {
    ...stopped,
    lastStatus: 'STOPPED',
    stoppedAt: now,
    executionStoppedAt: stopped.executionStoppedAt ?? now,
    version: task.version + 1,
    containers: stopped.containers.map((c) => (c.status === 'STOPPED' ? c : { ...c, status: 'STOPPED', reason: c.reason ?? reason })),
  };
}

export interface ReportResult<T extends Task> {
  task: T;
  transition?: Transition<TaskStatus>;
}

/**
 * Applies an agent report. Statuses only move forward, so a duplicate or
 * late report changes nothing; exit codes, bindings and health are facts the
 * agent owns and are taken as reported.
 */
export function applyTaskReport<T extends Task>(task: T, report: TaskReport, now: number): ReportResult<T> | undefined {
  // A stopped task is final: only a late STOPPED report may still add facts
  // (exit codes, reasons) to it.
  if (task.lastStatus === 'STOPPED' && report.lastStatus !== 'STOPPED') return undefined;
  let changed = false;
  const next: T = { ...task, containers: task.containers.map((c) => ({ ...c })) };

  const transition = transitionTask(task.lastStatus, report.lastStatus, report.stoppedReason ?? 'agent report');
  if (transition) {
    next.lastStatus = transition.to;
    changed = true;
  }

  for (const cr of report.containers) {
    const c = next.containers.find((x) => x.name === cr.name);
    if (!c) continue;
    changed = mergeContainer(c, cr) || changed;
  }

  for (const key of REPORTED_TASK_TIMESTAMPS) {
    const v = report[key];
    if (v !== undefined && v > 0 && next[key] === undefined) {
      next[key] = v;
      changed = true;
    }
  }
  // The agent holds the task: its first report says so (ECS connectivityAt).
  if (next.connectivityAt === undefined) {
    next.connectivityAt = now;
    changed = true;
  }
  if (next.lastStatus === 'STOPPED' && next.stoppedAt === undefined) {
    next.stoppedAt = now;
    changed = true;
  }

  // The agent stopped the task on its own (essential exit, failed start):
  // record the control plane's decision to keep it stopped.
  if (report.stopCode && next.desiredStatus === 'RUNNING' && (report.lastStatus === 'STOPPED' || report.lastStatus === 'STOPPING' || report.lastStatus === 'DEACTIVATING' || report.stopCode === 'EssentialContainerExited')) {
    next.desiredStatus = 'STOPPED';
    next.stopCode = report.stopCode;
    next.stoppedReason = report.stoppedReason ?? defaultReason(report.stopCode);
    next.stoppingAt ??= now;
    next.assignmentVersion += 1;
    changed = true;
  } else if (next.lastStatus === 'STOPPED' && next.desiredStatus === 'RUNNING') {
    next.desiredStatus = 'STOPPED';
    next.stopCode = task.startedAt === undefined && report.startedAt === undefined ? 'TaskFailedToStart' : 'EssentialContainerExited';
    next.stoppedReason = report.stoppedReason ?? defaultReason(next.stopCode);
    next.assignmentVersion += 1;
    changed = true;
  }

  const health = deriveTaskHealth(next.containers);
  if (health !== next.healthStatus) {
    next.healthStatus = health;
    changed = true;
  }

  if (!changed) return undefined;
  next.version = task.version + 1;
  return transition ? { task: next, transition } : { task: next };
}

function defaultReason(code: TaskStopCode): string {
  switch (code) {
    case 'EssentialContainerExited':
      return 'Essential container in task exited';
    case 'TaskFailedToStart':
      return 'Task failed to start';
    default:
      return code;
  }
}

function mergeContainer(c: TaskContainer, cr: TaskReport['containers'][number]): boolean {
  let changed = false;
  if (cr.status !== c.status && canTransitionContainer(c.status, cr.status)) {
    c.status = cr.status;
    changed = true;
  }
  if (cr.runtimeId && cr.runtimeId !== c.runtimeId) {
    c.runtimeId = cr.runtimeId;
    changed = true;
  }
  if (cr.exitCode !== undefined && cr.exitCode !== c.exitCode) {
    c.exitCode = cr.exitCode;
    changed = true;
  }
  if (cr.reason && cr.reason !== c.reason) {
    c.reason = cr.reason;
    changed = true;
  }
  if (cr.networkBindings.length > 0 && JSON.stringify(cr.networkBindings) !== JSON.stringify(c.networkBindings)) {
    c.networkBindings = cr.networkBindings;
    changed = true;
  }
  if (cr.healthStatus !== c.healthStatus) {
    c.healthStatus = cr.healthStatus;
    changed = true;
  }
  return changed;
}
