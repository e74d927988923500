import { execFile, spawn } from 'node:child_process';
import { promises as fs, constants as fsc, openSync, closeSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Logger } from 'pino';

/** Every deadline of the HAProxy supervisor, with its reason. */
export const HAPROXY_TIMEOUTS = {
  /** `haproxy -c` parses the file; large configurations still take well under a second. */
  validateMs: 15_000,
  /** A runtime API or master CLI command is a local socket round trip. */
  socketMs: 5_000,
  /** From spawn (or reload) to a worker answering on the stats socket. */
  readyMs: 10_000,
  /** apt-get on a slow mirror. */
  installMs: 300_000,
} as const;

export interface HaproxyPaths {
  dir: string;
  config: string;
  serverState: string;
  statsSocket: string;
  masterSocket: string;
  pidFile: string;
  log: string;
}

export function haproxyPaths(dir: string): HaproxyPaths {
  return {
    dir,
    config: path.join(dir, 'haproxy.cfg'),
    serverState: path.join(dir, 'server-state'),
    statsSocket: path.join(dir, 'admin.sock'),
    masterSocket: path.join(dir, 'master.sock'),
    pidFile: path.join(dir, 'haproxy.pid'),
    log: path.join(dir, 'haproxy.log'),
  };
}

export class HaproxyUnavailableError extends Error {
  override readonly name = 'HaproxyUnavailableError';
}

function run(file: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function executable(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The haproxy binary: the given one, Debian's /usr/sbin/haproxy, or one on PATH. */
export async function findHaproxy(preferred?: string): Promise<string | undefined> {
  const candidates = [preferred, '/usr/sbin/haproxy', ...(process.env['PATH'] ?? '').split(':').map((d) => path.join(d, 'haproxy'))];
  for (const c of candidates) if (c && (await executable(c))) return c;
  return undefined;
}

/**
 * Finds HAProxy, installing Debian's `haproxy` package when it is missing
 * (the agent runs as root on its host, like dockerd). Throws a
 * HaproxyUnavailableError saying what to do when neither works.
 */
export async function ensureHaproxy(log: Logger, preferred?: string): Promise<string> {
  const found = await findHaproxy(preferred);
  if (found) return found;
  const apt = await executable('/usr/bin/apt-get');
  if (!apt || process.getuid?.() !== 0) {
    throw new HaproxyUnavailableError('HAProxy is not installed and cannot be installed here (needs root and apt-get): install Debian\'s haproxy package (apt-get install haproxy) on this load balancer host');
  }
  log.warn('HAProxy is not installed: installing Debian\'s haproxy package');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('/usr/bin/apt-get', ['install', '-y', '-q', '--no-install-recommends', 'haproxy'], HAPROXY_TIMEOUTS.installMs, env);
  if (r.code !== 0) {
    await run('/usr/bin/apt-get', ['update', '-q'], HAPROXY_TIMEOUTS.installMs, env);
    r = await run('/usr/bin/apt-get', ['install', '-y', '-q', '--no-install-recommends', 'haproxy'], HAPROXY_TIMEOUTS.installMs, env);
  }
  const after = await findHaproxy(preferred);
  if (r.code !== 0 || !after) throw new HaproxyUnavailableError(`installing Debian's haproxy package failed: ${r.out.trim().split('\n').slice(-3).join(' ')}`);
  return after;
}

/** What Debian's haproxy package sets up: user and group `haproxy`, and an empty root-owned chroot. */
export const HAPROXY_PRIVILEGES = { user: 'haproxy', group: 'haproxy', chroot: '/var/lib/haproxy' } as const;

export type HaproxyPrivileges = { user: string; group: string; chroot: string };

async function hasEntry(file: string, name: string): Promise<boolean> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').some((l) => l.split(':')[0] === name);
}

/**
 * The user, group and chroot HAProxy's workers drop to. Only root can drop
 * privileges, so a non-root agent (a developer's test run) gets undefined and
 * workers keep its user. As root the user and group must exist: running the
 * workers as root instead would make any HAProxy bug root on the host.
 */
export async function haproxyPrivileges(wanted: HaproxyPrivileges = HAPROXY_PRIVILEGES): Promise<HaproxyPrivileges | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  if (!(await hasEntry('/etc/passwd', wanted.user)) || !(await hasEntry('/etc/group', wanted.group))) {
    throw new HaproxyUnavailableError(
      `HAProxy's workers run as user ${wanted.user} and group ${wanted.group}, which do not exist on this host: install Debian's haproxy package (apt-get install haproxy), which creates them`,
    );
  }
  // Empty and root-owned, as Debian ships it: the workers can write nothing there.
  await fs.mkdir(wanted.chroot, { recursive: true, mode: 0o755 });
  return wanted;
}

/** One command on a HAProxy UNIX socket (runtime API or master CLI); resolves with the whole answer. */
export function socketCommand(socket: string, command: string, timeoutMs: number = HAPROXY_TIMEOUTS.socketMs): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(socket);
    const timer = setTimeout(() => s.destroy(new Error(`no answer from ${socket} within ${timeoutMs} ms to '${command}'`)), timeoutMs);
    s.on('connect', () => s.end(`${command}\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

interface ProcInfo {
  masterPid: number;
  reloads: number;
  failed: number;
  /** Workers started by the latest successful (re)load; empty while none serves. */
  workers: number[];
  /** Every worker, old ones still finishing connections included. */
  allWorkers: number[];
}

/**
 * `show proc` on the master CLI: the master's reload counters and its
 * workers. A worker's own reload count is how many reloads ago it started:
 * 0 is the newest. After a failed reload the serving worker is older, so
 * "current" means the youngest worker there is.
 */
export function parseShowProc(text: string): ProcInfo | undefined {
  const master = /^(\d+)\s+master\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/m.exec(text);
  if (!master) return undefined;
  const section = text.split('# workers')[1]?.split('#')[0] ?? '';
  const found = [...section.matchAll(/^(\d+)\s+worker\s+(\d+)/gm)].map((m) => ({ pid: Number(m[1]), age: Number(m[2]) }));
  const youngest = Math.min(...found.map((w) => w.age));
  return {
    masterPid: Number(master[1]),
    reloads: Number(master[2]),
    failed: Number(master[3] ?? 0),
    workers: found.filter((w) => w.age === youngest).map((w) => w.pid),
    allWorkers: found.map((w) => w.pid),
  };
}

/**
 * Supervises one HAProxy in master-worker mode (`-W -S master.sock`),
 * started detached so it outlives agent restarts (the next agent adopts it
 * through the master socket, as it adopts task containers). Reloads go
 * through the master CLI: the master re-executes itself with the new file,
 * passes the listening sockets to the new worker (`expose-fd listeners`) and
 * lets the old worker finish its connections, so nothing is dropped.
 */
export class HaproxyProcess {
  constructor(
    readonly binary: string,
    readonly paths: HaproxyPaths,
    private readonly log: Logger,
  ) {}

  /** `haproxy -c`: the configuration HAProxy would load, checked without touching the running one. */
  async validate(text: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const file = `${this.paths.config}.candidate`;
    await fs.writeFile(file, text, { mode: 0o600 });
    const r = await run(this.binary, ['-c', '-q', '-f', file], HAPROXY_TIMEOUTS.validateMs);
    if (r.code === 0) return { ok: true };
    const alerts = r.out.split('\n').filter((l) => /ALERT|error/i.test(l)).map((l) => l.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '').trim());
    return { ok: false, error: (alerts.length ? alerts : [r.out.trim()]).slice(0, 5).join('; ') || `haproxy -c exited with ${r.code}` };
  }

  async proc(): Promise<ProcInfo | undefined> {
    try {
      return parseShowProc(await socketCommand(this.paths.masterSocket, 'show proc'));
    } catch {
      return undefined;
    }
  }

  /**
   * The master's pid (from the pid file) while that process is alive and is
   * this HAProxy. Liveness never depends on the master CLI: it does not
   * answer while the master re-executes itself for a reload.
   */
  async masterPid(): Promise<number | undefined> {
    const pid = Number((await fs.readFile(this.paths.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      if (/^\d+ \(.*\) Z /.test(await fs.readFile(`/proc/${pid}/stat`, 'utf8'))) return undefined;
      // A pid reused by another process must not count.
      return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(this.paths.config) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async isRunning(): Promise<boolean> {
    return (await this.masterPid()) !== undefined;
  }

  /** Starts the master from the file at `paths.config`; resolves once a worker answers. */
  async start(): Promise<void> {
    if (await this.isRunning()) throw new Error('HAProxy is already running here: reload it instead');
    await fs.rm(this.paths.masterSocket, { force: true });
    const fd = openSync(this.paths.log, 'a');
    const child = spawn(this.binary, ['-W', '-S', `${this.paths.masterSocket},mode,600`, '-f', this.paths.config, '-p', this.paths.pidFile], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.unref();
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const deadline = Date.now() + HAPROXY_TIMEOUTS.readyMs;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`haproxy exited with ${exited} at start: ${await this.logTail()}`);
      if (((await this.proc())?.workers.length ?? 0) > 0) {
        this.log.info({ pid: child.pid }, 'HAProxy started');
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`haproxy did not answer on ${this.paths.masterSocket} within ${HAPROXY_TIMEOUTS.readyMs} ms: ${await this.logTail()}`);
  }

  /** Reloads from `paths.config`; throws (the old worker keeps serving) when the new worker failed. */
  async reload(): Promise<void> {
    const before = await this.proc();
    if (!before) throw new Error('HAProxy master is not running');
    await socketCommand(this.paths.masterSocket, 'reload').catch(() => '');
    const deadline = Date.now() + HAPROXY_TIMEOUTS.readyMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      const p = await this.proc();
      if (!p) continue;
      if (p.failed > before.failed) throw new Error(`HAProxy refused the new configuration (the previous one keeps serving): ${await this.logTail()}`);
      if (p.reloads > before.reloads && p.workers.some((w) => !before.allWorkers.includes(w))) return;
    }
    throw new Error(`HAProxy did not finish reloading within ${HAPROXY_TIMEOUTS.readyMs} ms`);
  }

  runtime(command: string): Promise<string> {
    return socketCommand(this.paths.statsSocket, command);
  }

  /** Soft stop (SIGUSR1): listeners close, connections finish, then the master exits; SIGTERM if it lingers. */
  async stop(): Promise<void> {
    const pid = await this.masterPid();
    if (pid === undefined) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGUSR1');
    const deadline = Date.now() + HAPROXY_TIMEOUTS.readyMs;
    while (Date.now() < deadline && (await this.masterPid()) !== undefined) await new Promise((r) => setTimeout(r, 50));
    if ((await this.masterPid()) !== undefined) signal('SIGTERM');
    this.log.info('HAProxy stopped');
  }

  private async logTail(): Promise<string> {
    try {
      const text = await fs.readFile(this.paths.log, 'utf8');
      return text.trim().split('\n').filter((l) => /ALERT|WARNING/.test(l)).slice(-4).join(' | ');
    } catch {
      return '(no log)';
    }
  }
}
