import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskAssignment } from '@stevedore/core';
import { assignment, containerDef } from '../testing/builders';
import { waitFor } from '../testing/wait-for';
import { startWorkerRig, stopWorkerRigs } from '../testing/worker-rig';
import { healthCheckArgv, startupCheckOffsets, startupCheckTimeoutMs } from './startup-check';
import { applyObservation, newContainerState, passStartupCheck } from './task-state';

describe('startup checks: pure parts', () => {
  it('runs the check as Docker execs it', () => {
    assert.deepEqual(healthCheckArgv({ command: ['CMD-SHELL', 'wget -q http://127.0.0.1/ || exit 1'] }), ['/bin/sh', '-c', 'wget -q http://127.0.0.1/ || exit 1']);
    assert.deepEqual(healthCheckArgv({ command: ['CMD', '/bin/check', '--fast'] }), ['/bin/check', '--fast']);
    assert.deepEqual(healthCheckArgv({ command: ['/bin/check'] }), ['/bin/check']);
    for (const none of [['NONE'], [], ['CMD'], ['CMD-SHELL']]) assert.equal(healthCheckArgv({ command: none }), undefined, JSON.stringify(none));
  });

  it('checks at once, then at doubling delays, strictly before Docker first probes (one interval after start)', () => {
    assert.deepEqual(startupCheckOffsets({ command: ['CMD', 'x'], interval: 1 }), [0, 100, 300, 700]);
    assert.deepEqual(startupCheckOffsets({ command: ['CMD', 'x'], interval: 5 }), [0, 100, 300, 700, 1500, 3100]);
    assert.deepEqual(startupCheckOffsets({ command: ['CMD', 'x'] }).at(-1), 25_500, "ECS's default interval, 30 s");
    assert.equal(startupCheckTimeoutMs({ command: ['CMD', 'x'], timeout: 2 }), 2000);
    assert.equal(startupCheckTimeoutMs({ command: ['CMD', 'x'] }), 5000);
  });

  it("HEALTHY from a passed startup check holds while Docker says starting; Docker's verdict wins; a restart starts over", () => {
    const c = newContainerState(containerDef({ name: 'web', healthCheck: { command: ['CMD', 'x'] } }));
    const obs = (startedAt: number, health: 'starting' | 'healthy' | 'unhealthy') => ({ runtimeId: 'r', dockerName: 'n', labels: {}, state: 'running', running: true, oomKilled: false, networkBindings: [], startedAt, health });
    c.applied = 'RUNNING';
    applyObservation(c, obs(1000, 'starting'), 'gone');
    assert.equal(c.health, 'UNKNOWN');
    assert.equal(passStartupCheck(c, 999), false, 'another run');
    assert.equal(passStartupCheck(c, 1000), true);
    assert.equal(c.health, 'HEALTHY');
    applyObservation(c, obs(1000, 'starting'), 'gone');
    assert.equal(c.health, 'HEALTHY', 'Docker has no verdict yet');
    applyObservation(c, obs(1000, 'unhealthy'), 'gone');
    assert.equal(c.health, 'UNHEALTHY', "Docker's verdict wins");
    assert.equal(passStartupCheck(c, 1000), false, 'after a verdict, a late startup check changes nothing');
    applyObservation(c, obs(2000, 'starting'), 'gone');
    assert.equal(c.health, 'UNKNOWN', 'restarted in place: a new run starts over');
  });
});

afterEach(stopWorkerRigs);

async function rig() {
  const r = await startWorkerRig();
  const health = (a: TaskAssignment, name: string) => r.latest.get(a.taskArn)?.containers.find((c) => c.name === name)?.healthStatus;
  return { ...r, health };
}

describe('startup checks in the task runner (FakeDocker)', () => {
  const SHELL = ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'];

  it("a passing check makes the container HEALTHY before Docker's first probe, and lets a HEALTHY dependent start", async () => {
    const { fake, worker, health } = await rig();
    fake.healthCheckPasses = () => true;
    const a = assignment({
      containers: [
        containerDef({ name: 'db', healthCheck: { command: SHELL, interval: 30 } }),
        containerDef({ name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
      ],
    });
    worker.assign([a]);
    await waitFor('db HEALTHY', () => health(a, 'db') === 'HEALTHY');
    assert.equal(fake.byName('db')?.health, 'starting', 'Docker has not probed yet');
    await waitFor('app started', () => fake.byName('app')?.state === 'running');
    assert.deepEqual(fake.healthChecksRun, [['db', ['/bin/sh', '-c', SHELL[1]]]], 'one check: it passed');
    fake.setHealth('db', 'unhealthy');
    await waitFor("Docker's verdict reported", () => health(a, 'db') === 'UNHEALTHY');
  });

  it('failing checks never count: retried until the first probe is due, then Docker decides', async () => {
    const { fake, worker, health } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'web', healthCheck: { command: SHELL, interval: 1, retries: 1 } })] });
    worker.assign([a]);
    await waitFor('all startup checks ran', () => fake.healthChecksRun.length === startupCheckOffsets({ command: SHELL, interval: 1 }).length);
    await worker.idle();
    assert.equal(health(a, 'web'), 'UNKNOWN');
    fake.setHealth('web', 'healthy');
    await waitFor("Docker's verdict reported", () => health(a, 'web') === 'HEALTHY');
  });

  it('a check that passes only after a while: HEALTHY at the first pass, no further checks', async () => {
    const { fake, worker, health } = await rig();
    let calls = 0;
    fake.healthCheckPasses = () => ++calls === 3;
    const a = assignment({ containers: [containerDef({ name: 'web', healthCheck: { command: SHELL, interval: 5 } })] });
    worker.assign([a]);
    await waitFor('HEALTHY', () => health(a, 'web') === 'HEALTHY');
    await worker.idle();
    assert.equal(fake.healthChecksRun.length, 3);
  });

  it('containers without a health check are never checked', async () => {
    const { fake, worker, health } = await rig();
    fake.healthCheckPasses = () => true;
    const a = assignment({ containers: [containerDef({ name: 'web' })] });
    worker.assign([a]);
    await waitFor('running', () => fake.byName('web')?.state === 'running');
    await worker.idle();
    assert.equal(health(a, 'web'), 'UNKNOWN');
    assert.deepEqual(fake.healthChecksRun, []);
  });
});
