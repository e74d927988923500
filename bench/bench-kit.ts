/**
 * What the control-plane benchmarks share: the real control plane in this
 * process (SQLite in a temp dir, SigV4 off: they measure scheduling, not
 * auth), an ECS JSON client for it, simulated agents in a child process
 * (sim-agents.ts), waiting and percentiles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ControlPlane } from '@stevedore/control-plane';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

/** One command to the sim-agents child, and its answer of `type`. */
export function request<T>(child: ChildProcess, cmd: object, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(cmd);
  });
}

export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now();
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export type Call = (op: string, body: object, target?: string) => Promise<Record<string, any>>;

export interface BenchControlPlane {
  cp: ControlPlane;
  dir: string;
  call: Call;
  /** A join token of the cluster for `uses` agents. */
  joinToken(cluster: string, uses: number): Promise<string>;
  /** The sim-agents child (started on first use). */
  agents(): ChildProcess;
  stop(): Promise<void>;
}

export async function startBenchControlPlane(opts: { heartbeatMs: number; graceSeconds: number; maxPlacementsPerTick?: number; store?: string }): Promise<BenchControlPlane> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-bench-'));
  const cp = new ControlPlane(
    {
      dataDir: dir,
      ...(opts.store ? { store: opts.store } : {}),
      apiListen: { host: '127.0.0.1', port: 0 },
      agentListen: '127.0.0.1:0',
      region: 'us-east-1',
      account: '000000000000',
      logLevel: 'warn',
      heartbeatPeriodMs: opts.heartbeatMs,
      instanceLostGraceSeconds: opts.graceSeconds,
      // Loopback only: the benchmark measures scheduling, not SigV4.
      insecureDisableAuth: true,
      apiRateLimit: { steady: 1_000_000, burst: 1_000_000 },
      // Every simulated host joins from 127.0.0.1 at once.
      agentJoinRateLimit: { perMinute: 1_000_000, burst: 100_000 },
      ...(opts.maxPlacementsPerTick ? { orchestrator: { maxPlacementsPerTick: opts.maxPlacementsPerTick } } : {}),
    },
    pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }),
  );
  await cp.start();
  const endpoint = `http://127.0.0.1:${cp.apiPort}`;
  const call: Call = async (op, body, target = `AmazonEC2ContainerServiceV20141113.${op}`) => {
    for (let attempt = 0; ; attempt++) {
      // A keep-alive socket the server closed while the loop was busy: retry, as any SDK would.
      const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: JSON.stringify(body) }).catch((e: Error) => {
        if (attempt < 3) return undefined;
        throw e;
      });
      if (!res) continue;
      const json = (await res.json()) as Record<string, any>;
      if (res.status !== 200) throw new Error(`${op}: ${JSON.stringify(json)}`);
      return json;
    }
  };
  let child: ChildProcess | undefined;
  return {
    cp,
    dir,
    call,
    joinToken: async (cluster, uses) => (await call('CreateJoinToken', { cluster, uses }, 'Stevedore_20261125.CreateJoinToken'))['token'] as string,
    agents: () => {
      if (!child) {
        // Plain node for the simulated agents: the control plane's runtime flags (npm run bench:scale) are not theirs.
        child = fork(path.join(__dirname, 'sim-agents.js'), [], { stdio: 'inherit', execArgv: [] });
        // A benchmark that fails must not leave a thousand agents running.
        const c = child;
        process.on('exit', () => c.kill());
      }
      return child;
    },
    stop: async () => {
      child?.send({ cmd: 'stop' });
      await cp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function machine(): string {
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} RAM, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}`;
}
