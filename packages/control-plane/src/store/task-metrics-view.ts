import type { Db, Statement } from './db';
import type { Store } from './store';

/** What the metrics snapshot needs of one task not STOPPED: no container rows, no JSON decoded. */
export interface TaskMetricsRow {
  id: string;
  family: string;
  revision: number;
  cpu: number;
  memory: number;
  lastStatus: string;
  group: string;
  containerInstanceId?: string;
  /** The task's overrides set a task-level cpu / memory. */
  cpuOverridden: boolean;
  memoryOverridden: boolean;
  /** Its containers' cpu, and memory (hard limit, else reservation), summed: core's utilizationBase without a task-level value. */
  containers: { cpu: number; memory: number };
}

const SQL = `SELECT t.seq, t.id, t.family, t.revision, t.cpu, t.memory, t.last_status, t.grp, t.container_instance_id,
  json_extract(t.overrides_json, '$.cpu') IS NOT NULL AS cpu_overridden,
  json_extract(t.overrides_json, '$.memory') IS NOT NULL AS memory_overridden,
  (SELECT COALESCE(SUM(COALESCE(c.cpu, 0)), 0) FROM containers c WHERE c.task_id = t.id) AS containers_cpu,
  (SELECT COALESCE(SUM(COALESCE(c.memory, c.memory_reservation, 0)), 0) FROM containers c WHERE c.task_id = t.id) AS containers_memory
  FROM tasks t WHERE t.cluster = ? AND t.last_status != 'STOPPED' AND t.seq > ? ORDER BY t.seq LIMIT ?`;

interface Row {
  seq: number;
  id: string;
  family: string;
  revision: number;
  cpu: number;
  memory: number;
  last_status: string;
  grp: string;
  container_instance_id: string | null;
  cpu_overridden: number | boolean;
  memory_overridden: number | boolean;
  containers_cpu: number | string;
  containers_memory: number | string;
}

const statements = new WeakMap<Db, Statement>();

/**
 * The cluster's tasks not STOPPED, as the metrics period reads them. The
 * period used to hydrate every such task (its containers, its JSON columns)
 * each 10 s: at 30,000 tasks that held the event loop for hundreds of
 * milliseconds, delaying every API call and agent report behind it.
 */
export function activeTaskMetrics(store: Store, cluster: string): TaskMetricsRow[] {
  return activeTaskMetricsPage(store, cluster, -1, -1).rows;
}

/**
 * One page of `activeTaskMetrics`, in seq order after `afterSeq` (at most
 * `limit` rows, -1 for all): the metrics period reads a large cluster page by
 * page, giving the event loop back in between.
 */
export function activeTaskMetricsPage(store: Store, cluster: string, afterSeq: number, limit: number): { rows: TaskMetricsRow[]; lastSeq: number } {
  let s = statements.get(store.db);
  if (!s) {
    s = store.db.prepare(SQL);
    statements.set(store.db, s);
  }
  const raw = s.all(cluster, afterSeq, limit) as Row[];
  const rows = raw.map((r) => {
    const out: TaskMetricsRow = {
      id: r.id,
      family: r.family,
      revision: r.revision,
      cpu: r.cpu,
      memory: r.memory,
      lastStatus: r.last_status,
      group: r.grp,
      cpuOverridden: Boolean(r.cpu_overridden),
      memoryOverridden: Boolean(r.memory_overridden),
      // PostgreSQL's SUM is numeric (a string through the driver).
      containers: { cpu: Number(r.containers_cpu), memory: Number(r.containers_memory) },
    };
    if (r.container_instance_id !== null) out.containerInstanceId = r.container_instance_id;
    return out;
  });
  return { rows, lastSeq: raw.length > 0 ? Number(raw[raw.length - 1]!.seq) : afterSeq };
}
