/**
 * ECS's and ELB's metric definitions as pure functions (docs/design/metrics.md).
 * The publisher loads a snapshot (tasks, their latest usage, instances,
 * target counters) and these turn it into figures; nothing here reads a
 * clock or the store.
 */

/** A container's resources as the task definition (with overrides) gives them. */
export interface ContainerResources {
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

/**
 * What utilization is measured against (ECS CloudWatch metrics docs): the
 * task-level `cpu`/`memory` when the task has them, else the containers'
 * sums, with a container's hard `memory` limit, else its `memoryReservation`.
 * (Reservation, for placement and CPUReservation/MemoryReservation, counts
 * the soft reservation first: the two differ on purpose.)
 */
export function utilizationBase(taskLevel: { cpu?: number; memory?: number }, containers: ContainerResources[]): { cpu: number; memory: number } {
  return {
    cpu: taskLevel.cpu ?? containers.reduce((s, c) => s + (c.cpu ?? 0), 0),
    memory: taskLevel.memory ?? containers.reduce((s, c) => s + (c.memory ?? c.memoryReservation ?? 0), 0),
  };
}

/** One task's latest reading, when it has a fresh one. */
export interface MeasuredUsage {
  cpuUnits: number;
  memoryMiB: number;
}

/** What an agent measures of one task over one window (ReportTaskUsage), summed over its running containers. */
export interface UsageWindow extends MeasuredUsage {
  rxBytes: number;
  txBytes: number;
  readBytes: number;
  writeBytes: number;
  windowMs: number;
  /** Running containers the window summed. */
  containers: number;
}

export interface TaskMetricsInput {
  taskId: string;
  clusterName: string;
  /** Set for service tasks (group `service:NAME`). */
  serviceName?: string;
  family: string;
  /** Utilization denominators (utilizationBase). */
  base: { cpu: number; memory: number };
  /** Reservation held on its instance (placement's figure). */
  reserved: { cpu: number; memory: number };
  /** Not STOPPED and on an instance: holds its reservation. */
  holdsReservation: boolean;
  usage?: MeasuredUsage;
}

export interface Utilization {
  /** Percent; undefined when no measured task reserves any. */
  cpu?: number;
  memory?: number;
  /** Tasks with a fresh reading. */
  measuredTasks: number;
}

function percent(used: number, of: number): number | undefined {
  return of > 0 ? (used / of) * 100 : undefined;
}

/**
 * Used / reserved x 100 over the tasks that have a reading: a task without
 * one (just started, or its agent away) counts in neither sum, so it does not
 * drag the figure towards 0. Can exceed 100: a task without a hard CPU limit
 * may use more than it reserved, and ECS reports that too.
 */
export function utilization(tasks: TaskMetricsInput[]): Utilization {
  let cpuUsed = 0;
  let cpuBase = 0;
  let memUsed = 0;
  let memBase = 0;
  let measured = 0;
  for (const t of tasks) {
    if (!t.usage) continue;
    measured++;
    if (t.base.cpu > 0) {
      cpuUsed += t.usage.cpuUnits;
      cpuBase += t.base.cpu;
    }
    if (t.base.memory > 0) {
      memUsed += t.usage.memoryMiB;
      memBase += t.base.memory;
    }
  }
  const u: Utilization = { measuredTasks: measured };
  const c = percent(cpuUsed, cpuBase);
  const m = percent(memUsed, memBase);
  if (c !== undefined) u.cpu = c;
  if (m !== undefined) u.memory = m;
  return u;
}

/** Resources registered on the cluster's ACTIVE and DRAINING instances. */
export interface ClusterCapacity {
  cpu: number;
  memory: number;
}

export interface ClusterFigures extends Utilization {
  cpuReservation?: number;
  memoryReservation?: number;
}

/** Cluster utilization over all its tasks, and reservation = reserved by tasks / registered on instances. */
export function clusterFigures(tasks: TaskMetricsInput[], capacity: ClusterCapacity): ClusterFigures {
  const f: ClusterFigures = utilization(tasks);
  let cpu = 0;
  let memory = 0;
  for (const t of tasks) {
    if (!t.holdsReservation) continue;
    cpu += t.reserved.cpu;
    memory += t.reserved.memory;
  }
  const c = percent(cpu, capacity.cpu);
  const m = percent(memory, capacity.memory);
  if (c !== undefined) f.cpuReservation = c;
  if (m !== undefined) f.memoryReservation = m;
  return f;
}

/**
 * Growth of a cumulative counter since its previous reading. A counter that
 * went down was reset (HAProxy restarts its counters on a reload), so all of
 * its value is new. Without a previous reading there is no baseline: undefined.
 */
export function counterGrowth(previous: number | undefined, current: number): number | undefined {
  if (previous === undefined) return undefined;
  return current >= previous ? current - previous : current;
}

/** One load-balancer host's counters for one target (HAProxy server row). */
export interface TargetCounter {
  /** Identifies the counter across readings: target group, target, port, registration and reporting host. */
  key: string;
  requests: number;
  errors: number;
  /** HAProxy's average response time over its last 1024 requests, ms (0: none yet). */
  responseTimeMs: number;
}

export interface TargetGroupInput {
  targetGroupArn: string;
  /** ELB target states of its registered targets (healthy, unhealthy, initial, draining, unused...). */
  targetStates: string[];
  counters: TargetCounter[];
}

export interface TargetGroupFigures {
  requestCount: number;
  /** RequestCount / healthy targets (ELB: the average per target); undefined with no healthy target. */
  requestCountPerTarget?: number;
  httpCodeTarget5xx: number;
  /** Seconds, averaged over the period's requests; undefined when there were none. */
  targetResponseTime?: number;
  healthyHostCount: number;
  unhealthyHostCount: number;
}

/**
 * A target group's figures for one period from the counters and the counters
 * of the previous period (`previous`, by counter key). `warm` is false for the
 * first period after the publisher starts: counters seen then are baselines
 * only (their history is unknown). After that a counter that appears is new,
 * so all its requests are the period's.
 */
export function targetGroupFigures(tg: TargetGroupInput, previous: ReadonlyMap<string, TargetCounter>, warm: boolean): TargetGroupFigures {
  let requests = 0;
  let errors = 0;
  let weightedMs = 0;
  for (const c of tg.counters) {
    const before = previous.get(c.key);
    const r = counterGrowth(before?.requests ?? (warm ? 0 : undefined), c.requests) ?? 0;
    const e = counterGrowth(before?.errors ?? (warm ? 0 : undefined), c.errors) ?? 0;
    requests += r;
    errors += e;
    weightedMs += r * c.responseTimeMs;
  }
  const healthy = tg.targetStates.filter((s) => s === 'healthy').length;
  const unhealthy = tg.targetStates.filter((s) => s === 'unhealthy').length;
  const f: TargetGroupFigures = { requestCount: requests, httpCodeTarget5xx: errors, healthyHostCount: healthy, unhealthyHostCount: unhealthy };
  if (healthy > 0) f.requestCountPerTarget = requests / healthy;
  if (requests > 0) f.targetResponseTime = weightedMs / requests / 1000;
  return f;
}
