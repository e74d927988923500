import type { Logger } from 'pino';
import type { WireTaskUsage } from '@stevedore/proto';
import { grpcCode, grpcDetails } from '../session/dispatcher-client';
import type { TaskUsageSample } from './usage-collector';

export interface UsageChannel {
  reportTaskUsage(instanceId: string, sessionId: string, usage: WireTaskUsage[]): Promise<void>;
}

export interface UsageReporterOptions {
  take: () => TaskUsageSample[];
  instanceId: () => string;
  intervalMs: number;
  log: Logger;
}

export function toWireTaskUsage(s: TaskUsageSample): WireTaskUsage {
  return {
    task_arn: s.taskArn,
    cpu_units: s.cpuUnits,
    memory_mib: s.memoryMiB,
    network_rx_bytes: Math.round(s.rxBytes),
    network_tx_bytes: Math.round(s.txBytes),
    storage_read_bytes: Math.round(s.readBytes),
    storage_write_bytes: Math.round(s.writeBytes),
    window_ms: Math.min(Math.round(s.windowMs), 3600_000),
    containers: s.containers,
  };
}

/**
 * Every metrics interval: one ReportTaskUsage call with every task's usage
 * over that interval. Nothing is queued: without a session, or while the
 * previous call is still out, the window is dropped (the next one replaces
 * it), so a long control-plane outage costs no memory.
 */
export class UsageReporter {
  private session: { id: string; channel: UsageChannel } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private failures = 0;
  private readonly log: Logger;
  /** Reports sent and accepted (tests). */
  sent = 0;

  constructor(private readonly opts: UsageReporterOptions) {
    this.log = opts.log.child({ component: 'usage-reporter' });
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.session = undefined;
  }

  connected(sessionId: string, channel: UsageChannel): void {
    this.session = { id: sessionId, channel };
  }

  disconnected(): void {
    this.session = undefined;
  }

  private async tick(): Promise<void> {
    // Always take: the window must be one interval long whatever happened to the previous report.
    const usage = this.opts.take();
    const session = this.session;
    if (!session || this.inFlight || usage.length === 0) return;
    this.inFlight = true;
    try {
      await session.channel.reportTaskUsage(this.opts.instanceId(), session.id, usage.map(toWireTaskUsage));
      this.sent++;
      this.failures = 0;
    } catch (err) {
      // Logged once per run of failures: the session logs the outage itself.
      if (this.failures++ === 0) this.log.warn({ err: grpcDetails(err), code: grpcCode(err) }, 'ReportTaskUsage failed; dropping this window');
    } finally {
      this.inFlight = false;
    }
  }
}
