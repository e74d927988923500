import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { systemClock, type TaskAssignment, type TaskReport, NO_HOST_ACCESS } from '@stevedore/core';
import type { ContainerEvent, CreateContainerRequest } from './exec/container-controller';
import { DockerController } from './docker/docker-controller';
import { silentLogger } from './logger';
import { assignment, containerDef, stopped, TEST_IMAGE } from './testing/builders';
import { DOCKER_SOCKET, dockerSkipReason, ensureTestImage, removeLabelled } from './testing/real-docker';
import { waitFor } from './testing/wait-for';
import { ImagePuller } from './worker/image-puller';
import { FileTaskJournal } from './worker/task-journal';
import { Worker, type ReportSink } from './worker/worker';

/**
 * The agent against the real local dockerd with the busybox test image. Every
 * container and volume carries a per-run instance id and is removed at the end;
 * containers of other agents sharing this dockerd are never touched.
 */
const skip = dockerSkipReason();
const INSTANCE = `itest-${randomBytes(6).toString('hex')}`;
const HOST_IP = '127.0.0.5';
const docker = new Docker({ socketPath: DOCKER_SOCKET });
const log = silentLogger();
const controller = new DockerController(docker, log);

function httpGet(host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function createRequest(name: string, over: Partial<CreateContainerRequest['definition']> = {}): CreateContainerRequest {
  return {
    dockerName: `stevedore-itest-${name}-${randomBytes(4).toString('hex')}`,
    image: TEST_IMAGE,
    labels: { 'stevedore.instance': INSTANCE, 'stevedore.container': name, 'stevedore.task': `arn:itest/${name}` },
    definition: { name, image: TEST_IMAGE, ...over },
    networkMode: 'bridge',
    hostIp: HOST_IP,
    peers: new Map(),
    mounts: [],
    stopTimeoutSeconds: 10,
  };
}

class Sink implements ReportSink {
  readonly latest = new Map<string, TaskReport>();
  report(r: TaskReport): void {
    this.latest.set(r.taskArn, r);
  }
  forget(): void {}
  until(a: TaskAssignment, status: string, timeoutMs = 20_000): Promise<TaskReport> {
    return waitFor(`${a.taskArn} ${status}`, () => {
      const r = this.latest.get(a.taskArn);
      return r?.lastStatus === status ? r : undefined;
    }, timeoutMs, 20);
  }
}

describe('DockerController on the real dockerd', { skip }, () => {
  const events: ContainerEvent[] = [];
  let sub: { close(): void } | undefined;

  before(async () => {
    await ensureTestImage(docker);
    sub = controller.subscribeEvents({ 'stevedore.instance': INSTANCE }, { onEvent: (e) => events.push(e), onReconnected: () => undefined });
  });
  after(async () => {
    sub?.close();
    await removeLabelled(docker, INSTANCE);
  });

  it('publishes a dynamic port on the host ip only, reports bindings, stops fast thanks to Init', async () => {
    const id = await controller.createContainer(createRequest('web', {
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      portMappings: [{ containerPort: 8080 }],
    }));
    await controller.startContainer(id);
    const obs = (await controller.inspectContainer(id))!;
    assert.equal(obs.running, true);
    assert.equal(obs.networkBindings.length, 1);
    const b = obs.networkBindings[0]!;
    assert.equal(b.bindIP, HOST_IP);
    assert.equal(b.containerPort, 8080);
    assert.ok(b.hostPort >= 1024);
    const res = await (async () => {
      for (let i = 0; i < 50; i++) {
        try {
          return await httpGet(HOST_IP, b.hostPort);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error('httpd never answered');
    })();
    assert.ok(res.status === 200 || res.status === 404, `got HTTP ${res.status}`);
    await assert.rejects(httpGet('127.0.0.1', b.hostPort), 'not bound on other addresses');
    await waitFor('start event', () => events.some((e) => e.runtimeId === id && e.kind === 'start'));
    const t0 = Date.now();
    await controller.stopContainer(id, 10);
    assert.ok(Date.now() - t0 < 5000, 'SIGTERM handled by init, not a 10s SIGKILL wait');
    const after = (await controller.inspectContainer(id))!;
    assert.equal(after.running, false);
    assert.equal(after.exitCode, 143);
    assert.ok(after.finishedAt! >= after.startedAt!);
    await waitFor('die event with exit code', () => events.find((e) => e.runtimeId === id && e.kind === 'die' && e.exitCode === 143), 5000);
    await controller.stopContainer(id, 1); // stopping a stopped container is fine
  });

  it('translates the health check and emits health events (and no exec_* noise)', async () => {
    const id = await controller.createContainer(createRequest('health', {
      command: ['sleep', '300'],
      healthCheck: { command: ['CMD-SHELL', 'true'], interval: 1, timeout: 2, retries: 1 },
    }));
    const info = await docker.getContainer(id).inspect();
    assert.deepEqual(info.Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1e9, Timeout: 2e9, Retries: 1 });
    assert.equal(info.HostConfig.Init, true);
    await controller.startContainer(id);
    await waitFor('healthy event', () => events.find((e) => e.runtimeId === id && e.kind === 'health' && e.health === 'healthy'), 10_000, 50);
    assert.equal((await controller.inspectContainer(id))!.health, 'healthy');
    assert.ok(events.every((e) => ['create', 'start', 'die', 'oom', 'health', 'destroy', 'stop', 'kill'].includes(e.kind)));
    await controller.removeContainer(id);
    assert.equal(await controller.inspectContainer(id), undefined);
    await controller.removeContainer(id); // already gone is fine
  });

  it("runs a health check command once by exec (startup checks): exit code, the container's environment, timeout", async () => {
    const id = await controller.createContainer(createRequest('probe', { command: ['sleep', '300'], environment: [{ name: 'READY', value: 'yes' }] }));
    await controller.startContainer(id);
    assert.equal(await controller.runHealthCheck(id, ['/bin/sh', '-c', 'test "$READY" = yes'], 5000), true);
    assert.equal(await controller.runHealthCheck(id, ['/bin/sh', '-c', 'exit 3'], 5000), false);
    const t0 = Date.now();
    assert.equal(await controller.runHealthCheck(id, ['sleep', '10'], 300), false, 'timed out');
    assert.ok(Date.now() - t0 < 5000);
    await controller.removeContainer(id);
    await assert.rejects(controller.runHealthCheck(id, ['true'], 1000), 'a container that is gone');
  });

  it('demultiplexes logs, tail and follow (which ends when the container stops)', async () => {
    const id = await controller.createContainer(createRequest('logs', { command: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; sleep 1; echo late'] }));
    await controller.startContainer(id);
    const followed: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      void controller.openLogs(id, { follow: true, tail: 0, sinceMs: 0 }, {
        onData: (s, d) => (followed.push(`${s}:${d.toString()}`), true),
        waitDrain: (resume) => resume(),
        onEnd: (err) => (err ? reject(err) : resolve()),
      });
    });
    await ended;
    assert.ok(followed.join('').includes('stdout:late'), followed.join('|'));
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      void controller.openLogs(id, { follow: false, tail: 0, sinceMs: 0 }, { onData: (s, d) => (chunks.push(`${s}:${d.toString()}`), true), waitDrain: (r) => r(), onEnd: (e) => (e ? reject(e) : resolve()) });
    });
    // stdout and stderr are separate pipes: order is kept within a stream only.
    // Consecutive lines of one stream may come as one piece.
    const text = (stream: string) => chunks.filter((c) => c.startsWith(`${stream}:`)).map((c) => c.slice(stream.length + 1)).join('');
    assert.equal(text('stdout'), 'out1\nout2\nlate\n');
    assert.equal(text('stderr'), 'err1\n');
    const tail: string[] = [];
    await new Promise<void>((resolve) => {
      void controller.openLogs(id, { follow: false, tail: 1, sinceMs: 0 }, { onData: (_s, d) => (tail.push(d.toString()), true), waitDrain: (r) => r(), onEnd: () => resolve() });
    });
    assert.deepEqual(tail, ['late\n']);
  });

  it('fails pulls fast without a registry, keeps cached images usable, reports missing images on create', async () => {
    assert.equal(await controller.imageExists(TEST_IMAGE), true);
    await assert.rejects(controller.pullImage(TEST_IMAGE));
    assert.equal(await controller.imageExists('stevedore-test/does-not-exist:1'), false);
    await assert.rejects(controller.createContainer({ ...createRequest('noimg'), image: 'stevedore-test/does-not-exist:1' }), (err: { statusCode?: number }) => err.statusCode === 404);
    const puller = new ImagePuller(controller, 'default', undefined, log);
    await puller.ensure(TEST_IMAGE);
  });

  it('creates volumes idempotently and lists only containers with our labels', async () => {
    const v = { name: `stevedore-itest-${INSTANCE}`, driver: 'local', driverOpts: {}, labels: { 'stevedore.instance': INSTANCE } };
    await controller.ensureVolume(v);
    await controller.ensureVolume(v);
    await controller.removeVolume(v.name);
    await controller.removeVolume(v.name);
    const mine = await controller.listContainers({ 'stevedore.instance': INSTANCE });
    assert.ok(mine.length > 0);
    assert.ok(mine.every((o) => o.labels['stevedore.instance'] === INSTANCE));
  });
});

describe('Worker on the real dockerd: task lifecycle end to end', { skip }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stevedore-agent-itest-'));
  const workers: Worker[] = [];
  const instance = `${INSTANCE}-w`;

  function startWorker(sink: Sink): Promise<Worker> {
    const w = new Worker({
      controller,
      images: new ImagePuller(controller, 'default', dataDir, log),
      journal: new FileTaskJournal(dataDir),
      clock: systemClock,
      log,
      instanceId: instance,
      hostIp: HOST_IP,
      agentVersion: '0.1.0-itest',
      defaultStopTimeoutSeconds: 10,
      cleanupWaitMs: 3600_000,
      reports: sink,
    });
    workers.push(w);
    return w.start().then(() => w);
  }

  before(async () => ensureTestImage(docker));
  after(async () => {
    for (const w of workers) w.stop();
    await removeLabelled(docker, instance);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a web task behind a healthy sidecar, then stops it in reverse order on StopTask', async () => {
    const sink = new Sink();
    const w = await startWorker(sink);
    const a = assignment({
      family: 'itest-web',
      containers: [
        containerDef({ name: 'db', essential: false, command: ['sleep', '300'], healthCheck: { command: ['CMD-SHELL', 'true'], interval: 1, timeout: 2, retries: 1 } }),
        containerDef({ name: 'web', command: ['httpd', '-f', '-p', '8080', '-h', '/www'], portMappings: [{ containerPort: 8080 }], dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
      ],
    });
    w.assign([a]);
    const r = await sink.until(a, 'RUNNING');
    assert.equal(r.containers[0]!.healthStatus, 'HEALTHY');
    const binding = r.containers[1]!.networkBindings[0]!;
    assert.equal(binding.bindIP, HOST_IP);
    const info = await docker.getContainer(r.containers[1]!.runtimeId!).inspect();
    assert.match(info.Name, /^\/ecs-itest-web-1-web-[0-9a-f]{20}$/);
    assert.equal(info.Config.Labels['com.amazonaws.ecs.task-arn'], a.taskArn);
    const t0 = Date.now();
    w.update([stopped(a, 'UserInitiated', 'itest stop')], []);
    const s = await sink.until(a, 'STOPPED');
    assert.ok(Date.now() - t0 < 8000, 'both stops are fast with Init');
    assert.equal(s.stoppedReason, 'itest stop');
    assert.deepEqual(s.containers.map((c) => c.exitCode), [143, 143]);
    const [db, web] = await Promise.all(s.containers.map((c) => docker.getContainer(c.runtimeId!).inspect()));
    assert.ok(Date.parse(web!.State.FinishedAt) <= Date.parse(db!.State.FinishedAt), 'web (the dependent) stopped before db');
    w.stop();
  });

  it('an essential exit stops the task; failures map to ECS reasons; the agent keeps serving other tasks', async () => {
    const sink = new Sink();
    const w = await startWorker(sink);
    // A static host port already taken on the host ip: Docker refuses to start the container.
    const blocker = createServer().listen(0, HOST_IP);
    await once(blocker, 'listening');
    const takenPort = (blocker.address() as AddressInfo).port;
    const exits = assignment({ family: 'itest-exit', containers: [containerDef({ name: 'job', command: ['sh', '-c', 'sleep 0.5; exit 3'] }), containerDef({ name: 'side', essential: false, command: ['sleep', '300'] })] });
    const badImage = assignment({ family: 'itest-badimg', containers: [containerDef({ name: 'x', image: 'stevedore-test/does-not-exist:1' })] });
    const portTaken = assignment({ family: 'itest-port', containers: [containerDef({ name: 'x', command: ['sleep', '300'], portMappings: [{ containerPort: 80, hostPort: takenPort }] })] });
    // With an init process the exec failure happens inside the container; it is still a start failure.
    const badCmd = assignment({ family: 'itest-badcmd', containers: [containerDef({ name: 'x', command: ['/nope'] })] });
    try {
      w.assign([exits, badImage, portTaken, badCmd]);
      const r = await sink.until(exits, 'STOPPED');
      assert.equal(r.stopCode, 'EssentialContainerExited');
      assert.equal(r.stoppedReason, 'Essential container in task exited');
      assert.deepEqual(r.containers.map((c) => [c.name, c.exitCode]), [['job', 3], ['side', 143]]);
      const p = await sink.until(badImage, 'STOPPED');
      assert.equal(p.stopCode, 'TaskFailedToStart');
      assert.match(p.stoppedReason!, /^CannotPullContainerError: /);
      const t = await sink.until(portTaken, 'STOPPED');
      assert.equal(t.stopCode, 'TaskFailedToStart');
      assert.match(t.stoppedReason!, /^CannotStartContainerError: .*(already|in use)/);
      const c = await sink.until(badCmd, 'STOPPED');
      assert.equal(c.stopCode, 'TaskFailedToStart');
      assert.equal(c.stoppedReason, 'CannotStartContainerError: exec /nope failed: No such file or directory');
    } finally {
      blocker.close();
      w.stop();
    }
  });

  it('wires links, task and host volumes, volumesFrom and environment like ECS', async () => {
    const sink = new Sink();
    const w = await startWorker(sink);
    const hostDir = mkdtempSync(path.join(tmpdir(), 'stevedore-bind-'));
    writeFileSync(path.join(hostDir, 'from-host.txt'), 'host data');
    const a = assignment({
      family: 'itest-wiring',
      // Host paths need the cluster's permission, which comes with the assignment.
      hostAccess: { ...NO_HOST_ACCESS, hostPathVolumes: true },
      volumes: [{ name: 'scratch', dockerVolumeConfiguration: { scope: 'task' } }, { name: 'hostdir', host: { sourcePath: hostDir } }],
      containers: [
        containerDef({
          name: 'db',
          command: ['sh', '-c', 'echo db-ok > /tmp/index.html; echo shared > /data/made-by-db; exec httpd -f -p 8080 -h /tmp'],
          mountPoints: [{ sourceVolume: 'scratch', containerPath: '/data' }],
        }),
        containerDef({
          name: 'client',
          essential: false,
          links: ['db:database'],
          volumesFrom: [{ sourceContainer: 'db', readOnly: true }],
          mountPoints: [{ sourceVolume: 'hostdir', containerPath: '/host', readOnly: true }],
          environment: [{ name: 'GREETING', value: 'hi' }],
          dependsOn: [{ containerName: 'db', condition: 'START' }],
          command: ['sh', '-c', 'sleep 0.3; test "$GREETING" = hi && test "$(cat /data/made-by-db)" = shared && test "$(cat /host/from-host.txt)" = "host data" && wget -q -O- http://database:8080/index.html | grep -q db-ok'],
        }),
      ],
    });
    try {
      w.assign([a]);
      const r = await waitFor('client finished', () => {
        const x = sink.latest.get(a.taskArn);
        return x?.containers[1]?.status === 'STOPPED' ? x : undefined;
      }, 20_000, 20);
      assert.equal(r.containers[1]!.exitCode, 0, 'links, volumes, volumesFrom and env all worked inside the container');
      assert.equal(r.lastStatus, 'RUNNING', 'a non-essential exit leaves the task running');
      const vols = await docker.listVolumes({ filters: { label: [`stevedore.task=${a.taskArn}`] } });
      assert.deepEqual((vols.Volumes ?? []).map((v) => v.Name), [`ecs-itest-wiring-1-scratch-${a.taskId}`]);
    } finally {
      w.stop();
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  it('after an agent restart: adopts running containers without restarting them, reports a container killed meanwhile', async () => {
    const sink1 = new Sink();
    const w1 = await startWorker(sink1);
    const keep = assignment({ family: 'itest-keep', containers: [containerDef({ name: 'app', command: ['sleep', '300'] })] });
    const kill = assignment({ family: 'itest-kill', containers: [containerDef({ name: 'app', command: ['sleep', '300'] })] });
    w1.assign([keep, kill]);
    const k = await sink1.until(keep, 'RUNNING');
    const d = await sink1.until(kill, 'RUNNING');
    await w1.idle();
    w1.stop();
    const startedBefore = (await docker.getContainer(k.containers[0]!.runtimeId!).inspect()).State.StartedAt;
    await docker.getContainer(d.containers[0]!.runtimeId!).kill();

    const sink2 = new Sink();
    const w2 = await startWorker(sink2);
    w2.assign([keep, kill]);
    const killed = await sink2.until(kill, 'STOPPED');
    assert.equal(killed.containers[0]!.exitCode, 137);
    assert.equal(killed.stopCode, 'EssentialContainerExited');
    const kept = await waitFor('keep reported', () => sink2.latest.get(keep.taskArn));
    assert.equal(kept.lastStatus, 'RUNNING');
    assert.equal((await docker.getContainer(k.containers[0]!.runtimeId!).inspect()).State.StartedAt, startedBefore, 'not restarted');
    // A later COMPLETE without it: stopped (authoritative).
    w2.assign([]);
    const id = k.containers[0]!.runtimeId!;
    let running = true;
    for (const deadline = Date.now() + 15_000; running && Date.now() < deadline; ) {
      running = (await docker.getContainer(id).inspect()).State.Running;
      if (running) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(running, false);
  });
});
