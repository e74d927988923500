import {
  containerStatusRank,
  type ContainerDependency,
  type ContainerStatus,
  type DesiredStatus,
  type HealthStatus,
} from '@stevedore/core/host';

/**
 * The pure decision at the heart of a task runner (ECS `containerNextState`,
 * swarmkit `exec.Do`): given what is known about every container of a task
 * and what the task should be, what should happen next to one container?
 * It never performs anything; the runner applies the step and records it in
 * `applied`, so a step is never issued twice.
 */
export interface ContainerView {
  name: string;
  essential: boolean;
  known: ContainerStatus;
  /** Target of the last action issued; above `known` while that action is in flight. */
  applied: ContainerStatus;
  /** A Docker container exists (created, even if it stopped since). */
  hasRuntime: boolean;
  exitCode?: number;
  health: HealthStatus;
  hasHealthCheck: boolean;
  /** Epoch ms the container last started; absent if it never ran. */
  startedAt?: number;
  /** How long dependents wait for this container to reach their condition (ECS startTimeout). */
  startTimeoutMs?: number;
  /** dependsOn, plus START for links and volumesFrom. */
  dependsOn: readonly ContainerDependency[];
  /** Containers that must exist before this one is created (links, volumesFrom). */
  createAfter: readonly string[];
}

export interface TaskView {
  desired: DesiredStatus;
  containers: ReadonlyMap<string, ContainerView>;
}

export type Step =
  | { step: 'pull'; reason: string }
  | { step: 'create'; reason: string }
  | { step: 'start'; reason: string }
  | { step: 'stop'; reason: string }
  /** Never started: nothing to stop in Docker, it simply becomes STOPPED. */
  | { step: 'skipToStopped'; reason: string }
  /** Can never start (a dependency cannot be satisfied any more). */
  | { step: 'fail'; reason: string }
  | { step: 'wait'; blockedOn: string; reason: string; recheckAt?: number }
  | { step: 'none'; reason: string };

type DepVerdict = { ok: true } | { ok: false; final: boolean; reason: string; recheckAt?: number };

const rank = containerStatusRank;

function inFlight(c: ContainerView): boolean {
  return rank(c.applied) > rank(c.known);
}

/** Whether `dep` has reached `condition`, can still reach it, or never will. */
export function checkDependency(dep: ContainerView | undefined, d: ContainerDependency, now: number): DepVerdict {
  if (!dep) return { ok: false, final: true, reason: `dependency ${d.containerName} is not in the task` };
  const ran = dep.startedAt !== undefined;
  const stopped = dep.known === 'STOPPED';
  if (stopped && !ran) return { ok: false, final: true, reason: `dependency ${dep.name} stopped without starting` };
  switch (d.condition) {
    case 'START':
      if (ran) return { ok: true };
      break;
    case 'COMPLETE':
      if (stopped) return { ok: true };
      break;
    case 'SUCCESS':
      if (stopped && dep.exitCode === 0) return { ok: true };
      if (stopped) return { ok: false, final: true, reason: `dependency ${dep.name} exited with code ${dep.exitCode ?? 'unknown'} (condition SUCCESS)` };
      break;
    case 'HEALTHY':
      if (!dep.hasHealthCheck) return { ok: false, final: true, reason: `dependency ${dep.name} has no health check (condition HEALTHY)` };
      if (stopped) return { ok: false, final: true, reason: `dependency ${dep.name} stopped before becoming healthy` };
      if (dep.health === 'HEALTHY') return { ok: true };
      break;
  }
  const waiting = `waiting for ${dep.name} to reach ${d.condition}`;
  if (ran && dep.startTimeoutMs !== undefined && dep.startTimeoutMs > 0) {
    const deadline = dep.startedAt! + dep.startTimeoutMs;
    if (now >= deadline) {
      return { ok: false, final: true, reason: `dependency ${dep.name} did not reach ${d.condition} within its startTimeout of ${dep.startTimeoutMs / 1000}s` };
    }
    return { ok: false, final: false, reason: waiting, recheckAt: deadline };
  }
  return { ok: false, final: false, reason: waiting };
}

/** Containers that must stop before `name` does: everything that depends on it (reverse start order). */
export function dependentsOf(task: TaskView, name: string): ContainerView[] {
  const out: ContainerView[] = [];
  for (const c of task.containers.values()) {
    if (c.name === name) continue;
    if (c.dependsOn.some((d) => d.containerName === name) || c.createAfter.includes(name)) out.push(c);
  }
  return out;
}

function stillUp(c: ContainerView): boolean {
  if (c.known === 'STOPPED') return false;
  return c.known === 'RUNNING' || inFlight(c);
}

function nextStopStep(c: ContainerView, task: TaskView): Step {
  if (c.known === 'STOPPED') return { step: 'none', reason: 'stopped' };
  if (inFlight(c)) {
    return { step: 'none', reason: c.applied === 'STOPPED' ? 'stop in progress' : `waiting for ${c.applied} to finish before stopping` };
  }
  if (c.known !== 'RUNNING') return { step: 'skipToStopped', reason: 'task stopping before the container started' };
  const blocking = dependentsOf(task, c.name).find(stillUp);
  if (blocking) return { step: 'wait', blockedOn: blocking.name, reason: `waiting for dependent ${blocking.name} to stop first` };
  return { step: 'stop', reason: 'task desired STOPPED' };
}

function nextStartStep(c: ContainerView, task: TaskView, now: number): Step {
  if (inFlight(c)) return { step: 'none', reason: `${c.applied} in progress` };
  switch (c.known) {
    case 'NONE':
      return { step: 'pull', reason: 'image not pulled yet' };
    case 'PULLED': {
      for (const name of c.createAfter) {
        const dep = task.containers.get(name);
        if (!dep) return { step: 'fail', reason: `linked container ${name} is not in the task` };
        if (dep.hasRuntime) continue;
        if (dep.known === 'STOPPED') return { step: 'fail', reason: `linked container ${name} was never created` };
        return { step: 'wait', blockedOn: name, reason: `waiting for ${name} to be created` };
      }
      return { step: 'create', reason: 'image ready' };
    }
    case 'CREATED': {
      let wait: Extract<Step, { step: 'wait' }> | undefined;
      for (const d of c.dependsOn) {
        const v = checkDependency(task.containers.get(d.containerName), d, now);
        if (v.ok) continue;
        if (v.final) return { step: 'fail', reason: v.reason };
        if (!wait || (v.recheckAt !== undefined && (wait.recheckAt === undefined || v.recheckAt < wait.recheckAt))) {
          wait = { step: 'wait', blockedOn: d.containerName, reason: v.reason, ...(v.recheckAt !== undefined ? { recheckAt: v.recheckAt } : {}) };
        }
      }
      return wait ?? { step: 'start', reason: 'dependencies satisfied' };
    }
    case 'RUNNING':
      return { step: 'none', reason: 'running' };
    case 'STOPPED':
      // Stopped is final: ECS never restarts a container in place (no restartPolicy yet).
      return { step: 'none', reason: 'stopped' };
  }
}

export function nextStep(c: ContainerView, task: TaskView, now: number): Step {
  return task.desired === 'STOPPED' ? nextStopStep(c, task) : nextStartStep(c, task, now);
}

/** START dependencies implied by links ("name:alias") and volumesFrom, merged with dependsOn. */
export function impliedDependencies(def: {
  dependsOn?: ContainerDependency[];
  links?: string[];
  volumesFrom?: { sourceContainer?: string }[];
}): { dependsOn: ContainerDependency[]; createAfter: string[] } {
  const createAfter = new Set<string>();
  for (const l of def.links ?? []) createAfter.add(l.split(':')[0]!);
  for (const v of def.volumesFrom ?? []) if (v.sourceContainer) createAfter.add(v.sourceContainer);
  const dependsOn = [...(def.dependsOn ?? [])];
  for (const name of createAfter) {
    if (!dependsOn.some((d) => d.containerName === name)) dependsOn.push({ containerName: name, condition: 'START' });
  }
  return { dependsOn, createAfter: [...createAfter] };
}
