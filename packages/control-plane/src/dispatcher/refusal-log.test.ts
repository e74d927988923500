import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { RefusalLog } from './refusal-log';

test('refusal logs are rate-limited per window and say how many were left out', () => {
  const lines: Record<string, unknown>[] = [];
  const log = { warn: (fields: Record<string, unknown>) => lines.push(fields) } as unknown as Logger;
  let now = 0;
  const r = new RefusalLog(log, () => now, { perWindow: 3, windowMs: 1000 });
  for (let i = 0; i < 1000; i++) r.warn({ i }, 'refused');
  assert.equal(lines.length, 3);
  now = 999;
  r.warn({ i: 'late' }, 'refused');
  assert.equal(lines.length, 3, 'still the same window');
  now = 1000;
  r.warn({ i: 'next' }, 'refused');
  assert.deepEqual(lines[3], { i: 'next', suppressedRefusals: 998 });
  r.warn({ i: 'again' }, 'refused');
  assert.deepEqual(lines[4], { i: 'again' });
});
