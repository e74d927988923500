import { deploymentBounds, type DeploymentConfiguration } from '../model/service';

/** One task as the step sees it (from `taskHealth`). */
export interface StepTask {
  id: string;
  /** Counts toward minimumHealthyPercent. */
  healthy: boolean;
  /**
   * RUNNING, not counted healthy yet, no check failing (warm-up, startPeriod,
   * load balancer `initial`). Unproven is not unhealthy: a task to replace that
   * is unproven is not stopped below the floor. Ignored when `healthy`.
   */
  unproven: boolean;
}

export interface ReplacedTask extends StepTask {
  /** The stoppedReason to give when it is stopped. */
  reason: string;
  /**
   * ECS task scale-in protection: a healthy or unproven task of an older
   * deployment is not stopped while protected; it keeps counting toward
   * the bounds and the deployment waits for it.
   */
  held?: boolean;
}

export interface StepInput {
  desired: number;
  configuration: Pick<DeploymentConfiguration, 'minimumHealthyPercent' | 'maximumPercent'>;
  /** Tasks that stay: the PRIMARY deployment's, neither failing nor on a draining instance. */
  keep: StepTask[];
  /** Tasks to replace: older deployments, draining instances, failed health checks. */
  replace: ReplacedTask[];
  /** The PRIMARY deployment may launch now (not FAILED, not throttled, revision known). */
  canStart: boolean;
}

export interface DeploymentStep {
  /** New tasks of the PRIMARY deployment to place. */
  start: number;
  stop: { taskId: string; reason: string }[];
  minHealthy: number;
  /** Tasks wanted RUNNING or PENDING may not exceed this. */
  maxTotal: number;
  /**
   * Tasks wait to be replaced, nothing new is on its way to healthy, and the
   * bounds allow neither a start nor a stop: ECS's "unable to stop or start
   * tasks during a deployment" case (for example min = max = 100).
   */
  blocked: boolean;
}

/**
 * The next step of a rolling replacement (ECS's rolling `ECS` controller),
 * as far as the bounds allow in one go. Each task to replace is one of:
 *  - *down*: failed its checks (UNHEALTHY, also within the grace), or not
 *    RUNNING (PENDING, stopping). Stopped at once: it serves nothing, so
 *    that never lowers what runs, and it frees room under maximumPercent;
 *  - *unproven*: RUNNING and on its way to healthy. Stopped only while
 *    `healthy + unproven old - 1 >= minHealthy`: it does not count as
 *    healthy, but it is not stopped to make room either. A deployment that
 *    starts while the previous one is IN_PROGRESS therefore waits, with
 *    minimumHealthyPercent 100, for replacements (or the old tasks
 *    themselves) to become healthy, instead of stopping every old task;
 *  - *healthy*: stopped while `healthy - 1 >= minHealthy`, so with
 *    minimumHealthyPercent 100 an old task goes only once a replacement
 *    counts as healthy.
 * Unproven ones go before healthy ones: what is proven keeps serving. New
 * tasks of the PRIMARY that are unproven are not part of the floor: they
 * join it once healthy (stopping a proven or older task for an unproven new
 * one would bet the service on a revision not yet seen to work).
 * New tasks start while RUNNING + PENDING stay within maxTotal.
 * minHealthy rounds up and maxTotal down, as ECS. Stopped tasks no longer
 * count toward maxTotal: the agent is already stopping them (SIGTERM).
 * A maximumPercent below 100 is refused by the API; here maxTotal never
 * drops below the desired count, so a service can always run desiredCount.
 */
export function nextStep(input: StepInput): DeploymentStep {
  const desired = Math.max(0, input.desired);
  const bounds = deploymentBounds(desired, input.configuration as DeploymentConfiguration);
  const minHealthy = bounds.minHealthy;
  const maxTotal = Math.max(bounds.maxTotal, desired);
  const unprovenOld = input.replace.filter((t) => !t.healthy && t.unproven && !t.held);
  const healthyOld = input.replace.filter((t) => t.healthy && !t.held);
  const heldHealthy = input.replace.filter((t) => t.held && t.healthy).length;
  const heldUnproven = input.replace.filter((t) => t.held && !t.healthy && t.unproven).length;
  let healthy = input.keep.filter((t) => t.healthy).length + healthyOld.length + heldHealthy;
  // What the floor protects: tasks counted healthy, and older tasks on their way to it.
  let standing = healthy + unprovenOld.length + heldUnproven;
  let total = input.keep.length + input.replace.length;
  const stop: DeploymentStep['stop'] = [];
  for (const t of input.replace) {
    if (t.healthy || t.unproven) continue;
    stop.push({ taskId: t.id, reason: t.reason });
    total--;
  }
  for (const t of unprovenOld) {
    if (standing - 1 < minHealthy) break;
    stop.push({ taskId: t.id, reason: t.reason });
    standing--;
    total--;
  }
  for (const t of healthyOld) {
    if (healthy - 1 < minHealthy || standing - 1 < minHealthy) break;
    stop.push({ taskId: t.id, reason: t.reason });
    healthy--;
    standing--;
    total--;
  }
  const need = Math.max(0, desired - input.keep.length);
  const start = input.canStart ? Math.min(need, Math.max(0, maxTotal - total)) : 0;
  // Protected tasks wait for their protection, not for the bounds: they do not make a deployment blocked.
  const waiting = input.replace.filter((t) => !t.held).length > stop.length;
  const newOnTheWay = input.keep.some((t) => !t.healthy);
  const blocked = input.canStart && waiting && need > 0 && start === 0 && stop.length === 0 && !newOnTheWay;
  return { start, stop, minHealthy, maxTotal, blocked };
}
