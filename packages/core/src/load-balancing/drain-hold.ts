import type { TaskAssignment } from '../model/assignment';
import type { TaskDrain } from '../model/load-balancer';
import type { Task } from '../model/task';

/**
 * How long a stop may wait for the load balancer role to begin draining a
 * task whose targets are still registered. The role does it within a tick
 * (~100 ms); the bound only keeps a stuck role from holding stops forever.
 */
export const DRAIN_START_DEADLINE_MS = 60_000;

export interface HoldDecision {
  /** The stop is held: the agent still sees desiredStatus RUNNING. */
  held: boolean;
  /** When the hold ends by the clock alone. */
  until?: number;
}

/**
 * ECS deregisters a service task from its target groups before stopping it:
 * the task stays RUNNING with desiredStatus STOPPED while its targets drain
 * for the deregistration delay, then the containers are stopped. The one
 * place that decides whether the agent may stop a task yet:
 * - desired RUNNING, or the agent already stopping/stopped it: no hold;
 * - no drain record, or deregistered: no hold;
 * - targets still registered (draining not begun yet): held, at most
 *   DRAIN_START_DEADLINE_MS after the stop was requested;
 * - draining: held until drainingUntil.
 */
export function stopHold(task: Pick<Task, 'desiredStatus' | 'lastStatus' | 'stoppingAt'>, drain: TaskDrain | undefined, now: number): HoldDecision {
  if (task.desiredStatus !== 'STOPPED' || task.lastStatus !== 'RUNNING' || !drain) return { held: false };
  if (drain.state === 'draining') {
    const until = drain.drainingUntil ?? now;
    return now < until ? { held: true, until } : { held: false };
  }
  if (drain.state === 'registered') {
    const until = (task.stoppingAt ?? now) + DRAIN_START_DEADLINE_MS;
    return now < until ? { held: true, until } : { held: false };
  }
  return { held: false };
}

/**
 * The assignment the agent sees while a stop is held: still RUNNING, at the
 * version before the stop (requestStop bumps assignmentVersion exactly once),
 * so nothing is resent while held and the released stop is a newer version
 * the agent acts on.
 */
export function holdAssignment(a: TaskAssignment, decision: HoldDecision): TaskAssignment {
  if (!decision.held) return a;
  const held: TaskAssignment = { ...a, desiredStatus: 'RUNNING', version: Math.max(1, a.version - 1) };
  delete held.stopCode;
  delete held.stoppedReason;
  return held;
}
