/**
 * Metrics pipeline benchmark: the real control plane in this process, N
 * simulated agents (real gRPC, no Docker) in a child process, each reporting
 * its tasks' usage every 10 s (ReportTaskUsage); the metric publisher runs
 * every 10 s into the SQLite metric store. Prints control-plane CPU and
 * database growth, extrapolated per day; asserts nothing.
 *
 *   npm run bench:metrics                  # 100 agents, 1000 tasks, 120 s
 *   BENCH_INSIGHTS=enhanced npm run bench:metrics   # with task-level Container Insights
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ControlPlane } from '@stevedore/control-plane';
import { request } from './bench-kit';

const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 100);
const TASKS = Number(process.env['BENCH_TASKS'] ?? 1000);
const INTERVAL_MS = Number(process.env['BENCH_INTERVAL_MS'] ?? 10_000);
const MEASURE_S = Number(process.env['BENCH_SECONDS'] ?? 120);
const INSIGHTS = process.env['BENCH_INSIGHTS'] ?? 'disabled';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

function dbBytes(dir: string): number {
  return ['stevedore.db', 'stevedore.db-wal'].reduce((n, f) => n + (fs.existsSync(path.join(dir, f)) ? fs.statSync(path.join(dir, f)).size : 0), 0);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-bench-metrics-'));
  const cp = new ControlPlane(
    {
      dataDir: dir,
      apiListen: { host: '127.0.0.1', port: 0 },
      agentListen: '127.0.0.1:0',
      region: 'us-east-1',
      account: '000000000000',
      logLevel: 'warn',
      heartbeatPeriodMs: 3000,
      insecureDisableAuth: true,
      agentJoinRateLimit: { perMinute: 1_000_000, burst: 100_000 },
      metrics: { periodMs: 10_000 },
    },
    pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }),
  );
  await cp.start();
  const endpoint = `http://127.0.0.1:${cp.apiPort}`;
  const call = async (target: string, body: object): Promise<Record<string, any>> => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, any>;
    if (res.status !== 200) throw new Error(`${target}: ${JSON.stringify(json)}`);
    return json;
  };
  const ecs = (op: string, body: object) => call(`AmazonEC2ContainerServiceV20141113.${op}`, body);
  await ecs('CreateCluster', { clusterName: 'bench', settings: [{ name: 'containerInsights', value: INSIGHTS }] });
  await ecs('RegisterTaskDefinition', { family: 'bench', containerDefinitions: [{ name: 'app', image: 'bench', cpu: 32, memory: 64 }] });
  const token = ((await call('Stevedore_20261125.CreateJoinToken', { cluster: 'bench', uses: 100_000 })) as { token: string }).token;
  const child = fork(path.join(__dirname, 'sim-agents.js'), [], { stdio: 'inherit' });
  await request(child, { cmd: 'start', address: `127.0.0.1:${cp.agentPort}`, cluster: 'bench', count: AGENTS, zones: ['zone-a', 'zone-b', 'zone-c'], caPem: cp.store.agentPki.caCertificate(), token }, 'ready');
  // Ten services of TASKS/10 tasks: ten sets of service figures per period.
  for (let s = 0; s < 10; s++) await ecs('CreateService', { cluster: 'bench', serviceName: `svc-${s}`, taskDefinition: 'bench', desiredCount: TASKS / 10 });
  for (;;) {
    const { count } = await request<{ count: number }>(child, { cmd: 'running' }, 'running');
    if (count >= TASKS) break;
    await sleep(500);
  }
  console.log(`${AGENTS} agents, ${TASKS} tasks RUNNING; usage every ${INTERVAL_MS / 1000} s, metrics period 10 s, containerInsights ${INSIGHTS}`);
  await request(child, { cmd: 'usage', intervalMs: INTERVAL_MS }, 'usage-started');
  await sleep(INTERVAL_MS + 12_000); // every task measured, the store warm
  const count = (t: string) => (cp.store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  const tables = ['metric_raw', 'metric_1m', 'metric_1h'];
  const rows0 = tables.map(count);
  const bytes0 = dbBytes(dir);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await sleep(MEASURE_S * 1000);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (Date.now() - t0) / 1000;
  const rows = tables.map(count);
  const bytes = dbBytes(dir);
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
  const perDay = (n: number) => (n / seconds) * 86_400;
  const measured = cp.store.taskUsage.size;
  console.log(`control-plane CPU: ${cpuPct.toFixed(1)} % of one core (agent reports ${(AGENTS / (INTERVAL_MS / 1000)).toFixed(0)}/s, ${measured} tasks measured, publisher + metric store + heartbeats)`);
  tables.slice(0, 2).forEach((t, i) => console.log(`${t}: +${rows[i]! - rows0[i]!} rows in ${seconds.toFixed(0)} s = ${perDay(rows[i]! - rows0[i]!).toFixed(0)} rows/day`));
  let perRow = new Map<string, number>();
  try {
    const sizes = cp.store.db
      .prepare("SELECT m.tbl_name AS name, SUM(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_master m ON m.name = d.name WHERE m.tbl_name IN ('metric_raw', 'metric_1m', 'metric_1h') GROUP BY m.tbl_name")
      .all() as { name: string; bytes: number }[];
    perRow = new Map(sizes.map((s) => [s.name, s.bytes / Math.max(1, count(s.name))]));
    for (const s of sizes) console.log(`  ${s.name}: ${mb(s.bytes)} on disk with its indexes (${(s.bytes / Math.max(1, count(s.name))).toFixed(0)} bytes/row)`);
  } catch {
    // dbstat not compiled in: the file growth below is the figure.
  }
  console.log(`database file growth: ${mb(bytes - bytes0)} in ${seconds.toFixed(0)} s (raw rows are pruned after 3 h, 1-minute rollups after 15 d)`);
  const rawPerDay = perDay(rows[0]! - rows0[0]!);
  const m1PerDay = perDay(rows[1]! - rows0[1]!);
  // An hour rollup row appears once an hour per series: from a short window, count the series (1-minute rows per minute).
  const h1PerDay = ((rows[1]! - rows0[1]!) / (seconds / 60)) * 24;
  const bRaw = perRow.get('metric_raw') ?? 0;
  const b1m = perRow.get('metric_1m') ?? 0;
  // Too few hour rows to measure in a short run: they have the 1-minute rows' shape.
  const b1h = b1m;
  if (bRaw > 0) {
    console.log(
      `steady state: raw ${mb((rawPerDay / 8) * bRaw)} (3 h kept), 1-minute rollups grow ${mb(m1PerDay * b1m)}/day up to ${mb(m1PerDay * 15 * b1m)} (15 d), 1-hour ${mb(h1PerDay * b1h)}/day up to ${mb(h1PerDay * 63 * b1h)} (63 d)`,
    );
  }
  child.send({ cmd: 'stop' });
  await cp.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} RAM, node ${process.version}, ${new Date().toISOString()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
