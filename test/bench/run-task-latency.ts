/**
 * `npm run bench`: RunTask-to-RUNNING latency for N one-container tasks next
 * to a plain `docker run -d` of the same image (the floor), and the resident
 * memory of the agent and the control plane idle and with 50 running tasks.
 * Each task start is followed by one floor run, so both see the same machine
 * (on a shared machine the load moves within seconds). Prints figures;
 * asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { AGENT_NODE_FLAGS, startCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';

const N = Number(process.env['BENCH_TASKS'] ?? 20);
// BENCH_AGENT_NODE_FLAGS="--max-semi-space-size=1" compares the agent under other node flags (e.g. with --lite-mode).
if (process.env['BENCH_AGENT_NODE_FLAGS'] !== undefined) AGENT_NODE_FLAGS.splice(0, AGENT_NODE_FLAGS.length, ...process.env['BENCH_AGENT_NODE_FLAGS'].split(' ').filter(Boolean));
// BENCH_AGENT_BIN=release/stevedore-<version>-linux-x64/lib/agent/main.js measures the release bundle (npm run package) instead of the checkout build.
const AGENT_BIN = process.env['BENCH_AGENT_BIN'];

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One `docker run -d` of the same container (ms), removed afterwards. */
function dockerFloor(): number {
  const t0 = performance.now();
  const id = execFileSync('docker', ['run', '-d', '--init', '--label', 'stevedore.bench=floor', '-p', '127.0.0.1::8080', TEST_IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/www']).toString().trim();
  const ms = performance.now() - t0;
  execFileSync('docker', ['rm', '-f', id]);
  return ms;
}

async function main(): Promise<void> {
  const hooks: (() => unknown)[] = [];
  // The bench polls DescribeTasks every 10 ms: the API's per-key rate limit (50/s by default) is raised out of the way.
  const c = await startCluster({
    agents: 1,
    test: { after: (fn) => hooks.push(fn) },
    readyTimeoutMs: 60_000,
    env: { STEVEDORE_API_RATE_LIMIT: '1000,2000' },
    ...(AGENT_BIN ? { bins: { agent: () => AGENT_BIN } } : {}),
  });
  try {
    await new Promise((r) => setTimeout(r, 2000)); // let both processes settle before the idle reading
    const idle = { agent: rssMiB(c.pids().agents[0]), controlPlane: rssMiB(c.pids().controlPlane) };
    await c.call('RegisterTaskDefinition', {
      family: 'bench-web',
      containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], memory: 16, portMappings: [{ containerPort: 8080 }] }],
    });
    const latencies: number[] = [];
    const floor: number[] = [];
    const arns: string[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await c.call('RunTask', { taskDefinition: 'bench-web' });
      const arn = r.tasks[0].taskArn as string;
      arns.push(arn);
      for (;;) {
        const d = await c.call('DescribeTasks', { tasks: [arn] });
        if (d.tasks[0].lastStatus === 'RUNNING') break;
        if (d.tasks[0].lastStatus === 'STOPPED') throw new Error(`task stopped: ${d.tasks[0].stoppedReason}`);
        await new Promise((res) => setTimeout(res, 10));
      }
      latencies.push(performance.now() - t0);
      floor.push(dockerFloor());
    }
    while (arns.length < 50) {
      const r = await c.call('RunTask', { taskDefinition: 'bench-web', count: Math.min(10, 50 - arns.length) });
      arns.push(...r.tasks.map((t: { taskArn: string }) => t.taskArn));
    }
    for (;;) {
      const list = await c.call('ListTasks', { maxResults: 100 });
      const d = await c.call('DescribeTasks', { tasks: list.taskArns });
      if (d.tasks.filter((t: { lastStatus: string }) => t.lastStatus === 'RUNNING').length >= 50) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const loaded = { agent: rssMiB(c.pids().agents[0]), controlPlane: rssMiB(c.pids().controlPlane) };
    // Steady state with 50 tasks (event stream, stats, resyncs): the agent's CPU over 20 s.
    const cpu0 = cpuSeconds(c.pids().agents[0]);
    await new Promise((r) => setTimeout(r, 20_000));
    const agentCpuPct = ((cpuSeconds(c.pids().agents[0]) - cpu0) / 20) * 100;
    for (const arn of arns) await c.call('StopTask', { task: arn });

    floor.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const f = (x: number) => x.toFixed(0).padStart(6);
    console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
    console.log(`date: ${new Date().toISOString()}`);
    console.log(`RunTask -> RUNNING, ${N} one-container tasks (ms):  p50 ${f(pct(latencies, 50))}  p95 ${f(pct(latencies, 95))}`);
    console.log(`docker run -d (floor, after each), same image (ms): p50 ${f(pct(floor, 50))}  p95 ${f(pct(floor, 95))}`);
    console.log(`overhead ratio: p50 ${(pct(latencies, 50) / pct(floor, 50)).toFixed(2)}  p95 ${(pct(latencies, 95) / pct(floor, 95)).toFixed(2)}   (goal p50 <= 1.3)`);
    console.log(`agent RSS (MiB):          idle ${idle.agent.toFixed(1)}  with 50 tasks ${loaded.agent.toFixed(1)}   (goal <= 60)`);
    console.log(`control plane RSS (MiB):  idle ${idle.controlPlane.toFixed(1)}  with 50 tasks ${loaded.controlPlane.toFixed(1)}`);
    console.log(`agent CPU with 50 tasks, 20 s: ${agentCpuPct.toFixed(1)} % of one core; agent node flags: ${AGENT_NODE_FLAGS.join(' ')}${AGENT_BIN ? `; agent: ${AGENT_BIN}` : ''}`);
  } finally {
    for (const fn of hooks) await fn();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
