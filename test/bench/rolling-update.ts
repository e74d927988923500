/**
 * `npm run bench:deploy`: a rolling update of a 10-task web service at
 * 100/200 on real Docker, from UpdateService to rollout COMPLETED, minus the
 * health-check time itself (taken from Docker's own health log: first
 * passing probe minus container start) = the orchestrator's overhead.
 * Prints figures; asserts nothing.
 */
import * as os from 'node:os';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, TEST_IMAGE } from '../helpers/docker';

const TASKS = Number(process.env['BENCH_TASKS'] ?? 10);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
// ECS's minimum interval; Docker 20.10 probes first one interval after start.
const INTERVAL = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function revision(version: number) {
  return {
    family: 'bench-roll',
    containerDefinitions: [
      {
        name: 'web',
        image: TEST_IMAGE,
        command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
        memory: 16,
        portMappings: [{ containerPort: 8080 }],
        environment: [{ name: 'VERSION', value: String(version) }],
        healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'], interval: INTERVAL, timeout: 2, retries: 1 },
      },
    ],
  };
}

async function waitCompleted(c: TestCluster, id: string): Promise<number> {
  for (;;) {
    const svc = (await c.call('DescribeServices', { services: ['bench'] })).services[0];
    const d = svc.deployments.find((x: any) => x.id === id);
    if (d?.rolloutState === 'COMPLETED') return Date.now();
    if (d?.rolloutState === 'FAILED') throw new Error(`deployment failed: ${d.rolloutStateReason}`);
    await sleep(20);
  }
}

/** Per new task, from Docker: when its container started and when its first health probe passed. */
async function dockerTimes(c: TestCluster, deploymentId: string): Promise<{ placed: number; started: number; healthy: number }[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: 'bench' })).taskArns;
  const tasks: any[] = (await c.call('DescribeTasks', { tasks: arns })).tasks;
  const out: { placed: number; started: number; healthy: number }[] = [];
  for (const t of tasks.filter((x) => x.startedBy === deploymentId)) {
    const [info] = JSON.parse((await docker(['inspect', t.containers[0].runtimeId])).stdout);
    const pass = (info.State.Health.Log as any[]).find((l) => l.ExitCode === 0);
    out.push({ placed: t.createdAt * 1000, started: Date.parse(info.State.StartedAt), healthy: Date.parse(pass.End) });
  }
  return out;
}

async function main(): Promise<void> {
  const hooks: (() => unknown)[] = [];
  const c = await startCluster({ agents: 2, test: { after: (fn) => hooks.push(fn) }, readyTimeoutMs: 60_000, env: { STEVEDORE_LOG_LEVEL: 'info' } });
  try {
    await c.call('RegisterTaskDefinition', revision(0));
    const created = await c.call('CreateService', { serviceName: 'bench', taskDefinition: 'bench-roll:1', desiredCount: TASKS });
    await waitCompleted(c, created.service.deployments[0].id);
    const rows: { total: number; health: number; overhead: number; placed: number; launch: number; finish: number }[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const td = await c.call('RegisterTaskDefinition', revision(run));
      const t0 = Date.now();
      const up = await c.call('UpdateService', { service: 'bench', taskDefinition: `bench-roll:${td.taskDefinition.revision}` });
      const id = up.service.deployments[0].id as string;
      const done = await waitCompleted(c, id);
      const times = await dockerTimes(c, id);
      const health = Math.max(...times.map((x) => x.healthy - x.started));
      const total = done - t0;
      const row = {
        total,
        health,
        overhead: total - health,
        placed: Math.max(...times.map((x) => x.placed)) - t0,
        launch: Math.max(...times.map((x) => x.started)) - t0,
        finish: done - Math.max(...times.map((x) => x.healthy)),
      };
      rows.push(row);
      console.log(`run ${run}: total ${s(row.total)}, health checks ${s(row.health)}, overhead ${s(row.overhead)} (update -> all placed ${s(row.placed)}; -> last new container started ${s(row.launch)}; last healthy -> COMPLETED ${s(row.finish)})`);
    }
    console.log(`\n${TASKS} tasks, 100/200, health check interval ${INTERVAL} s, ${RUNS} runs (median):`);
    console.log(`| figure | result | goal |`);
    console.log(`|---|---|---|`);
    console.log(`| update -> COMPLETED | ${s(median(rows.map((r) => r.total)))} | |`);
    console.log(`| health-check time (first passing probe - container start, slowest task) | ${s(median(rows.map((r) => r.health)))} | |`);
    console.log(`| orchestrator overhead (total - health checks) | ${s(median(rows.map((r) => r.overhead)))} | <= 2 s |`);
    console.log(`| of which: UpdateService -> all new tasks placed (control plane) | ${s(median(rows.map((r) => r.placed)))} | |`);
    console.log(`| of which: UpdateService -> last new container started (agents, Docker) | ${s(median(rows.map((r) => r.launch)))} | |`);
    console.log(`| of which: last task healthy -> old tasks stopped, COMPLETED | ${s(median(rows.map((r) => r.finish)))} | |`);
    console.log(`\nmachine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  } finally {
    for (const fn of hooks) await fn();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
