import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileOffsetStore } from './offset-store';

test('offsets survive a reopen (an agent restart), private to the agent; vanished containers are forgotten', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sv-offsets-'));
  try {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const first = await FileOffsetStore.open(dir);
    await first.set(a, { since: '2026-12-02T16:00:01.5Z', skip: 2 });
    await first.set(b, { since: '2026-12-02T16:00:02Z', skip: 1, done: true });
    const file = path.join(dir, 'awslogs-offsets.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const second = await FileOffsetStore.open(dir);
    assert.deepEqual(second.get(a), { since: '2026-12-02T16:00:01.5Z', skip: 2 });
    assert.equal(second.get(b)?.done, true);
    await second.retain(new Set([a]));
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8'))), [a]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
