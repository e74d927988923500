import type { DesiredStatus, LaunchType, TaskContainer } from '@stevedore/core';
import type { Change } from './changes';
import type { Db, Statement } from './db';
import { statementCache } from './statement-cache';
import { BREAKER_FAILURE_SQL, TASK_SEQ_COUNTER } from './retention-repo';
import type { ClusterState } from './cluster-state';
import { CONTAINER_COLUMNS, packedRow, SUMMARY_SELECT, TASK_COLUMNS, taskFromRow, toContainer, toSummary, unpackRow, type ContainerRow, type StoredTask, type SummaryRow, type TaskRow, type TaskSummary } from './task-rows';
import { TaskWrites } from './task-writes';

export { summarize, type StoredTask, type TaskSummary } from './task-rows';

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

/**
 * Tasks in the store: the reads and counts here, the writes in task-writes.ts
 * (exposed below), the row layout in task-rows.ts.
 */
export class TasksRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  private readonly writes: TaskWrites;
  /** SQLite: rows come packed in one JSON array each (task-rows.ts packedRow); PostgreSQL's come as objects. */
  private readonly packed: boolean;
  /** `SELECT <a task row> FROM tasks`, to which the reads add their WHERE. */
  private readonly selectTasks: string;
  private readonly selectContainers: string;
  constructor(
    private readonly db: Db,
    record: (c: Change) => void,
    private readonly state?: ClusterState,
  ) {
    this.sql = statementCache(db);
    this.writes = new TaskWrites(this.sql, record, state);
    this.packed = db.dialect === 'sqlite';
    this.selectTasks = this.packed ? `SELECT ${packedRow(TASK_COLUMNS)} AS packed FROM tasks` : 'SELECT * FROM tasks';
    this.selectContainers = this.packed ? `SELECT ${packedRow(CONTAINER_COLUMNS)} AS packed FROM containers` : 'SELECT * FROM containers';
  }

  /** The rows a statement selected through selectTasks (TASK_COLUMNS) or selectContainers (CONTAINER_COLUMNS). */
  private rows<R>(columns: readonly string[], statement: Statement, ...params: unknown[]): R[] {
    const rows = statement.all(...params);
    if (!this.packed) return rows as R[];
    const out = new Array<R>(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = unpackRow<R>(columns, (rows[k] as { packed: string }).packed);
    return out;
  }

  private tasks(where: string, ...params: unknown[]): StoredTask[] {
    return this.hydrate(this.rows<TaskRow>(TASK_COLUMNS, this.sql(`${this.selectTasks} ${where}`), ...params));
  }

  private hydrate(rows: TaskRow[]): StoredTask[] {
    if (rows.length === 0) return [];
    const byTask = new Map<string, TaskContainer[]>();
    // One query per chunk of tasks, not one per task: reconcile loads thousands at a time.
    for (let k = 0; k < rows.length; k += 500) {
      const chunk = rows.slice(k, k + 500);
      const found = this.rows<ContainerRow>(
        CONTAINER_COLUMNS,
        this.sql(`${this.selectContainers} WHERE task_id IN (${chunk.map(() => '?').join(',')}) ORDER BY task_id, idx`),
        ...chunk.map((r) => r.id),
      );
      for (const c of found) {
        const list = byTask.get(c.task_id);
        if (list) list.push(toContainer(c));
        else byTask.set(c.task_id, [toContainer(c)]);
      }
    }
    return rows.map((r) => taskFromRow(r, byTask.get(r.id) ?? []));
  }

  /** Tasks by id, in one query per 500 (an agent's report batch); unknown ids are left out. */
  getMany(ids: string[]): StoredTask[] {
    const out: StoredTask[] = [];
    const unique = [...new Set(ids)];
    for (let k = 0; k < unique.length; k += 500) {
      const chunk = unique.slice(k, k + 500);
      out.push(...this.tasks(`WHERE id IN (${chunk.map(() => '?').join(',')})`, ...chunk));
    }
    return out;
  }

  get(id: string): StoredTask | undefined {
    return this.tasks('WHERE id = ?', id)[0];
  }

  nextSeq(): number {
    // Never below a reaped task's seq: a ListTasks token must not skip or repeat tasks.
    const r = this
      .sql('SELECT MAX(COALESCE((SELECT MAX(seq) FROM tasks), 0), COALESCE((SELECT value FROM store_counters WHERE name = ?), 0)) + 1 AS n')
      .get(TASK_SEQ_COUNTER) as { n: number };
    return r.n;
  }

  list(f: TaskFilter): StoredTask[] {
    return this.hydrate(this.rows<TaskRow>(TASK_COLUMNS, ...this.filtered(this.selectTasks, f)));
  }

  /**
   * What ListTasks needs of each task: its id and page position, without
   * reading containers or decoding JSON columns (a page of 100 ARNs cost a
   * full hydrate of 100 tasks before).
   */
  listRefs(f: TaskFilter): { id: string; cluster: string; seq: number }[] {
    const [statement, params] = this.filtered('SELECT id, cluster, seq FROM tasks', f);
    return statement.all(params) as { id: string; cluster: string; seq: number }[];
  }

  /** The statement of a filtered read (`select` is `SELECT ... FROM tasks`) and its parameters. */
  private filtered(select: string, f: TaskFilter): [Statement, Record<string, unknown>] {
    const where = ['cluster = @cluster', 'seq > @afterSeq'];
    if (f.desiredStatus) where.push('desired_status = @desiredStatus');
    if (f.instanceId) where.push('container_instance_id = @instanceId');
    if (f.family) where.push('family = @family');
    if (f.startedBy) where.push('started_by = @startedBy');
    if (f.group) where.push('grp = @group');
    if (f.launchType) where.push('launch_type = @launchType');
    const params = {
      cluster: f.cluster,
      afterSeq: f.afterSeq ?? 0,
      desiredStatus: f.desiredStatus ?? null,
      instanceId: f.instanceId ?? null,
      family: f.family ?? null,
      startedBy: f.startedBy ?? null,
      group: f.group ?? null,
      launchType: f.launchType ?? null,
      limit: f.limit ?? -1,
    };
    return [this.sql(`${select} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`), params];
  }

  /** Tasks that still hold resources on an instance (everything not STOPPED). */
  activeOnInstance(instanceId: string): StoredTask[] {
    return this.tasks("WHERE container_instance_id = ? AND last_status != 'STOPPED' ORDER BY seq", instanceId);
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
    return this.tasks("WHERE cluster = ? AND grp = ? AND (last_status != 'STOPPED' OR stopped_at >= ?) ORDER BY seq", cluster, group, stoppedSince);
  }

  /** Assignment versions of an instance's set, to diff before building anything. */
  assignmentVersionsOn(instanceId: string): { id: string; cluster: string; version: number }[] {
    // From the kept cluster state when its cluster is loaded (the same rows: its tasks not STOPPED), else SQL.
    const kept = this.state?.loadedTasksOn(instanceId);
    if (kept) return kept.map((t) => ({ id: t.id, cluster: t.clusterName, version: t.assignmentVersion }));
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
    return this.tasks("WHERE cluster = ? AND last_status = 'PROVISIONING' ORDER BY created_at, seq", cluster);
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
    return this.tasks("WHERE cluster = ? AND last_status != 'STOPPED' ORDER BY seq", cluster);
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

  /** What an agent report changed, as column updates (task-writes.ts). */
  writeReport(prev: StoredTask, next: StoredTask): void {
    this.writes.writeReport(prev, next);
  }

  /** Inserts or replaces a task with its containers (task-writes.ts). */
  put(t: StoredTask): void {
    this.writes.put(t);
  }

  /** A task that does not exist yet, by a plain insert (task-writes.ts). */
  insert(t: StoredTask): void {
    this.writes.insert(t);
  }
}
