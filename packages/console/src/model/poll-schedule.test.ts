import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVE_MS, MAX_BACKOFF_MS, nextPollDelay, STEADY_MS } from './poll-schedule';

test('fast while something moves, slow when steady, never while hidden', () => {
  assert.equal(nextPollDelay({ failures: 0, active: true, hidden: false }), ACTIVE_MS);
  assert.equal(nextPollDelay({ failures: 0, active: false, hidden: false }), STEADY_MS);
  assert.equal(nextPollDelay({ failures: 0, active: true, hidden: true }), undefined);
});

test('errors back off exponentially up to a bound', () => {
  const delays = [1, 2, 3, 10, 50].map((failures) => nextPollDelay({ failures, active: true, hidden: false })!);
  assert.deepEqual(delays.slice(0, 3), [ACTIVE_MS * 2, ACTIVE_MS * 4, ACTIVE_MS * 8]);
  assert.equal(delays[3], MAX_BACKOFF_MS);
  assert.equal(delays[4], MAX_BACKOFF_MS);
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!);
});
