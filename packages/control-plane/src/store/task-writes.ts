import { TASK_TIMESTAMPS, type Task } from '@stevedore/core';
import type { Change } from './changes';
import type { Statement } from './db';
import type { ClusterState } from './cluster-state';
import { CONTAINER_VALUES, INSERT_CONTAINERS, INSERT_TASK, TIMESTAMP_COLUMNS, summarize, taskParams, type StoredTask } from './task-rows';

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

/**
 * Every write of a task row: a new task (insert), a task rewritten whole
 * (put: a stop, new tags) and what an agent report changed (writeReport).
 * Each keeps the in-memory cluster state in step and records the change
 * (store.ts publishes it after commit). The repository (tasks-repo.ts)
 * exposes them beside its reads.
 */
export class TaskWrites {
  constructor(
    private readonly sql: (text: string) => Statement,
    private readonly record: (c: Change) => void,
    private readonly state?: ClusterState,
  ) {}

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
    this.written(next, agentViewUnchanged(prev, next));
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

  private written(t: StoredTask, agentView = false): void {
    this.state?.taskWritten(summarize(t));
    const change: Change = { kind: 'task', cluster: t.clusterName, taskId: t.id, group: t.group };
    if (t.containerInstanceId) change.instanceId = t.containerInstanceId;
    if (agentView) change.agentViewUnchanged = true;
    this.record(change);
  }
}

/**
 * Whether a report write leaves what the task's agent is sent as it was: the
 * dispatcher diffs on assignment versions, keeps only tasks not STOPPED in an
 * agent's set, and holds a stop (desired STOPPED, still RUNNING) while load
 * balancer targets drain. A report moving none of these needs no push.
 */
export function agentViewUnchanged(prev: StoredTask, next: StoredTask): boolean {
  if (prev.assignmentVersion !== next.assignmentVersion || prev.containerInstanceId !== next.containerInstanceId) return false;
  if (prev.lastStatus === next.lastStatus) return true;
  return next.desiredStatus === 'RUNNING' && next.lastStatus !== 'STOPPED';
}
