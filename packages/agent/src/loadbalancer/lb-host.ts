import { promises as fs } from 'node:fs';
import type { Logger } from 'pino';
import type { LoadBalancerHostSet, TargetHealthObservation } from '@stevedore/core/host';
import { HaproxyConfigError, planApply, renderHaproxyConfig, runtimeAnswerOk, type RenderedConfig } from './haproxy-config';
import { ensureHaproxy, HaproxyProcess, haproxyPaths, haproxyPrivileges, type HaproxyPaths, type HaproxyPrivileges } from './haproxy-process';
import { observe, parseShowStat, serverStateFile, type TargetMemory } from './haproxy-stats';
import { loggableCommand } from './certificate-plan';

/** How one load balancer runs on this host, for the control plane's DescribeLoadBalancers State. */
export interface LoadBalancerStatusReport {
  loadBalancerArn: string;
  configVersion: string;
  state: 'active' | 'failed';
  reason?: string;
}

export interface HealthReport {
  targets: TargetHealthObservation[];
  loadBalancers: LoadBalancerStatusReport[];
}

export interface LoadBalancerHostOptions {
  /** `<data-dir>/loadbalancer`: configuration, sockets, pid file and HAProxy's log. */
  dir: string;
  hostIp: string;
  instanceId: () => string;
  log: Logger;
  /** Sends a complete report; rejects when it could not (the next one goes later). */
  send: (report: HealthReport) => Promise<void>;
  haproxyBinary?: string;
  /** `show stat` polling period: target health reaches the control plane this fast. */
  pollMs?: number;
  /** A complete report at least this often, for the request counters. */
  reportEveryMs?: number;
  /** User, group and chroot of HAProxy's workers (default: Debian's `haproxy`, when the agent is root). */
  privileges?: HaproxyPrivileges;
}

/** The old worker may finish connections this long after a reload: ELB's longest deregistration delay. */
const HARD_STOP_AFTER_SECONDS = 3600;
/** How long a removed server's last connections may take to close before a reload removes it instead. */
const DEL_SERVER_PATIENCE_MS = 3000;

/**
 * The agent's load-balancer role (on hosts a load balancer's placement
 * picks): keeps HAProxy equal to the control plane's host set. Level
 * triggered like assignments: every set is complete, only the latest one is
 * applied, one application at a time. A configuration HAProxy rejects is
 * never loaded (the previous one keeps serving) and is reported as failed.
 */
export class LoadBalancerHost {
  private readonly paths: HaproxyPaths;
  private readonly log: Logger;
  private desired: LoadBalancerHostSet | undefined;
  private applying: Promise<void> | undefined;
  private haproxy: HaproxyProcess | undefined;
  private privileges: HaproxyPrivileges | undefined;
  private current: RenderedConfig | undefined;
  /** The last set tried, applied or refused: the same set is not tried again. */
  private triedVersion: string | undefined;
  private statuses: LoadBalancerStatusReport[] = [];
  private readonly memory = new Map<string, TargetMemory>();
  private lastSent = '';
  private lastSentAt = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connected = false;

  constructor(private readonly opts: LoadBalancerHostOptions) {
    this.paths = haproxyPaths(opts.dir);
    this.log = opts.log.child({ component: 'load-balancer' });
  }

  /** A complete host set from the session (COMPLETE, or a changed set in an INCREMENTAL). */
  setDesired(set: LoadBalancerHostSet): void {
    this.desired = set;
    this.kick();
  }

  sessionUp(): void {
    this.connected = true;
    this.lastSent = '';
    void this.poll();
  }

  sessionDown(): void {
    this.connected = false;
  }

  /** Agent shutdown: HAProxy keeps serving (the next agent adopts it). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
  }

  /** Resolves when the latest set has been handled (tests). */
  async idle(): Promise<void> {
    while (this.applying) await this.applying;
  }

  private kick(): void {
    if (this.applying || this.stopped) return;
    this.applying = this.applyLatest().finally(() => {
      this.applying = undefined;
      if (this.desired && this.desired.version !== this.triedVersion && !this.stopped) this.kick();
    });
  }

  private async applyLatest(): Promise<void> {
    const set = this.desired;
    if (!set || set.version === this.triedVersion) return;
    this.triedVersion = set.version;
    try {
      if (set.loadBalancers.length === 0) {
        await this.shutdown();
        return;
      }
      const proc = await this.process();
      const rendered = renderHaproxyConfig(set, {
        hostIp: this.opts.hostIp,
        statsSocket: this.paths.statsSocket,
        serverStateFile: this.paths.serverState,
        hardStopAfterSeconds: HARD_STOP_AFTER_SECONDS,
        certDir: this.certDir,
        ...(this.privileges ? { privileges: this.privileges } : {}),
      });
      await this.apply(proc, rendered);
      this.statuses = set.loadBalancers.map((lb) =>
        lb.errors.length > 0 ? { loadBalancerArn: lb.arn, configVersion: set.version, state: 'failed', reason: lb.errors.join(' ') } : { loadBalancerArn: lb.arn, configVersion: set.version, state: 'active' },
      );
      this.ensurePolling();
    } catch (e) {
      const reason = (e as Error).message;
      this.statuses = set.loadBalancers.map((lb) => ({ loadBalancerArn: lb.arn, configVersion: set.version, state: 'failed', reason }));
      if (e instanceof HaproxyConfigError) {
        // A verdict on the set itself: the same set is refused again, so no retry; the next set is tried.
        this.log.error({ err: reason, field: e.field, version: set.version }, 'load balancer set refused: a value is not of the expected form; the previous configuration keeps serving');
        await this.report(true);
        return;
      }
      this.log.error({ err: reason, version: set.version }, 'load balancer configuration not applied; the previous one keeps serving');
      // Not a verdict on the set itself (HAProxy missing, a port in use): try again later.
      this.retryTimer = setTimeout(() => {
        if (this.triedVersion === set.version) this.triedVersion = undefined;
        this.kick();
      }, 10_000);
      this.retryTimer.unref();
    }
    await this.report(true);
  }

  private async process(): Promise<HaproxyProcess> {
    if (!this.haproxy) {
      await fs.mkdir(this.paths.dir, { recursive: true, mode: 0o700 });
      const binary = await ensureHaproxy(this.log, this.opts.haproxyBinary);
      this.privileges = this.opts.privileges ?? (await haproxyPrivileges());
      if (!this.privileges) this.log.warn('the agent is not root: HAProxy workers keep its user, without a chroot');
      this.haproxy = new HaproxyProcess(binary, this.paths, this.log);
      if (await this.haproxy.isRunning()) {
        // Left running by the previous agent: keep it, and treat its file as what it serves.
        const text = await fs.readFile(this.paths.config, 'utf8').catch(() => '');
        this.current = { text, servers: [], errors: [], files: new Map() };
        this.log.info('adopted the running HAProxy');
      }
    }
    return this.haproxy;
  }

  private async apply(proc: HaproxyProcess, next: RenderedConfig): Promise<void> {
    const running = this.current !== undefined && (await proc.isRunning());
    if (running && this.current!.text === next.text && (await this.filesWritten(next.files))) {
      // Nothing to load; an adopted HAProxy now has its servers known for health reports.
      this.current = next;
      return;
    }
    // Certificates first: `haproxy -c` and the master read them while parsing.
    await this.writeFiles(next.files);
    const adopted = running && this.current!.servers.length === 0;
    const plan = running && !adopted ? planApply(this.current, next) : { kind: 'reload' as const };
    if (plan.kind === 'none') return;
    if (plan.kind === 'runtime') {
      // The file always says what serves: a later reload (or adoption) starts from it.
      await this.writeAtomically(this.paths.config, next.text);
      try {
        for (const c of plan.commands) await this.runtimeCommand(proc, c);
        this.current = next;
        await this.removeStaleFiles(next.files);
        if (plan.commands.length > 0) this.log.info({ commands: plan.commands.length }, 'load balancer targets changed through the runtime API, without a reload');
        return;
      } catch (e) {
        // Part of the change may be applied: a reload from the file brings the worker to it.
        this.log.warn({ err: (e as Error).message }, 'runtime API change not completed; reloading instead');
      }
    }
    const check = await proc.validate(next.text);
    if (!check.ok) throw new Error(`HAProxy rejected the configuration: ${check.error}`);
    const dump = running ? await proc.runtime('show servers state').catch(() => '') : '';
    await this.writeAtomically(this.paths.serverState, serverStateFile(dump, next.servers));
    const previous = running ? this.current!.text : undefined;
    await this.writeAtomically(this.paths.config, next.text);
    try {
      if (running) await proc.reload();
      else await proc.start();
    } catch (e) {
      // The file must match what serves, so a later reload (or adoption) starts from it.
      if (previous !== undefined) await this.writeAtomically(this.paths.config, previous);
      throw e;
    }
    this.current = next;
    await this.removeStaleFiles(next.files);
    this.log.info({ servers: next.servers.length, reloaded: running }, running ? 'HAProxy reloaded' : 'HAProxy configured');
  }

  private get certDir(): string {
    return `${this.paths.dir}/certs`;
  }

  /** Certificate files and crt-lists, 0600 in a 0700 directory: only root (the master) reads them. Replaced atomically (rename). */
  private async writeFiles(files: Map<string, string>): Promise<void> {
    if (files.size === 0) return;
    await fs.mkdir(this.certDir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.certDir, 0o700);
    for (const [file, content] of files) {
      const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (existing !== content) await this.writeAtomically(file, content);
    }
  }

  /** Whether every file already has this content on disk (what serves: the agent writes files before loading them). */
  private async filesWritten(files: Map<string, string>): Promise<boolean> {
    for (const [file, content] of files) if ((await fs.readFile(file, 'utf8').catch(() => undefined)) !== content) return false;
    return true;
  }

  /** Files no configuration names any more (rotated or removed certificates): the old worker read them at its start. */
  private async removeStaleFiles(keep: Map<string, string>): Promise<void> {
    const names = await fs.readdir(this.certDir).catch((): string[] => []);
    for (const n of names) {
      const f = `${this.certDir}/${n}`;
      if (!keep.has(f)) await fs.rm(f, { force: true });
    }
  }

  /**
   * One runtime API command, its answer checked. `del server` is refused while
   * the server still has connections: it is tried again briefly, its
   * remaining sessions shut down after the first second.
   */
  private async runtimeCommand(proc: HaproxyProcess, command: string): Promise<void> {
    const start = Date.now();
    let shut = false;
    for (;;) {
      const answer = (await proc.runtime(command)).trim();
      if (runtimeAnswerOk(command, answer)) return;
      if (!command.startsWith('del server ') || Date.now() > start + DEL_SERVER_PATIENCE_MS) throw new Error(`HAProxy runtime API refused '${loggableCommand(command)}': ${answer.slice(0, 200)}`);
      // In maintenance, in-flight requests finish or are retried elsewhere within moments; what is left
      // after that (long-lived connections, past the deregistration delay) is closed.
      if (!shut && Date.now() > start + DEL_SERVER_PATIENCE_MS / 3) {
        shut = true;
        await proc.runtime(`shutdown sessions server ${command.slice('del server '.length)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async shutdown(): Promise<void> {
    this.statuses = [];
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const proc = this.haproxy ?? (await this.adoptableProcess());
    if (proc && (await proc.isRunning())) await proc.stop();
    this.current = undefined;
    this.memory.clear();
  }

  /** A HAProxy a previous agent left running, found without installing anything. */
  private async adoptableProcess(): Promise<HaproxyProcess | undefined> {
    const p = new HaproxyProcess(this.opts.haproxyBinary ?? '/usr/sbin/haproxy', this.paths, this.log);
    return (await p.isRunning()) ? p : undefined;
  }

  private async writeAtomically(file: string, text: string): Promise<void> {
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, text, { mode: 0o600 });
    await fs.rename(tmp, file);
  }

  private ensurePolling(): void {
    if (this.pollTimer || this.stopped) return;
    this.pollTimer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
    this.pollTimer.unref();
  }

  private polling = false;

  private async poll(): Promise<void> {
    // Never while a change is being applied: a reloading master is briefly unreachable.
    if (this.polling || this.applying || !this.haproxy || !this.current) return;
    this.polling = true;
    try {
      if (!(await this.haproxy.isRunning())) {
        // Supervision: HAProxy died (killed, crashed): start it again from the desired set.
        this.log.error('HAProxy is not running; starting it again');
        this.current = undefined;
        this.triedVersion = undefined;
        this.kick();
        return;
      }
      await this.report(false);
    } finally {
      this.polling = false;
    }
  }

  /** The targets of the running configuration as ELB states, from HAProxy's `show stat`. */
  async observations(now = Date.now()): Promise<TargetHealthObservation[]> {
    if (!this.haproxy || !this.current || this.current.servers.length === 0) return [];
    const rows = parseShowStat(await this.haproxy.runtime('show stat'));
    const byName = new Map(rows.map((r) => [`${r['pxname']}/${r['svname']}`, r]));
    const seen = new Set<string>();
    const out: TargetHealthObservation[] = [];
    for (const s of this.current.servers) {
      const row = byName.get(`${s.backend}/${s.server}`);
      if (!row) continue;
      seen.add(s.registrationId);
      let mem = this.memory.get(s.registrationId);
      if (!mem) this.memory.set(s.registrationId, (mem = { firstSeenAt: now, everUp: false }));
      out.push(observe(row, s, mem, this.opts.instanceId(), now));
    }
    for (const k of this.memory.keys()) if (!seen.has(k)) this.memory.delete(k);
    return out;
  }

  private async report(force: boolean): Promise<void> {
    if (!this.connected) return;
    let targets: TargetHealthObservation[] = [];
    try {
      targets = await this.observations();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'cannot read HAProxy statistics');
    }
    const key = JSON.stringify({ t: targets.map((t) => [t.targetGroupArn, t.id, t.port, t.registrationId, t.state, t.reason]), s: this.statuses });
    const due = Date.now() - this.lastSentAt >= (this.opts.reportEveryMs ?? 10_000);
    if (!force && !due && key === this.lastSent) return;
    try {
      await this.opts.send({ targets, loadBalancers: this.statuses });
      this.lastSent = key;
      this.lastSentAt = Date.now();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'target health report not sent; will retry');
    }
  }
}
