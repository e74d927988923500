import { TASK_TIMESTAMPS, type DesiredStatus, type HealthStatus, type Task, type TaskContainer, type TaskStatus, type TaskStopCode, type ContainerStatus, type TaskTimestamp, type LaunchType } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';
import { BREAKER_FAILURE_SQL, TASK_SEQ_COUNTER } from './retention-repo';
import type { ClusterState } from './cluster-state';

interface TaskRow {
  id: string;
  cluster: string;
  task_definition_arn: string;
  family: string;
  revision: number;
  container_instance_id: string | null;
  last_status: string;
  desired_status: string;
  health_status: string;
  cpu: number;
  memory: number;
  host_ports_json: string;
  started_by: string | null;
  grp: string;
  version: number;
  assignment_version: number;
  stop_code: string | null;
  stopped_reason: string | null;
  overrides_json: string;
  tags_json: string;
  created_at: number;
  pull_started_at: number | null;
  pull_stopped_at: number | null;
  started_at: number | null;
  stopping_at: number | null;
  execution_stopped_at: number | null;
  stopped_at: number | null;
  connectivity_at: number | null;
  seq: number;
  launch_type: string;
  launch_json: string | null;
  provisioning_json: string | null;
}

/** The launch details kept in launch_json (migration 018). */
type LaunchDetails = Pick<Task, 'capacityProviderName' | 'platformVersion' | 'networkInterface' | 'ephemeralStorage' | 'enableExecuteCommand'>;

function launchDetails(t: Task): string | null {
  const d: LaunchDetails = {};
  if (t.capacityProviderName !== undefined) d.capacityProviderName = t.capacityProviderName;
  if (t.platformVersion !== undefined) d.platformVersion = t.platformVersion;
  if (t.networkInterface !== undefined) d.networkInterface = t.networkInterface;
  if (t.ephemeralStorage !== undefined) d.ephemeralStorage = t.ephemeralStorage;
  if (t.enableExecuteCommand) d.enableExecuteCommand = true;
  return Object.keys(d).length > 0 ? JSON.stringify(d) : null;
}

interface ContainerRow {
  task_id: string;
  idx: number;
  id: string;
  name: string;
  image: string;
  status: string;
  runtime_id: string | null;
  exit_code: number | null;
  reason: string | null;
  network_bindings_json: string;
  health_status: string;
  essential: number;
  has_health_check: number;
  cpu: number | null;
  memory: number | null;
  memory_reservation: number | null;
}

/** A task plus the bookkeeping the dispatcher needs. */
export interface StoredTask extends Task {
  /** Insertion order, the paging key of ListTasks. */
  seq: number;
}

/** core's TASK_TIMESTAMPS and their columns: the one place the store names them. */
const TIMESTAMP_COLUMNS = {
  createdAt: 'created_at',
  connectivityAt: 'connectivity_at',
  pullStartedAt: 'pull_started_at',
  pullStoppedAt: 'pull_stopped_at',
  startedAt: 'started_at',
  stoppingAt: 'stopping_at',
  executionStoppedAt: 'execution_stopped_at',
  stoppedAt: 'stopped_at',
} as const satisfies Record<TaskTimestamp, keyof TaskRow>;
const TIMESTAMP_COLUMN_LIST = TASK_TIMESTAMPS.map((k) => TIMESTAMP_COLUMNS[k]).join(', ');
const TIMESTAMP_PARAM_LIST = TASK_TIMESTAMPS.map((k) => `@${k}`).join(', ');

function timestampParams(t: Task): Record<TaskTimestamp, number | null> {
  const out = {} as Record<TaskTimestamp, number | null>;
  for (const k of TASK_TIMESTAMPS) out[k] = t[k] ?? null;
  return out;
}

function opt<T>(target: Record<string, unknown>, key: string, v: T | null): void {
  if (v !== null) target[key] = v;
}

function toContainer(r: ContainerRow): TaskContainer {
  const c: TaskContainer = {
    id: r.id,
    name: r.name,
    image: r.image,
    status: r.status as ContainerStatus,
    networkBindings: JSON.parse(r.network_bindings_json) as TaskContainer['networkBindings'],
    healthStatus: r.health_status as HealthStatus,
    essential: r.essential === 1,
    hasHealthCheck: r.has_health_check === 1,
  };
  const o = c as unknown as Record<string, unknown>;
  opt(o, 'runtimeId', r.runtime_id);
  opt(o, 'exitCode', r.exit_code);
  opt(o, 'reason', r.reason);
  opt(o, 'cpu', r.cpu);
  opt(o, 'memory', r.memory);
  opt(o, 'memoryReservation', r.memory_reservation);
  return c;
}

/** A task without its containers: what placement and reconciliation read. */
export interface TaskSummary {
  id: string;
  clusterName: string;
  containerInstanceId?: string;
  group: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  healthStatus: HealthStatus;
  cpu: number;
  memory: number;
  hostPorts: Task['hostPorts'];
  startedBy?: string;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  /** An essential container has a health check. */
  checked: boolean;
  /** FARGATE/FARGATE_SPOT: a service spreads its tasks over its strategy by these. */
  capacityProviderName?: string;
}

interface SummaryRow {
  id: string;
  cluster: string;
  container_instance_id: string | null;
  grp: string;
  last_status: string;
  desired_status: string;
  health_status: string;
  cpu: number;
  memory: number;
  host_ports_json: string;
  started_by: string | null;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  stop_code: string | null;
  stopped_reason: string | null;
  checked: number;
  capacity_provider_name: string | null;
}

const SUMMARY_SELECT = `SELECT t.id, t.cluster, t.container_instance_id, t.grp, t.last_status, t.desired_status, t.health_status, t.cpu, t.memory,
  t.host_ports_json, t.started_by, t.created_at, t.started_at, t.stopped_at, t.stop_code, t.stopped_reason,
  json_extract(t.launch_json, '$.capacityProviderName') AS capacity_provider_name,
  EXISTS(SELECT 1 FROM containers c WHERE c.task_id = t.id AND c.essential = 1 AND c.has_health_check = 1) AS checked FROM tasks t`;

function toSummary(r: SummaryRow): TaskSummary {
  const s: TaskSummary = {
    id: r.id,
    clusterName: r.cluster,
    group: r.grp,
    lastStatus: r.last_status as TaskStatus,
    desiredStatus: r.desired_status as DesiredStatus,
    healthStatus: r.health_status as HealthStatus,
    cpu: r.cpu,
    memory: r.memory,
    hostPorts: r.host_ports_json === '[]' ? [] : (JSON.parse(r.host_ports_json) as Task['hostPorts']),
    createdAt: r.created_at,
    checked: r.checked === 1,
  };
  const o = s as unknown as Record<string, unknown>;
  opt(o, 'containerInstanceId', r.container_instance_id);
  opt(o, 'startedBy', r.started_by);
  opt(o, 'startedAt', r.started_at);
  opt(o, 'stoppedAt', r.stopped_at);
  opt(o, 'stopCode', r.stop_code);
  opt(o, 'stoppedReason', r.stopped_reason);
  opt(o, 'capacityProviderName', r.capacity_provider_name);
  return s;
}

export function summarize(t: Task): TaskSummary {
  const s: TaskSummary = {
    id: t.id,
    clusterName: t.clusterName,
    group: t.group,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    cpu: t.cpu,
    memory: t.memory,
    hostPorts: t.hostPorts,
    createdAt: t.createdAt,
    checked: t.containers.some((c) => c.essential && c.hasHealthCheck),
  };
  if (t.containerInstanceId !== undefined) s.containerInstanceId = t.containerInstanceId;
  if (t.startedBy !== undefined) s.startedBy = t.startedBy;
  if (t.startedAt !== undefined) s.startedAt = t.startedAt;
  if (t.stoppedAt !== undefined) s.stoppedAt = t.stoppedAt;
  if (t.stopCode !== undefined) s.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) s.stoppedReason = t.stoppedReason;
  if (t.capacityProviderName !== undefined) s.capacityProviderName = t.capacityProviderName;
  return s;
}

export interface TaskFilter {
  cluster: string;
  desiredStatus?: DesiredStatus;
  instanceId?: string;
  family?: string;
  startedBy?: string;
  group?: string;
  launchType?: LaunchType;
  afterSeq?: number;
  limit?: number;
}

/** The task columns an agent report may change, as [column, next value, previous value]. */
function reportColumns(prev: Task, next: Task): [string, string | number | null, string | number | null][] {
  const out: [string, string | number | null, string | number | null][] = [
    ['last_status', next.lastStatus, prev.lastStatus],
    ['desired_status', next.desiredStatus, prev.desiredStatus],
    ['health_status', next.healthStatus, prev.healthStatus],
    ['version', next.version, prev.version],
    ['assignment_version', next.assignmentVersion, prev.assignmentVersion],
    ['stop_code', next.stopCode ?? null, prev.stopCode ?? null],
    ['stopped_reason', next.stoppedReason ?? null, prev.stoppedReason ?? null],
  ];
  for (const k of TASK_TIMESTAMPS) out.push([TIMESTAMP_COLUMNS[k], next[k] ?? null, prev[k] ?? null]);
  return out;
}

export class TasksRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(
    private readonly db: Db,
    private readonly record: (c: Change) => void,
    private readonly state?: ClusterState,
  ) {
    this.sql = statementCache(db);
  }

  private hydrate(rows: TaskRow[]): StoredTask[] {
    if (rows.length === 0) return [];
    const byTask = new Map<string, TaskContainer[]>();
    // One query per chunk of tasks, not one per task: reconcile loads thousands at a time.
    for (let k = 0; k < rows.length; k += 500) {
      const chunk = rows.slice(k, k + 500);
      const found = this
        .sql(`SELECT * FROM containers WHERE task_id IN (${chunk.map(() => '?').join(',')}) ORDER BY task_id, idx`)
        .all(...chunk.map((r) => r.id)) as ContainerRow[];
      for (const c of found) {
        const list = byTask.get(c.task_id);
        if (list) list.push(toContainer(c));
        else byTask.set(c.task_id, [toContainer(c)]);
      }
    }
    return rows.map((r) => {
      const t: StoredTask = {
        id: r.id,
        clusterName: r.cluster,
        taskDefinitionArn: r.task_definition_arn,
        family: r.family,
        revision: r.revision,
        lastStatus: r.last_status as TaskStatus,
        desiredStatus: r.desired_status as DesiredStatus,
        healthStatus: r.health_status as HealthStatus,
        cpu: r.cpu,
        memory: r.memory,
        hostPorts: JSON.parse(r.host_ports_json) as Task['hostPorts'],
        group: r.grp,
        version: r.version,
        assignmentVersion: r.assignment_version,
        overrides: JSON.parse(r.overrides_json) as Task['overrides'],
        tags: JSON.parse(r.tags_json) as Task['tags'],
        launchType: r.launch_type === 'FARGATE' || r.launch_type === 'EXTERNAL' ? r.launch_type : 'EC2',
        ...(r.launch_json === null ? {} : (JSON.parse(r.launch_json) as LaunchDetails)),
        ...(r.provisioning_json === null ? {} : { provisioning: JSON.parse(r.provisioning_json) as NonNullable<Task['provisioning']> }),
        createdAt: r.created_at,
        containers: byTask.get(r.id) ?? [],
        seq: r.seq,
      };
      const o = t as unknown as Record<string, unknown>;
      opt(o, 'containerInstanceId', r.container_instance_id);
      opt(o, 'startedBy', r.started_by);
      opt(o, 'stopCode', r.stop_code as TaskStopCode | null);
      opt(o, 'stoppedReason', r.stopped_reason);
      for (const k of TASK_TIMESTAMPS) opt(o, k, r[TIMESTAMP_COLUMNS[k]]);
      return t;
    });
  }

  /** Tasks by id, in one query per 500 (an agent's report batch); unknown ids are left out. */
  getMany(ids: string[]): StoredTask[] {
    const out: StoredTask[] = [];
    const unique = [...new Set(ids)];
    for (let k = 0; k < unique.length; k += 500) {
      const chunk = unique.slice(k, k + 500);
      out.push(...this.hydrate(this.sql(`SELECT * FROM tasks WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as TaskRow[]));
    }
    return out;
  }

  get(id: string): StoredTask | undefined {
    return this.hydrate(this.sql('SELECT * FROM tasks WHERE id = ?').all(id) as TaskRow[])[0];
  }

  nextSeq(): number {
    // Never below a reaped task's seq: a ListTasks token must not skip or repeat tasks.
    const r = this
      .sql('SELECT MAX(COALESCE((SELECT MAX(seq) FROM tasks), 0), COALESCE((SELECT value FROM store_counters WHERE name = ?), 0)) + 1 AS n')
      .get(TASK_SEQ_COUNTER) as { n: number };
    return r.n;
  }

  list(f: TaskFilter): StoredTask[] {
    return this.hydrate(this.filtered('*', f) as TaskRow[]);
  }

  /**
   * What ListTasks needs of each task: its id and page position, without
   * reading containers or decoding JSON columns (a page of 100 ARNs cost a
   * full hydrate of 100 tasks before).
   */
  listRefs(f: TaskFilter): { id: string; cluster: string; seq: number }[] {
    return this.filtered('id, cluster, seq', f) as { id: string; cluster: string; seq: number }[];
  }

  private filtered(columns: string, f: TaskFilter): unknown[] {
    const where = ['cluster = @cluster', 'seq > @afterSeq'];
    if (f.desiredStatus) where.push('desired_status = @desiredStatus');
    if (f.instanceId) where.push('container_instance_id = @instanceId');
    if (f.family) where.push('family = @family');
    if (f.startedBy) where.push('started_by = @startedBy');
    if (f.group) where.push('grp = @group');
    if (f.launchType) where.push('launch_type = @launchType');
    return this.sql(`SELECT ${columns} FROM tasks WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`).all({
      cluster: f.cluster,
      afterSeq: f.afterSeq ?? 0,
      desiredStatus: f.desiredStatus ?? null,
      instanceId: f.instanceId ?? null,
      family: f.family ?? null,
      startedBy: f.startedBy ?? null,
      group: f.group ?? null,
      launchType: f.launchType ?? null,
      limit: f.limit ?? -1,
    });
  }

  /** Tasks that still hold resources on an instance (everything not STOPPED). */
  activeOnInstance(instanceId: string): StoredTask[] {
    return this.hydrate(
      this.sql("SELECT * FROM tasks WHERE container_instance_id = ? AND last_status != 'STOPPED' ORDER BY seq").all(instanceId) as TaskRow[],
    );
  }

  /**
   * The instance's assignment set: tasks the agent must know about. Stopped
   * tasks leave it once the agent has reported them STOPPED.
   */
  assignedTo(instanceId: string): StoredTask[] {
    return this.activeOnInstance(instanceId);
  }

  /** Tasks of a group that are not STOPPED, plus those stopped since `stoppedSince` (service reconcile). */
  forGroup(cluster: string, group: string, stoppedSince: number): StoredTask[] {
    return this.hydrate(
      this
        .sql("SELECT * FROM tasks WHERE cluster = ? AND grp = ? AND (last_status != 'STOPPED' OR stopped_at >= ?) ORDER BY seq")
        .all(cluster, group, stoppedSince) as TaskRow[],
    );
  }

  /** Assignment versions of an instance's set, to diff before building anything. */
  assignmentVersionsOn(instanceId: string): { id: string; cluster: string; version: number }[] {
    return this.sql("SELECT id, cluster, assignment_version AS version FROM tasks WHERE container_instance_id = ? AND last_status != 'STOPPED'").all(instanceId) as {
      id: string;
      cluster: string;
      version: number;
    }[];
  }

  /** Light rows (no containers) of the cluster's tasks still holding resources: the reconciler's snapshot. */
  summariesInCluster(cluster: string): TaskSummary[] {
    return (this.sql(`${SUMMARY_SELECT} WHERE t.cluster = ? AND t.last_status != 'STOPPED' ORDER BY t.seq`).all(cluster) as SummaryRow[]).map(toSummary);
  }

  /** Light rows of a group's tasks stopped since `since` (the launch throttle looks at them). */
  stoppedSummariesInGroup(cluster: string, group: string, since: number): TaskSummary[] {
    return (
      this.sql(`${SUMMARY_SELECT} WHERE t.cluster = ? AND t.grp = ? AND t.last_status = 'STOPPED' AND t.stopped_at >= ? ORDER BY t.seq`).all(cluster, group, since) as SummaryRow[]
    ).map(toSummary);
  }

  /** Tasks waiting in PROVISIONING for a capacity provider's host, oldest first. */
  provisioning(cluster: string): StoredTask[] {
    return this.hydrate(this.sql("SELECT * FROM tasks WHERE cluster = ? AND last_status = 'PROVISIONING' ORDER BY created_at, seq").all(cluster) as TaskRow[]);
  }

  countProvisioning(cluster: string): number {
    return (this.sql("SELECT COUNT(*) AS n FROM tasks WHERE cluster = ? AND last_status = 'PROVISIONING'").get(cluster) as { n: number }).n;
  }

  /** Clusters with tasks waiting in PROVISIONING (the placer's resync). */
  clustersProvisioning(): string[] {
    return (this.sql("SELECT DISTINCT cluster FROM tasks WHERE last_status = 'PROVISIONING'").all() as { cluster: string }[]).map((r) => r.cluster);
  }

  /** Every task of the cluster that still holds resources on an instance. */
  activeInCluster(cluster: string): StoredTask[] {
    return this.hydrate(this.sql("SELECT * FROM tasks WHERE cluster = ? AND last_status != 'STOPPED' ORDER BY seq").all(cluster) as TaskRow[]);
  }

  /**
   * Wanted tasks of a group per startedBy (a service's deployments): running
   * and pending counts. Counted here, not by GROUP BY in SQL: SQLite served
   * that GROUP BY from the (cluster, started_by) index, reading every task of
   * the cluster (30,000 at scale) for each DescribeServices and UpdateService
   * answer; the group's own rows come through `tasks_group`.
   */
  countByStartedBy(cluster: string, group: string): Map<string, { running: number; pending: number }> {
    const rows = this
      .sql("SELECT started_by, last_status FROM tasks WHERE cluster = ? AND grp = ? AND desired_status = 'RUNNING'")
      .all(cluster, group) as { started_by: string | null; last_status: string }[];
    const byStarter = new Map<string | null, { running: number; pending: number }>();
    for (const r of rows) {
      let c = byStarter.get(r.started_by);
      if (!c) byStarter.set(r.started_by, (c = { running: 0, pending: 0 }));
      if (r.last_status === 'RUNNING') c.running++;
      else if (r.last_status === 'PROVISIONING' || r.last_status === 'PENDING' || r.last_status === 'ACTIVATING') c.pending++;
    }
    // Tasks with no startedBy count under '' (an empty startedBy, if any, wins, as it followed NULL in the SQL grouping).
    const out = new Map<string, { running: number; pending: number }>();
    const none = byStarter.get(null);
    if (none) out.set('', none);
    for (const [k, v] of byStarter) if (k !== null) out.set(k, v);
    return out;
  }

  /** Tasks of a group stopped without ever running (a deployment's failedTasks). */
  countFailedToStart(cluster: string, group: string, startedBy: string): number {
    const r = this
      .sql("SELECT COUNT(*) AS n FROM tasks WHERE cluster = ? AND grp = ? AND started_by = ? AND last_status = 'STOPPED' AND started_at IS NULL AND stop_code = 'TaskFailedToStart'")
      .get(cluster, group, startedBy) as { n: number };
    return r.n;
  }

  /**
   * A deployment's circuit-breaker failures (core `isBreakerFailure`, in
   * SQL): tasks that failed to start, whose essential container exited, or
   * that the scheduler replaced after failed health checks. No look-back
   * limit, so a long deployment never forgets one.
   */
  countDeploymentFailures(cluster: string, group: string, startedBy: string): number {
    const r = this
      .sql(`SELECT COUNT(*) AS n FROM tasks WHERE cluster = ? AND started_by = ? AND grp = ? AND ${BREAKER_FAILURE_SQL}`)
      .get(cluster, startedBy, group) as { n: number };
    return r.n;
  }

  countByStatus(cluster: string): { running: number; pending: number } {
    const r = this
      .sql(
        `SELECT SUM(CASE WHEN last_status = 'RUNNING' THEN 1 ELSE 0 END) AS running,
                SUM(CASE WHEN last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING') THEN 1 ELSE 0 END) AS pending
         FROM tasks WHERE cluster = ? AND desired_status = 'RUNNING'`,
      )
      .get(cluster) as { running: number | null; pending: number | null };
    return { running: r.running ?? 0, pending: r.pending ?? 0 };
  }

  countNotStopped(cluster: string): number {
    const r = this.sql("SELECT COUNT(*) AS n FROM tasks WHERE cluster = ? AND last_status != 'STOPPED'").get(cluster) as { n: number };
    return r.n;
  }

  /** Stopped tasks count for neither figure: left out in SQL, so the partial index of active tasks serves it. */
  countOnInstance(instanceId: string): { running: number; pending: number } {
    const r = this
      .sql(
        `SELECT SUM(CASE WHEN last_status = 'RUNNING' THEN 1 ELSE 0 END) AS running,
                SUM(CASE WHEN last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING') THEN 1 ELSE 0 END) AS pending
         FROM tasks WHERE container_instance_id = ? AND last_status != 'STOPPED'`,
      )
      .get(instanceId) as { running: number | null; pending: number | null };
    return { running: r.running ?? 0, pending: r.pending ?? 0 };
  }

  /**
   * Writes what an agent report changed (core applyTaskReport: statuses,
   * health, stop fields, versions, timestamps, and per container its status,
   * runtime id, exit code, reason, bindings and health) as column updates of
   * the existing rows, and only the containers that changed: the most frequent
   * write at scale, which a full put (a row replace plus every container row
   * deleted and inserted again) made several times dearer.
   */
  writeReport(prev: StoredTask, next: StoredTask): void {
    // Only the columns that changed: SQLite rewrites every index on a column
    // the UPDATE sets (or whose partial-index condition reads it), changed
    // value or not, and most reports move no indexed column (health, pull
    // and start timestamps); the statement per column set is cached.
    const params: Record<string, unknown> = { id: next.id };
    const set: string[] = [];
    for (const [column, value, before] of reportColumns(prev, next)) {
      if (value === before) continue;
      set.push(`${column} = @${column}`);
      params[column] = value;
    }
    if (set.length > 0) this.sql(`UPDATE tasks SET ${set.join(', ')} WHERE id = @id`).run(params);
    const update = this.sql(
      `UPDATE containers SET status = ?, runtime_id = ?, exit_code = ?, reason = ?, network_bindings_json = ?, health_status = ?
       WHERE task_id = ? AND idx = ?`,
    );
    next.containers.forEach((c, idx) => {
      const p = prev.containers[idx];
      if (
        p &&
        p.status === c.status &&
        p.runtimeId === c.runtimeId &&
        p.exitCode === c.exitCode &&
        p.reason === c.reason &&
        p.healthStatus === c.healthStatus &&
        p.networkBindings === c.networkBindings
      ) {
        return;
      }
      update.run(c.status, c.runtimeId ?? null, c.exitCode ?? null, c.reason ?? null, JSON.stringify(c.networkBindings), c.healthStatus, next.id, idx);
    });
    this.written(next);
  }

  /** Inserts or replaces a task with its containers (a task rewritten whole: a stop, new tags). */
  put(t: StoredTask): void {
    this.sql(`INSERT OR REPLACE ${INSERT_TASK}`).run(taskParams(t));
    this.sql('DELETE FROM containers WHERE task_id = ?').run(t.id);
    this.insertContainers(t);
    this.written(t);
  }

  /**
   * A task that does not exist yet (RunTask, StartTask, the service
   * scheduler): a plain insert, no replace, and its containers in one
   * statement. Fails on an id already stored (ids are random).
   */
  insert(t: StoredTask): void {
    this.sql(`INSERT ${INSERT_TASK}`).run(taskParams(t));
    this.insertContainers(t);
    this.written(t);
  }

  private insertContainers(t: StoredTask): void {
    const n = t.containers.length;
    if (n === 0) return;
    // One statement per container count (cached): a task has few, and one statement costs less than n.
    const args: unknown[] = [];
    t.containers.forEach((c, idx) =>
      args.push(
        t.id,
        idx,
        c.id,
        c.name,
        c.image,
        c.status,
        c.runtimeId ?? null,
        c.exitCode ?? null,
        c.reason ?? null,
        JSON.stringify(c.networkBindings),
        c.healthStatus,
        c.essential ? 1 : 0,
        c.hasHealthCheck ? 1 : 0,
        c.cpu ?? null,
        c.memory ?? null,
        c.memoryReservation ?? null,
      ),
    );
    this.sql(`${INSERT_CONTAINERS} ${Array.from({ length: n }, () => CONTAINER_VALUES).join(', ')}`).run(...args);
  }

  private written(t: StoredTask): void {
    this.state?.taskWritten(summarize(t));
    const change: Change = { kind: 'task', cluster: t.clusterName, taskId: t.id, group: t.group };
    if (t.containerInstanceId) change.instanceId = t.containerInstanceId;
    this.record(change);
  }
}

const INSERT_TASK = `INTO tasks(id, cluster, task_definition_arn, family, revision, container_instance_id, last_status, desired_status,
    health_status, cpu, memory, host_ports_json, started_by, grp, version, assignment_version, stop_code, stopped_reason,
    overrides_json, tags_json, ${TIMESTAMP_COLUMN_LIST}, seq, launch_type, launch_json, provisioning_json)
  VALUES (@id, @cluster, @tdArn, @family, @revision, @instanceId, @lastStatus, @desiredStatus, @health, @cpu, @memory, @hostPorts,
    @startedBy, @grp, @version, @assignmentVersion, @stopCode, @stoppedReason, @overrides, @tags, ${TIMESTAMP_PARAM_LIST},
    @seq, @launchType, @launchJson, @provisioningJson)`;

const INSERT_CONTAINERS = `INSERT INTO containers(task_id, idx, id, name, image, status, runtime_id, exit_code, reason, network_bindings_json, health_status,
    essential, has_health_check, cpu, memory, memory_reservation) VALUES`;
const CONTAINER_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

function taskParams(t: StoredTask): Record<string, unknown> {
  return {
    id: t.id,
    cluster: t.clusterName,
    tdArn: t.taskDefinitionArn,
    family: t.family,
    revision: t.revision,
    instanceId: t.containerInstanceId ?? null,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    health: t.healthStatus,
    cpu: t.cpu,
    memory: t.memory,
    hostPorts: JSON.stringify(t.hostPorts),
    startedBy: t.startedBy ?? null,
    grp: t.group,
    version: t.version,
    assignmentVersion: t.assignmentVersion,
    stopCode: t.stopCode ?? null,
    stoppedReason: t.stoppedReason ?? null,
    overrides: JSON.stringify(t.overrides),
    tags: JSON.stringify(t.tags),
    ...timestampParams(t),
    seq: t.seq,
    launchType: t.launchType,
    launchJson: launchDetails(t),
    provisioningJson: t.provisioning ? JSON.stringify(t.provisioning) : null,
  };
}
