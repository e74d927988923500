import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_HOST_ACCESS, systemClock, type TaskAssignment, type TaskReport } from '@stevedore/core';
import { FakeContainerController } from '../testing/fake-container-controller';
import { silentLogger } from '../logger';
import { assignment, containerDef, stopped, TEST_IMAGE } from '../testing/builders';
import { waitFor } from '../testing/wait-for';
import { ImagePuller } from './image-puller';
import { MemoryTaskJournal, type TaskJournal } from './task-journal';
import { VANISHED_WHILE_DOWN } from './task-state';
import { Worker, type ReportSink } from './worker';

const INSTANCE = 'i-0000000000000001';

class RecordingSink implements ReportSink {
  readonly all: TaskReport[] = [];
  readonly latest = new Map<string, TaskReport>();
  readonly forgotten = new Set<string>();
  report(r: TaskReport): void {
    this.all.push(r);
    this.latest.set(r.taskArn, r);
  }
  forget(arn: string): void {
    this.forgotten.add(arn);
  }
  of(a: TaskAssignment): TaskReport | undefined {
    return this.latest.get(a.taskArn);
  }
  statuses(a: TaskAssignment): string[] {
    return this.all.filter((r) => r.taskArn === a.taskArn).map((r) => r.lastStatus).filter((s, i, l) => l[i - 1] !== s);
  }
}

interface Rig {
  fake: FakeContainerController;
  sink: RecordingSink;
  worker: Worker;
  journal: TaskJournal;
}

const rigs: Worker[] = [];
afterEach(() => {
  while (rigs.length) rigs.pop()!.stop();
});

async function rig(opts: { fake?: FakeContainerController; journal?: TaskJournal; cleanupWaitMs?: number; behavior?: 'default' | 'always' } = {}): Promise<Rig> {
  const fake = opts.fake ?? new FakeContainerController();
  fake.images.add(TEST_IMAGE);
  const sink = new RecordingSink();
  const journal = opts.journal ?? new MemoryTaskJournal();
  const log = silentLogger();
  const worker = new Worker({
    controller: fake,
    images: new ImagePuller(fake, opts.behavior ?? 'default', undefined, log),
    journal,
    clock: systemClock,
    log,
    instanceId: INSTANCE,
    hostIp: '127.0.0.2',
    agentVersion: '0.1.0',
    defaultStopTimeoutSeconds: 30,
    cleanupWaitMs: opts.cleanupWaitMs ?? 3 * 3600_000,
    reports: sink,
  });
  await worker.start();
  rigs.push(worker);
  return { fake, sink, worker, journal };
}

const until = (sink: RecordingSink, a: TaskAssignment, status: string) =>
  waitFor(`task ${status}`, () => {
    const r = sink.of(a);
    return r && r.lastStatus === status ? r : undefined;
  });

describe('Worker + TaskRunner against FakeDocker', () => {
  it('runs a task: PENDING then RUNNING with labels, name, bindings on the host ip and timestamps', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'web', portMappings: [{ containerPort: 80 }], dockerLabels: { 'stevedore.task': 'spoof', team: 'a' } })] });
    worker.assign([a]);
    const r = await until(sink, a, 'RUNNING');
    assert.deepEqual(sink.statuses(a), ['PENDING', 'RUNNING']);
    const c = r.containers[0]!;
    assert.equal(c.status, 'RUNNING');
    assert.equal(c.healthStatus, 'UNKNOWN');
    assert.deepEqual(c.networkBindings, [{ bindIP: '127.0.0.2', containerPort: 80, hostPort: 32768, protocol: 'tcp' }]);
    assert.ok(r.pullStartedAt && r.pullStoppedAt && r.startedAt && r.pullStoppedAt <= r.startedAt);
    const dc = fake.byName('web')!;
    assert.match(dc.name, /^ecs-web-1-web-[0-9a-f]{20}$/);
    assert.equal(dc.labels['stevedore.task'], a.taskArn, 'system labels override user labels');
    assert.equal(dc.labels['team'], 'a');
    assert.equal(dc.labels['stevedore.instance'], INSTANCE);
    assert.equal(dc.labels['com.amazonaws.ecs.task-definition-family'], 'web');
    assert.equal(dc.labels['com.amazonaws.ecs.task-definition-version'], '1');
    assert.equal(c.runtimeId, dc.id);
  });

  it('stops the task when an essential container exits, sidecars in reverse order', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({
      containers: [
        containerDef({ name: 'logs', essential: false }),
        containerDef({ name: 'proxy', essential: false, dependsOn: [{ containerName: 'logs', condition: 'START' }] }),
        containerDef({ name: 'app', dependsOn: [{ containerName: 'proxy', condition: 'START' }] }),
      ],
    });
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.exit('app', 3);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'EssentialContainerExited');
    assert.equal(r.stoppedReason, 'Essential container in task exited');
    assert.deepEqual(fake.stopOrder, ['proxy', 'logs']);
    assert.deepEqual(r.containers.map((c) => [c.name, c.status, c.exitCode]), [['logs', 'STOPPED', 143], ['proxy', 'STOPPED', 143], ['app', 'STOPPED', 3]]);
    assert.ok(r.executionStoppedAt && r.stoppedAt);
    assert.equal(fake.startCount, 3, 'nothing restarted');
  });

  it('keeps the task running when a non-essential container exits', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({ containers: [containerDef({ name: 'app' }), containerDef({ name: 'job', essential: false })] });
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.exit('job', 0);
    const r = await waitFor('job stopped', () => sink.of(a)?.containers.find((c) => c.name === 'job' && c.status === 'STOPPED') && sink.of(a));
    assert.equal(r.lastStatus, 'RUNNING');
    assert.equal(r.containers[1]!.exitCode, 0);
    await worker.idle();
    assert.equal(sink.of(a)!.lastStatus, 'RUNNING');
  });

  it('dependsOn SUCCESS: waits for the init container, PENDING meanwhile', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({
      containers: [containerDef({ name: 'init', essential: false }), containerDef({ name: 'app', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] })],
    });
    worker.assign([a]);
    await waitFor('init running', () => fake.byName('init')?.state === 'running');
    await worker.idle();
    assert.equal(sink.of(a)!.lastStatus, 'PENDING');
    assert.equal(fake.byName('app')?.state, 'created', 'app is created up front but not started');
    fake.exit('init', 0);
    const r = await until(sink, a, 'RUNNING');
    assert.deepEqual(r.containers.map((c) => c.status), ['STOPPED', 'RUNNING']);
  });

  it('dependsOn SUCCESS with a failing init: the task fails to start', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({
      containers: [containerDef({ name: 'init', essential: false }), containerDef({ name: 'app', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] })],
    });
    worker.assign([a]);
    await waitFor('init running', () => fake.byName('init')?.state === 'running');
    fake.exit('init', 2);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'TaskFailedToStart');
    assert.match(r.stoppedReason!, /init exited with code 2/);
    assert.equal(fake.byName('app')?.state, 'created');
  });

  it('dependsOn HEALTHY: starts the app once the dependency is healthy, reports health', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({
      containers: [
        containerDef({ name: 'db', healthCheck: { command: ['CMD-SHELL', 'true'] } }),
        containerDef({ name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
      ],
    });
    worker.assign([a]);
    await waitFor('db running', () => fake.byName('db')?.state === 'running');
    await worker.idle();
    assert.equal(fake.byName('app')?.state, 'created');
    fake.setHealth('db', 'healthy');
    const r = await until(sink, a, 'RUNNING');
    assert.equal(r.containers[0]!.healthStatus, 'HEALTHY');
    fake.setHealth('db', 'unhealthy');
    await waitFor('unhealthy reported', () => sink.of(a)?.containers[0]?.healthStatus === 'UNHEALTHY');
  });

  it('gives up on a dependency after its startTimeout (the runner wakes itself up)', async () => {
    const { sink, worker } = await rig();
    const a = assignment({
      containers: [
        containerDef({ name: 'db', startTimeout: 1, healthCheck: { command: ['CMD-SHELL', 'true'] } }),
        containerDef({ name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
      ],
    });
    worker.assign([a]);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'TaskFailedToStart');
    assert.match(r.stoppedReason!, /did not reach HEALTHY within its startTimeout of 1s/);
    assert.deepEqual(r.containers.map((c) => c.exitCode), [143, undefined]);
  });

  it('StopTask: stops dependents first, keeps the control plane reason, reports exit codes', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment({
      containers: [containerDef({ name: 'proxy' }), containerDef({ name: 'app', links: ['proxy:p'] })],
    });
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    assert.deepEqual(fake.byName('app')!.request.peers.get('proxy'), fake.byName('proxy')!.name);
    fake.ignoreSigterm.add('app');
    worker.update([stopped(a, 'UserInitiated', 'deploying v2')], []);
    const r = await until(sink, a, 'STOPPED');
    assert.deepEqual(fake.stopOrder, ['app', 'proxy']);
    assert.equal(r.stopCode, 'UserInitiated');
    assert.equal(r.stoppedReason, 'deploying v2');
    assert.deepEqual(r.containers.map((c) => c.exitCode), [143, 137]);
    assert.ok(sink.statuses(a).includes('STOPPING'));
  });

  it('a pull failure without a cached image fails the task with CannotPullContainerError; other tasks go on', async () => {
    const { sink, worker } = await rig();
    const good = assignment();
    const bad = assignment({ containers: [containerDef({ name: 'app', image: 'example.com/missing:1' })] });
    worker.assign([good, bad]);
    const r = await until(sink, bad, 'STOPPED');
    assert.equal(r.stopCode, 'TaskFailedToStart');
    assert.match(r.stoppedReason!, /^CannotPullContainerError: /);
    assert.match(r.containers[0]!.reason!, /^CannotPullContainerError: .*no such host/);
    await until(sink, good, 'RUNNING');
  });

  it('default pull behaviour runs a cached image when the registry is unreachable; always does not', async () => {
    const { sink, worker } = await rig({ behavior: 'always' });
    const a = assignment();
    worker.assign([a]);
    const r = await until(sink, a, 'STOPPED');
    assert.match(r.stoppedReason!, /^CannotPullContainerError/);
    const d = await rig();
    const b = assignment();
    d.worker.assign([b]);
    await until(d.sink, b, 'RUNNING');
  });

  it('create and start failures map to their ECS reasons', async () => {
    const { fake, sink, worker } = await rig();
    fake.createError = (req) => (req.definition.name === 'bad-create' ? 'invalid mount config' : undefined);
    fake.startError = (c) => (c.request.definition.name === 'bad-start' ? 'exec: "nope": executable file not found in $PATH' : undefined);
    const a = assignment({ containers: [containerDef({ name: 'bad-create' })] });
    const b = assignment({ containers: [containerDef({ name: 'bad-start' })] });
    worker.assign([a, b]);
    const ra = await until(sink, a, 'STOPPED');
    const rb = await until(sink, b, 'STOPPED');
    assert.equal(ra.stoppedReason, 'CannotCreateContainerError: invalid mount config');
    assert.equal(rb.stoppedReason, 'CannotStartContainerError: exec: "nope": executable file not found in $PATH');
    assert.equal(rb.stopCode, 'TaskFailedToStart');
  });

  it('a command the init process cannot exec is a start failure (CannotStartContainerError), as ECS reports it', async () => {
    const { fake, sink, worker } = await rig();
    fake.onStart = (c) => {
      c.logs.push({ stream: 'stderr', data: Buffer.from('[FATAL tini (7)] exec /no/such/binary failed: No such file or directory\n') });
      fake.exit(c.labels['stevedore.container']!, 127);
    };
    const a = assignment({ containers: [containerDef({ name: 'app', command: ['/no/such/binary'] })] });
    worker.assign([a]);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'TaskFailedToStart');
    assert.equal(r.stoppedReason, 'CannotStartContainerError: exec /no/such/binary failed: No such file or directory');
    assert.equal(r.containers[0]!.exitCode, 127);
  });

  it('an exit 127 without the init message stays an ordinary exit', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment();
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.exit('app', 127);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'EssentialContainerExited');
  });

  it('a container exiting at once after start is an exit, not a start failure', async () => {
    const { fake, sink, worker } = await rig();
    fake.onStart = (c) => {
      c.state = 'exited';
      c.exitCode = 0;
      c.finishedAt = Date.now();
    };
    const a = assignment();
    worker.assign([a]);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.stopCode, 'EssentialContainerExited');
    assert.equal(r.containers[0]!.exitCode, 0);
  });

  it('OOM kills are reported with the ECS reason', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment();
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.exit('app', 137, { oom: true });
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.containers[0]!.reason, 'OutOfMemoryError: Container killed due to memory usage');
    assert.equal(r.containers[0]!.exitCode, 137);
  });

  it('COMPLETE is authoritative: a task missing from it is stopped and never reported again', async () => {
    const { fake, sink, worker } = await rig();
    const keep = assignment();
    const drop = assignment();
    worker.assign([keep, drop]);
    await until(sink, keep, 'RUNNING');
    await until(sink, drop, 'RUNNING');
    const before = sink.all.length;
    worker.assign([keep]);
    await waitFor('dropped task stopped', () => fake.byName('app', drop.taskArn)?.state === 'exited');
    await worker.idle();
    assert.ok(sink.forgotten.has(drop.taskArn));
    assert.ok(sink.all.slice(before).every((r) => r.taskArn !== drop.taskArn), 'no report for a forgotten task');
    assert.equal(fake.byName('app', keep.taskArn)?.state, 'running');
  });

  it('a desired-STOPPED task it never ran is reported STOPPED without touching Docker', async () => {
    const { fake, sink, worker } = await rig();
    const a = stopped(assignment(), 'UserInitiated', 'stopped before placement finished');
    worker.assign([a]);
    const r = await until(sink, a, 'STOPPED');
    assert.equal(fake.containers.size, 0);
    assert.equal(r.stoppedReason, 'stopped before placement finished');
    assert.deepEqual(r.containers.map((c) => c.status), ['STOPPED']);
  });

  it('StopTask during a pull waits for the pull, then stops without creating', async () => {
    const { fake, sink, worker } = await rig();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const origPull = fake.pullImage.bind(fake);
    fake.pullImage = async (image) => {
      await gate;
      return origPull(image);
    };
    const a = assignment();
    worker.assign([a]);
    await until(sink, a, 'PENDING');
    worker.update([stopped(a)], []);
    await waitFor('STOPPING', () => sink.of(a)?.lastStatus === 'STOPPING');
    release();
    await until(sink, a, 'STOPPED');
    assert.equal(fake.containers.size, 0);
  });

  it('restart adoption: keeps what runs, reports what vanished while it was down, never restarts', async () => {
    const fake = new FakeContainerController();
    const journal = new MemoryTaskJournal();
    const first = await rig({ fake, journal });
    const a = assignment({ containers: [containerDef({ name: 'app' }), containerDef({ name: 'side', essential: false })] });
    const b = assignment();
    first.worker.assign([a, b]);
    await until(first.sink, a, 'RUNNING');
    await until(first.sink, b, 'RUNNING');
    await first.worker.idle();
    first.worker.stop(); // agent goes down; containers keep running
    assert.equal(fake.byName('app', a.taskArn)?.state, 'running');
    const starts = fake.startCount;
    // While the agent is down: a sidecar is removed, b's essential container is removed.
    fake.removeOutside('side');
    const bApp = fake.byName('app', b.taskArn)!;
    fake.containers.delete(bApp.id);

    const second = await rig({ fake, journal });
    second.worker.assign([a, b]);
    const rb = await until(second.sink, b, 'STOPPED');
    assert.equal(rb.containers[0]!.reason, VANISHED_WHILE_DOWN);
    assert.equal(rb.stopCode, 'EssentialContainerExited');
    const ra = await waitFor('a reported', () => second.sink.of(a));
    assert.equal(ra.lastStatus, 'RUNNING');
    assert.deepEqual(ra.containers.map((c) => [c.status, c.reason]), [['RUNNING', undefined], ['STOPPED', VANISHED_WHILE_DOWN]]);
    assert.equal(fake.startCount, starts, 'nothing restarted');
  });

  it('restart adoption from labels alone: stops containers the control plane no longer wants', async () => {
    const fake = new FakeContainerController();
    const first = await rig({ fake });
    const a = assignment();
    first.worker.assign([a]);
    await until(first.sink, a, 'RUNNING');
    first.worker.stop();
    // New journal: the data dir was lost, only Docker labels remain.
    const second = await rig({ fake, journal: new MemoryTaskJournal() });
    await second.worker.idle();
    assert.equal(fake.byName('app')?.state, 'running', 'nothing is touched before COMPLETE');
    second.worker.assign([]);
    await waitFor('orphan stopped', () => fake.byName('app')?.state === 'exited');
    assert.equal(second.sink.all.length, 0);
  });

  it('restart adoption from labels alone: a wanted task continues with the resent spec', async () => {
    const fake = new FakeContainerController();
    const first = await rig({ fake });
    const a = assignment();
    first.worker.assign([a]);
    await until(first.sink, a, 'RUNNING');
    first.worker.stop();
    const second = await rig({ fake, journal: new MemoryTaskJournal() });
    second.worker.assign([a]);
    const r = await until(second.sink, a, 'RUNNING');
    assert.equal(r.containers[0]!.runtimeId, fake.byName('app')!.id);
    assert.equal(fake.startCount, 1);
  });

  it('restart adoption from labels alone: a container without labels vanished, it is not started afresh', async () => {
    const fake = new FakeContainerController();
    const first = await rig({ fake });
    const a = assignment({ containers: [containerDef({ name: 'app' }), containerDef({ name: 'side', essential: false })] });
    first.worker.assign([a]);
    await until(first.sink, a, 'RUNNING');
    first.worker.stop();
    fake.removeOutside('side');
    const second = await rig({ fake, journal: new MemoryTaskJournal() });
    second.worker.assign([a]);
    const r = await waitFor('reported', () => second.sink.of(a));
    assert.equal(r.lastStatus, 'RUNNING');
    assert.deepEqual(r.containers.map((c) => [c.name, c.status, c.reason]), [['app', 'RUNNING', undefined], ['side', 'STOPPED', VANISHED_WHILE_DOWN]]);
    await second.worker.idle();
    assert.equal(fake.startCount, 2);
  });

  it('reports containers killed while dockerd restarted (no events), via the reconnect resync', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment();
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.restartDaemon();
    const r = await until(sink, a, 'STOPPED');
    assert.equal(r.containers[0]!.exitCode, 255);
    assert.equal(r.stopCode, 'EssentialContainerExited');
  });

  it('a container removed outside Stevedore is reported as vanished', async () => {
    const { fake, sink, worker } = await rig();
    const a = assignment();
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    fake.removeOutside('app');
    const r = await until(sink, a, 'STOPPED');
    assert.match(r.containers[0]!.reason!, /vanished/);
  });

  it('cleans up stopped tasks (containers and task volumes) after the wait, once the control plane applied STOPPED', async () => {
    const { fake, sink, worker } = await rig({ cleanupWaitMs: 50 });
    const a = assignment({
      // A shared volume is host access: this cluster allows it.
      hostAccess: { ...NO_HOST_ACCESS, hostDockerVolumes: true },
      volumes: [{ name: 'scratch', dockerVolumeConfiguration: { scope: 'task' } }, { name: 'cache', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true } }],
      containers: [containerDef({ name: 'app', mountPoints: [{ sourceVolume: 'scratch', containerPath: '/s' }, { sourceVolume: 'cache', containerPath: '/c' }] })],
    });
    worker.assign([a]);
    await until(sink, a, 'RUNNING');
    assert.deepEqual([...fake.volumes.keys()].sort(), ['cache', `ecs-web-1-scratch-${a.taskId}`]);
    fake.exit('app', 0);
    const r = await until(sink, a, 'STOPPED');
    await worker.idle();
    assert.equal(fake.containers.size, 1, 'kept until the STOPPED report is applied');
    worker.acknowledged([r]);
    await waitFor('cleanup', () => fake.containers.size === 0);
    assert.deepEqual([...fake.volumes.keys()], ['cache'], 'shared volumes persist');
    // A stale assignment for a cleaned-up task never runs it again.
    worker.assign([a]);
    await worker.idle();
    assert.equal(fake.containers.size, 0);
    assert.equal(sink.of(a)!.lastStatus, 'STOPPED');
  });
});
