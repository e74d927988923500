import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRestart } from './restart-policy';

describe('shouldRestart (ECS container restart policy)', () => {
  const t0 = 1_000_000;
  const exit = (code: number | undefined, ranS: number, wanted = true) => ({ exitCode: code, startedAt: t0, finishedAt: t0 + ranS * 1000, wanted });
  const cases: [string, Parameters<typeof shouldRestart>[0], ReturnType<typeof exit>, boolean][] = [
    ['no policy', undefined, exit(1, 400), false],
    ['disabled', { enabled: false }, exit(1, 400), false],
    ['enabled, ran past the default 300 s', { enabled: true }, exit(1, 301), true],
    ['enabled, exited before 300 s', { enabled: true }, exit(1, 299), false],
    ['exit 0 restarts too unless ignored', { enabled: true }, exit(0, 400), true],
    ['ignored exit code', { enabled: true, ignoredExitCodes: [0, 2] }, exit(2, 400), false],
    ['custom period', { enabled: true, restartAttemptPeriod: 60 }, exit(137, 61), true],
    ['the task is stopping', { enabled: true, restartAttemptPeriod: 60 }, exit(143, 600, false), false],
    ['no exit code (vanished)', { enabled: true, restartAttemptPeriod: 60 }, exit(undefined, 600), false],
  ];
  for (const [name, policy, facts, restart] of cases) it(name, () => assert.equal(shouldRestart(policy, facts).restart, restart));
  it('--restart-attempt-period-scale shortens the period (60 s x 0.05 = 3 s), and nothing else', () => {
    const policy = { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 };
    assert.equal(shouldRestart(policy, exit(1, 3.1), 0.05).restart, true);
    assert.equal(shouldRestart(policy, exit(1, 2.9), 0.05).restart, false);
    assert.match(shouldRestart(policy, exit(1, 2.9), 0.05).why, /less than the restartAttemptPeriod of 3 s/);
    assert.equal(shouldRestart(policy, exit(0, 600), 0.05).restart, false, 'ignored codes stay ignored');
    assert.equal(shouldRestart(policy, exit(1, 3.1)).restart, false, 'unscaled by default');
  });
});
