import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { httpGet } from '../helpers/api';
import { inspectContainer, killContainer, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// The foundation end to end: a control plane and three agents (127.0.0.2-4)
// against the real dockerd, driven through the public API.

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;

before(async () => {
  c = await startCluster({ agents: 3, test: hooks, readyTimeoutMs: 60_000 });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

async function register(td: Record<string, unknown>): Promise<string> {
  const r = await c.call('RegisterTaskDefinition', td);
  return `${r.taskDefinition.family}:${r.taskDefinition.revision}`;
}

async function runOne(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await c.call('RunTask', { taskDefinition, ...extra });
  assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
  return r.tasks[0].taskArn as string;
}

async function describe1(taskArn: string): Promise<any> {
  const r = await c.call('DescribeTasks', { tasks: [taskArn] });
  return r.tasks[0];
}

function waitStatus(taskArn: string, status: string, timeoutMs = 60_000, extra: (t: any) => boolean = () => true) {
  return waitFor(
    async () => {
      const t = await describe1(taskArn);
      return t.lastStatus === status && extra(t) ? t : undefined;
    },
    { description: `task ${taskArn} ${status}`, timeoutMs, intervalMs: 200 },
  );
}

async function containerOf(taskArn: string, name: string) {
  const list = await listContainers({ 'stevedore.task': taskArn, 'stevedore.container': name });
  assert.equal(list.length, 1, `one docker container for ${name}`);
  return list[0]!;
}

const web = (family: string, extra: Record<string, unknown> = {}) => ({
  family,
  containerDefinitions: [
    {
      name: 'web',
      image: TEST_IMAGE,
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      memory: 32,
      portMappings: [{ containerPort: 8080 }],
      ...extra,
    },
  ],
});

describe('tasks on real Docker', () => {
  test('a web task is reachable on its dynamic host port, on its agent\'s host IP', async () => {
    const td = await register(web('e2e-web'));
    const r = await c.call('RunTask', { taskDefinition: td, count: 3 });
    assert.equal(r.tasks.length, 3);
    for (const t of r.tasks) {
      const running = await waitStatus(t.taskArn, 'RUNNING');
      const b = running.containers[0].networkBindings[0];
      assert.equal(b.containerPort, 8080);
      assert.ok(b.hostPort >= 1024, `ephemeral host port, got ${b.hostPort}`);
      assert.match(b.bindIP, /^127\.0\.0\.[234]$/);
      const instance = (await c.call('DescribeContainerInstances', { containerInstances: [running.containerInstanceArn] })).containerInstances[0];
      const agentIp = instance.attributes.find((a: any) => a.name === 'stevedore.test.agent-index');
      assert.ok(agentIp, 'instance carries the harness attribute');
      const page = await waitFor(() => httpGet(`http://${b.bindIP}:${b.hostPort}/`), { description: 'HTTP answer', timeoutMs: 20_000 });
      assert.equal(page.status, 200);
      assert.match(page.body, /stevedore ok/);
    }
    // Instances account for what runs on them.
    const instances = await c.instances();
    const used = instances.reduce((n: number, i: any) => n + i.runningTasksCount, 0);
    assert.ok(used >= 3);
    for (const t of r.tasks) await c.call('StopTask', { task: t.taskArn });
  });

  test('essential and sidecar: a sidecar exit keeps the task running, an essential exit stops it', async () => {
    const td = await register({
      family: 'e2e-sidecar',
      containerDefinitions: [
        { name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16 },
        { name: 'side', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, essential: false },
      ],
    });
    const arn = await runOne(td);
    await waitStatus(arn, 'RUNNING');
    await killContainer((await containerOf(arn, 'side')).id, 'KILL');
    const afterSide = await waitFor(
      async () => {
        const t = await describe1(arn);
        const side = t.containers.find((x: any) => x.name === 'side');
        return side.lastStatus === 'STOPPED' ? t : undefined;
      },
      { description: 'sidecar reported STOPPED', timeoutMs: 30_000 },
    );
    assert.equal(afterSide.lastStatus, 'RUNNING');
    assert.equal(afterSide.desiredStatus, 'RUNNING');
    assert.equal(afterSide.containers.find((x: any) => x.name === 'side').exitCode, 137);

    await killContainer((await containerOf(arn, 'app')).id, 'KILL');
    const stopped = await waitStatus(arn, 'STOPPED', 30_000);
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.desiredStatus, 'STOPPED');
    assert.equal(stopped.containers.find((x: any) => x.name === 'app').exitCode, 137);
    assert.ok(stopped.stoppedAt >= stopped.startedAt);
  });

  test('dependsOn HEALTHY holds the dependent back until the health check passes', async () => {
    const td = await register({
      family: 'e2e-depends',
      containerDefinitions: [
        {
          name: 'db',
          image: TEST_IMAGE,
          // Healthy only once /tmp/ready exists, created after ~3 s.
          command: ['sh', '-c', 'sleep 3; touch /tmp/ready; sleep 3600'],
          memory: 16,
          healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 5, timeout: 2, retries: 3 },
        },
        { name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] },
      ],
    });
    const arn = await runOne(td);
    const whileWaiting = await waitFor(
      async () => {
        const t = await describe1(arn);
        const db = t.containers.find((x: any) => x.name === 'db');
        return db.lastStatus === 'RUNNING' ? t : undefined;
      },
      { description: 'db running', timeoutMs: 30_000 },
    );
    if (whileWaiting.containers.find((x: any) => x.name === 'db').healthStatus !== 'HEALTHY') {
      assert.equal(whileWaiting.containers.find((x: any) => x.name === 'app').lastStatus, 'PENDING', 'app waits while db is not healthy');
      assert.equal(whileWaiting.lastStatus, 'PENDING');
    }
    const running = await waitStatus(arn, 'RUNNING', 60_000);
    assert.equal(running.containers.find((x: any) => x.name === 'db').healthStatus, 'HEALTHY');
    assert.equal(running.healthStatus, 'HEALTHY');
    const db = await inspectContainer((await containerOf(arn, 'db')).id);
    const app = await inspectContainer((await containerOf(arn, 'app')).id);
    assert.ok(Date.parse(app.State.StartedAt) - Date.parse(db.State.StartedAt) >= 2500, 'app started after db became healthy');
    await c.call('StopTask', { task: arn });
  });

  test('a batch task that exits 0 ends STOPPED with exitCode 0, and its logs are readable', async () => {
    const td = await register({
      family: 'e2e-batch',
      containerDefinitions: [{ name: 'job', image: TEST_IMAGE, command: ['sh', '-c', 'echo hello-from-batch; echo oops >&2; exit 0'], memory: 16 }],
    });
    const arn = await runOne(td);
    const stopped = await waitStatus(arn, 'STOPPED');
    assert.equal(stopped.containers[0].exitCode, 0);
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    const logs = await c.cli(['logs', arn]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /hello-from-batch/);
    assert.match(logs.stderr, /oops/);
  });

  test('run-task --wait through the CLI returns the essential container\'s exit code', async () => {
    const td = await register({
      family: 'e2e-exit3',
      containerDefinitions: [{ name: 'job', image: TEST_IMAGE, command: ['sh', '-c', 'exit 3'], memory: 16 }],
    });
    const r = await c.cli(['run-task', td, '--wait-stopped', '--timeout', '60'], { timeoutMs: 90_000 });
    assert.equal(r.code, 3, r.stdout + r.stderr);
  });

  test('StopTask honours stopTimeout: SIGTERM first, SIGKILL after the timeout', async () => {
    const td = await register({
      family: 'e2e-stoptimeout',
      containerDefinitions: [
        // Ignores SIGTERM, so only the SIGKILL after stopTimeout ends it.
        { name: 'stubborn', image: TEST_IMAGE, command: ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"], memory: 16, stopTimeout: 4 },
      ],
    });
    const arn = await runOne(td);
    await waitStatus(arn, 'RUNNING');
    const asked = Date.now();
    const stop = await c.call('StopTask', { task: arn, reason: 'e2e stop' });
    assert.equal(stop.task.desiredStatus, 'STOPPED');
    const stopped = await waitStatus(arn, 'STOPPED', 60_000);
    const tookMs = Date.now() - asked;
    assert.equal(stopped.containers[0].exitCode, 137, 'killed after the timeout');
    assert.ok(tookMs >= 3500, `stop waited for stopTimeout (took ${tookMs} ms)`);
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'e2e stop');
  });

  test('a failing image or command ends the task TaskFailedToStart and the agent keeps serving', async () => {
    const missing = await register({ family: 'e2e-noimage', containerDefinitions: [{ name: 'x', image: 'stevedore-test/does-not-exist:1', memory: 16 }] });
    const badCmd = await register({ family: 'e2e-badcmd', containerDefinitions: [{ name: 'x', image: TEST_IMAGE, command: ['/no/such/binary'], memory: 16 }] });
    const a = await runOne(missing);
    const b = await runOne(badCmd);
    const sa = await waitStatus(a, 'STOPPED', 90_000);
    assert.equal(sa.stopCode, 'TaskFailedToStart');
    assert.match(sa.containers[0].reason, /^CannotPullContainerError/);
    assert.match(sa.stoppedReason, /CannotPullContainerError/);
    const sb = await waitStatus(b, 'STOPPED', 60_000);
    assert.equal(sb.stopCode, 'TaskFailedToStart');
    assert.match(sb.containers[0].reason, /^Cannot(Start|Create)ContainerError/);
    // Still serving: a healthy task starts right after.
    const ok = await runOne(await register(web('e2e-after-failure')));
    await waitStatus(ok, 'RUNNING');
    await c.call('StopTask', { task: ok });
  });

  test('an agent restart leaves containers untouched and the task RUNNING', async () => {
    const td = await register(web('e2e-agent-restart'));
    const i0 = await c.instanceArnOf(0);
    const r = await c.call('StartTask', { taskDefinition: td, containerInstances: [i0] });
    const arn = r.tasks[0].taskArn as string;
    await waitStatus(arn, 'RUNNING');
    const before = await inspectContainer((await containerOf(arn, 'web')).id);
    await c.stopAgent(0, 'SIGTERM');
    await waitFor(async () => (await c.instanceOf(0))?.agentConnected === false, { description: 'agent 0 disconnected', timeoutMs: 20_000 });
    const during = await inspectContainer(before.Id);
    assert.equal(during.State.Running, true, 'container keeps running while the agent is down');
    await c.startAgent(0);
    await c.waitForAgents([0]);
    const afterRestart = await inspectContainer(before.Id);
    assert.equal(afterRestart.State.StartedAt, before.State.StartedAt, 'not restarted');
    assert.equal(afterRestart.RestartCount, before.RestartCount);
    const t = await describe1(arn);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.equal((await listContainers({ 'stevedore.task': arn })).length, 1, 'no duplicate container');
    await c.call('StopTask', { task: arn });
    await waitStatus(arn, 'STOPPED');
  });

  test('a container removed while its agent is down is reported truthfully after the restart', async () => {
    const td = await register(web('e2e-vanish'));
    const i1 = await c.instanceArnOf(1);
    const arn = (await c.call('StartTask', { taskDefinition: td, containerInstances: [i1] })).tasks[0].taskArn as string;
    await waitStatus(arn, 'RUNNING');
    const id = (await containerOf(arn, 'web')).id;
    await c.stopAgent(1, 'SIGTERM');
    await killContainer(id, 'KILL');
    await c.startAgent(1);
    const stopped = await waitStatus(arn, 'STOPPED', 60_000);
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.containers[0].exitCode, 137);
  });

  test('a control-plane restart loses nothing', async () => {
    const td = await register(web('e2e-cp-restart'));
    const arn = await runOne(td);
    const running = await waitStatus(arn, 'RUNNING');
    const id = (await containerOf(arn, 'web')).id;
    await c.restartControlPlane('SIGKILL');
    await c.waitForAgents();
    const t = await describe1(arn);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.deepEqual(t.containers[0].networkBindings, running.containers[0].networkBindings);
    assert.equal((await c.call('DescribeTaskDefinition', { taskDefinition: td })).taskDefinition.family, 'e2e-cp-restart');
    assert.equal((await inspectContainer(id)).State.Running, true);
    // And it still acts on the task after the restart.
    await c.call('StopTask', { task: arn });
    await waitStatus(arn, 'STOPPED');
  });

  test('container settings from the task definition reach Docker', async () => {
    const td = await register({
      family: 'e2e-settings',
      containerDefinitions: [
        {
          name: 'app',
          image: TEST_IMAGE,
          entryPoint: ['sh', '-c'],
          command: ['echo "$GREETING from $(pwd) as $(id -u)"; sleep 3600'],
          environment: [{ name: 'GREETING', value: 'hello' }],
          workingDirectory: '/tmp',
          user: '1000',
          hostname: 'svc-host',
          extraHosts: [{ hostname: 'db.internal', ipAddress: '10.9.9.9' }],
          dockerLabels: { team: 'core', 'stevedore.task': 'spoofed' },
          ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }],
          readonlyRootFilesystem: true,
          cpu: 256,
          memory: 48,
          memoryReservation: 32,
        },
      ],
    });
    const arn = await runOne(td);
    await waitStatus(arn, 'RUNNING');
    const info = await inspectContainer((await containerOf(arn, 'app')).id);
    assert.ok(info.Config.Env.includes('GREETING=hello'));
    assert.equal(info.Config.WorkingDir, '/tmp');
    assert.equal(info.Config.User, '1000');
    assert.equal(info.Config.Hostname, 'svc-host');
    assert.deepEqual(info.HostConfig.ExtraHosts, ['db.internal:10.9.9.9']);
    assert.equal(info.Config.Labels.team, 'core');
    assert.equal(info.Config.Labels['stevedore.task'], arn, 'system labels win over user labels');
    assert.equal(info.Config.Labels['com.amazonaws.ecs.task-arn'], arn);
    assert.deepEqual(info.HostConfig.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.equal(info.HostConfig.CpuShares, 256);
    assert.equal(info.HostConfig.Memory, 48 * 1024 * 1024);
    assert.equal(info.HostConfig.MemoryReservation, 32 * 1024 * 1024);
    assert.equal(info.HostConfig.Init, true);
    assert.match(info.Name, /^\/ecs-e2e-settings-\d+-app-[0-9a-f]+$/);
    const logs = await waitFor(
      async () => {
        const r = await c.cli(['logs', arn]);
        return /hello from \/tmp as 1000/.test(r.stdout) ? r : undefined;
      },
      { description: 'greeting in the logs', timeoutMs: 20_000 },
    );
    assert.equal(logs.code, 0);
    await c.call('StopTask', { task: arn });
  });

  test('bad input gets ECS errors naming the field, never a 5xx', async () => {
    const bad = async (op: string, body: Record<string, unknown>) => {
      try {
        await c.call(op, body);
      } catch (e) {
        return e as { type: string; status: number; message: string };
      }
      assert.fail(`${op} accepted ${JSON.stringify(body)}`);
    };
    const noEssential = await bad('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a', image: TEST_IMAGE, memory: 16, essential: false }] });
    assert.equal(noEssential.status, 400);
    const cycle = await bad('RegisterTaskDefinition', {
      family: 'x',
      containerDefinitions: [
        { name: 'a', image: TEST_IMAGE, memory: 16, dependsOn: [{ containerName: 'b', condition: 'START' }] },
        { name: 'b', image: TEST_IMAGE, memory: 16, dependsOn: [{ containerName: 'a', condition: 'START' }] },
      ],
    });
    assert.match(cycle.message, /'a' -> 'b' -> 'a'|'b' -> 'a' -> 'b'/);
    const hc = await bad('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a', image: TEST_IMAGE, memory: 16, healthCheck: { command: ['CMD', 'true'], interval: 0 } }] });
    assert.match(hc.message, /healthCheck\.interval/);
    const dup = await bad('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a', image: TEST_IMAGE, memory: 16 }, { name: 'a', image: TEST_IMAGE, memory: 16 }] });
    assert.match(dup.message, /containerDefinitions\[1\]\.name|duplicate|Duplicate/);
    const tooMany = await bad('RunTask', { taskDefinition: 'e2e-web', count: 0 });
    assert.equal(tooMany.type, 'InvalidParameterException');
    const ports = await bad('RegisterTaskDefinition', {
      family: 'x',
      containerDefinitions: [
        { name: 'a', image: TEST_IMAGE, memory: 16, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
        { name: 'b', image: TEST_IMAGE, memory: 16, portMappings: [{ containerPort: 81, hostPort: 8080 }] },
      ],
    });
    assert.equal(ports.status, 400);
  });
});
