import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { applyTaskReport, idOf, type ArnContext } from '@stevedore/core';
import {
  fromWireTaskStatus,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
  type ReportTaskUsageRequest,
  type ReportTaskUsageResponse,
  type UpdateTargetHealthRequest,
  type UpdateTargetHealthResponse,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '@stevedore/proto';
import type { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import type { TaskUsage } from '../store/task-usage-repo';
import { hostSetOf } from '../store/load-balancing-view';
import { grpcError, status } from './grpc-errors';
import { validateTaskReport } from './report-validation';
import { validateUsageReport } from './usage-report-validation';
import { applyTargetHealthReport } from './target-health-report';
import { IngestRefusal, ingestAgentLogEvents } from './log-events-ingest';
import type { RefusalLog } from './refusal-log';
import { isGrpcError, type UnaryContext } from './unary-handler';

type TaskStatusReport = ReturnType<typeof fromWireTaskStatus>;

interface QueuedReport {
  ctx: UnaryContext;
  reports: TaskStatusReport[];
  resolve(r: UpdateTaskStatusResponse): void;
  reject(e: unknown): void;
}

/** How much one status-report transaction may take on before the rest waits for the next turn. */
export interface IngestSlice {
  /** Batches are taken until this much time has passed since the transaction began (checked between batches). */
  budgetMs: number;
  /** And no more reports than this in one transaction (a bound that does not depend on the clock). */
  maxReports: number;
}

export const DEFAULT_INGEST_SLICE: IngestSlice = { budgetMs: 8, maxReports: 1000 };

/**
 * What agents report about their own tasks and load balancers
 * (UpdateTaskStatus, ReportTaskUsage, PutLogEvents, UpdateTargetHealth): each
 * report is checked whole (bounds first, then that every task it names is the
 * caller's) and applied in one transaction, or refused naming the field.
 */
export class ReportIngest {
  constructor(
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly log: Logger,
    private readonly refusals: RefusalLog,
    private readonly slice: IngestSlice = DEFAULT_INGEST_SLICE,
  ) {}

  /** Status reports received and not yet applied, oldest first (`applyQueued`). */
  private queue: QueuedReport[] = [];
  private applyArmed = false;

  /**
   * A batch of task status reports. It is checked whole now (bounds, the
   * caller's instance); what it changes is written with the other batches
   * received in the same turn of the event loop, in one transaction: at
   * 1,000 agents this is the control plane's most frequent write, and each
   * batch paid a commit of its own (about half its cost). One transaction
   * takes batches only up to a slice (`IngestSlice`: a few milliseconds, a
   * bounded count of reports); the rest goes in the next one, a turn later,
   * so a burst (1,000 agents reporting their stops) leaves room for API
   * requests in between. The answer goes out once its transaction has
   * committed. Each batch still stands alone: one naming another instance's
   * task is refused whole and writes nothing, without touching the others.
   */
  taskStatus(ctx: UnaryContext, request: UpdateTaskStatusRequest): Promise<UpdateTaskStatusResponse> {
    const instanceId = ctx.peer.instanceId;
    if (!this.store.instances.exists(instanceId)) throw grpcError(status.NOT_FOUND, 'unknown container instance; register first');
    const reports = request.updates.map((raw, i) => {
      const checked = validateTaskReport(raw, `updates[${i}]`);
      if (!checked.ok) throw ctx.refuse(status.INVALID_ARGUMENT, checked.problem.message, 'task status update refused', { instance: instanceId, field: checked.problem.field });
      return fromWireTaskStatus(checked.value);
    });
    return new Promise((resolve, reject) => {
      this.queue.push({ ctx, reports, resolve, reject });
      this.armApply();
    });
  }

  private armApply(): void {
    if (this.applyArmed) return;
    this.applyArmed = true;
    setImmediate(this.statusReportSlice);
  }

  /** Named, so a diagnosis of what holds the loop (bench:scale's BENCH_LONG_TASKS) can tell status reports apart. */
  private readonly statusReportSlice = (): void => this.applyQueued();

  /**
   * The oldest queued batches, up to one slice, in one transaction; each
   * batch's answer (or refusal) once it has committed; the rest on the next
   * turn.
   */
  private applyQueued(): void {
    this.applyArmed = false;
    const started = performance.now();
    let taken = 0;
    let reports = 0;
    const outcomes: ({ ok: true; applied: string[] } | { ok: false; error: unknown })[] = [];
    try {
      this.store.tx(() => {
        const now = this.store.clock.now();
        while (taken < this.queue.length) {
          // Always at least one batch, however large, so every batch is applied eventually.
          if (taken > 0 && (reports >= this.slice.maxReports || performance.now() - started >= this.slice.budgetMs)) break;
          const q = this.queue[taken++]!;
          reports += q.reports.length;
          try {
            outcomes.push({ ok: true, applied: this.applyReports(q.ctx, q.reports, now) });
          } catch (e) {
            // A refusal is thrown before the batch writes anything (applyReports), so the others stand.
            if (!isGrpcError(e)) throw e;
            outcomes.push({ ok: false, error: e });
          }
        }
      });
    } catch (e) {
      // Anything else rolled the whole transaction back: every batch in it fails as it would have alone
      // (at least the oldest, had it failed before taking any: the queue never stalls on a failing store).
      for (const q of this.queue.splice(0, Math.max(taken, 1))) q.reject(e);
      if (this.queue.length > 0) this.armApply();
      return;
    }
    const applied = this.queue.splice(0, taken);
    if (this.queue.length > 0) this.armApply();
    applied.forEach((q, i) => {
      const o = outcomes[i]!;
      if (o.ok) q.resolve({ applied: o.applied });
      else q.reject(o.error);
    });
  }

  /**
   * One batch, inside its slice's transaction: its tasks read in one query,
   * every one checked to be the caller's before anything is written, then
   * each changed task written as column updates (only what an agent report
   * may change, task-model.md).
   */
  private applyReports(ctx: UnaryContext, reports: TaskStatusReport[], now: number): string[] {
    const instanceId = ctx.peer.instanceId;
    const tasks = new Map<string, StoredTask>();
    for (const t of this.store.tasks.getMany(reports.map((r) => idOf(r.taskArn)))) tasks.set(t.id, t);
    for (const report of reports) {
      const task = tasks.get(idOf(report.taskArn));
      if (task && task.containerInstanceId !== instanceId) {
        throw ctx.refuse(status.PERMISSION_DENIED, `task ${report.taskArn} is not assigned to instance ${instanceId}`, 'task status update refused', { instance: instanceId });
      }
    }
    const done: string[] = [];
    for (const report of reports) {
      const task = tasks.get(idOf(report.taskArn));
      if (!task) {
        // A task the store never had (e.g. a wiped database): acknowledge so
        // the agent stops resending; the COMPLETE set already told it to stop.
        // Rate-limited: an agent can name any number of tasks that do not exist.
        this.refusals.warn({ instance: instanceId, taskArn: report.taskArn.slice(0, 256) }, 'status update for unknown task ignored');
        done.push(report.taskArn);
        continue;
      }
      const result = applyTaskReport(task, report, now);
      if (result) {
        const next = { ...result.task, seq: task.seq };
        this.store.tasks.writeReport(task, next);
        // The same task twice in one batch: the second report applies to the first's result.
        tasks.set(task.id, next);
        if (result.transition) {
          this.log.info(
            { cluster: task.clusterName, task: task.id, instance: instanceId, stopCode: result.task.stopCode },
            `task ${result.transition.from} -> ${result.transition.to} (${result.transition.reason})`,
          );
        }
      }
      done.push(report.taskArn);
    }
    return done;
  }

  /** The latest usage reading per task (proto contract of ReportTaskUsage). */
  taskUsage(ctx: UnaryContext, request: ReportTaskUsageRequest): ReportTaskUsageResponse {
    const instanceId = ctx.peer.instanceId;
    const usage = request.usage ?? [];
    const checked = validateUsageReport(usage);
    if (!checked.ok) throw ctx.refuse(status.INVALID_ARGUMENT, checked.problem.message, 'task usage report refused', { instance: instanceId, field: checked.problem.field });
    const now = this.store.clock.now();
    const rows: TaskUsage[] = [];
    for (const u of usage) {
      const task = this.store.tasks.get(idOf(u.task_arn));
      // A task the store does not know (reaped, or a wiped database): nothing to attribute it to.
      if (!task) continue;
      if (task.containerInstanceId !== instanceId) {
        throw ctx.refuse(status.PERMISSION_DENIED, `task ${u.task_arn.slice(0, 256)} is not assigned to instance ${instanceId}`, 'task usage report refused', { instance: instanceId });
      }
      rows.push({
        taskId: task.id,
        instanceId,
        cpuUnits: u.cpu_units,
        memoryMiB: u.memory_mib,
        rxBytes: u.network_rx_bytes,
        txBytes: u.network_tx_bytes,
        readBytes: u.storage_read_bytes,
        writeBytes: u.storage_write_bytes,
        windowMs: u.window_ms,
        containers: u.containers,
        receivedAt: now,
      });
    }
    this.store.taskUsage.putAll(rows);
    return {};
  }

  /** awslogs lines of the caller's own tasks (proto contract of PutLogEvents; log-events-ingest.ts). */
  logEvents(ctx: UnaryContext, request: PutLogEventsRequest): PutLogEventsResponse {
    try {
      return { results: ingestAgentLogEvents(this.store, this.arn, ctx.peer.instanceId, request, this.store.clock.now()) };
    } catch (e) {
      if (e instanceof IngestRefusal) throw ctx.refuse(status[e.grpcCode], e.message, 'log events refused', { instance: ctx.peer.instanceId });
      throw e;
    }
  }

  /** A load-balancer host's target health and configuration status (proto contract of UpdateTargetHealth). */
  targetHealth(ctx: UnaryContext, request: UpdateTargetHealthRequest): UpdateTargetHealthResponse {
    const instance = this.store.instances.get(ctx.peer.instanceId);
    if (!instance) throw grpcError(status.NOT_FOUND, 'unknown container instance; register first');
    const r = applyTargetHealthReport(this.store, ctx.peer.instanceId, request, hostSetOf(this.store, instance));
    if (r.dropped > 0) this.refusals.warn({ instance: ctx.peer.instanceId, dropped: r.dropped }, 'target health entries with unknown states, or for load balancers this host does not run, ignored');
    return {};
  }
}
