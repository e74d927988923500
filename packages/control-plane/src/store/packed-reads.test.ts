import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './store';
import { taskFromRow, toContainer, type ContainerRow, type StoredTask, type TaskRow } from './task-rows';
import { variedStore, variedTasks } from '../testing/varied-tasks';
import { backendTests } from '../testing/store-backends';

/*
 * On SQLite the task reads take each row packed in one JSON array
 * (task-rows.ts packedRow/unpackRow) instead of better-sqlite3's row
 * objects (PostgreSQL's rows still come as objects). Every read must give
 * what `SELECT *` of the same rows gave, decoded the same way: same tasks,
 * same order, same members in the same order, same values and types.
 */

const storeTest = backendTests();

/** The read as it was: `SELECT *` of the tasks, and of each one's containers in order. */
function reference(store: Store, where: string, ...params: unknown[]): StoredTask[] {
  const rows = store.db.prepare(`SELECT * FROM tasks ${where}`).all(...params) as TaskRow[];
  return rows.map((r) => taskFromRow(r, (store.db.prepare('SELECT * FROM containers WHERE task_id = ? ORDER BY idx').all(r.id) as ContainerRow[]).map(toContainer)));
}

function assertSame(got: StoredTask[], want: StoredTask[], what: string): void {
  assert.ok(want.length > 0, `${what}: the reference reads something`);
  assert.equal(JSON.stringify(got), JSON.stringify(want), what);
  assert.deepStrictEqual(got, want, what);
}

storeTest('every task read gives what SELECT * gave: getMany, get, list, per instance, per group, provisioning, per cluster', (b) => {
  const tasks = variedTasks();
  const store = variedStore(tasks, b.location());
  assert.equal(store.db.dialect, b.name);
  const ids = tasks.map((t) => t.id);
  const unknown = ['no-such-task', ...ids.slice(0, 3)];
  const all = [...ids, ...unknown];
  // getMany promises no order (DescribeTasks answers in the order asked).
  const byId = (xs: StoredTask[]) => [...xs].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  assertSame(byId(store.tasks.getMany(all)), byId(reference(store, `WHERE id IN (${[...new Set(all)].map(() => '?').join(',')})`, ...new Set(all))), 'getMany');
  for (const id of ids) assertSame([store.tasks.get(id)!], reference(store, 'WHERE id = ?', id), `get ${id}`);
  assert.equal(store.tasks.get('no-such-task'), undefined);
  assertSame(store.tasks.list({ cluster: 'c' }), reference(store, "WHERE cluster = 'c' ORDER BY seq"), 'list');
  assertSame(store.tasks.list({ cluster: 'c', desiredStatus: 'STOPPED', afterSeq: 2, limit: 4 }), reference(store, "WHERE cluster = 'c' AND desired_status = 'STOPPED' AND seq > 2 ORDER BY seq LIMIT 4"), 'list filtered');
  for (const i of ['i-arm', 'i-off', 'i-never']) {
    assertSame(store.tasks.activeOnInstance(i), reference(store, "WHERE container_instance_id = ? AND last_status != 'STOPPED' ORDER BY seq", i), `activeOnInstance ${i}`);
  }
  assertSame(store.tasks.forGroup('c', 'service:web', 0), reference(store, "WHERE cluster = 'c' AND grp = 'service:web' ORDER BY seq"), 'forGroup');
  assertSame(store.tasks.provisioning('c'), reference(store, "WHERE cluster = 'c' AND last_status = 'PROVISIONING' ORDER BY created_at, seq"), 'provisioning');
  assertSame(store.tasks.activeInCluster('c'), reference(store, "WHERE cluster = 'c' AND last_status != 'STOPPED' ORDER BY seq"), 'activeInCluster');
  // The read really returns what was written (the set exercises every column).
  const stored = new Map(tasks.map((t) => [t.id, t]));
  for (const t of store.tasks.getMany(ids)) assert.deepStrictEqual(t, stored.get(t.id), t.id);
  store.close();
});

test('SQLite: packed rows keep text, integers and doubles exactly as better-sqlite3 gives them', () => {
  const store = variedStore();
  const [t] = variedTasks();
  const odd = {
    ...t!,
    id: 'odd',
    // Text JSON must escape, and numbers a JSON text must carry to the last bit.
    stoppedReason: 'quote " backslash \\ newline \n tab \t nul \u0000 é 😀 \u2028',
    startedAt: 1_700_000_000_123.4567,
    stoppedAt: 2 ** 53,
    cpu: 0.1 + 0.2,
    seq: 999,
  };
  store.tx(() => store.tasks.insert(odd));
  assertSame([store.tasks.get('odd')!], reference(store, "WHERE id = 'odd'"), 'odd values');
  assert.equal(store.tasks.get('odd')!.stoppedReason, odd.stoppedReason);
  assert.equal(store.tasks.get('odd')!.startedAt, odd.startedAt);
  assert.equal(store.tasks.get('odd')!.cpu, 0.1 + 0.2);
  store.close();
});
