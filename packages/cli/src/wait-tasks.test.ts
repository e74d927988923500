import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, isSettled, summarizeStatuses } from './wait-tasks';
import { task } from './testing/fixtures';

test('backoff grows 1.5x from 250 ms and is capped at 3 s', () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a)), [250, 375, 563, 844]);
  assert.equal(backoffDelay(20), 3000);
});

test('RUNNING waits also end at STOPPED; STOPPED waits only at STOPPED', () => {
  for (const [status, running, stopped] of [
    ['PENDING', false, false],
    ['RUNNING', true, false],
    ['STOPPING', false, false],
    ['STOPPED', true, true],
  ] as const) {
    assert.equal(isSettled(task('t', { lastStatus: status }), 'RUNNING'), running, status);
    assert.equal(isSettled(task('t', { lastStatus: status }), 'STOPPED'), stopped, status);
  }
});

test('progress summary counts statuses', () => {
  assert.equal(summarizeStatuses([task('a', { lastStatus: 'PENDING' }), task('b'), task('c', { lastStatus: 'PENDING' })], 1), '2 PENDING, 1 RUNNING, 1 not yet visible');
});
