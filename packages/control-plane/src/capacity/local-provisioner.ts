import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { HostGroup, HostGroupHost, LocalProvisioner as LocalSpec } from '@stevedore/core';
import { hostAttributes, keepTail, ProvisionError, type CreateResult, type JoinInstructions, type Provisioner } from './provisioner';

/** The agent's bin: --local-agent-bin / STEVEDORE_AGENT_BIN, else the sibling package of this checkout or of a release (lib/agent/ beside lib/control-plane/), else on PATH. */
export function defaultAgentBin(): string {
  if (process.env.STEVEDORE_AGENT_BIN) return process.env.STEVEDORE_AGENT_BIN;
  for (const sibling of [path.resolve(__dirname, '../../../agent/dist/main.js'), path.resolve(__dirname, '../agent/main.js')]) {
    if (existsSync(sibling)) return sibling;
  }
  return 'stevedore-agent';
}

/** Node flags the agent's own bin uses (packages/agent/src/node-flags.ts, which checks this copy). */
const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=128', '--lite-mode'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in `file` if that process still runs and its command line names `marker` (pids get reused). */
export function livePid(file: string, marker: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function terminatePid(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; ) {
    if (!alive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/**
 * Hosts as agent processes on this machine (development, demos, tests): each
 * on its stored address of the group's range, with its own data dir and pid
 * file under <data-dir>/host-groups/<group>/<host>/. The processes are
 * detached: like VMs they outlive a control-plane restart, and `create` for
 * a host whose agent still runs adopts it instead of starting a second one.
 * With `ownDockerd`, the host gets a dockerd of its own (data root, bridge,
 * --iptables=false, as the tests' second daemon); otherwise it shares this
 * machine's, and `destroy` removes the containers labelled with its instance
 * (a destroyed VM takes its containers with it).
 */
export class LocalProvisioner implements Provisioner {
  constructor(
    private readonly spec: LocalSpec,
    private readonly rootDir: string,
    private readonly agentBin: string = defaultAgentBin(),
    private readonly docker: Docker = new Docker(),
  ) {}

  dirOf(group: string, hostId: string): string {
    return path.join(this.rootDir, group, hostId);
  }

  async create(group: HostGroup, host: HostGroupHost, join: JoinInstructions): Promise<CreateResult> {
    if (!host.hostIp) throw new ProvisionError('no free address left in the host group\'s --host-ips range', '');
    const dir = this.dirOf(group.name, host.id);
    const agentDir = path.join(dir, 'agent');
    const pidFile = path.join(dir, 'agent.pid');
    const adopted = livePid(pidFile, agentDir);
    if (adopted) return { providerId: host.id, output: `adopted the running agent (pid ${adopted}) on ${host.hostIp}\n` };
    mkdirSync(agentDir, { recursive: true, mode: 0o700 });
    let output = '';
    const args = [
      ...AGENT_NODE_FLAGS,
      this.agentBin,
      '--control-plane', join.controlPlane,
      '--cluster', join.cluster,
      '--host-ip', host.hostIp,
      '--data-dir', agentDir,
      '--token', join.token,
      '--ca-cert-hash', join.caCertHash,
      ...hostAttributes(group).flatMap((a) => ['--attribute', `${a.name}=${a.value}`]),
    ];
    if (this.spec.ownDockerd) {
      const socket = await this.startDockerd(dir, host);
      args.push('--docker-host', `unix://${socket}`);
      output += `own dockerd on ${socket}\n`;
    }
    const logFile = path.join(dir, 'agent.log');
    const fd = openSync(logFile, 'a');
    const bin = this.agentBin.endsWith('.js') ? process.execPath : this.agentBin;
    const child = spawn(bin, bin === process.execPath ? args : args.slice(AGENT_NODE_FLAGS.length + 1), { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, STEVEDORE_LOG_LEVEL: process.env.STEVEDORE_LOG_LEVEL ?? 'info' } });
    closeSync(fd);
    child.unref();
    if (!child.pid) throw new ProvisionError(`could not start ${this.agentBin}`, output);
    writeFileSync(pidFile, `${child.pid}\n`);
    // An agent that dies at once (bad flags, address in use) fails the create, with its log.
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode !== null || !alive(child.pid)) {
      throw new ProvisionError(`the agent exited at once (code ${child.exitCode})`, keepTail(output + readLog(logFile)));
    }
    output += `agent pid ${child.pid} on ${host.hostIp} (log ${logFile})\n`;
    return { providerId: host.id, output };
  }

  async destroy(group: HostGroup, host: HostGroupHost): Promise<{ output: string }> {
    const dir = this.dirOf(group.name, host.id);
    const agentDir = path.join(dir, 'agent');
    let output = '';
    const pid = livePid(path.join(dir, 'agent.pid'), agentDir);
    if (pid) {
      await terminatePid(pid, 10_000);
      output += `agent pid ${pid} stopped\n`;
    }
    const haproxy = livePid(path.join(agentDir, 'loadbalancer', 'haproxy.pid'), 'haproxy');
    if (haproxy) await terminatePid(haproxy, 5000);
    if (this.spec.ownDockerd) {
      output += await this.stopDockerd(dir, host);
    } else if (host.containerInstanceId) {
      const containers = await this.docker.listContainers({ all: true, filters: { label: [`stevedore.instance=${host.containerInstanceId}`] } });
      for (const c of containers) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      if (containers.length > 0) output += `${containers.length} container(s) of instance ${host.containerInstanceId} removed\n`;
    }
    rmSync(dir, { recursive: true, force: true });
    return { output: output || 'nothing was running\n' };
  }

  private bridgeOf(host: HostGroupHost): string {
    // Linux interface names: at most 15 characters.
    return `svh${host.id.replace(/[^a-z0-9]/gi, '').slice(-10)}`;
  }

  /** Socket and exec root of a host's own dockerd: a short path (a unix socket path is at most 107 bytes). */
  private runDirOf(host: HostGroupHost): string {
    return path.join(os.tmpdir(), `svh-${host.id}`);
  }

  private async startDockerd(dir: string, host: HostGroupHost): Promise<string> {
    const run = this.runDirOf(host);
    mkdirSync(run, { recursive: true, mode: 0o700 });
    const socket = path.join(run, 'docker.sock');
    const pidFile = path.join(dir, 'dockerd.pid');
    if (!livePid(pidFile, dir)) {
      const bridge = this.bridgeOf(host);
      if (!existsSync(`/sys/class/net/${bridge}`)) {
        // A /24 per host from the host's address, off the shared daemon's ranges.
        const last = Number(host.hostIp!.split('.').pop() ?? 0) % 250;
        execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
        execFileSync('ip', ['addr', 'add', `10.214.${last}.1/24`, 'dev', bridge]);
        execFileSync('ip', ['link', 'set', bridge, 'up']);
      }
      const fd = openSync(path.join(dir, 'dockerd.log'), 'a');
      const child = spawn('dockerd', ['--data-root', path.join(dir, 'docker-data'), '--exec-root', path.join(run, 'exec'), '-H', `unix://${socket}`, '--pidfile', pidFile, '--bridge', bridge, '--iptables=false'], {
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      closeSync(fd);
      child.unref();
    }
    const client = new Docker({ socketPath: socket });
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      try {
        await client.ping();
        return socket;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new ProvisionError('the host\'s own dockerd did not answer within 20 s', keepTail(readLog(path.join(dir, 'dockerd.log'))));
  }

  private async stopDockerd(dir: string, host: HostGroupHost): Promise<string> {
    const pid = livePid(path.join(dir, 'dockerd.pid'), dir);
    // dockerd stops its containers (SIGTERM to each) on the way out.
    if (pid) await terminatePid(pid, 20_000);
    // A daemon that died hard leaves its data root bind-mounted on itself: the dir could not be removed.
    for (const target of mountsUnder(dir)) {
      try {
        execFileSync('umount', ['-l', target], { stdio: 'ignore' });
      } catch {
        // not mounted any more
      }
    }
    rmSync(this.runDirOf(host), { recursive: true, force: true });
    try {
      execFileSync('ip', ['link', 'del', this.bridgeOf(host)], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    return pid ? `own dockerd pid ${pid} stopped\n` : '';
  }
}

/** Mount points at or below `dir`, deepest first (/proc/mounts escapes spaces as \040). */
export function mountsUnder(dir: string): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
      .filter((m) => m === dir || m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** "127.0.11.100-127.0.11.109" or "a,b,c" (or a mix) into the addresses, in order; undefined on a malformed one. */
export function expandHostIps(spec: string): string[] | undefined {
  const out: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:-(?:(\d+)\.(\d+)\.(\d+)\.)?(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = m.slice(1, 5).map(Number);
    if (a.some((x) => x > 255)) return undefined;
    if (m[8] === undefined) {
      out.push(a.join('.'));
      continue;
    }
    const endPrefix = m[5] !== undefined ? [m[5], m[6], m[7]].map(Number) : a.slice(0, 3);
    if (endPrefix.join('.') !== a.slice(0, 3).join('.')) return undefined;
    const end = Number(m[8]);
    if (end > 255 || end < a[3]! || end - a[3]! > 255) return undefined;
    for (let x = a[3]!; x <= end; x++) out.push(`${a[0]}.${a[1]}.${a[2]}.${x}`);
  }
  return out.length > 0 && out.length <= 1024 ? out : undefined;
}
