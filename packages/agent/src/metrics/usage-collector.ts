import type { Logger } from 'pino';
import type { UsageWindow } from '@stevedore/core';
import type { ContainerController, ContainerEvent, StatsSource, Subscription } from '../exec/container-controller';
import { LABEL } from '../docker/labels';
import { RESYNC_INTERVAL_MS } from '../docker/timeouts';
import { readStats, usageBetween, type RawDockerStats, type StatsSample } from './docker-stats';

/** One task's use over one window, summed over its running containers. */
export interface TaskUsageSample extends UsageWindow {
  taskArn: string;
}

interface Tracked {
  taskArn: string;
  /** Reading at the end of the previous window (the first reading until a window is taken). */
  base: StatsSample | undefined;
  latest: StatsSample | undefined;
  /**
   * Seen starting, no window taken yet: everything its byte counters hold is
   * news. An adopted container's counters hold history from before us, so
   * its first reading is only a base.
   */
  fresh: boolean;
  sub: Subscription | undefined;
  closed: boolean;
}

export interface UsageCollectorOptions {
  containers: Pick<ContainerController, 'listContainers' | 'subscribeEvents'>;
  stats: StatsSource;
  instanceId: string;
  log: Logger;
  now: () => number;
  resyncMs?: number;
}

/**
 * One Docker stats stream per running container of this instance: opened
 * when a container starts (or is found running: adoption, and the periodic
 * resync beside events), closed when it stops. Keeps two readings per
 * container, the last one of the previous window and the latest, so memory
 * does not grow with time or with how long the control plane is away.
 */
export class UsageCollector {
  private readonly tracked = new Map<string, Tracked>(); // by runtime id
  private events: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private windowStart: number;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: UsageCollectorOptions) {
    this.log = opts.log.child({ component: 'usage' });
    this.windowStart = opts.now();
  }

  start(): void {
    this.events = this.opts.containers.subscribeEvents({ [LABEL.instance]: this.opts.instanceId }, {
      onEvent: (ev) => this.onEvent(ev),
      onReconnected: () => void this.resync(),
    });
    this.timer = setInterval(() => void this.resync(), this.opts.resyncMs ?? RESYNC_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.events?.close();
    for (const id of [...this.tracked.keys()]) this.close(id);
  }

  /** Containers with an open stream (tests, footprint). */
  get streams(): number {
    return this.tracked.size;
  }

  private onEvent(ev: ContainerEvent): void {
    if (ev.kind === 'start') this.open(ev.runtimeId, ev.labels[LABEL.task], false);
    else if (ev.kind === 'die' || ev.kind === 'stop' || ev.kind === 'destroy') this.close(ev.runtimeId);
  }

  private async resync(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.opts.containers.listContainers({ [LABEL.instance]: this.opts.instanceId });
      const running = new Set<string>();
      for (const c of list) {
        if (!c.running) continue;
        running.add(c.runtimeId);
        this.open(c.runtimeId, c.labels[LABEL.task], true);
      }
      for (const id of [...this.tracked.keys()]) if (!running.has(id)) this.close(id);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot list containers for usage; retrying at the next resync');
    }
  }

  private open(runtimeId: string, taskArn: string | undefined, adopted: boolean): void {
    if (this.stopped || !taskArn || this.tracked.has(runtimeId)) return;
    const t: Tracked = { taskArn, base: undefined, latest: undefined, fresh: !adopted, sub: undefined, closed: false };
    this.tracked.set(runtimeId, t);
    this.opts.stats
      .openStats(runtimeId, {
        onStats: (raw) => {
          const s = readStats(raw as RawDockerStats);
          if (!s) return;
          // The first reading is the CPU base of the first window.
          if (!t.base) t.base = s;
          t.latest = s;
        },
        onEnd: (err) => {
          if (err) this.log.debug({ container: runtimeId, err: err.message }, 'stats stream ended');
          // Still running (a broken stream)? The resync opens a new one.
          if (this.tracked.get(runtimeId) === t) this.tracked.delete(runtimeId);
        },
      })
      .then(
        (sub) => {
          if (t.closed) sub.close();
          else t.sub = sub;
        },
        (err: Error) => {
          if (this.tracked.get(runtimeId) === t) this.tracked.delete(runtimeId);
          this.log.debug({ container: runtimeId, err: err.message }, 'cannot open stats stream');
        },
      );
  }

  private close(runtimeId: string): void {
    const t = this.tracked.get(runtimeId);
    if (!t) return;
    t.closed = true;
    t.sub?.close();
    this.tracked.delete(runtimeId);
  }

  /**
   * Usage per task since the previous call, and a new window starts. Called
   * every metrics interval whether or not the control plane is there: a
   * window the control plane missed is gone, never queued.
   */
  take(): TaskUsageSample[] {
    const now = this.opts.now();
    const windowMs = Math.max(1, now - this.windowStart);
    this.windowStart = now;
    const byTask = new Map<string, TaskUsageSample>();
    for (const t of this.tracked.values()) {
      if (!t.latest || !t.base) continue;
      const from = t.fresh ? { ...t.base, rxBytes: 0, txBytes: 0, readBytes: 0, writeBytes: 0 } : t.base;
      const u = usageBetween(from, t.latest);
      // One reading only, without the daemon's previous sample: no CPU figure yet. Reporting 0 would
      // read as an idle task and pull its service's utilization down for a window.
      if (u.cpuUnits === undefined) continue;
      t.base = t.latest;
      t.fresh = false;
      const s = byTask.get(t.taskArn) ?? { taskArn: t.taskArn, cpuUnits: 0, memoryMiB: 0, rxBytes: 0, txBytes: 0, readBytes: 0, writeBytes: 0, windowMs, containers: 0 };
      s.cpuUnits += u.cpuUnits;
      s.memoryMiB += u.memoryBytes / 1048576;
      s.rxBytes += u.rxBytes;
      s.txBytes += u.txBytes;
      s.readBytes += u.readBytes;
      s.writeBytes += u.writeBytes;
      s.containers++;
      byTask.set(t.taskArn, s);
    }
    return [...byTask.values()];
  }
}
