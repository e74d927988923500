import type { Logger } from 'pino';
import {
  decideRetry,
  decideScheduleTick,
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  idOf,
  isRunActive,
  isStevedoreError,
  overlapOf,
  parseSchedule,
  runTaskRequestOf,
  type Clock,
  type ScheduleRunStatus,
  type Task,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { Change } from '../store/changes';
import type { ScheduleRunTask, StoredSchedule, StoredScheduleRun } from '../store/schedules-repo';

/** What RunTask answers (the members the runner reads). */
export interface LaunchResult {
  tasks: { taskArn: string }[];
  failures: { arn?: string; reason?: string; detail?: string }[];
}

/**
 * Launches a schedule's task through the API's own RunTask path, as the
 * schedule's role: the role's policy must allow ecs:RunTask on the cluster
 * and whatever the launch passes (iam:PassRole for the task's roles,
 * secrets). Wired in control-plane.ts, so this role never imports the API.
 * Throws the API's error when refused.
 */
export type LaunchAs = (roleArn: string, sessionName: string, runTask: Record<string, unknown>) => Promise<LaunchResult>;

export interface ScheduleRunnerOptions {
  /** Every schedule is looked at this often, whatever happened (a missed event, a clock jump). */
  resyncMs: number;
  /**
   * An extra gate on each pass. Leadership itself is the runner's lifecycle:
   * it is one of the LeaderRoles (leader-roles.ts), started for a leader's
   * term on that term's fenced store and stopped when the term ends.
   */
  isLeader: () => boolean;
}

export const DEFAULT_SCHEDULE_RUNNER_OPTIONS: ScheduleRunnerOptions = { resyncMs: 30_000, isLeader: () => true };

/** The shortest wait between looks: a burst of fire times or changes is handled in one pass. */
const MIN_WAIT_MS = 50;

/**
 * The scheduler of EventBridge Scheduler's schedules
 * (docs/design/scheduled-tasks.md). Level-triggered: each pass reads the
 * schedules and their active runs from the store, asks core's pure
 * `decideScheduleTick` what is due, records the decided runs (and the
 * cursor) in one transaction before launching anything, then launches the
 * PENDING runs whose attempt is due, and follows RUNNING runs' tasks until
 * they stop (exit codes). It wakes at the next due time, on schedule and
 * task changes, and on a resync timer. A fire time is recorded once (a
 * unique key), and each launch attempt is named by a RunTask clientToken
 * recorded before the call, so a crash between the launch and its record
 * repeats the same attempt, which RunTask answers with the same tasks.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Task ids of RUNNING runs: their changes wake the runner. */
  private watched = new Set<string>();
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly launchAs: LaunchAs,
    private readonly options: ScheduleRunnerOptions = DEFAULT_SCHEDULE_RUNNER_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    this.resync = setInterval(() => this.kick(), this.options.resyncMs);
    this.resync.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.resync) clearInterval(this.resync);
    if (this.timer) clearTimeout(this.timer);
    this.resync = this.timer = undefined;
    await this.running;
  }

  private onChange(c: Change): void {
    if (c.kind === 'schedule' || (c.kind === 'task' && this.watched.has(c.taskId))) this.wakeIn(MIN_WAIT_MS);
  }

  private wakeIn(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(MIN_WAIT_MS, Math.min(ms, this.options.resyncMs)));
    this.timer.unref();
  }

  /** Runs a pass now, or right after the one in progress. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const wake = await this.pass();
          if (wake !== undefined) this.wakeIn(wake - this.clock.now());
        } while (this.again && !this.stopped);
      } catch (err) {
        this.log.error({ err }, 'schedule pass failed');
        this.wakeIn(1000);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** One pass; returns when the next look is due (undefined: the resync timer's). */
  async pass(): Promise<number | undefined> {
    if (!this.options.isLeader()) return undefined;
    this.followRunning();
    let wake: number | undefined;
    const soonest = (t: number | undefined) => {
      if (t !== undefined && (wake === undefined || t < wake)) wake = t;
    };
    for (const s of this.store.schedules.all()) {
      try {
        soonest(this.decide(s));
      } catch (err) {
        this.log.error({ err, schedule: s.name, group: s.groupName }, 'schedule decision failed');
      }
    }
    for (const run of this.store.schedules.activeRuns()) {
      if (run.status !== 'PENDING') continue;
      if (!run.attemptOpen && run.nextAttemptAt !== undefined && run.nextAttemptAt > this.clock.now()) {
        soonest(run.nextAttemptAt);
        continue;
      }
      await this.launch(run);
      const after = this.store.schedules.getRun(run.id);
      if (after?.status === 'PENDING') soonest(after.nextAttemptAt);
    }
    this.watched = new Set(this.store.schedules.activeRuns().flatMap((r) => r.tasks.map((t) => idOf(t.taskArn))));
    return wake;
  }

  /** RUNNING runs: their tasks' states and exit codes; STOPPED once every task stopped. */
  private followRunning(): void {
    this.store.tx(() => {
      const now = this.clock.now();
      for (const run of this.store.schedules.activeRuns()) {
        if (run.status !== 'RUNNING') continue;
        const tasks = run.tasks.map((t) => taskOutcome(t, this.store.tasks.get(idOf(t.taskArn))));
        const done = tasks.every((t) => t.lastStatus === 'STOPPED');
        if (!done && JSON.stringify(tasks) === JSON.stringify(run.tasks)) continue;
        this.store.schedules.updateRun(run.id, done ? 'STOPPED' : 'RUNNING', { tasks }, now);
        if (done) this.log.info({ schedule: run.scheduleName, group: run.groupName, scheduledTime: new Date(run.scheduledTime).toISOString(), exitCodes: tasks.map((t) => t.exitCode ?? null) }, 'scheduled run stopped');
      }
    });
  }

  /** Records what is due for one schedule; returns when it next needs a look. */
  private decide(s: StoredSchedule): number | undefined {
    return this.store.tx(() => {
      const now = this.clock.now();
      const spec = s.spec;
      const expression = parseSchedule(spec.ScheduleExpression, spec.ScheduleExpressionTimezone ?? 'UTC');
      // One-time schedules ignore StartDate and EndDate (EventBridge).
      const window =
        expression.kind === 'at'
          ? { createdAt: s.anchorAt }
          : { createdAt: s.anchorAt, firstAtStart: true, ...(spec.StartDate !== undefined ? { startTime: spec.StartDate } : {}), ...(spec.EndDate !== undefined ? { endTime: spec.EndDate } : {}) };
      const active = this.store.schedules.activeRuns().some((r) => r.scheduleUid === s.uid && isRunActive(r.status));
      const d = decideScheduleTick({
        expression,
        window,
        enabled: spec.State === 'ENABLED',
        cursor: s.cursor,
        now,
        flexibleWindowMs: spec.FlexibleTimeWindow.Mode === 'FLEXIBLE' ? (spec.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) * 60_000 : 0,
        seed: s.uid,
        previousRunActive: active,
        overlap: overlapOf(spec.Target),
        maximumEventAgeSeconds: spec.Target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
      });
      for (const r of d.runs) {
        const status: ScheduleRunStatus = r.action === 'launch' ? 'PENDING' : 'SKIPPED';
        const added = this.store.schedules.addRun(
          { scheduleUid: s.uid, groupName: s.groupName, scheduleName: s.name, scheduledTime: r.scheduledTime, status, attempts: 0, nextAttemptAt: now, reason: r.reason },
          now,
        );
        if (added) this.log.info({ schedule: s.name, group: s.groupName, scheduledTime: new Date(r.scheduledTime).toISOString(), action: r.action, reason: r.reason }, r.action === 'launch' ? 'scheduled run due' : 'scheduled run skipped');
      }
      if (d.cursor !== s.cursor || d.nextFireTime !== s.nextFireAt) this.store.schedules.setCursor(s.uid, d.cursor, d.nextFireTime);
      if (d.completed && spec.ActionAfterCompletion === 'DELETE') {
        // Once its last run has launched (the run keeps its own record), the schedule goes, as EventBridge deletes it.
        if (this.store.schedules.activeRuns().some((r) => r.scheduleUid === s.uid && r.status === 'PENDING')) return now + MIN_WAIT_MS;
        this.store.schedules.delete(s.groupName, s.name);
        this.log.info({ schedule: s.name, group: s.groupName }, 'completed schedule deleted (ActionAfterCompletion DELETE)');
        return undefined;
      }
      return d.wakeAt;
    });
  }

  /** One launch attempt of a PENDING run, recorded before and after the call. */
  private async launch(run: StoredScheduleRun): Promise<void> {
    const s = this.store.schedules.getByUid(run.scheduleUid);
    const now = this.clock.now();
    if (!s) {
      this.store.tx(() => this.store.schedules.updateRun(run.id, 'SKIPPED', { attemptOpen: false, reason: 'the schedule was deleted before its run launched' }, now));
      return;
    }
    // An open attempt (a crash mid-launch) is repeated with its own client token: RunTask then answers with the tasks it made, if any.
    const attempt = run.attemptOpen ? run.attempts : run.attempts + 1;
    if (!run.attemptOpen) this.store.tx(() => this.store.schedules.updateRun(run.id, 'PENDING', { attempts: attempt, attemptOpen: true }, now));
    const clientToken = `${s.uid}-${run.scheduledTime.toString(36)}-${attempt}`;
    const body = { ...runTaskRequestOf(s.spec, startedByOf(s)), clientToken };
    let failure: { reason: string; retryable: boolean } | undefined;
    let result: LaunchResult | undefined;
    try {
      result = await this.launchAs(s.spec.Target.RoleArn, s.name, body);
      if (result.tasks.length === 0) {
        const f = result.failures[0];
        failure = { reason: `RunTask placed no task: ${f?.reason ?? 'unknown'}${f?.detail ? ` (${f.detail})` : ''}`, retryable: true };
      }
    } catch (e) {
      const code = isStevedoreError(e) ? e.code : 'ServerException';
      const message = e instanceof Error ? e.message : String(e);
      // Capacity, throttling and server faults may pass; a refusal, a missing cluster or bad input will not.
      const retryable = isStevedoreError(e) ? e.retryable || e.httpStatus >= 500 || code === 'ThrottlingException' : true;
      failure = { reason: `${code}: ${message}`, retryable };
    }
    const at = this.clock.now();
    this.store.tx(() => {
      if (result && !failure) {
        const tasks = result.tasks.map((t) => ({ taskArn: t.taskArn }));
        const partial = result.failures.length > 0 ? `${result.failures.length} of ${tasks.length + result.failures.length} tasks not placed: ${result.failures[0]?.reason ?? ''}` : undefined;
        this.store.schedules.updateRun(run.id, 'RUNNING', { attemptOpen: false, tasks, reason: partial }, at);
        this.log.info({ schedule: s.name, group: s.groupName, scheduledTime: new Date(run.scheduledTime).toISOString(), attempt, tasks: tasks.map((t) => t.taskArn) }, 'scheduled run launched');
        return;
      }
      const f = failure!;
      const decision = decideRetry({
        scheduledTime: run.scheduledTime,
        attempts: attempt,
        now: at,
        maximumRetryAttempts: s.spec.Target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: s.spec.Target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
        retryable: f.retryable,
      });
      if ('retryAt' in decision) {
        this.store.schedules.updateRun(run.id, 'PENDING', { attemptOpen: false, nextAttemptAt: decision.retryAt, reason: `attempt ${attempt} failed: ${f.reason}` }, at);
        this.log.warn({ schedule: s.name, group: s.groupName, attempt, reason: f.reason, retryAt: new Date(decision.retryAt).toISOString() }, 'scheduled run launch failed; retrying');
      } else {
        const dlq = s.spec.Target.DeadLetterConfig?.Arn ? ` (dead-letter queue ${s.spec.Target.DeadLetterConfig.Arn} recorded, not delivered: Stevedore has no SQS)` : '';
        this.store.schedules.updateRun(run.id, 'FAILED', { attemptOpen: false, nextAttemptAt: undefined, reason: `${f.reason}; ${decision.giveUp}${dlq}` }, at);
        this.log.warn({ schedule: s.name, group: s.groupName, attempt, reason: f.reason, giveUp: decision.giveUp }, 'scheduled run failed');
      }
    });
  }
}

/** How the task of a run is told apart in ListTasks and the CLI (RunTask's startedBy: up to 128 characters). */
function startedByOf(s: StoredSchedule): string {
  return `schedule/${s.groupName}/${s.name}`.slice(0, 128);
}

/** A run's task as it is now: its status, and its essential container's exit code once it stopped. */
function taskOutcome(t: ScheduleRunTask, task: Task | undefined): ScheduleRunTask {
  if (!task) return { ...t, lastStatus: 'STOPPED', stoppedReason: t.stoppedReason ?? 'the task is no longer known (removed after its retention period)' };
  const essential = task.containers.find((c) => c.essential && c.exitCode !== undefined) ?? task.containers.find((c) => c.exitCode !== undefined);
  return {
    taskArn: t.taskArn,
    lastStatus: task.lastStatus,
    ...(essential?.exitCode !== undefined ? { exitCode: essential.exitCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
  };
}
