import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampExitCode, essentialNames, runExitCode, stoppedTaskExitCode } from './exit-code';
import { container, task } from './testing/fixtures';

const essentials = essentialNames({
  containerDefinitions: [
    { name: 'sidecar', image: 'x', essential: false },
    { name: 'web', image: 'x' },
  ],
});

test('essentialNames applies the ECS default (essential unless false)', () => {
  assert.deepEqual([...essentials!], ['web']);
  assert.equal(essentialNames(undefined), undefined);
});

const cases: { name: string; containers: Parameters<typeof container>[0][]; essential?: Set<string> | undefined; want: number }[] = [
  { name: 'essential exit code wins over a sidecar listed first', containers: [{ name: 'sidecar', exitCode: 0 }, { name: 'web', exitCode: 3 }], essential: essentials, want: 3 },
  { name: 'clean essential exit', containers: [{ name: 'sidecar', exitCode: 9 }, { name: 'web', exitCode: 0 }], essential: essentials, want: 0 },
  { name: 'no exit code at all (never started)', containers: [{ name: 'web', lastStatus: 'STOPPED' }], essential: essentials, want: 1 },
  { name: 'null exit code counts as none', containers: [{ name: 'web', exitCode: null }], essential: essentials, want: 1 },
  { name: 'unknown definition: first container with a code', containers: [{ name: 'a' }, { name: 'b', exitCode: 137 }], essential: undefined, want: 137 },
  { name: 'out-of-range code does not wrap to success', containers: [{ name: 'web', exitCode: 256 }], essential: essentials, want: 1 },
];

for (const c of cases) {
  test(`stoppedTaskExitCode: ${c.name}`, () => {
    const t = task('t1', { lastStatus: 'STOPPED', containers: c.containers.map((x) => container(x)) });
    assert.equal(stoppedTaskExitCode(t, c.essential), c.want);
  });
}

test('runExitCode: running tasks exit 0, failures exit 1, a stopped failure wins', () => {
  const running = task('a');
  const stopped3 = task('b', { lastStatus: 'STOPPED', containers: [container({ name: 'web', exitCode: 3 })] });
  const stopped0 = task('c', { lastStatus: 'STOPPED', containers: [container({ name: 'web', exitCode: 0 })] });
  const ess = () => essentials;
  assert.equal(runExitCode([running], [], ess), 0);
  assert.equal(runExitCode([running, stopped0], [], ess), 0);
  assert.equal(runExitCode([stopped0, stopped3], [], ess), 3);
  assert.equal(runExitCode([running], [{ reason: 'RESOURCE:MEMORY' }], ess), 1);
  assert.equal(runExitCode([stopped3], [{ reason: 'RESOURCE:MEMORY' }], ess), 3);
});

test('clampExitCode', () => {
  assert.equal(clampExitCode(0), 0);
  assert.equal(clampExitCode(255), 255);
  assert.equal(clampExitCode(-1), 1);
  assert.equal(clampExitCode(1.5), 1);
});
