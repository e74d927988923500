import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { hostAccessOf, type TaskAssignment, type TaskSecrets } from '@stevedore/core';
import { toDockerCreateOptions } from '../docker/create-options';
import { FakeContainerController } from '../testing/fake-container-controller';
import { REDACT_PATHS } from '../logger';
import { assignment, containerDef, TEST_IMAGE } from '../testing/builders';
import { startWorkerRig, stopWorkerRigs } from '../testing/worker-rig';
import { MemoryTaskJournal } from './task-journal';

const VALUE = 'pa55-w0rd-that-must-not-leak';

afterEach(stopWorkerRigs);

async function rig() {
  let logged = '';
  const log = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, new Writable({ write: (c, _e, cb) => ((logged += String(c)), cb()) }));
  const journal = new MemoryTaskJournal();
  const r = await startWorkerRig({ log, journal, instanceId: 'i-secrets', secretsWaitMs: 300 });
  return { ...r, journal, logs: () => logged };
}

const secretsOf = (a: TaskAssignment, s: TaskSecrets) => new Map([[a.taskArn, s]]);

describe('secrets on the agent', () => {
  it('injects resolved secrets as environment variables, over a plain variable of the same name, and keeps them out of labels, the journal and the logs', async () => {
    const { fake, worker, journal, until, logs } = await rig();
    const a = assignment({
      containers: [containerDef({ name: 'app', environment: [{ name: 'DB_PASSWORD', value: 'plain' }, { name: 'MODE', value: 'x' }], secrets: [{ name: 'DB_PASSWORD', valueFrom: 'db' }] })],
    });
    worker.assign([a], secretsOf(a, { environment: [{ container: 'app', name: 'DB_PASSWORD', value: VALUE }], registryAuth: [] }));
    await until(a, 'RUNNING');
    const c = [...fake.containers.values()][0]!;
    const env = toDockerCreateOptions(c.request).Env!;
    assert.deepEqual(env, ['MODE=x', `DB_PASSWORD=${VALUE}`]);
    assert.ok(!JSON.stringify(c.labels).includes(VALUE));
    assert.ok(![...journal.states.values()].some((s) => s.includes(VALUE)), 'never journaled');
    await worker.idle();
    assert.ok(!logs().includes(VALUE), 'never logged');
    assert.match(logs(), /DB_PASSWORD/, 'names are logged');
  });

  it('a secret the control plane could not resolve fails the task to start with ResourceInitializationError', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: 'missing' }] })] });
    worker.assign([a], secretsOf(a, { environment: [], registryAuth: [], error: 'unable to pull secrets or registry auth: container app secrets[0] (TOKEN): ResourceNotFoundException: secret "missing" does not exist' }));
    const r = await until(a, 'STOPPED');
    assert.equal(r.stopCode, 'TaskFailedToStart');
    assert.match(r.stoppedReason!, /^ResourceInitializationError: unable to pull secrets or registry auth: .*missing/);
    assert.equal(fake.containers.size, 0);
  });

  it('a container needing secrets that never arrive fails instead of starting without them', async () => {
    const { worker, until } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: 's' }] })] });
    worker.assign([a]);
    const r = await until(a, 'STOPPED');
    assert.match(r.stoppedReason!, /^ResourceInitializationError: unable to pull secrets or registry auth/);
  });

  it('pulls with the registry credentials of repositoryCredentials', async () => {
    const { fake, worker, until, logs } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app', repositoryCredentials: { credentialsParameter: 'registry' } })] });
    worker.assign([a], secretsOf(a, { environment: [], registryAuth: [{ container: 'app', username: 'robot', password: VALUE }] }));
    await until(a, 'RUNNING');
    assert.deepEqual(fake.pullAuth.get(TEST_IMAGE), { username: 'robot', password: VALUE });
    assert.ok(!logs().includes(VALUE));
  });
});

describe('host access on the agent (defense in depth)', () => {
  it('refuses privileged, host network, added capabilities and host paths unless the assignment carries a policy that allows them', async () => {
    const { fake, worker, until } = await rig();
    const cases: [string, TaskAssignment][] = [
      ['privileged', assignment({ containers: [containerDef({ name: 'app', privileged: true })] })],
      ['hostNetwork', assignment({ networkMode: 'host', containers: [containerDef({ name: 'app' })] })],
      ['addedCapabilities', assignment({ containers: [containerDef({ name: 'app', linuxParameters: { capabilities: { add: ['NET_ADMIN'] } } })] })],
      ['hostPathVolumes', assignment({ volumes: [{ name: 'd', host: { sourcePath: '/srv' } }], containers: [containerDef({ name: 'app', mountPoints: [{ sourceVolume: 'd', containerPath: '/d' }] })] })],
    ];
    worker.assign(cases.map(([, a]) => a));
    for (const [what, a] of cases) {
      const r = await until(a, 'STOPPED');
      assert.match(r.stoppedReason!, /^CannotCreateContainerError: .*not allowed in this cluster/, what);
    }
    assert.equal(fake.containers.size, 0);
  });

  it('maps privileged when the cluster allows it, and never mounts the Docker socket even when host paths are allowed', async () => {
    const { fake, worker, until } = await rig();
    const allow = hostAccessOf(['stevedore:allowPrivilegedContainers', 'stevedore:allowHostPathVolumes'].map((name) => ({ name, value: 'enabled' })));
    const priv = assignment({ hostAccess: allow, containers: [containerDef({ name: 'app', privileged: true })] });
    const sock = assignment({ hostAccess: allow, volumes: [{ name: 'd', host: { sourcePath: '/var/run/docker.sock' } }], containers: [containerDef({ name: 'app', mountPoints: [{ sourceVolume: 'd', containerPath: '/var/run/docker.sock' }] })] });
    worker.assign([priv, sock]);
    await until(priv, 'RUNNING');
    const c = [...fake.containers.values()].find((x) => x.labels['stevedore.task'] === priv.taskArn)!;
    assert.equal(toDockerCreateOptions(c.request).HostConfig!.Privileged, true);
    const r = await until(sock, 'STOPPED');
    assert.match(r.stoppedReason!, /socket.*never mounted/);
  });
});
