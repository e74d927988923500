/**
 * `npm run bench:deploy`: rolling updates of a 10-task web service on real
 * Docker, from UpdateService to rollout COMPLETED, in two shapes:
 * - today's: min 100 %, max 200 %, 5 s checks (one wave);
 * - ECS's classic: min 100 %, max 120 % (two at a time), 1 s checks;
 * then the same classic update on a single-node Docker Swarm (same image,
 * `--update-parallelism 2 --update-order start-first`, 1 s checks), timed by
 * Swarm's own UpdateStatus, and the ratio Stevedore / Swarm.
 * Per wave (tasks placed together): placement, agent create/start (from
 * Docker's Created/StartedAt), start -> healthy (the agent's startup check,
 * from its log, or Docker's `health_status: healthy` event, whichever came
 * first), and "report + reconcile" = healthy -> next wave placed (the event
 * path: agent health -> report -> reconcile -> placement; no tick should sit
 * in it). Prints figures; asserts nothing.
 * Leaves swarm mode off afterwards (the e2e suite shares the dockerd).
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, TEST_IMAGE } from '../helpers/docker';

const TASKS = Number(process.env['BENCH_TASKS'] ?? 10);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SKIP_SWARM = process.env['BENCH_SKIP_SWARM'] === '1';
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/www'];
const PROBE = 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1';

interface Shape {
  name: string;
  service: string;
  min: number;
  max: number;
  /** Health check interval and timeout, seconds (Docker 20.10 probes first one interval after start). */
  interval: number;
}
const SHAPES: Shape[] = [
  { name: "today's (100/200, 5 s checks)", service: 'bench-wide', min: 100, max: 200, interval: 5 },
  { name: "ECS classic (100/120, 1 s checks)", service: 'bench-classic', min: 100, max: 120, interval: 1 },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function revision(shape: Shape, version: number) {
  return {
    family: shape.service,
    containerDefinitions: [
      {
        name: 'web',
        image: TEST_IMAGE,
        command: HTTPD,
        memory: 16,
        portMappings: [{ containerPort: 8080 }],
        environment: [{ name: 'VERSION', value: String(version) }],
        healthCheck: { command: ['CMD-SHELL', PROBE], interval: shape.interval, timeout: Math.min(2, shape.interval), retries: 1 },
      },
    ],
  };
}

async function waitCompleted(c: TestCluster, service: string, id: string): Promise<number> {
  for (;;) {
    const svc = (await c.call('DescribeServices', { services: [service] })).services[0];
    const d = svc.deployments.find((x: any) => x.id === id);
    if (d?.rolloutState === 'COMPLETED') return Date.now();
    if (d?.rolloutState === 'FAILED') throw new Error(`deployment failed: ${d.rolloutStateReason}`);
    await sleep(20);
  }
}

interface TaskTimes { placed: number; created: number; started: number; healthy: number }

/**
 * Docker's `health_status: healthy` events, watched live: dockerd replays only
 * its last 256 events, and every probe adds three exec events, so
 * `docker events --since` afterwards misses the early ones.
 */
class HealthWatch {
  private readonly proc: ChildProcess;
  readonly healthyAt = new Map<string, number>();
  private buf = '';
  constructor() {
    this.proc = spawn('docker', ['events', '--filter', 'type=container', '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      const lines = this.buf.split('\n');
      this.buf = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('health_status: healthy')) continue;
        const e = JSON.parse(line);
        if (!this.healthyAt.has(e.id)) this.healthyAt.set(e.id, e.timeNano / 1e6);
      }
    });
  }
  stop(): void {
    this.proc.kill();
  }
}

/** When the agent found each task HEALTHY by a startup check (packages/agent/src/worker/startup-check.ts), from its log: task ARN -> epoch ms. */
function startupChecksPassed(c: TestCluster): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of c.logs.agents) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('startup health check passed')) continue;
      const e = JSON.parse(line) as { task: string; time: string };
      if (!out.has(e.task)) out.set(e.task, Date.parse(e.time));
    }
  }
  return out;
}

/**
 * Per new task, from Docker: container created, started; healthy = the
 * agent's startup check or Docker's first `health_status: healthy` event,
 * whichever came first (both make the agent report HEALTHY).
 */
async function dockerTimes(c: TestCluster, service: string, deploymentId: string, healthyAt: Map<string, number>): Promise<TaskTimes[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: service })).taskArns;
  const tasks: any[] = (await c.call('DescribeTasks', { tasks: arns })).tasks;
  const early = startupChecksPassed(c);
  const out: TaskTimes[] = [];
  for (const t of tasks.filter((x) => x.startedBy === deploymentId)) {
    const [info] = JSON.parse((await docker(['inspect', t.containers[0].runtimeId])).stdout);
    const healthy = Math.min(healthyAt.get(info.Id) ?? Infinity, early.get(t.taskArn) ?? Infinity);
    out.push({ placed: t.createdAt * 1000, created: Date.parse(info.Created), started: Date.parse(info.State.StartedAt), healthy: Number.isFinite(healthy) ? healthy : NaN });
  }
  return out.sort((a, b) => a.placed - b.placed);
}

/** Tasks placed within 200 ms of the wave's first one form a wave (a wave can be one task: each replacement is placed as soon as a slot frees). */
function waves(times: TaskTimes[]): TaskTimes[][] {
  const out: TaskTimes[][] = [];
  for (const t of times) {
    const w = out[out.length - 1];
    if (w && t.placed - w[0]!.placed < 200) w.push(t);
    else out.push([t]);
  }
  return out;
}

interface WaveRow { tasks: number; trigger: number; createStart: number; probe: number }

/**
 * Per wave: "trigger -> placed" = the latest new task's healthy time before
 * the wave was placed (or UpdateService, for the first) -> the wave placed:
 * agent report + control plane apply + reconcile + placement, the event
 * path; agent create/start; start -> healthy (the startup check right after
 * start, else Docker's first probe one interval after start). Plus the tail:
 * last healthy -> COMPLETED (old tasks stopped and reported).
 */
function breakdown(t0: number, done: number, times: TaskTimes[]): { rows: WaveRow[]; tail: number } {
  const rows = waves(times).map((w) => {
    const placed = Math.min(...w.map((x) => x.placed));
    const before = times.map((x) => x.healthy).filter((h) => h <= placed);
    const trigger = before.length > 0 ? Math.max(...before) : t0;
    return { tasks: w.length, trigger: placed - trigger, createStart: Math.max(...w.map((x) => x.started)) - placed, probe: Math.max(...w.map((x) => x.healthy - x.started)) };
  });
  return { rows, tail: done - Math.max(...times.map((x) => x.healthy)) };
}

async function benchShape(c: TestCluster, shape: Shape): Promise<number> {
  await c.call('RegisterTaskDefinition', revision(shape, 0));
  const created = await c.call('CreateService', {
    serviceName: shape.service,
    taskDefinition: `${shape.service}:1`,
    desiredCount: TASKS,
    deploymentConfiguration: { minimumHealthyPercent: shape.min, maximumPercent: shape.max },
  });
  await waitCompleted(c, shape.service, created.service.deployments[0].id);
  const totals: number[] = [];
  const overheads: number[] = [];
  console.log(`\n## Stevedore, ${shape.name}, ${TASKS} tasks`);
  for (let run = 1; run <= RUNS; run++) {
    const td = await c.call('RegisterTaskDefinition', revision(shape, run));
    const watch = new HealthWatch();
    await sleep(300); // the watcher is subscribed
    const t0 = Date.now();
    const up = await c.call('UpdateService', { service: shape.service, taskDefinition: `${shape.service}:${td.taskDefinition.revision}` });
    const id = up.service.deployments[0].id as string;
    const done = await waitCompleted(c, shape.service, id);
    await sleep(200);
    watch.stop();
    const { rows, tail } = breakdown(t0, done, await dockerTimes(c, shape.service, id, watch.healthyAt));
    const total = done - t0;
    totals.push(total);
    const eventPath = rows.map((r) => r.trigger);
    overheads.push(Math.max(...eventPath));
    console.log(`run ${run}: total ${s(total)}, ${rows.length} waves; healthy -> next placement: median ${s(median(eventPath))}, max ${s(Math.max(...eventPath))}; last healthy -> COMPLETED ${s(tail)}`);
    console.log('  | wave | tasks | healthy (or UpdateService) -> placed: report, reconcile, placement | agent create/start | start -> healthy (startup check or first probe) |');
    rows.forEach((r, i) => console.log(`  | ${i + 1} | ${r.tasks} | ${s(r.trigger)} | ${s(r.createStart)} | ${s(r.probe)} |`));
  }
  await c.call('UpdateService', { service: shape.service, desiredCount: 0 });
  await c.call('DeleteService', { service: shape.service, force: true });
  console.log(`median: total ${s(median(totals))}; worst healthy -> next placement per run, median ${s(median(overheads))}`);
  return median(totals);
}

async function swarmUpdate(): Promise<number> {
  const name = `sv-bench-${process.pid}`;
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  try {
    const health = ['--health-cmd', PROBE, '--health-interval', '1s', '--health-timeout', '1s', '--health-retries', '1'];
    await docker(['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--replicas', String(TASKS), ...health,
      '--update-parallelism', '2', '--update-order', 'start-first', '--update-delay', '0s', TEST_IMAGE, ...HTTPD]);
    // Converged: all replicas running (healthy).
    for (const deadline = Date.now() + 120_000; ; ) {
      const { stdout } = await docker(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}']);
      if (stdout.trim() === `${TASKS}/${TASKS}`) break;
      if (Date.now() > deadline) throw new Error(`swarm service did not converge: ${stdout}`);
      await sleep(200);
    }
    const totals: number[] = [];
    console.log(`\n## Docker Swarm, ${TASKS} replicas, 2 at a time, start-first, 1 s checks`);
    for (let run = 1; run <= RUNS; run++) {
      await docker(['service', 'update', '--detach', '--force', name]);
      for (const deadline = Date.now() + 300_000; ; ) {
        const { stdout } = await docker(['service', 'inspect', name, '--format', '{{json .UpdateStatus}}']);
        const st = JSON.parse(stdout);
        if (st?.State === 'completed') {
          // Swarm's own timestamps: update started -> completed.
          const total = Date.parse(st.CompletedAt) - Date.parse(st.StartedAt);
          totals.push(total);
          console.log(`run ${run}: total ${s(total)}`);
          break;
        }
        if (st?.State && st.State !== 'updating') throw new Error(`swarm update: ${stdout}`);
        if (Date.now() > deadline) throw new Error('swarm update did not complete');
        await sleep(100);
      }
    }
    console.log(`median: total ${s(median(totals))}`);
    return median(totals);
  } finally {
    await docker(['swarm', 'leave', '--force']).catch((e) => console.error('swarm leave failed: run `docker swarm leave --force`', e));
  }
}

async function main(): Promise<void> {
  const hooks: (() => unknown)[] = [];
  const results = new Map<string, number>();
  const c = await startCluster({ agents: 2, test: { after: (fn) => hooks.push(fn) }, readyTimeoutMs: 60_000, env: { STEVEDORE_LOG_LEVEL: 'info' } });
  try {
    for (const shape of SHAPES) results.set(shape.service, await benchShape(c, shape));
  } finally {
    for (const fn of hooks) await fn();
  }
  const classic = results.get('bench-classic')!;
  if (!SKIP_SWARM) {
    const swarm = await swarmUpdate();
    console.log(`\nclassic rolling update, ${TASKS} tasks, 2 at a time, 1 s checks: Stevedore ${s(classic)}, Swarm ${s(swarm)}, ratio ${(classic / swarm).toFixed(2)} (goal <= 0.5)`);
  }
  console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
