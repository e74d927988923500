/**
 * Scale of one control plane (issue 15): the real control plane in this
 * process, 1,000 simulated agents (real gRPC + mTLS, no Docker) in a child
 * process, 30,000 tasks in 1,000 services. Prints figures with their goals,
 * asserts nothing.
 *
 *   npm run bench:scale               # 1,000 agents, 1,000 services x 30 tasks
 *   npm run bench:scale -- --quick    # 100 agents, 100 services x 30 tasks
 *   npm run bench:scale -- --store postgres   # the same on SQLite, then on PostgreSQL
 *                                             # (a throwaway server, Debian's postgresql), side by side
 *   BENCH_PROFILE_DIR=/tmp/p npm run bench:scale -- --quick
 *       # a CPU profile of each phase (scale-out, API figures) alone, for `--cpu-prof`-style analysis
 *   BENCH_LONG_TASKS=30 npm run bench:scale
 *       # per phase, the callbacks that held the event loop 30 ms or more, by kind (long-tasks.ts)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { machine, mb, percentile, request, sleep, startBenchControlPlane, waitUntil, type Call } from './bench-kit';
import { startPostgres } from '@stevedore/control-plane/dist/testing/postgres-server';
import { LongTasks } from './long-tasks';

const QUICK = process.argv.includes('--quick');
const storeArg = process.argv.indexOf('--store');
const WITH_POSTGRES = storeArg >= 0 && process.argv[storeArg + 1] === 'postgres';
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? (QUICK ? 100 : 1000));
const SERVICES = Number(process.env['BENCH_SERVICES'] ?? (QUICK ? 100 : 1000));
const PER_SERVICE = Number(process.env['BENCH_TASKS_PER_SERVICE'] ?? 30);
const BIG = Number(process.env['BENCH_BIG_SERVICE'] ?? 1000);
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? (QUICK ? 100 : 300));
const PILE = Number(process.env['BENCH_PILE'] ?? (QUICK ? 1000 : 2500));
const HEARTBEAT_MS = 3000;
const IDLE_S = QUICK ? 5 : 15;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const ARN = 'arn:aws:ecs:us-east-1:000000000000';

interface Row {
  figure: string;
  result: string;
  goal?: string;
}
let rows: Row[] = [];
/** Each figure carries the machine's 1-minute load average when it was taken: the machine is shared, and figures move with it. */
const report = (figure: string, result: string, goal?: string) => {
  const load = os.loadavg()[0]!.toFixed(1);
  rows.push({ figure, result: `${result} (load ${load})`, ...(goal ? { goal } : {}) });
  console.log(`${figure}: ${result}   [load ${load}]${goal ? `   (goal ${goal})` : ''}`);
};

/** A CPU profile of one phase alone (BENCH_PROFILE_DIR), so its costs are not averaged with the rest of the run. */
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
/** BENCH_LONG_TASKS=ms: which callbacks held the loop that long, per phase (long-tasks.ts). */
const longTasks = process.env['BENCH_LONG_TASKS'] ? new LongTasks(Number(process.env['BENCH_LONG_TASKS'])) : undefined;
let profiler: Session | undefined;
async function profileStart(): Promise<void> {
  longTasks?.start();
  if (!PROFILE_DIR) return;
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  await profiler.post('Profiler.start');
}
async function profileStop(phase: string, suffix: string): Promise<void> {
  if (longTasks) console.log(`callbacks that held the loop during ${phase}${suffix}:\n  ${longTasks.stop().join('\n  ')}`);
  if (!PROFILE_DIR || !profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const file = path.join(PROFILE_DIR, `${phase}${suffix}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  console.log(`profile of ${phase}: ${file}`);
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** Latencies of `n` calls made one after another (the API as one client sees it, heartbeats going on). */
async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** `total` calls with `concurrency` in flight; returns each call's end time. */
async function flood(total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const ends: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await fn(i);
        ends[i] = performance.now();
      }
    }),
  );
  return ends;
}

/** Event-loop delay of the control plane's process: a stall delays every API call and agent rpc behind it. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const loopFigure = () => {
  const f = `p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`;
  loopDelay.reset();
  return f;
};

const p50p99 = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}, p99 ${ms(percentile(xs, 99))}`;

async function counts(call: Call, cluster: string, names: string[]): Promise<{ running: number; pending: number }> {
  let running = 0;
  let pending = 0;
  for (let i = 0; i < names.length; i += 10) {
    const r = await call('DescribeServices', { cluster, services: names.slice(i, i + 10) });
    for (const s of r['services'] as { runningCount: number; pendingCount: number }[]) {
      running += s.runningCount;
      pending += s.pendingCount;
    }
  }
  return { running, pending };
}

async function run(store: string | undefined): Promise<Row[]> {
  rows = [];
  const b = await startBenchControlPlane({ heartbeatMs: HEARTBEAT_MS, graceSeconds: 30, ...(store ? { store } : {}) });
  const { cp, call } = b;
  const caPem = cp.store.agentPki.caCertificate();
  const agentAddress = `127.0.0.1:${cp.agentPort}`;
  console.log(`shape: ${AGENTS} agents, ${SERVICES} services x ${PER_SERVICE} tasks, one service scaled by ${BIG}, ${SAMPLES} samples per API figure${QUICK ? ' (--quick)' : ''}`);

  await call('CreateCluster', { clusterName: 'scale' });
  await call('RegisterTaskDefinition', { family: 'svc', containerDefinitions: [{ name: 'app', image: 'bench', cpu: 10, memory: 32 }] });
  const child = b.agents();
  const ready = await request<{ ms: number }>(child, { cmd: 'start', address: agentAddress, cluster: 'scale', count: AGENTS, zones: ZONES, caPem, token: await b.joinToken('scale', AGENTS) }, 'ready');
  report(`${AGENTS} agents joined, registered and connected`, `${(ready.ms / 1000).toFixed(1)} s`);

  // Heartbeats alone.
  await sleep(2000);
  const idleCpu0 = process.cpuUsage();
  const idleT0 = Date.now();
  await sleep(IDLE_S * 1000);
  const idleCpu = cpuSeconds(process.cpuUsage(idleCpu0));
  const heartbeats = (AGENTS / (HEARTBEAT_MS / 1000)) * ((Date.now() - idleT0) / 1000);
  report(
    `heartbeat processing (${AGENTS} agents, period ${HEARTBEAT_MS / 1000} s, mTLS)`,
    `${((idleCpu / ((Date.now() - idleT0) / 1000)) * 100).toFixed(1)} % of one core, ${((idleCpu / heartbeats) * 1e6).toFixed(0)} µs CPU per heartbeat`,
  );
  const rssIdle = process.memoryUsage().rss;

  // 1,000 services, then all of them scaled to 30 at once: placements sustained.
  const names = Array.from({ length: SERVICES }, (_, i) => `s${String(i).padStart(4, '0')}`);
  await flood(SERVICES, 8, (i) => call('CreateService', { cluster: 'scale', serviceName: names[i]!, taskDefinition: 'svc', desiredCount: 0 }));
  const total = SERVICES * PER_SERVICE;
  loopDelay.enable();
  loopDelay.reset();
  await profileStart();
  const placeCpu0 = process.cpuUsage();
  // Counted in the store, not by the orchestrator: a lapsed leader lease under load restarts the orchestrator (and its counters).
  const committed = () => cp.store.tasks.countNotStopped('scale');
  const scaleStart = Date.now();
  const updateLatencies: number[] = [];
  await flood(SERVICES, 8, async (i) => {
    const t = performance.now();
    await call('UpdateService', { cluster: 'scale', service: names[i]!, desiredCount: PER_SERVICE });
    updateLatencies.push(performance.now() - t);
  });
  await waitUntil('all tasks placed', () => committed() >= total, 600_000, 100);
  const placedAt = Date.now();
  const placeCpu = cpuSeconds(process.cpuUsage(placeCpu0));
  await profileStop('scale-out', store ? '-postgres' : '');
  report(`placements sustained (${SERVICES} UpdateService calls → ${total} tasks committed)`, `${(total / ((placedAt - scaleStart) / 1000)).toFixed(0)} /s (${((placedAt - scaleStart) / 1000).toFixed(1)} s; CPU ${placeCpu.toFixed(1)} s)`, '≥ 1,500 /s');
  report('UpdateService during that scale-out (8 in flight)', p50p99(updateLatencies), 'p99 < 100 ms');
  report('event-loop delay during the scale-out', loopFigure());
  const steadyAt = await waitUntil('all RUNNING', async () => (await counts(call, 'scale', names)).running === total, 600_000, 1000);
  report(`all ${total} tasks RUNNING (as reported by the agents)`, `${((steadyAt - scaleStart) / 1000).toFixed(1)} s after the first UpdateService`);

  // Assignment latency: task committed → its agent holds it.
  const { assigned } = await request<{ assigned: [string, number][] }>(child, { cmd: 'latencies' }, 'latencies');
  const assignedAt = new Map(assigned);
  const created = cp.store.tasks.list({ cluster: 'scale' });
  const latencies = created.map((t) => (assignedAt.get(`${ARN}:task/scale/${t.id}`) ?? NaN) - t.createdAt).filter((x) => Number.isFinite(x));
  report(`assignment latency, task committed → agent has it (${latencies.length} tasks)`, `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`, 'p99 ≤ 1 s');

  // One service scaled by 1,000 with everything else in place.
  const big = names[0]!;
  const bigStart = Date.now();
  await call('UpdateService', { cluster: 'scale', service: big, desiredCount: PER_SERVICE + BIG });
  await waitUntil('big service placed', () => committed() >= total + BIG, 300_000, 50);
  const bigPlacedAt = Date.now();
  await waitUntil('big service RUNNING', async () => (await counts(call, 'scale', [big])).running === PER_SERVICE + BIG, 300_000, 200);
  report(`a ${BIG}-task scale-out of one service (${total} tasks present): placed / RUNNING`, `${((bigPlacedAt - bigStart) / 1000).toFixed(2)} s / ${((Date.now() - bigStart) / 1000).toFixed(2)} s`);
  await call('UpdateService', { cluster: 'scale', service: big, desiredCount: PER_SERVICE });
  await waitUntil('big service back', async () => (await counts(call, 'scale', [big])).running === PER_SERVICE, 300_000, 200);

  // API latencies with the cluster full, each figure taken with the cluster at rest: every task as
  // its desired status says (the big service's 1,000 stops, the previous figure's starts and stops
  // all reported), so a figure measures the API with 30,000 tasks present, not the tail of the
  // previous phase's churn (the scale-out's figures above are the API under churn).
  const unsettled = () =>
    (cp.store.db.prepare("SELECT COUNT(*) AS n FROM tasks WHERE cluster = 'scale' AND last_status != 'STOPPED' AND (desired_status = 'STOPPED' OR last_status != 'RUNNING')").get() as { n: number }).n;
  const settle = async (before: string) => {
    const t = Date.now();
    await waitUntil(`the cluster at rest before ${before}`, () => unsettled() === 0, 300_000, 100);
    console.log(`  (cluster at rest before ${before} after ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  };
  loopDelay.reset();
  await profileStart();
  const arns = ((await call('ListTasks', { cluster: 'scale', maxResults: 100 }))['taskArns'] as string[]).slice(0, 100);
  await settle('DescribeTasks');
  report(`DescribeTasks (100 tasks), ${SAMPLES} calls`, p50p99(await timed(SAMPLES, () => call('DescribeTasks', { cluster: 'scale', tasks: arns }))), 'p99 < 100 ms');
  let token: string | undefined;
  await settle('ListTasks');
  report(
    `ListTasks (pages of 100 through ${total} tasks), ${SAMPLES} calls`,
    p50p99(
      await timed(SAMPLES, async () => {
        const r = await call('ListTasks', { cluster: 'scale', maxResults: 100, ...(token ? { nextToken: token } : {}) });
        token = r['nextToken'];
      }),
    ),
    'p99 < 100 ms',
  );
  await settle('UpdateService');
  report(`UpdateService (desiredCount ±1), ${SAMPLES} calls`, p50p99(await timed(SAMPLES, (i) => call('UpdateService', { cluster: 'scale', service: names[1 + (i % (SERVICES - 1))]!, desiredCount: PER_SERVICE + (i % 2) }))), 'p99 < 100 ms');
  await settle('RunTask');
  report(`RunTask (1 task, random strategy over ${AGENTS} instances), ${SAMPLES} calls`, p50p99(await timed(SAMPLES, () => call('RunTask', { cluster: 'scale', taskDefinition: 'svc', startedBy: 'bench' }))), 'p99 < 100 ms');

  report('event-loop delay during the API figures', loopFigure());
  await profileStop('api', store ? '-postgres' : '');

  // RunTask as tasks pile up on one instance: flat throughput is the goal.
  await call('CreateCluster', { clusterName: 'pile' });
  await call('RegisterTaskDefinition', { family: 'tiny', containerDefinitions: [{ name: 'app', image: 'bench', cpu: 1, memory: 6 }] });
  await request(child, { cmd: 'start', address: agentAddress, cluster: 'pile', count: 1, zones: ZONES, caPem, token: await b.joinToken('pile', 1), cpu: PILE * 2, memory: PILE * 8 }, 'ready');
  const t0 = performance.now();
  const ends = await flood(PILE, 4, () => call('RunTask', { cluster: 'pile', taskDefinition: 'tiny' }));
  const rate = (from: number, to: number) => (to - from) / (((ends[to - 1] ?? 0) - (from === 0 ? t0 : ends[from - 1]!)) / 1000);
  report(`RunTask throughput as tasks pile up on one instance (4 in flight): first 500 / ${PILE - 500}-${PILE}`, `${rate(0, 500).toFixed(0)} req/s / ${rate(PILE - 500, PILE).toFixed(0)} req/s`, 'no fall');

  const rss = process.memoryUsage().rss;
  report('control-plane RSS: agents idle / with every task', `${mb(rssIdle)} / ${mb(rss)}`, '< 1 GiB');
  const dbBytes =
    cp.store.db.dialect === 'postgres'
      ? (cp.store.db.prepare('SELECT pg_database_size(current_database()) AS n').get() as { n: number }).n
      : fs
          .readdirSync(b.dir)
          .filter((f) => /\.(db|sqlite)(-wal|-shm)?$/.test(f))
          .reduce((n, f) => n + fs.statSync(path.join(b.dir, f)).size, 0);
  report('database size (SQLite: database + WAL; PostgreSQL: pg_database_size)', mb(dbBytes));
  report('control-plane CPU, whole run', `${cpuSeconds(process.cpuUsage()).toFixed(0)} s (this process also runs the API client)`);
  const st = cp.orchestrator.stats;
  report('scheduler alone (ticks that placed)', `${(st.placed / (st.placingMs / 1000)).toFixed(0)} placements/s over ${st.placed} placements`);
  await b.stop();
  return rows;
}

async function main(): Promise<void> {
  const sqlite = await run(undefined);
  let postgres: Row[] | undefined;
  if (WITH_POSTGRES) {
    // The same run against PostgreSQL on this machine (unix socket, fsync off as in the tests: the store's round trips are measured, not the disk).
    const server = await startPostgres();
    try {
      console.log('\n--- the same on PostgreSQL ---');
      postgres = await run(await server.createDatabase('bench'));
    } finally {
      await server.stop();
    }
  }
  console.log(`machine: ${machine()}`);
  if (!postgres) {
    console.log('\n| figure | result | goal |\n|---|---|---|');
    for (const r of sqlite) console.log(`| ${r.figure} | ${r.result} | ${r.goal ?? ''} |`);
    return;
  }
  console.log('\n| figure | SQLite | PostgreSQL | goal |\n|---|---|---|---|');
  for (const [i, r] of sqlite.entries()) console.log(`| ${r.figure} | ${r.result} | ${postgres[i]?.result ?? ''} | ${r.goal ?? ''} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
