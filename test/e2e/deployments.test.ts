import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Rolling deployments end to end: a control plane and three agents against
// the real dockerd, web tasks with real Docker health checks (1 s interval:
// below ECS's 5 s minimum, Stevedore's departure; Docker probes first one
// interval after start, so every wave waits 1 s, not 5), driven through the public API and the stevedore CLI.
// Check-less tasks count as healthy 3 s after RUNNING (the warm-up,
// `--healthy-after-running-seconds`): short, so the "unproven" test is quick;
// the web tasks have container checks, which the warm-up does not affect.

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
const tmp = mkdtempSync(path.join(tmpdir(), 'sv-e2e-deploy-'));

before(async () => {
  c = await startCluster({ agents: 3, test: hooks, readyTimeoutMs: 60_000, controlPlaneArgs: ['--deployment-timeout-seconds', '120', '--healthy-after-running-seconds', '3'] });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
  rmSync(tmp, { recursive: true, force: true });
});

// Timeout 2 s and 2 retries: a loaded CI machine must not fail a healthy httpd.
// A generous probe timeout and retries: on a loaded 2-core machine a docker exec of wget can take
// seconds, and a healthy task marked unhealthy would make the deployment tests fail for the wrong reason.
const HEALTHY = { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'], interval: 1, timeout: 5, retries: 3 };

function web(family: string, over: Record<string, unknown> = {}) {
  return {
    family,
    containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], memory: 24, portMappings: [{ containerPort: 8080 }], healthCheck: HEALTHY, stopTimeout: 10, ...over }],
  };
}

async function register(td: Record<string, unknown>): Promise<string> {
  const r = await c.call('RegisterTaskDefinition', td);
  return `${r.taskDefinition.family}:${r.taskDefinition.revision}`;
}

async function service(name: string): Promise<any> {
  return (await c.call('DescribeServices', { services: [name] })).services[0];
}

async function serviceTasks(name: string, desiredStatus = 'RUNNING'): Promise<any[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: name, desiredStatus })).taskArns;
  const out: any[] = [];
  for (let i = 0; i < arns.length; i += 100) out.push(...(await c.call('DescribeTasks', { tasks: arns.slice(i, i + 100) })).tasks);
  return out;
}

const deployment = (s: any, id: string) => (s.deployments as any[]).find((d) => d.id === id);
const messages = (s: any) => (s.events as any[]).map((e) => e.message as string).reverse();

async function createService(name: string, taskDefinition: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await c.call('CreateService', { serviceName: name, taskDefinition, desiredCount: 4, ...extra });
  const id = r.service.deployments[0].id as string;
  await waitFor(async () => deployment(await service(name), id)?.rolloutState === 'COMPLETED', { description: `${name} first deployment COMPLETED`, timeoutMs: 90_000, intervalMs: 250 });
  return id;
}

async function update(name: string, body: Record<string, unknown>): Promise<string> {
  const r = await c.call('UpdateService', { service: name, ...body });
  return r.service.deployments[0].id as string;
}

function until(name: string, what: string, pred: (s: any) => boolean, timeoutMs = 120_000): Promise<any> {
  return waitFor(async () => {
    const s = await service(name);
    return pred(s) ? s : undefined;
  }, { description: `${name}: ${what}`, timeoutMs, intervalMs: 250 });
}

/**
 * Samples every 100 ms while a deployment runs: tasks HEALTHY (DescribeTasks)
 * never below the floor, RUNNING + PENDING (DescribeServices) never above
 * the ceiling.
 */
class BoundsChecker {
  samples = 0;
  minHealthy = Infinity;
  maxTotal = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly name: string) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const t0 = Date.now();
      const [s, tasks] = await Promise.all([service(this.name), serviceTasks(this.name)]);
      const healthy = tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY').length;
      this.minHealthy = Math.min(this.minHealthy, healthy);
      this.maxTotal = Math.max(this.maxTotal, s.runningCount + s.pendingCount);
      this.samples++;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
    }
  }

  async stop(): Promise<this> {
    this.running = false;
    await this.done;
    return this;
  }
}

/**
 * Samples every 100 ms, through the API and through Docker, how many of a
 * service's tasks run: DescribeServices runningCount (wanted RUNNING and
 * RUNNING: a task the scheduler stops leaves it at once) and its
 * RUNNING + PENDING, and `docker ps` running containers of the family.
 */
class RunningSampler {
  samples = 0;
  minRunning = Infinity;
  maxTotal = 0;
  minContainers = Infinity;
  dockerSamples = 0;
  private running = true;
  private readonly done: Promise<void[]>;

  constructor(
    private readonly name: string,
    private readonly family: string,
  ) {
    this.done = Promise.all([this.api(), this.docker()]);
  }

  private async every100ms(fn: () => Promise<void>): Promise<void> {
    while (this.running) {
      const t0 = Date.now();
      await fn();
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
    }
  }

  private api(): Promise<void> {
    return this.every100ms(async () => {
      const s = await service(this.name);
      this.minRunning = Math.min(this.minRunning, s.runningCount);
      this.maxTotal = Math.max(this.maxTotal, s.runningCount + s.pendingCount);
      this.samples++;
    });
  }

  private docker(): Promise<void> {
    return this.every100ms(async () => {
      const all = await listContainers({ 'stevedore.cluster': c.name, 'com.amazonaws.ecs.task-definition-family': this.family });
      this.minContainers = Math.min(this.minContainers, all.filter((x) => x.state === 'running').length);
      this.dockerSamples++;
    });
  }

  async stop(): Promise<this> {
    this.running = false;
    await this.done;
    return this;
  }
}

describe('rolling deployments on real Docker', () => {
  test('a deployment started while the previous one is IN_PROGRESS never stops its unproven tasks all at once: 10 tasks at 100/120 never fewer than 10 running', async () => {
    // Check-less tasks: each is unproven for the 3 s warm-up after RUNNING.
    const td = await register({ family: 'e2e-unproven', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }] });
    const created = await c.call('CreateService', {
      serviceName: 'unproven',
      taskDefinition: td,
      desiredCount: 10,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 120 },
    });
    const first = created.service.deployments[0].id as string;
    // As soon as all 10 run, before they are proven: the first deployment is still IN_PROGRESS.
    const ten = await until('unproven', 'runningCount 10', (x) => x.runningCount === 10, 60_000);
    assert.equal(deployment(ten, first).rolloutState, 'IN_PROGRESS');
    const seen = new RunningSampler('unproven', 'e2e-unproven');
    const next = await update('unproven', { forceNewDeployment: true });
    const s = await until('unproven', 'second deployment COMPLETED', (x) => deployment(x, next)?.rolloutState === 'COMPLETED', 120_000);
    await seen.stop();
    assert.ok(seen.samples >= 20 && seen.dockerSamples >= 10, `only ${seen.samples} API and ${seen.dockerSamples} docker samples`);
    assert.ok(seen.minRunning >= 10, `runningCount fell to ${seen.minRunning}`);
    assert.ok(seen.minContainers >= 10, `running containers fell to ${seen.minContainers}`);
    assert.ok(seen.maxTotal <= 12, `RUNNING + PENDING reached ${seen.maxTotal}`);
    assert.deepEqual(s.deployments.map((d: any) => [d.id, d.runningCount]), [[next, 10]]);
    const old = (await serviceTasks('unproven', 'STOPPED')).filter((t) => t.startedBy === first);
    assert.equal(old.length, 10);
    for (const t of old) assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${next})`);
    await c.call('DeleteService', { service: 'unproven', force: true });
  });


  test('a 4-task web service rolls to a new revision at 100/200: never below 4 healthy, never above 8, old tasks stopped gracefully', async () => {
    const v1 = await register(web('e2e-roll'));
    const v2 = await register(web('e2e-roll', { environment: [{ name: 'VERSION', value: '2' }] }));
    const first = await createService('roll', v1);
    const checker = new BoundsChecker('roll');
    const next = await update('roll', { taskDefinition: v2 });
    const s = await until('roll', 'deployment COMPLETED', (x) => deployment(x, next)?.rolloutState === 'COMPLETED');
    const seen = await checker.stop();
    // The checker watched the whole rollout: about 2 s since the agent's startup checks (HEALTHY right after start), so 10 samples at 100 ms.
    assert.ok(seen.samples >= 10, `only ${seen.samples} samples`);
    assert.ok(seen.minHealthy >= 4, `healthy fell to ${seen.minHealthy}`);
    assert.ok(seen.maxTotal <= 8, `RUNNING + PENDING reached ${seen.maxTotal}`);
    assert.deepEqual(s.deployments.map((d: any) => [d.id, d.status, d.runningCount]), [[next, 'PRIMARY', 4]]);
    const running = await serviceTasks('roll');
    assert.deepEqual(running.map((t) => t.startedBy), [next, next, next, next]);
    assert.ok(running.every((t) => t.taskDefinitionArn.endsWith(`task-definition/${v2}`)));
    const old = (await serviceTasks('roll', 'STOPPED')).filter((t) => t.startedBy === first);
    assert.equal(old.length, 4);
    for (const t of old) {
      assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
      assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${next})`);
      // SIGTERM (143), not the SIGKILL (137) after the stop timeout.
      assert.equal(t.containers[0].exitCode, 143, JSON.stringify(t.containers[0]));
    }
    const ev = messages(await until('roll', 'steady state after completion', (x) => messages(x).slice(-1)[0] === '(service roll) has reached a steady state.'));
    const i = ev.indexOf(`(service roll) (deployment ${next}) deployment started with task definition ${v2}.`);
    const j = ev.indexOf(`(service roll) (deployment ${next}) deployment completed.`);
    assert.ok(i >= 0 && j > i, ev.join('\n'));
    assert.ok(ev.slice(i, j).some((m) => m.includes(`due to (reason Scaling activity initiated by (deployment ${next}))`)), ev.join('\n'));
  });

  test('a revision whose container exits at start trips the circuit breaker and rolls back; the old tasks keep serving', async () => {
    const good = await register(web('e2e-crash'));
    const bad = await register(web('e2e-crash', { command: ['sh', '-c', 'echo bad config; exit 3'] }));
    const first = await createService('crash', good, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
    const before = (await serviceTasks('crash')).map((t) => t.taskArn).sort();
    const next = await update('crash', { taskDefinition: bad });
    const s = await until('crash', 'rolled back and COMPLETED', (x) => x.deployments[0].id !== next && x.deployments[0].rolloutState === 'COMPLETED');
    const back = s.deployments[0];
    assert.equal(back.taskDefinition.endsWith(`task-definition/${good}`), true);
    assert.equal(s.taskDefinition.endsWith(`task-definition/${good}`), true);
    const ev = messages(s);
    assert.ok(ev.includes(`(service crash) (deployment ${next}) deployment failed: tasks failed to start.`), ev.join('\n'));
    assert.ok(ev.includes(`(service crash) (deployment ${back.id}) rolling back to deployment ${first} (task definition ${good}).`), ev.join('\n'));
    const stopped = (await serviceTasks('crash', 'STOPPED')).filter((t) => t.startedBy === next);
    const failed = stopped.filter((t) => t.stopCode === 'EssentialContainerExited' || t.stopCode === 'TaskFailedToStart');
    assert.ok(failed.length >= 10, `${failed.length} failed tasks`);
    // Launches still in flight when it tripped are stopped by the rollback.
    for (const t of stopped.filter((x) => !failed.includes(x))) assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${back.id})`);
    assert.deepEqual((await serviceTasks('crash')).map((t) => t.taskArn).sort(), before, 'minimumHealthyPercent 100: nothing old stopped');
  });

  test('a revision whose health check fails trips the breaker too', async () => {
    const good = await register(web('e2e-sick'));
    const sick = await register(web('e2e-sick', { healthCheck: { ...HEALTHY, command: ['CMD-SHELL', 'exit 1'] } }));
    await createService('sick', good, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
    const next = await update('sick', { taskDefinition: sick });
    const s = await until('sick', 'rolled back and COMPLETED', (x) => x.deployments[0].id !== next && x.deployments[0].rolloutState === 'COMPLETED', 180_000);
    assert.ok(messages(s).includes(`(service sick) (deployment ${next}) deployment failed: tasks failed to start.`));
    const back = s.deployments[0].id as string;
    const stopped = (await serviceTasks('sick', 'STOPPED')).filter((t) => t.startedBy === next);
    const replaced = stopped.filter((t) => t.stoppedReason === 'Task failed container health checks');
    assert.ok(replaced.length >= 10, JSON.stringify(stopped.map((t) => t.stoppedReason)));
    for (const t of stopped.filter((x) => !replaced.includes(x))) assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${back})`);
    assert.equal((await serviceTasks('sick')).length, 4);
  });

  test('minimumHealthyPercent 0 / maximumPercent 100 replaces in place, never above 4 tasks', async () => {
    const v1 = await register(web('e2e-inplace'));
    const v2 = await register(web('e2e-inplace', { environment: [{ name: 'VERSION', value: '2' }] }));
    await createService('inplace', v1, { deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 } });
    const checker = new BoundsChecker('inplace');
    const next = await update('inplace', { taskDefinition: v2 });
    await until('inplace', 'COMPLETED', (x) => deployment(x, next)?.rolloutState === 'COMPLETED');
    const seen = await checker.stop();
    assert.ok(seen.maxTotal <= 4, `RUNNING + PENDING reached ${seen.maxTotal}`);
    assert.equal(seen.minHealthy, 0, 'all old tasks went first');
    assert.deepEqual((await serviceTasks('inplace')).map((t) => t.startedBy), [next, next, next, next]);
  });

  test('the stevedore deploy CLI: exit 0 on COMPLETED, 1 with the reason on a rolled-back failure, 2 on an unknown container', async () => {
    const v1 = await register(web('e2e-cli'));
    await createService('cli', v1, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
    const ok = await c.cli(['deploy', 'cli', '--image', `web=${TEST_IMAGE}`], { timeoutMs: 120_000 });
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stderr, /registered e2e-cli:2\n/);
    assert.match(ok.stdout, /deployment ecs-svc\/\d{19} \(e2e-cli:2\) completed: 4\/4 tasks running/);
    assert.match(ok.stderr, /has started 4 tasks/);

    const unknown = await c.cli(['deploy', 'cli', '--image', 'nope=x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /has no container named 'nope'/);

    const file = path.join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify(web('e2e-cli', { command: ['false'] })));
    const bad = await c.cli(['deploy', 'cli', '--task-definition-file', file], { timeoutMs: 120_000 });
    assert.equal(bad.code, 1, bad.stderr + bad.stdout);
    assert.match(bad.stderr, /error: deployment ecs-svc\/\d{19} failed: ECS deployment circuit breaker: tasks failed to start\./);
    assert.match(bad.stderr, /rolled back to e2e-cli:2: deployment ecs-svc\/\d{19} completed/);

    const quick = await c.cli(['deploy', 'cli', '--image', `web=${TEST_IMAGE}`, '--no-wait']);
    assert.equal(quick.code, 0, quick.stderr);
    assert.match(quick.stdout, /deployment ecs-svc\/\d{19} \(e2e-cli:4\) started on service cli \(from e2e-cli:2\)/);
    const back = await c.cli(['service', 'rollback', 'cli'], { timeoutMs: 120_000 });
    assert.equal(back.code, 0, back.stderr + back.stdout);
    assert.match(back.stderr, /rolling back cli from e2e-cli:4 to e2e-cli:2/);
  });

  test('killing the control plane (SIGKILL) mid-deployment and starting it again finishes the deployment correctly', async () => {
    const v1 = await register(web('e2e-kill'));
    const v2 = await register(web('e2e-kill', { environment: [{ name: 'VERSION', value: '2' }] }));
    const first = await createService('kill', v1);
    const next = await update('kill', { taskDefinition: v2 });
    // New tasks RUNNING, maybe not yet healthy (startup checks run right after start): the middle of the rollout.
    await waitFor(async () => (await serviceTasks('kill')).filter((t) => t.startedBy === next && t.lastStatus === 'RUNNING').length >= 1, { description: 'a new task RUNNING', timeoutMs: 60_000, intervalMs: 100 });
    await c.stopControlPlane('SIGKILL');
    await c.startControlPlane();
    const s = await until('kill', 'COMPLETED after the restart', (x) => deployment(x, next)?.rolloutState === 'COMPLETED');
    assert.deepEqual(s.deployments.map((d: any) => [d.id, d.runningCount]), [[next, 4]]);
    const all = [...(await serviceTasks('kill')), ...(await serviceTasks('kill', 'STOPPED'))];
    assert.equal(all.filter((t) => t.startedBy === next).length, 4, 'no task launched twice');
    assert.equal(all.filter((t) => t.startedBy === first && t.lastStatus === 'STOPPED').length, 4);
    const containers = (await listContainers({ 'stevedore.cluster': c.name })).filter((x) => x.state === 'running');
    const mine = new Set(all.filter((t) => t.desiredStatus === 'RUNNING').map((t) => t.taskArn));
    assert.equal(containers.filter((x) => mine.has(x.labels['stevedore.task'] ?? '')).length, 4, 'exactly the 4 new tasks run in Docker');
  });
});
