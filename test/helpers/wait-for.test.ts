import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeValue, waitFor, WaitForTimeoutError } from './wait-for';

test('resolves with the first truthy value', async () => {
  let n = 0;
  const v = await waitFor(() => (++n >= 3 ? { n } : undefined), { description: 'n reaches 3', intervalMs: 1 });
  assert.deepEqual(v, { n: 3 });
});

test('async functions and thrown errors count as not yet', async () => {
  let n = 0;
  const v = await waitFor(
    async () => {
      n++;
      if (n < 3) throw new Error('not listening yet');
      return 'up';
    },
    { description: 'server up', intervalMs: 1 },
  );
  assert.equal(v, 'up');
  assert.equal(n, 3);
});

test('fails with the description, the last value and the last error', async () => {
  let n = 0;
  await assert.rejects(
    waitFor(() => ({ status: 'PENDING', n: ++n }).status === 'RUNNING', { description: 'task RUNNING', timeoutMs: 30, intervalMs: 5 }),
    (e: unknown) => {
      assert.ok(e instanceof WaitForTimeoutError);
      assert.match(e.message, /^timed out after 30 ms \(\d+ attempts\) waiting for task RUNNING; last value: false$/);
      return true;
    },
  );
  await assert.rejects(
    waitFor(
      () => {
        throw new Error('ECONNREFUSED');
      },
      { description: 'API up', timeoutMs: 20, intervalMs: 5 },
    ),
    /waiting for API up; last value: undefined; last error: Error: ECONNREFUSED/,
  );
});

test('never sleeps past the deadline', async () => {
  const started = Date.now();
  await assert.rejects(waitFor(() => 0, { description: 'never', timeoutMs: 50, intervalMs: 10_000 }));
  assert.ok(Date.now() - started < 1000);
});

test('describeValue truncates long values', () => {
  assert.equal(describeValue({ a: 1 }), '{"a":1}');
  assert.match(describeValue('x'.repeat(50), 10), /^"xxxxxxxxx… \(52 chars\)$/);
});
