import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_HOST_ACCESS, systemClock, type TaskAssignment, type TaskReport } from '@stevedore/core';
import { FakeContainerController } from '../testing/fake-container-controller';
import { silentLogger } from '../logger';
import { assignment, containerDef, stopped, TEST_IMAGE } from '../testing/builders';
import { waitFor } from '../testing/wait-for';
import { ImagePuller } from './image-puller';
import { MemoryTaskJournal } from './task-journal';
import { Worker } from './worker';
import { PAUSE_LABEL } from './create-request';
import { EPHEMERAL_STORAGE_LABEL, type StorageQuotaSupport } from '../host/storage-quota';

// The agent side of issue 13 (docs/design/fargate.md): awsvpc, pidMode/ipcMode task,
// the FARGATE task cgroup and isolation gate, and container restart policies, against FakeDocker.

const workers: Worker[] = [];
afterEach(() => {
  while (workers.length) workers.pop()!.stop();
});

class FakeCgroups {
  readonly created = new Map<string, { cpu: number; memoryMiB: number }>();
  readonly removed: string[] = [];
  async create(taskId: string, limits: { cpu: number; memoryMiB: number }): Promise<string> {
    this.created.set(taskId, limits);
    return `/stevedore/${taskId}`;
  }
  async remove(taskId: string): Promise<void> {
    this.removed.push(taskId);
  }
}

async function rig(storageQuota?: StorageQuotaSupport) {
  const fake = new FakeContainerController();
  fake.images.add(TEST_IMAGE);
  const latest = new Map<string, TaskReport>();
  const cgroups = new FakeCgroups();
  const log = silentLogger();
  const worker = new Worker({
    controller: fake,
    images: new ImagePuller(fake, 'default', undefined, log),
    journal: new MemoryTaskJournal(),
    clock: systemClock,
    log,
    instanceId: 'i-1',
    hostIp: '127.0.0.2',
    agentVersion: '0.1.0',
    defaultStopTimeoutSeconds: 30,
    cleanupWaitMs: 3600_000,
    pause: { image: TEST_IMAGE, command: ['sleep', '2147483647'] },
    cgroups,
    ...(storageQuota ? { storageQuota } : {}),
    reports: { report: (r) => void latest.set(r.taskArn, r), forget: () => {} },
  });
  await worker.start();
  workers.push(worker);
  const until = (a: TaskAssignment, status: string) => waitFor(`task ${status}`, () => (latest.get(a.taskArn)?.lastStatus === status ? latest.get(a.taskArn) : undefined));
  return { fake, worker, cgroups, until };
}

const pauseOf = (fake: FakeContainerController, a: TaskAssignment) => [...fake.containers.values()].find((c) => c.labels[PAUSE_LABEL] === 'true' && c.labels['stevedore.task'] === a.taskArn);

describe('task namespaces', () => {
  it('awsvpc: one pause container publishes every port; the containers join its network and report its bindings', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({
      networkMode: 'awsvpc',
      containers: [
        containerDef({ name: 'web', command: ['sleep', '3600'], portMappings: [{ containerPort: 80, hostPort: 80 }] }),
        containerDef({ name: 'sidecar', command: ['sleep', '3600'], portMappings: [{ containerPort: 9000, hostPort: 9000, protocol: 'udp' }] }),
      ],
    });
    worker.assign([a]);
    const r = await until(a, 'RUNNING');
    const pause = pauseOf(fake, a);
    assert.ok(pause, 'a pause container');
    assert.equal(pause.labels['stevedore.container'], undefined, 'the pause container is no container of the definition');
    assert.equal(pause.request.networkMode, 'bridge');
    assert.deepEqual(pause.request.definition.portMappings, [{ containerPort: 80, protocol: 'tcp' }, { containerPort: 9000, protocol: 'udp' }]);
    for (const name of ['web', 'sidecar']) assert.deepEqual(fake.byName(name)!.request.namespaces, { network: pause.id });
    const web = r.containers.find((c) => c.name === 'web')!;
    assert.equal(web.networkBindings.length, 1);
    assert.equal(web.networkBindings[0]!.containerPort, 80);
    assert.notEqual(web.networkBindings[0]!.hostPort, 80, 'a dynamic host port');
    assert.deepEqual(r.containers.find((c) => c.name === 'sidecar')!.networkBindings.map((b) => [b.containerPort, b.protocol]), [[9000, 'udp']]);
  });

  it('pidMode and ipcMode task on a bridge task: a pause container without network, the containers join its pid and ipc', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({ pidMode: 'task', ipcMode: 'task', containers: [containerDef({ name: 'a', command: ['sleep', '3600'] })] });
    worker.assign([a]);
    await until(a, 'RUNNING');
    const pause = pauseOf(fake, a)!;
    assert.equal(pause.request.networkMode, 'none');
    assert.equal(pause.request.shareableIpc, true);
    assert.deepEqual(fake.byName('a')!.request.namespaces, { pid: pause.id, ipc: pause.id });
  });

  it('FARGATE: the task cgroup with the task size holds every container, and goes when the task stops; the pause container stops too', async () => {
    const { fake, worker, cgroups, until } = await rig();
    const a = assignment({ networkMode: 'awsvpc', launchType: 'FARGATE', cpu: '512', memory: '1024', containers: [containerDef({ name: 'app', command: ['sleep', '3600'] })] });
    worker.assign([a]);
    await until(a, 'RUNNING');
    assert.deepEqual(cgroups.created.get(a.taskId), { cpu: 512, memoryMiB: 1024 });
    const pause = pauseOf(fake, a)!;
    assert.equal(pause.request.cgroupParent, `/stevedore/${a.taskId}`);
    assert.equal(fake.byName('app')!.request.cgroupParent, `/stevedore/${a.taskId}`);
    worker.update([stopped(a)], []);
    await until(a, 'STOPPED');
    await waitFor('cgroup removed and pause stopped', () => cgroups.removed.includes(a.taskId) && pauseOf(fake, a)!.state !== 'running');
  });

  it('FARGATE ephemeralStorage: Docker StorageOpt size where the host enforces it, a label saying which on each container', async () => {
    const enforcing = await rig({ enforced: true });
    const a = assignment({ networkMode: 'awsvpc', launchType: 'FARGATE', cpu: '256', memory: '512', ephemeralStorageGiB: 30, containers: [containerDef({ name: 'app', command: ['sleep', '3600'] })] });
    enforcing.worker.assign([a]);
    await enforcing.until(a, 'RUNNING');
    assert.equal(enforcing.fake.byName('app')!.request.storageSizeGiB, 30);
    assert.equal(enforcing.fake.byName('app')!.labels[EPHEMERAL_STORAGE_LABEL], '30 GiB, enforced (writable layer of each container)');

    const plain = await rig({ enforced: false, reason: 'storage driver overlay2 on extfs: needs xfs with pquota' });
    const b = assignment({ networkMode: 'awsvpc', launchType: 'FARGATE', cpu: '256', memory: '512', ephemeralStorageGiB: 30, containers: [containerDef({ name: 'app', command: ['sleep', '3600'] })] });
    plain.worker.assign([b]);
    await plain.until(b, 'RUNNING');
    assert.equal(plain.fake.byName('app')!.request.storageSizeGiB, undefined, 'Docker would refuse the option here');
    assert.match(plain.fake.byName('app')!.labels[EPHEMERAL_STORAGE_LABEL]!, /^30 GiB, not enforced on this host: storage driver overlay2 on extfs/);
  });

  it('FARGATE: no host access whatever the assignment carries, before anything reaches Docker', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({
      networkMode: 'awsvpc',
      launchType: 'FARGATE',
      cpu: '256',
      memory: '512',
      hostAccess: ALL_HOST_ACCESS,
      containers: [containerDef({ name: 'p', command: ['sleep', '3600'], privileged: true })],
    });
    worker.assign([a]);
    const r = await until(a, 'STOPPED');
    assert.match(r.containers[0]!.reason ?? '', /privileged/);
    assert.equal(fake.containers.size, 0, 'nothing created, not even the pause container');
  });
});

describe('container restart policy', () => {
  it('restarts an exited container in place once it ran the restartAttemptPeriod; one that exits early stops as without a policy', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app', command: ['sleep', '3600'], restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 } })] });
    worker.assign([a]);
    await until(a, 'RUNNING');
    const first = fake.byName('app')!;
    const starts = fake.startCount;
    first.startedAt = Date.now() - 120_000; // it has run two minutes
    fake.exit('app', 3);
    await waitFor('restarted', () => fake.startCount === starts + 1 && fake.byName('app')!.state === 'running');
    assert.equal(fake.byName('app')!.id, first.id, 'the same container, started again');
    await worker.idle();
    assert.equal(worker.taskState(a.taskArn)?.containers[0]?.restartCount, 1, 'counted (TMDS RestartCount)');
    assert.equal((await until(a, 'RUNNING')).containers[0]!.status, 'RUNNING');
    // Exits again at once: under the period, so the task stops.
    fake.exit('app', 3);
    const r = await until(a, 'STOPPED');
    assert.equal(r.containers[0]!.exitCode, 3);
    assert.equal(fake.startCount, starts + 1);
  });

  it('an ignored exit code is not restarted', async () => {
    const { fake, worker, until } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app', command: ['sleep', '3600'], restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 } })] });
    worker.assign([a]);
    await until(a, 'RUNNING');
    fake.byName('app')!.startedAt = Date.now() - 120_000;
    fake.exit('app', 0);
    assert.equal((await until(a, 'STOPPED')).containers[0]!.exitCode, 0);
  });
});
