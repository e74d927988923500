import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config';

test('--instance-lost-grace-seconds: default 30, flag or STEVEDORE_INSTANCE_LOST_GRACE_SECONDS, refuses negatives', () => {
  const argv = (...extra: string[]) => ['node', 'stevedore-control-plane', ...extra];
  assert.equal(parseConfig(argv(), {}).instanceLostGraceSeconds, 30);
  assert.equal(parseConfig(argv('--instance-lost-grace-seconds', '8'), {}).instanceLostGraceSeconds, 8);
  assert.equal(parseConfig(argv(), { STEVEDORE_INSTANCE_LOST_GRACE_SECONDS: '12' }).instanceLostGraceSeconds, 12);
  assert.throws(() => parseConfig(argv('--instance-lost-grace-seconds', '-1'), {}), /instance-lost-grace-seconds/);
});
