/**
 * A real Stevedore cluster for end-to-end tests: one control plane process and
 * N agent processes against the local dockerd, each agent with its own host
 * IP (127.0.0.2, .3, ...) and data dir, as separate hosts would be.
 *
 *   const c = await startCluster({ agents: 3, test: t });   // stopped after t
 *   await c.call('RunTask', { taskDefinition: 'web' });        // cluster filled in
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { call as apiCall, readCredentialsFile, STEVEDORE_TARGET, trustApiCa, type Credentials } from './api';
import { listContainers, removeContainers, removeEndpointChains, removeVolumes, type ContainerSummary } from './docker';
import { waitFor } from './wait-for';

/** The checkout root, found by walking up (this file runs from test/dist/helpers/). */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'packages', 'control-plane', 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Stevedore checkout above ${start}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const CONTROL_PLANE_BIN = path.join(REPO_ROOT, 'packages/control-plane/dist/main.js');
export const AGENT_BIN = path.join(REPO_ROOT, 'packages/agent/dist/main.js');
/** Node flags the agent's bin passes too (packages/agent/src/node-flags.ts, which checks this copy). */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=128', '--lite-mode'];
export const CLI_BIN = path.join(REPO_ROOT, 'packages/cli/dist/main.js');
/** Attribute every harness agent carries so a test can find "agent i" among instances. */
export const AGENT_INDEX_ATTRIBUTE = 'stevedore.test.agent-index';

/** Operations whose request takes a `cluster` field (filled in by `call` when absent). */
const CLUSTER_SCOPED = new Set([
  'RunTask', 'StartTask', 'StopTask', 'DescribeTasks', 'ListTasks',
  'ListContainerInstances', 'DescribeContainerInstances', 'DeregisterContainerInstance', 'UpdateContainerInstancesState',
  'CreateService', 'UpdateService', 'DeleteService', 'DescribeServices', 'ListServices',
  'PutAttributes', 'DeleteAttributes', 'ListAttributes', 'GetTaskLogs',
]);

/** Minimal test context: node:test's TestContext fits. */
export interface TestHooks {
  after(fn: () => unknown): void;
  name?: string;
}

export interface ClusterOptions {
  agents: number;
  /** Default: unique per call, e.g. `e2e-1234-1-ab12`. */
  name?: string;
  /** When given, the cluster is stopped after the test and logs are printed if it failed. */
  test?: TestHooks;
  /** Extra `--attribute key=value` per agent. */
  attributes?: (index: number) => Record<string, string>;
  hostIp?: (index: number) => string;
  controlPlaneArgs?: string[];
  /**
   * Address the API listens on (default 127.0.0.1). Off loopback the control
   * plane serves HTTPS (unless --insecure-http is among controlPlaneArgs):
   * the harness then calls https://127.0.0.1 with its <data-dir>/api-ca.pem.
   */
  apiListenHost?: string;
  agentArgs?: (index: number) => string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Join flags for agent i, given the cluster's join token (default: both
   * `--token` and `--ca-cert-hash`). Security tests pass other values, or none.
   */
  joinArgs?: (index: number, join: JoinSettings) => string[];
  /** Start the agents in startCluster (default true); false: the test starts them with startAgent(i). */
  startAgents?: boolean;
  /** Wait until every agent's instance is ACTIVE and connected (default true). */
  waitForAgents?: boolean;
  readyTimeoutMs?: number;
  /** Programs to run instead of the checkout's dist/ (release bundles): read at each start, so a test can swap them. */
  bins?: { controlPlane?: () => string; agent?: (index: number) => string };
}

/** A join token made through the API after the control plane starts (CreateJoinToken). */
export interface JoinSettings {
  token: string;
  caCertHash: string;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
// Last resort if the test runner dies: never leave daemons behind.
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

let counter = 0;

export function uniqueClusterName(): string {
  return `e2e-${process.pid}-${++counter}-${Math.random().toString(16).slice(2, 6)}`;
}

/** A free TCP port on 127.0.0.1 (bound to 0, read, released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function spawnLogged(bin: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, nodeFlags: string[] = []): Proc {
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run npm run build first`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeFlags, bin, ...args], { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? 128 : null));
    });
    child.on('error', () => {
      live.delete(child);
      resolve(null);
    });
  });
  return { child, exited };
}

async function terminate(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export class TestCluster {
  readonly endpoint: string;
  readonly agentEndpoint: string;
  /** Where the control plane writes its admin key on first start (AWS shared-credentials file); `call` and `cli` use it. */
  readonly adminCredentialsFile: string;
  private credentials: Credentials | undefined;
  private controlPlane: Proc | undefined;
  private readonly agents: (Proc | undefined)[];
  private stopped = false;
  /** Set by startCluster; every agent joins with it (1000 uses, a day long). */
  join: JoinSettings | undefined;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly apiPort: number,
    readonly agentPort: number,
    private readonly opts: ClusterOptions,
  ) {
    const host = opts.apiListenHost ?? '127.0.0.1';
    const tls = !/^(127\.|::1$|localhost$)/.test(host) && !(opts.controlPlaneArgs ?? []).includes('--insecure-http');
    this.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${apiPort}`;
    this.agentEndpoint = `127.0.0.1:${agentPort}`;
    this.adminCredentialsFile = path.join(dataDir, 'admin-credentials');
    this.controlPlaneDataDir = path.join(dataDir, 'control-plane');
    this.agents = new Array<Proc | undefined>(opts.agents).fill(undefined);
  }

  /** The CA bundle the control plane wrote for clients (https endpoints only). */
  get apiCaFile(): string {
    return path.join(this.controlPlaneDataDir, 'api-ca.pem');
  }

  /** The control plane's --data-dir; a test may point it elsewhere (a restored backup) before starting it again. */
  controlPlaneDataDir: string;

  get agentCount(): number {
    return this.agents.length;
  }

  hostIp(i: number): string {
    return this.opts.hostIp ? this.opts.hostIp(i) : `127.0.0.${2 + i}`;
  }

  get logs(): { controlPlane: string; agents: string[] } {
    return {
      controlPlane: path.join(this.dataDir, 'control-plane.log'),
      agents: this.agents.map((_, i) => path.join(this.dataDir, `agent-${i}.log`)),
    };
  }

  /** ECS call with `cluster` filled in for cluster-scoped operations. */
  call<T = any>(operation: string, body: Record<string, unknown> = {}, targetPrefix?: string): Promise<T> {
    const withCluster = CLUSTER_SCOPED.has(operation) && !('cluster' in body) ? { cluster: this.name, ...body } : body;
    return apiCall<T>(this.endpoint, operation, withCluster, targetPrefix, this.adminCredentials());
  }

  /** Stevedore-only operation (`Stevedore_20261125.<op>`). */
  callStevedore<T = any>(operation: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(operation, body, STEVEDORE_TARGET);
  }

  /** The admin access key, read once the control plane has written it. */
  adminCredentials(): Credentials {
    this.credentials ??= readCredentialsFile(this.adminCredentialsFile);
    return this.credentials;
  }

  async startControlPlane(): Promise<void> {
    if (this.controlPlane && this.controlPlane.child.exitCode === null && this.controlPlane.child.signalCode === null) return;
    const args = [
      '--data-dir', this.controlPlaneDataDir,
      '--api-listen', `${this.opts.apiListenHost ?? '127.0.0.1'}:${this.apiPort}`,
      '--agent-listen', this.agentEndpoint,
      '--admin-credentials-file', this.adminCredentialsFile,
      ...(this.opts.controlPlaneArgs ?? []),
    ];
    this.controlPlane = spawnLogged(this.opts.bins?.controlPlane?.() ?? CONTROL_PLANE_BIN, args, this.logs.controlPlane, this.env());
    const cp = this.controlPlane;
    await waitFor(
      async () => {
        if (cp.child.exitCode !== null) throw new Error(`control plane exited with ${cp.child.exitCode}:\n${tail(this.logs.controlPlane, 15)}`);
        if (this.endpoint.startsWith('https:')) {
          // Written before the API listens; a restart may have re-issued the certificate, never the CA.
          if (!existsSync(this.apiCaFile)) return undefined;
          trustApiCa(this.endpoint, readFileSync(this.apiCaFile, 'utf8'));
        }
        await apiCall(this.endpoint, 'ListClusters', {}, undefined, this.adminCredentials());
        return true;
      },
      { description: `control plane API on ${this.endpoint}`, timeoutMs: this.opts.readyTimeoutMs ?? 20_000, intervalMs: 100 },
    );
  }

  async stopControlPlane(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await terminate(this.controlPlane, signal);
  }

  /** Same data dir and ports: nothing may be lost across this. */
  async restartControlPlane(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stopControlPlane(signal);
    await this.startControlPlane();
  }

  /** Starts agent i (again) with the same data dir, host IP and attributes. */
  async startAgent(i: number): Promise<void> {
    this.checkIndex(i);
    const p = this.agents[i];
    if (p && p.child.exitCode === null && p.child.signalCode === null) return;
    const dir = path.join(this.dataDir, `agent-${i}`);
    mkdirSync(dir, { recursive: true });
    const attrs = { [AGENT_INDEX_ATTRIBUTE]: String(i), ...(this.opts.attributes?.(i) ?? {}) };
    const args = [
      '--control-plane', this.agentEndpoint,
      '--cluster', this.name,
      '--host-ip', this.hostIp(i),
      '--data-dir', dir,
      ...(this.join ? (this.opts.joinArgs ?? defaultJoinArgs)(i, this.join) : []),
      ...Object.entries(attrs).flatMap(([k, v]) => ['--attribute', `${k}=${v}`]),
      ...(this.opts.agentArgs?.(i) ?? []),
    ];
    this.agents[i] = spawnLogged(this.opts.bins?.agent?.(i) ?? AGENT_BIN, args, this.logs.agents[i]!, this.env(), AGENT_NODE_FLAGS);
  }

  /** SIGTERM for a clean stop, SIGKILL for a crash. Resolves when the process is gone. */
  async stopAgent(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.checkIndex(i);
    await terminate(this.agents[i], signal);
  }

  /** Process ids, for benchmarks that read RSS from /proc. */
  pids(): { controlPlane?: number; agents: (number | undefined)[] } {
    const out: { controlPlane?: number; agents: (number | undefined)[] } = { agents: this.agents.map((a) => a?.child.pid) };
    if (this.controlPlane?.child.pid !== undefined) out.controlPlane = this.controlPlane.child.pid;
    return out;
  }

  isAgentRunning(i: number): boolean {
    const p = this.agents[i];
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  /** Container instances of this cluster (ListContainerInstances + Describe). */
  async instances(): Promise<any[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call<{ containerInstanceArns?: string[]; nextToken?: string }>('ListContainerInstances', nextToken ? { nextToken } : {});
      arns.push(...(page.containerInstanceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    if (arns.length === 0) return [];
    const r = await this.call<{ containerInstances?: any[] }>('DescribeContainerInstances', { containerInstances: arns });
    return r.containerInstances ?? [];
  }

  /** The container instance registered by agent i (found by its index attribute). */
  async instanceOf(i: number): Promise<any | undefined> {
    return (await this.instances()).find((inst) =>
      (inst.attributes ?? []).some((a: { name: string; value?: string }) => a.name === AGENT_INDEX_ATTRIBUTE && a.value === String(i)),
    );
  }

  async instanceArnOf(i: number): Promise<string> {
    const inst = await this.instanceOf(i);
    if (!inst) throw new Error(`agent ${i} has no container instance in cluster ${this.name}`);
    return inst.containerInstanceArn as string;
  }

  /** Waits until each given agent has an ACTIVE, connected instance. */
  async waitForAgents(indexes: number[] = this.agents.map((_, i) => i), timeoutMs = this.opts.readyTimeoutMs ?? 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const i of indexes) {
          const p = this.agents[i];
          if (p && p.child.exitCode !== null) throw new Error(`agent ${i} exited with ${p.child.exitCode}:\n${tail(this.logs.agents[i]!, 15)}`);
        }
        const insts = await this.instances();
        const ready = indexes.filter((i) =>
          insts.some(
            (inst) =>
              inst.status === 'ACTIVE' &&
              inst.agentConnected === true &&
              (inst.attributes ?? []).some((a: { name: string; value?: string }) => a.name === AGENT_INDEX_ATTRIBUTE && a.value === String(i)),
          ),
        );
        return ready.length === indexes.length ? true : undefined;
      },
      { description: `agents ${indexes.join(', ')} registered and connected in cluster ${this.name}`, timeoutMs, intervalMs: 200 },
    );
  }

  /** Docker containers of this cluster, by the agents' system label. */
  containers(extraLabels: Record<string, string> = {}): Promise<ContainerSummary[]> {
    return listContainers({ 'stevedore.cluster': this.name, ...extraLabels });
  }

  /** Runs the real `stevedore` CLI against this cluster. */
  cli(args: string[], opts: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_BIN, '--endpoint', this.endpoint, '--cluster', this.name, ...args], {
        // Only the cluster's admin key: nothing from the caller's own AWS setup.
        env: { ...process.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, STEVEDORE_CREDENTIALS_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: this.adminCredentialsFile, AWS_CA_BUNDLE: this.endpoint.startsWith('https:') ? this.apiCaFile : undefined, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(opts.stdin ?? '');
    });
  }

  /** Paths of the log files plus their last lines, for failure reports. */
  describeLogs(lines = 40): string {
    const { controlPlane, agents } = this.logs;
    const parts = [`--- control plane log: ${controlPlane}\n${tail(controlPlane, lines)}`];
    agents.forEach((f, i) => parts.push(`--- agent ${i} (${this.hostIp(i)}) log: ${f}\n${tail(f, lines)}`));
    return parts.join('\n');
  }

  /**
   * Kills the processes, removes this cluster's containers and volumes, and
   * deletes the data dir unless `keep` (then the logs stay for reading).
   */
  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.agents.map((p) => terminate(p, 'SIGTERM', 5000)));
    await terminate(this.controlPlane, 'SIGTERM', 5000);
    this.killLoadBalancers();
    this.killLocalHosts();
    await removeContainers({ 'stevedore.cluster': this.name }).catch(() => 0);
    await removeVolumes({ 'stevedore.cluster': this.name }).catch(() => 0);
    await removeEndpointChains(this.agentInstanceIds()).catch(() => undefined);
    if (!opts.keep && process.env.STEVEDORE_KEEP_TEST_DATA !== '1') rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The instance ids the agents wrote (<agent data dir>/instance.json), for cleanup. */
  agentInstanceIds(): string[] {
    return this.agents.flatMap((_, i) => {
      try {
        return [(JSON.parse(readFileSync(path.join(this.dataDir, `agent-${i}`, 'instance.json'), 'utf8')) as { instanceId: string }).instanceId];
      } catch {
        return [];
      }
    });
  }

  /** HAProxy outlives its agent by design (the next agent adopts it): a test cluster's must go with it. */
  killLoadBalancers(): void {
    this.agents.forEach((_, i) => {
      try {
        const pid = Number(readFileSync(path.join(this.dataDir, `agent-${i}`, 'loadbalancer', 'haproxy.pid'), 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        // this agent ran no load balancer
      }
    });
  }

  /**
   * Host groups' local hosts are detached processes (they outlive a control
   * plane restart, as VMs would): whatever a test left running goes here,
   * found by the pid files under the control plane's data dir.
   */
  killLocalHosts(): void {
    const root = path.join(this.dataDir, 'control-plane', 'host-groups');
    const walk = (dir: string): string[] => {
      try {
        return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      } catch {
        return [];
      }
    };
    for (const file of walk(root).filter((f) => f.endsWith('agent.pid') || f.endsWith('dockerd.pid'))) {
      try {
        const pid = Number(readFileSync(file, 'utf8').trim());
        if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.dirname(file))) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // A killed dockerd leaves its data root mounted: the data dir could not be removed.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${root}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    // ...and its bridge (named after the host: see LocalProvisioner.bridgeOf).
    for (const file of walk(root).filter((f) => f.endsWith('dockerd.pid'))) {
      const host = path.basename(path.dirname(file));
      spawnSync('ip', ['link', 'del', `svh${host.replace(/[^a-z0-9]/gi, '').slice(-10)}`], { stdio: 'ignore' });
      rmSync(path.join(tmpdir(), `svh-${host}`), { recursive: true, force: true });
    }
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, STEVEDORE_LOG_LEVEL: process.env.STEVEDORE_LOG_LEVEL ?? 'debug', ...this.opts.env };
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.agents.length) throw new Error(`no agent ${i} (cluster has ${this.agents.length})`);
  }
}

function defaultJoinArgs(_i: number, join: JoinSettings): string[] {
  return ['--token', join.token, '--ca-cert-hash', join.caCertHash];
}

/** A join token for the cluster, as an operator makes one (stevedore cluster join-token create). */
export async function createJoinToken(cluster: TestCluster, body: Record<string, unknown> = {}): Promise<JoinSettings> {
  const r = await cluster.callStevedore<{ token: string; caCertHash: string }>('CreateJoinToken', { cluster: cluster.name, ttlSeconds: 86_400, uses: 1000, ...body });
  return { token: r.token, caCertHash: r.caCertHash };
}

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const name = opts.name ?? uniqueClusterName();
  const dataDir = mkdtempSync(path.join(tmpdir(), `stevedore-${name}-`));
  // A wildcard API listen needs a port free on every address, not only on 127.0.0.1.
  const apiPort = await freePort(opts.apiListenHost === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1');
  const cluster = new TestCluster(name, dataDir, apiPort, await freePort(), opts);
  if (opts.test) {
    const t = opts.test;
    t.after(async () => {
      const passed = (t as { passed?: boolean }).passed !== false;
      if (!passed) process.stderr.write(`\ncluster ${name} of failed test ${t.name ?? ''}: data and logs kept in ${dataDir}\n${cluster.describeLogs()}\n`);
      await cluster.stop({ keep: !passed });
    });
  }
  try {
    await cluster.startControlPlane();
    await cluster.call('CreateCluster', { clusterName: name });
    cluster.join = await createJoinToken(cluster);
    if (opts.startAgents !== false) {
      for (let i = 0; i < opts.agents; i++) await cluster.startAgent(i);
      if (opts.waitForAgents !== false && opts.agents > 0) await cluster.waitForAgents();
    }
  } catch (e) {
    if (!opts.test) {
      process.stderr.write(`\ncluster ${name} failed to start; logs kept in ${dataDir}\n${cluster.describeLogs()}\n`);
      await cluster.stop({ keep: true });
    }
    throw e;
  }
  return cluster;
}
