import {
  containerStatusRank,
  REPORTED_TASK_TIMESTAMPS,
  type ReportedTaskTimestamp,
  transitionTask,
  type ContainerDefinition,
  type ContainerReport,
  type ContainerStatus,
  type DesiredStatus,
  type HealthStatus,
  type NetworkBinding,
  type TaskAssignment,
  type TaskReport,
  type TaskStatus,
  type TaskStopCode,
  type Transition,
} from '@stevedore/core/host';
import type { ContainerObservation, DockerHealth } from '../exec/container-controller';
import { impliedDependencies, type ContainerView, type TaskView } from '../exec/next-step';

/**
 * One task as the agent knows it. Mutated only inside its TaskRunner's
 * mailbox; the functions here are the deterministic rules the runner applies.
 */
export interface ContainerState {
  name: string;
  /** Absent for a container adopted from labels before the control plane resent its spec. */
  definition?: ContainerDefinition;
  essential: boolean;
  known: ContainerStatus;
  applied: ContainerStatus;
  runtimeId?: string;
  dockerName?: string;
  exitCode?: number;
  reason?: string;
  health: HealthStatus;
  networkBindings: NetworkBinding[];
  startedAt?: number;
  finishedAt?: number;
  /** Could not be pulled, created or started (as opposed to having run and exited). */
  failed?: boolean;
  /** Times the restart policy started it again in place (TMDS `RestartCount`); journaled with the task. */
  restartCount?: number;
  /** startedAt of the run whose startup check passed (worker/startup-check.ts): HEALTHY until Docker's own verdict. */
  startupCheckPassed?: number;
}

/** The reported timestamps (core REPORTED_TASK_TIMESTAMPS), as the agent observes them. */
export interface TaskState extends Partial<Record<ReportedTaskTimestamp, number>> {
  taskArn: string;
  spec?: TaskAssignment;
  desired: DesiredStatus;
  lastStatus: TaskStatus;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  /** The control plane applied our STOPPED report: cleanup may proceed. */
  stopAcked?: boolean;
  /** The control plane no longer knows this task (not in COMPLETE, or `removed`): never report it. */
  forgotten?: boolean;
  containers: ContainerState[];
}

export const ESSENTIAL_EXITED = 'Essential container in task exited';
export const VANISHED_WHILE_DOWN = 'Container vanished while the agent was down';
export const VANISHED = 'Container vanished: it was removed outside Stevedore';
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

const rank = containerStatusRank;

export function newContainerState(def: ContainerDefinition): ContainerState {
  return { name: def.name, definition: def, essential: def.essential ?? true, known: 'NONE', applied: 'NONE', health: 'UNKNOWN', networkBindings: [] };
}

export function newTaskState(spec: TaskAssignment): TaskState {
  const t: TaskState = { taskArn: spec.taskArn, spec, desired: spec.desiredStatus, lastStatus: 'PENDING', containers: spec.containers.map(newContainerState) };
  if (spec.desiredStatus === 'STOPPED') setStop(t, spec.stopCode, spec.stoppedReason ?? 'Task stopped before it started');
  return t;
}

/** desired -> STOPPED; the first cause wins (a later StopTask does not rewrite why it stopped). */
export function setStop(t: TaskState, code: TaskStopCode | undefined, reason: string | undefined): boolean {
  const changed = t.desired !== 'STOPPED';
  t.desired = 'STOPPED';
  if (t.stopCode === undefined && t.stoppedReason === undefined) {
    if (code !== undefined) t.stopCode = code;
    if (reason !== undefined) t.stoppedReason = reason;
  }
  return changed;
}

export function toHealth(h: DockerHealth | undefined): HealthStatus {
  return h === 'healthy' ? 'HEALTHY' : h === 'unhealthy' ? 'UNHEALTHY' : 'UNKNOWN';
}

/**
 * Docker's verdict once it has one; before it (Docker still `starting`), HEALTHY
 * if a startup check of this very run passed: a restart in place starts over.
 */
export function observedHealth(c: ContainerState, obs: ContainerObservation): HealthStatus {
  const docker = toHealth(obs.health);
  return docker === 'UNKNOWN' && c.startupCheckPassed !== undefined && c.startupCheckPassed === obs.startedAt ? 'HEALTHY' : docker;
}

/** Whether a startup check of the run that started at `startedAt` may still change anything. */
export function awaitsStartupCheck(c: ContainerState, startedAt: number): boolean {
  return c.known === 'RUNNING' && c.applied === 'RUNNING' && c.health === 'UNKNOWN' && c.startedAt === startedAt && !!c.definition?.healthCheck;
}

/** A startup check of the run that started at `startedAt` passed: HEALTHY, unless Docker spoke first or the run is over. */
export function passStartupCheck(c: ContainerState, startedAt: number): boolean {
  if (!awaitsStartupCheck(c, startedAt)) return false;
  c.startupCheckPassed = startedAt;
  c.health = 'HEALTHY';
  return true;
}

function advance(c: ContainerState, to: ContainerStatus): boolean {
  if (rank(to) <= rank(c.known)) return false;
  c.known = to;
  if (rank(c.applied) < rank(to)) c.applied = to;
  return true;
}

/** Marks a container STOPPED without Docker's word for it (failure, vanish, never started). */
export function markStopped(c: ContainerState, reason: string | undefined, failed = false): boolean {
  if (c.known === 'STOPPED') return false;
  c.known = 'STOPPED';
  c.applied = 'STOPPED';
  if (reason !== undefined && c.reason === undefined) c.reason = reason;
  if (failed) c.failed = true;
  return true;
}

/**
 * Folds what Docker says about a container into the known state, forward
 * only: a stale inspect can never move a container back. `undefined` means
 * Docker has no such container.
 */
export function applyObservation(c: ContainerState, obs: ContainerObservation | undefined, vanishedReason: string, hostBindings?: NetworkBinding[]): boolean {
  if (!obs) return c.runtimeId !== undefined ? markStopped(c, vanishedReason) : false;
  let changed = false;
  if (c.runtimeId !== obs.runtimeId) {
    c.runtimeId = obs.runtimeId;
    c.dockerName = obs.dockerName;
    changed = true;
  }
  if (c.known === 'STOPPED') return changed; // final: health and bindings freeze at the stop
  if (obs.startedAt !== undefined && c.startedAt !== obs.startedAt) {
    c.startedAt = obs.startedAt;
    changed = true;
  }
  // Docker keeps probing state after exit (a stopped container may read `unhealthy`): only a live container's health counts.
  if (c.definition?.healthCheck && obs.running) {
    const h = observedHealth(c, obs);
    if (h !== c.health) {
      c.health = h;
      changed = true;
    }
  }
  if (obs.running) {
    changed = advance(c, 'RUNNING') || changed;
    const bindings = hostBindings ?? obs.networkBindings;
    if (JSON.stringify(bindings) !== JSON.stringify(c.networkBindings)) {
      c.networkBindings = bindings;
      changed = true;
    }
    return changed;
  }
  if (obs.startedAt !== undefined && (obs.state === 'exited' || obs.state === 'dead')) {
    changed = advance(c, 'STOPPED') || changed;
    if (obs.exitCode !== undefined) c.exitCode = obs.exitCode;
    if (obs.finishedAt !== undefined) c.finishedAt = obs.finishedAt;
    if (obs.oomKilled && c.reason === undefined) c.reason = OOM_REASON;
    return true;
  }
  return advance(c, 'CREATED') || changed;
}

/** ECS rule: any essential container stopping stops the task. */
export function checkEssential(t: TaskState): boolean {
  if (t.desired === 'STOPPED' || !t.spec) return false;
  const c = t.containers.find((x) => x.essential && x.known === 'STOPPED');
  if (!c) return false;
  if (c.failed) return setStop(t, 'TaskFailedToStart', c.reason ?? `Essential container ${c.name} failed to start`);
  return setStop(t, 'EssentialContainerExited', ESSENTIAL_EXITED);
}

export function toTaskView(t: TaskState): TaskView {
  const containers = new Map<string, ContainerView>();
  for (const c of t.containers) {
    const deps = c.definition ? impliedDependencies(c.definition) : { dependsOn: [], createAfter: [] };
    const v: ContainerView = {
      name: c.name,
      essential: c.essential,
      known: c.known,
      applied: c.applied,
      hasRuntime: c.runtimeId !== undefined,
      health: c.health,
      hasHealthCheck: !!c.definition?.healthCheck,
      dependsOn: deps.dependsOn,
      createAfter: deps.createAfter,
    };
    if (c.exitCode !== undefined) v.exitCode = c.exitCode;
    if (c.startedAt !== undefined) v.startedAt = c.startedAt;
    if (c.definition?.startTimeout) v.startTimeoutMs = c.definition.startTimeout * 1000;
    containers.set(c.name, v);
  }
  return { desired: t.desired, containers };
}

/** The ECS lastStatus the containers add up to; the runner moves forward to it only. */
export function derivedStatus(t: TaskState): TaskStatus {
  const settled = t.containers.every((c) => c.known === 'STOPPED' && c.applied === 'STOPPED');
  if (settled) return 'STOPPED';
  if (t.desired === 'STOPPED') return 'STOPPING';
  const essentials = t.containers.filter((c) => c.essential);
  if (essentials.length > 0 && essentials.every((c) => c.known === 'RUNNING')) return 'RUNNING';
  return 'PENDING';
}

/** Applies the derived status and its timestamps; returns the transition to log, if any. */
export function updateTaskStatus(t: TaskState, now: number): Transition<TaskStatus> | undefined {
  const to = derivedStatus(t);
  const why = to === 'RUNNING' ? 'all essential containers running' : to === 'PENDING' ? 'waiting for containers' : (t.stoppedReason ?? 'all containers stopped');
  const tr = transitionTask(t.lastStatus, to, why);
  if (!tr) return undefined;
  t.lastStatus = to;
  if (to === 'RUNNING') t.startedAt ??= now;
  if (to === 'STOPPED') {
    const finished = t.containers.map((c) => c.finishedAt ?? 0);
    t.executionStoppedAt ??= Math.max(...finished) || now;
    t.stoppedAt ??= now;
  }
  return tr;
}

/** pullStoppedAt: once no container is waiting for or running a pull. */
export function updatePullTimes(t: TaskState, now: number): void {
  if (t.pullStartedAt === undefined || t.pullStoppedAt !== undefined) return;
  const pending = t.containers.some((c) => c.known === 'NONE' && (c.applied === 'PULLED' || t.desired === 'RUNNING'));
  if (!pending) t.pullStoppedAt = now;
}

export function buildReport(t: TaskState): TaskReport {
  const containers = t.containers.map((c) => {
    const r: ContainerReport = { name: c.name, status: c.known, networkBindings: c.networkBindings, healthStatus: c.health };
    if (c.runtimeId !== undefined) r.runtimeId = c.runtimeId;
    if (c.exitCode !== undefined) r.exitCode = c.exitCode;
    if (c.reason !== undefined) r.reason = c.reason;
    return r;
  });
  const r: TaskReport = { taskArn: t.taskArn, lastStatus: t.lastStatus, containers };
  if (t.stopCode !== undefined) r.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined && t.desired === 'STOPPED') r.stoppedReason = t.stoppedReason;
  for (const k of REPORTED_TASK_TIMESTAMPS) {
    const v = t[k];
    if (v !== undefined) r[k] = v;
  }
  return r;
}
