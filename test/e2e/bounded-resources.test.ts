import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Bounded resources end to end (docs/design/retention-and-limits.md): one
// control plane with a 4 s stopped-task retention and one agent (127.0.5.2).

const RETENTION_SECONDS = 4;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;

before(async () => {
  c = await startCluster({
    agents: 1,
    test: hooks,
    hostIp: () => '127.0.5.2',
    controlPlaneArgs: ['--stopped-task-retention-seconds', String(RETENTION_SECONDS)],
    readyTimeoutMs: 60_000,
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

/** Rows in the control plane's database, read as an operator would (read-only, beside the running process). */
function taskRows(): { tasks: number; containers: number } {
  const db = new Database(path.join(c.dataDir, 'control-plane', 'stevedore.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT (SELECT COUNT(*) FROM tasks) AS tasks, (SELECT COUNT(*) FROM containers) AS containers').get() as { tasks: number; containers: number };
  } finally {
    db.close();
  }
}

async function register(td: Record<string, unknown>): Promise<string> {
  const r = await c.call('RegisterTaskDefinition', td);
  return `${r.taskDefinition.family}:${r.taskDefinition.revision}`;
}

test('a stopped task is describable for the retention, then DescribeTasks answers MISSING and its rows are gone', async () => {
  const td = await register({
    family: 'retention-batch',
    containerDefinitions: [{ name: 'job', image: TEST_IMAGE, command: ['sh', '-c', 'echo done'], memory: 16, essential: true }],
  });
  const run = await c.call('RunTask', { taskDefinition: td, count: 3 });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  const arns: string[] = run.tasks.map((t: { taskArn: string }) => t.taskArn);
  const stopped = await waitFor(
    async () => {
      const r = await c.call('DescribeTasks', { tasks: arns });
      return r.tasks.length === 3 && r.tasks.every((t: { lastStatus: string }) => t.lastStatus === 'STOPPED') ? r.tasks : undefined;
    },
    { description: 'the three batch tasks STOPPED', timeoutMs: 60_000, intervalMs: 200 },
  );
  const rowsWhileKept = taskRows();
  assert.ok(rowsWhileKept.tasks >= 3 && rowsWhileKept.containers >= 3, `the stopped tasks are in the database: ${JSON.stringify(rowsWhileKept)}`);
  const lastStop = Math.max(...stopped.map((t: { stoppedAt: number }) => t.stoppedAt * 1000));

  const missing = await waitFor(
    async () => {
      const r = await c.call('DescribeTasks', { tasks: arns });
      return r.failures.length === 3 ? r : undefined;
    },
    { description: 'DescribeTasks answers MISSING for the three tasks', timeoutMs: 30_000, intervalMs: 250 },
  );
  // Not before the retention: ECS keeps a stopped task describable for its hour.
  assert.ok(Date.now() >= lastStop + RETENTION_SECONDS * 1000, 'tasks were kept for the whole retention');
  assert.deepEqual(
    missing.failures.map((f: { arn: string; reason: string }) => f.reason),
    ['MISSING', 'MISSING', 'MISSING'],
  );
  assert.deepEqual(new Set(missing.failures.map((f: { arn: string }) => f.arn)), new Set(arns));
  const listed = await c.call('ListTasks', { desiredStatus: 'STOPPED' });
  for (const arn of arns) assert.ok(!listed.taskArns.includes(arn), 'ListTasks no longer lists it');
  const rowsAfter = taskRows();
  assert.ok(rowsAfter.tasks <= rowsWhileKept.tasks - 3, `task rows went down: ${JSON.stringify(rowsWhileKept)} -> ${JSON.stringify(rowsAfter)}`);
  assert.ok(rowsAfter.containers <= rowsWhileKept.containers - 3, 'their container rows went with them');
});
