/**
 * `npm run bench:fargate`: RunTask-to-RUNNING of the same web container
 * launched three ways, interleaved so machine noise spreads evenly: EC2
 * (bridge, dynamic host port), EC2 awsvpc (pause container, no task cgroup)
 * and FARGATE (pause container + task cgroup). Prints figures; asserts
 * nothing.
 */
import * as os from 'node:os';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import * as path from 'node:path';
import { startCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';

const N = Number(process.env['BENCH_TASKS'] ?? 15);
const WEB = { name: 'web', image: TEST_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], portMappings: [{ containerPort: 8080 }] };
const AWSVPC = { awsvpcConfiguration: { subnets: ['subnet-bench'] } };

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const hooks: (() => unknown)[] = [];
  const c = await startCluster({ agents: 1, test: { after: (fn) => hooks.push(fn) }, readyTimeoutMs: 60_000, controlPlaneArgs: ['--api-rate-limit', '1000,2000'], hostIp: () => '127.0.12.40', agentArgs: () => ['--pause-image', TEST_IMAGE] });
  const ids: string[] = [];
  try {
    await c.call('RegisterTaskDefinition', { family: 'bench-ec2', containerDefinitions: [{ ...WEB, memory: 16 }] });
    await c.call('RegisterTaskDefinition', { family: 'bench-awsvpc', networkMode: 'awsvpc', containerDefinitions: [{ ...WEB, memory: 16 }] });
    await c.call('RegisterTaskDefinition', { family: 'bench-fargate', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: [WEB] });
    const kinds = {
      'EC2 (bridge)': { taskDefinition: 'bench-ec2' },
      'EC2 awsvpc (pause)': { taskDefinition: 'bench-awsvpc', networkConfiguration: AWSVPC },
      'FARGATE (pause + cgroup)': { taskDefinition: 'bench-fargate', launchType: 'FARGATE', networkConfiguration: AWSVPC },
    } as const;
    const results = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
    for (let i = 0; i < N; i++) {
      for (const [kind, body] of Object.entries(kinds)) {
        const t0 = performance.now();
        const r = await c.call('RunTask', body);
        const arn = r.tasks[0].taskArn as string;
        ids.push(arn.split('/').pop()!);
        for (;;) {
          const d = await c.call('DescribeTasks', { tasks: [arn] });
          if (d.tasks[0].lastStatus === 'RUNNING') break;
          if (d.tasks[0].lastStatus === 'STOPPED') throw new Error(`task stopped: ${d.tasks[0].stoppedReason}`);
          await new Promise((res) => setTimeout(res, 10));
        }
        results.get(kind)!.push(performance.now() - t0);
        // One task at a time on the host: stop it before the next kind starts.
        await c.call('StopTask', { task: arn });
        for (;;) {
          const d = await c.call('DescribeTasks', { tasks: [arn] });
          if (d.tasks[0].lastStatus === 'STOPPED') break;
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    }
    const f = (x: number) => x.toFixed(0).padStart(5);
    console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
    console.log(`date: ${new Date().toISOString()}`);
    const base = pct([...results.get('EC2 (bridge)')!].sort((a, b) => a - b), 50);
    for (const [kind, list] of results) {
      const s = [...list].sort((a, b) => a - b);
      console.log(`${kind.padEnd(26)} RunTask -> RUNNING (ms, ${N} tasks): p50 ${f(pct(s, 50))}  p95 ${f(pct(s, 95))}  p50 vs EC2 ${(pct(s, 50) / base).toFixed(2)}`);
    }
  } finally {
    for (const fn of hooks) await fn();
    for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      for (const id of ids) {
        const dir = path.join('/sys/fs/cgroup', h, 'stevedore', id);
        if (existsSync(dir)) rmdirSync(dir);
      }
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
