import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileTaskJournal } from './task-journal';
import type { TaskState } from './task-state';

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const state = (id: string, extra: Record<string, unknown> = {}) => ({ taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/${id}`, ...extra }) as unknown as TaskState;

test('the file journal keeps one private file per task (dir 0700, files 0600 whatever the umask), replaced whole', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-journal-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const old = process.umask(0o000);
  try {
    const j = new FileTaskJournal(dataDir);
    await j.save(state('t1', { v: 1 }));
    await j.save(state('t1', { v: 2 }));
    await j.save(state('t2'));
    const dir = path.join(dataDir, 'tasks');
    assert.equal(mode(dir), 0o700);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['t1.json', 't2.json'], 'no temporary file is left behind');
    for (const f of fs.readdirSync(dir)) assert.equal(mode(path.join(dir, f)), 0o600, f);
    const loaded = await new FileTaskJournal(dataDir).loadAll();
    assert.deepEqual(loaded.map((s) => [s.taskArn.split('/').pop(), (s as unknown as { v?: number }).v]).sort(), [['t1', 2], ['t2', undefined]]);
    await j.remove(state('t1').taskArn);
    assert.deepEqual(fs.readdirSync(dir), ['t2.json']);
  } finally {
    process.umask(old);
  }
});

test('a journal directory left readable by an older version is tightened on the first save; a stray temporary file is not loaded', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-journal-old-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const dir = path.join(dataDir, 'tasks');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  // What a crash between write and rename leaves: never read as a task.
  fs.writeFileSync(path.join(dir, 't9.json.tmp'), '{"taskArn":"half');
  const j = new FileTaskJournal(dataDir);
  await j.save(state('t1'));
  assert.equal(mode(dir), 0o700);
  assert.deepEqual((await j.loadAll()).map((s) => s.taskArn.split('/').pop()), ['t1']);
});
