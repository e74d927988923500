import type { HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus } from '../status/task-status';

/** What the health verdict reads of a service task (the reconciler's ServiceTask has it all). */
export interface HealthSubject {
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  healthStatus: HealthStatus;
  createdAt: number;
  startedAt?: number;
  /** An essential container has a health check, so RUNNING alone is not healthy. */
  hasHealthCheck: boolean;
  /** The combined health of the task's load balancer targets, when the service has load balancers. */
  targetHealth?: HealthStatus;
}

/**
 * How long a RUNNING task without essential health checks (and without load
 * balancer targets) waits before it counts toward minimumHealthyPercent.
 * ECS waits 40 s. Stevedore defaults to 5 s, like Docker Swarm's
 * `update-config monitor`: long enough to catch a process that crashes right
 * after start, short enough that a deployment of check-less tasks is not
 * dominated by waiting. ECS's 40 s mostly covers load balancer registration,
 * which Stevedore gates on explicitly (target health).
 */
export const DEFAULT_HEALTHY_AFTER_RUNNING_MS = 5_000;

/**
 * Cluster setting overriding the control plane's `--healthy-after-running-seconds`
 * for that cluster's services: an integer number of seconds, 0 to 600 (ECS's own
 * check-less wait is 40 s; 600 matches the longest ECS health-check grace we'd want to wait).
 */
export const HEALTHY_AFTER_RUNNING_SETTING = 'stevedore:healthyAfterRunningSeconds';
const HEALTHY_AFTER_RUNNING_MAX_S = 600;

/** Validates the setting's value at CreateCluster/UpdateClusterSettings; returns the message, or undefined when valid. */
export function healthyAfterRunningSettingError(value: string): string | undefined {
  if (!/^\d{1,4}$/.test(value) || Number(value) > HEALTHY_AFTER_RUNNING_MAX_S) {
    return `${HEALTHY_AFTER_RUNNING_SETTING} must be a whole number of seconds between 0 and ${HEALTHY_AFTER_RUNNING_MAX_S}, got '${value}'.`;
  }
  return undefined;
}

/** The warm-up in force for a cluster: its setting when present (and valid), else the control plane's default. */
export function healthyAfterRunningMs(settings: readonly { name: string; value: string }[], defaultMs: number): number {
  const value = settings.find((s) => s.name === HEALTHY_AFTER_RUNNING_SETTING)?.value;
  if (value === undefined || healthyAfterRunningSettingError(value) !== undefined) return defaultMs;
  return Number(value) * 1000;
}

export interface HealthContext {
  now: number;
  /** healthCheckGracePeriodSeconds in ms: failing checks are ignored this long after a task starts. */
  graceMs: number;
  healthyAfterRunningMs: number;
}

export interface TaskHealth {
  /** Counts toward minimumHealthyPercent. */
  healthy: boolean;
  /** Failed its container or target health checks after the grace: to replace, and a circuit-breaker failure. */
  failing: boolean;
  /**
   * RUNNING, no check reporting UNHEALTHY, yet not counted healthy: warm-up,
   * container checks UNKNOWN (startPeriod, first probe), load balancer target
   * `initial`. Unproven is not unhealthy: an older deployment's unproven task
   * is not stopped below the minimumHealthyPercent floor (`nextStep`).
   */
  unproven: boolean;
  /** When this verdict changes by the clock alone (grace over, check-less task old enough). */
  wakeAt?: number;
}

function started(t: HealthSubject): number {
  return t.startedAt ?? t.createdAt;
}

const HEALTHY: TaskHealth = Object.freeze({ healthy: true, failing: false, unproven: false });
const UNPROVEN: TaskHealth = Object.freeze({ healthy: false, failing: false, unproven: true });
/** Not RUNNING (PENDING, or told to stop): serves nothing, so neither healthy nor unproven. */
const DOWN: TaskHealth = Object.freeze({ healthy: false, failing: false, unproven: false });

/**
 * ECS's rules for what counts as healthy during a deployment: all essential
 * containers with checks HEALTHY; with load balancers, the targets healthy
 * too (alone when there are no container checks); with neither, RUNNING for
 * `healthyAfterRunningMs`. Within the grace period failing checks make a
 * task "not yet healthy", never "failing" (a HEALTHY one counts at once);
 * it is not "unproven" either: a check did fail, and ECS may stop such a
 * task while the service runs more tasks than desired.
 */
export function taskHealth(t: HealthSubject, ctx: HealthContext): TaskHealth {
  const running = t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING';
  if (!running) return DOWN;
  const since = started(t);
  const checksFail = t.healthStatus === 'UNHEALTHY' || t.targetHealth === 'UNHEALTHY';
  if (checksFail) {
    const graceEnd = since + ctx.graceMs;
    return ctx.now < graceEnd ? { ...DOWN, wakeAt: graceEnd } : { ...DOWN, failing: true };
  }
  const containersOk = t.hasHealthCheck ? t.healthStatus === 'HEALTHY' : true;
  if (t.targetHealth !== undefined) return containersOk && t.targetHealth === 'HEALTHY' ? HEALTHY : UNPROVEN;
  if (t.hasHealthCheck) return containersOk ? HEALTHY : UNPROVEN;
  const countsAt = since + ctx.healthyAfterRunningMs;
  return ctx.now >= countsAt ? HEALTHY : { ...UNPROVEN, wakeAt: countsAt };
}
