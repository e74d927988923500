import type { Logger } from 'pino';
import type { TaskAssignment, TaskReport, TaskSecrets } from '@stevedore/core/host';
import { LABEL } from '../docker/labels';
import { RESYNC_INTERVAL_MS } from '../docker/timeouts';
import type { ContainerEvent, Subscription } from '../exec/container-controller';
import { byTask, restoreTask } from './adoption';
import { TaskRunner, type RunnerContext } from './task-runner';
import { newTaskState, type TaskState } from './task-state';
import { TaskSecretsStore } from './task-secrets';

/** Where task reports go; Reporter implements it. */
export interface ReportSink {
  report(report: TaskReport, options?: { force?: boolean }): void;
  /** The control plane forgot this task: drop anything queued for it. */
  forget(taskArn: string): void;
}

/** The runners' shared context, plus what only the worker needs. */
export interface WorkerOptions
  extends Pick<
    RunnerContext,
    'controller' | 'images' | 'journal' | 'clock' | 'log' | 'instanceId' | 'hostIp' | 'agentVersion' | 'defaultStopTimeoutSeconds' | 'cleanupWaitMs' | 'pause' | 'cgroups' | 'endpoint' | 'restartPeriodScale' | 'storageQuota'
  > {
  reports: ReportSink;
  /** awslogs shipping (AwslogsShipper); absent in tests that do not ship logs. */
  awslogs?: RunnerContext['awslogs'];
  resyncIntervalMs?: number;
  /** How long a container needing secrets waits for them (after a restart, until the COMPLETE set). */
  secretsWaitMs?: number;
}

export const NOT_ASSIGNED_REASON = 'Task is no longer assigned to this container instance';
/** Cleaned-up tasks remembered so a stale assignment can never run a task twice. */
const FINISHED_MEMORY = 10_000;

/**
 * The host's task supervisor (lesson 9): feeds assignments to one TaskRunner
 * per task, routes Docker events to them, and adopts existing containers
 * after a restart. It never stops a container on its own account: runners
 * do, because their task wants it.
 */
export class Worker {
  private readonly runners = new Map<string, TaskRunner>();
  private readonly finished = new Map<string, TaskReport>();
  private events: Subscription | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** In memory only: see TaskSecretsStore. */
  readonly secrets: TaskSecretsStore;

  constructor(private readonly opts: WorkerOptions) {
    this.secrets = new TaskSecretsStore(opts.secretsWaitMs);
    this.log = opts.log.child({ component: 'worker' });
  }

  /** Adopts this instance's containers, then follows Docker events. */
  async start(): Promise<void> {
    await this.adopt();
    this.events = this.opts.controller.subscribeEvents({ [LABEL.instance]: this.opts.instanceId }, {
      onEvent: (ev) => this.onDockerEvent(ev),
      // Also fires on the first open: covers anything that changed between adoption and subscription.
      onReconnected: () => this.resyncAll(),
    });
    const every = this.opts.resyncIntervalMs ?? RESYNC_INTERVAL_MS;
    this.resyncTimer = setInterval(() => this.resyncAll(), every);
    this.resyncTimer.unref();
  }

  /** Agent shutdown: stop listening; every container keeps running untouched. */
  stop(): void {
    this.events?.close();
    clearInterval(this.resyncTimer);
    for (const r of this.runners.values()) r.close();
  }

  private async adopt(): Promise<void> {
    const saved = new Map((await this.opts.journal.loadAll()).map((s) => [s.taskArn, s]));
    const observed = byTask(await this.opts.controller.listContainers({ [LABEL.instance]: this.opts.instanceId }));
    const arns = new Set([...saved.keys(), ...observed.keys()]);
    for (const arn of arns) {
      const state = restoreTask(arn, saved.get(arn), observed.get(arn) ?? []);
      const runner = this.newRunner(state);
      runner.post({ kind: 'tick' });
    }
    if (arns.size) this.log.info({ tasks: arns.size, fromJournal: saved.size, withContainers: observed.size }, 'adopted tasks');
  }

  private newRunner(state: TaskState): TaskRunner {
    const o = this.opts;
    const ctx: RunnerContext = {
      controller: o.controller,
      images: o.images,
      journal: o.journal,
      clock: o.clock,
      log: o.log.child({ component: 'task-runner', task: state.taskArn }),
      instanceId: o.instanceId,
      hostIp: o.hostIp,
      agentVersion: o.agentVersion,
      defaultStopTimeoutSeconds: o.defaultStopTimeoutSeconds,
      cleanupWaitMs: o.cleanupWaitMs,
      ...(o.pause !== undefined ? { pause: o.pause } : {}),
      ...(o.cgroups !== undefined ? { cgroups: o.cgroups } : {}),
      ...(o.storageQuota !== undefined ? { storageQuota: o.storageQuota } : {}),
      ...(o.restartPeriodScale !== undefined ? { restartPeriodScale: o.restartPeriodScale } : {}),
      ...(o.awslogs ? { awslogs: o.awslogs } : {}),
      secrets: this.secrets,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      onReport: (r) => o.reports.report(r),
      onCleanedUp: (arn, report) => {
        this.runners.delete(arn);
        this.secrets.delete(arn);
        this.finished.set(arn, report);
        if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.keys().next().value!);
      },
    };
    const runner = new TaskRunner(state, ctx);
    this.runners.set(state.taskArn, runner);
    return runner;
  }

  private deliver(a: TaskAssignment, secrets: Map<string, TaskSecrets> | undefined): void {
    const s = secrets?.get(a.taskArn);
    if (s) this.secrets.set(a.taskArn, s);
    else if (a.desiredStatus === 'STOPPED') this.secrets.delete(a.taskArn);
    const existing = this.runners.get(a.taskArn);
    if (existing) {
      existing.post({ kind: 'assign', assignment: a });
      return;
    }
    const done = this.finished.get(a.taskArn);
    if (done) {
      // Already ran and was cleaned up: it is STOPPED for good; say so again.
      this.opts.reports.report(done, { force: true });
      return;
    }
    this.newRunner(newTaskState(a)).post({ kind: 'assign', assignment: a });
  }

  /**
   * COMPLETE set: authoritative. Tasks of ours that are not in it are
   * stopped and never reported again (the control plane does not know them).
   */
  assign(all: TaskAssignment[], secrets?: Map<string, TaskSecrets>): void {
    const wanted = new Set(all.map((a) => a.taskArn));
    for (const a of all) {
      this.deliver(a, secrets);
      const r = this.runners.get(a.taskArn);
      // Still listed, so the control plane has not applied our final report yet.
      if (r && r.report().lastStatus === 'STOPPED' && r.hasSpec) this.opts.reports.report(r.report(), { force: true });
    }
    for (const [arn, runner] of this.runners) {
      if (wanted.has(arn)) continue;
      this.forget(arn, runner, 'not in the COMPLETE assignment set');
    }
    this.log.info({ tasks: all.length, running: this.runners.size }, 'complete assignment set applied');
  }

  /** INCREMENTAL: changed assignments, and tasks the control plane forgot (after our STOPPED report). */
  update(changed: TaskAssignment[], removed: string[], secrets?: Map<string, TaskSecrets>): void {
    for (const a of changed) this.deliver(a, secrets);
    for (const arn of removed) {
      const runner = this.runners.get(arn);
      if (runner) this.forget(arn, runner, 'removed by the control plane');
    }
  }

  private forget(arn: string, runner: TaskRunner, why: string): void {
    this.opts.reports.forget(arn);
    this.secrets.delete(arn);
    const status = runner.report().lastStatus;
    if (status !== 'STOPPED') this.log.warn({ task: arn, lastStatus: status, why }, 'stopping a task the control plane no longer assigns here');
    runner.post({ kind: 'forget' });
    runner.post({ kind: 'stop', reason: NOT_ASSIGNED_REASON });
  }

  /** The control plane applied these reports: stop resending, and allow cleanup of stopped tasks. */
  acknowledged(reports: TaskReport[]): void {
    for (const r of reports) this.runners.get(r.taskArn)?.post({ kind: 'acknowledged', lastStatus: r.lastStatus });
  }

  private onDockerEvent(ev: ContainerEvent): void {
    const arn = ev.labels[LABEL.task];
    if (!arn) return;
    this.runners.get(arn)?.post({ kind: 'event', event: ev });
  }

  resyncAll(): void {
    for (const r of this.runners.values()) r.post({ kind: 'resync' });
  }

  /** The task as its runner knows it (a copy), for the metadata endpoint. */
  taskState(taskArn: string): TaskState | undefined {
    return this.runners.get(taskArn)?.snapshot();
  }

  runtimeIdOf(taskArn: string, container: string): string | undefined {
    return this.runners.get(taskArn)?.runtimeIdOf(container);
  }

  reports(): TaskReport[] {
    return [...this.runners.values()].filter((r) => r.hasSpec).map((r) => r.report());
  }

  /** Resolves once every runner has handled every message posted so far (tests, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 3; i++) await Promise.all([...this.runners.values()].map((r) => r.idle()));
  }
}
