import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { openDatabase, type Db } from './db';
import { Store } from './store';
import { activeTaskMetricsPage } from './task-metrics-view';

interface Captured {
  sql: string;
  args: unknown[];
}

/**
 * A database whose statements record the SQL and arguments they run with, so
 * the test explains exactly what the repositories execute, not a copy of it.
 */
function recordingDb(): { db: Db; captured: Captured[] } {
  const db = openDatabase(':memory:');
  const captured: Captured[] = [];
  const prepare = db.prepare.bind(db);
  (db as { prepare: Db['prepare'] }).prepare = ((sql: string) => {
    const stmt = prepare(sql);
    return new Proxy(stmt, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        if (prop === 'all' || prop === 'get' || prop === 'run' || prop === 'iterate') {
          return (...args: unknown[]) => {
            // Transaction control (BEGIN, COMMIT) has no plan.
            if (/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(sql)) captured.push({ sql, args });
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (v as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }) as Db['prepare'];
  return { db, captured };
}

function plan(db: Db, c: Captured): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.args as never[])) as { detail: string }[]).map((r) => r.detail);
}

/** A full scan of a table that grows with tasks, services, instances or revisions: `SCAN tasks`, `SCAN t` (no index). */
function fullScans(details: string[]): string[] {
  return details.filter((d) => /^SCAN (tasks|t|containers|c|services|container_instances|task_definitions)\b/.test(d) && !/USING (COVERING )?INDEX/.test(d));
}

/**
 * The queries the reconcile loops, the dispatcher and the reaper run on every
 * tick or task creation. Each must reach its rows through an index: with
 * every stopped task of the last hour in the table, a full scan per tick is
 * what made the loops slow down as tasks accumulated.
 */
test('the hot queries of the reconcile loops, dispatcher and reaper use an index, never a full scan', () => {
  const { db, captured } = recordingDb();
  const store = new Store(db, systemClock, defaultArnContext);
  const hot: Record<string, () => unknown> = {
    'cluster snapshot (summariesInCluster)': () => store.tasks.summariesInCluster('c'),
    'recently stopped service tasks (stoppedSummariesInGroup)': () => store.tasks.stoppedSummariesInGroup('c', 'service:s', 0),
    'load balancer group tasks (forGroup)': () => store.tasks.forGroup('c', 'service:s', 0),
    'assignment set (assignedTo)': () => store.tasks.assignedTo('i-1'),
    'assignment versions (assignmentVersionsOn)': () => store.tasks.assignmentVersionsOn('i-1'),
    'instance counts (countOnInstance)': () => store.tasks.countOnInstance('i-1'),
    'cluster provisioning count (countProvisioning)': () => store.tasks.countProvisioning('c'),
    'deployment counts (countByStartedBy)': () => store.tasks.countByStartedBy('c', 'service:s'),
    'circuit breaker (countDeploymentFailures)': () => store.tasks.countDeploymentFailures('c', 'service:s', 'ecs-svc/1'),
    'new task seq (nextSeq)': () => store.tasks.nextSeq(),
    'DescribeTasks (get)': () => store.tasks.get('t-1'),
    'cluster counts (countByStatus)': () => store.tasks.countByStatus('c'),
    'ListTasks page (list)': () => store.tasks.list({ cluster: 'c', afterSeq: 10, limit: 100 }),
    'reconcilable services (listReconcilable)': () => store.services.listReconcilable(),
    'a service (services.get)': () => store.services.get('c', 's'),
    'cluster instances (instances.listByCluster)': () => store.instances.listByCluster('c'),
    'an instance (instances.get)': () => store.instances.get('i-1'),
    'a task definition revision (taskDefinitions.get)': () => store.taskDefinitions.get('web', 1),
    'reaper batch (reapStoppedTasks)': () => store.tx(() => store.retention.reapStoppedTasks(1, 500, ['ecs-svc/1'])),
  };
  const failures: string[] = [];
  for (const [name, run] of Object.entries(hot)) {
    captured.length = 0;
    run();
    assert.ok(captured.length > 0, `${name} ran no statement`);
    for (const c of captured) {
      const details = plan(db, c);
      const scans = fullScans(details);
      if (scans.length > 0) failures.push(`${name}: ${scans.join('; ')}\n  ${c.sql.replace(/\s+/g, ' ')}\n  plan: ${details.join(' | ')}`);
    }
  }
  assert.deepEqual(failures, [], `full scans:\n${failures.join('\n')}`);
  store.close();
});

test('the snapshot and assignment queries read only tasks that hold resources (partial indexes)', () => {
  const { db, captured } = recordingDb();
  const store = new Store(db, systemClock, defaultArnContext);
  const expected: [string, () => unknown, RegExp][] = [
    ['summariesInCluster', () => store.tasks.summariesInCluster('c'), /USING INDEX tasks_active_cluster/],
    ['activeTaskMetricsPage', () => activeTaskMetricsPage(store, 'c', 0, 1000), /USING INDEX tasks_active_cluster/],
    ['assignedTo', () => store.tasks.assignedTo('i-1'), /USING INDEX tasks_active_instance/],
    ['countByStartedBy', () => store.tasks.countByStartedBy('c', 'service:s'), /USING INDEX tasks_group \(cluster=\? AND grp=\?/],
    ['countOnInstance', () => store.tasks.countOnInstance('i-1'), /USING (COVERING )?INDEX tasks_active_instance/],
    ['countProvisioning', () => store.tasks.countProvisioning('c'), /USING (COVERING )?INDEX tasks_provisioning/],
    ['reapStoppedTasks', () => store.tx(() => store.retention.reapStoppedTasks(1, 500, [])), /USING INDEX tasks_stopped_at/],
    ['stoppedSummariesInGroup', () => store.tasks.stoppedSummariesInGroup('c', 'service:s', 0), /USING INDEX tasks_group_stopped/],
  ];
  for (const [name, run, index] of expected) {
    captured.length = 0;
    run();
    const details = plan(db, captured[0]!);
    assert.ok(details.some((d) => index.test(d)), `${name} should use ${index.source}; plan: ${details.join(' | ')}`);
  }
  store.close();
});

test('the scan detector itself flags a full scan', () => {
  const { db } = recordingDb();
  const details = plan(db, { sql: "SELECT * FROM tasks WHERE stopped_reason = 'x'", args: [] });
  assert.deepEqual(fullScans(details), ['SCAN tasks']);
  db.close();
});
