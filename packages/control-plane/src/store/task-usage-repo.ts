import type { UsageWindow } from '@stevedore/core';
/** The latest usage an agent reported for one task (ReportTaskUsage), stamped with the control plane's time. */
export interface TaskUsage extends UsageWindow {
  taskId: string;
  instanceId: string;
  receivedAt: number;
}

/**
 * Latest usage per task, kept in memory, not in SQLite: it is a reading, not
 * state. It is worth nothing after about two intervals, every agent sends a
 * new one each interval (a restarted control plane has fresh figures within
 * one), and writing 100 rows a second at 1,000 tasks would cost the database
 * more than the metrics it feeds (docs/design/metrics.md). The metric
 * publisher turns these into datapoints, which are persisted.
 */
export class TaskUsageRepo {
  private readonly byTask = new Map<string, TaskUsage>();

  /** One agent's report, all or nothing (it was validated as a whole). */
  putAll(rows: TaskUsage[]): void {
    for (const r of rows) this.byTask.set(r.taskId, r);
  }

  /** Readings received at or after `since`; older ones are dropped for good. */
  fresh(since: number): TaskUsage[] {
    const out: TaskUsage[] = [];
    for (const [id, r] of this.byTask) {
      if (r.receivedAt >= since) out.push(r);
      else this.byTask.delete(id);
    }
    return out;
  }

  get size(): number {
    return this.byTask.size;
  }
}
