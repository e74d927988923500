import type { NetworkBinding, TaskAssignment, TaskReport } from '@stevedore/core/host';
import { SPOT_INTERRUPTION_STOP_TIMEOUT_SECONDS } from '@stevedore/core/host';
import { INIT_EXEC_FAILURE_CODES, runtimeMessage, type ContainerEvent, type ContainerObservation } from '../exec/container-controller';
import { nextStep, type Step } from '../exec/next-step';
import { shouldRestart } from '../exec/restart-policy';
import { Mailbox } from './mailbox';
import { healthCheckArgv, startupCheckOffsets, startupCheckTimeoutMs } from './startup-check';
import {
  applyObservation,
  awaitsStartupCheck,
  buildReport,
  checkEssential,
  markStopped,
  newContainerState,
  passStartupCheck,
  setStop,
  toTaskView,
  updatePullTimes,
  updateTaskStatus,
  VANISHED,
  VANISHED_WHILE_DOWN,
  type ContainerState,
  type TaskState,
} from './task-state';
import { HostAccessError, hostAccessRefusal } from './create-request';
import { AwslogsShipper } from '../awslogs/awslogs-shipper';
import { TaskNamespaces } from './task-namespaces';
import { createContainer, registryAuth } from './container-create';
import { cleanUpTask } from './task-cleanup';
import { CLEANUP_RETRY_MS, ERROR_PREFIX, MAX_ROUNDS, STOP_RETRY_MS, type Action, type ActionResult, type Looked, type RunnerContext, type RunnerMessage } from './runner-context';

export { DEFAULT_PAUSE, type AwslogsPort, type RunnerContext, type RunnerMessage } from './runner-context';

/**
 * One actor per task (lesson 9): messages are handled serially, each one
 * folds facts into the TaskState, then asks the pure nextStep what to do for
 * every container. Docker calls run outside the mailbox and come back as
 * `done` messages, so a long pull or stop never blocks a StopTask.
 */
export class TaskRunner {
  private readonly mailbox: Mailbox;
  private lastReport = '';
  private lastSaved = '';
  private tickTimer: NodeJS.Timeout | undefined;
  private tickAt: number | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private cleaning = false;
  private closed = false;
  /** The task's pause container and cgroup, set up once before its first container is created. */
  private readonly namespaces: TaskNamespaces;
  private endpointReleased = false;

  constructor(
    private readonly state: TaskState,
    private readonly ctx: RunnerContext,
  ) {
    this.mailbox = new Mailbox((err) => ctx.log.error({ err }, 'task runner message failed'));
    this.namespaces = new TaskNamespaces(state.taskArn, ctx);
  }

  get taskArn(): string {
    return this.state.taskArn;
  }

  get hasSpec(): boolean {
    return this.state.spec !== undefined;
  }

  post(msg: RunnerMessage): void {
    if (this.closed) return;
    this.mailbox.post(() => this.handle(msg));
  }

  idle(): Promise<void> {
    return this.mailbox.idle();
  }

  report(): TaskReport {
    return buildReport(this.state);
  }

  /** A copy of the task as the agent knows it, for the metadata endpoint. */
  snapshot(): TaskState {
    return structuredClone(this.state);
  }

  runtimeIdOf(container: string): string | undefined {
    return this.state.containers.find((c) => c.name === container)?.runtimeId;
  }

  /** Agent shutdown: forget timers, leave every container exactly as it is. */
  close(): void {
    this.closed = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.cleanupTimer);
    for (const t of this.timers) clearTimeout(t);
  }

  private async handle(msg: RunnerMessage): Promise<void> {
    if (this.cleaning) return;
    const before = this.state.containers.map((c) => c.known);
    switch (msg.kind) {
      case 'assign':
        this.onAssign(msg.assignment);
        break;
      case 'stop':
        setStop(this.state, msg.stopCode, msg.reason);
        break;
      case 'event':
        await this.onEvent(msg.event);
        break;
      case 'resync':
        await this.resync();
        break;
      case 'done':
        this.onDone(msg.container, msg.action, msg.result);
        break;
      case 'retryStop': {
        const c = this.container(msg.container);
        if (c && c.known === 'RUNNING' && c.applied === 'STOPPED') c.applied = 'RUNNING';
        break;
      }
      case 'tick':
        break;
      case 'acknowledged':
        if (msg.lastStatus === 'STOPPED' && this.state.lastStatus === 'STOPPED') this.state.stopAcked = true;
        break;
      case 'forget':
        this.state.forgotten = true;
        break;
      case 'startupCheck':
        this.startupCheck(msg.container, msg.startedAt, msg.attempt);
        break;
      case 'startupCheckResult':
        this.onStartupCheckResult(msg);
        break;
    }
    this.evaluate();
    this.logTransitions(before);
    await this.publish();
  }

  private container(name: string): ContainerState | undefined {
    return this.state.containers.find((c) => c.name === name);
  }

  private onAssign(a: TaskAssignment): void {
    const t = this.state;
    if (t.spec && a.version < t.spec.version) return;
    t.forgotten = false;
    if (!t.spec || t.spec.version !== a.version) {
      // Adopted from labels alone (journal lost): a container without a label had run and vanished,
      // unless nothing of the task ever ran; never start one piece of a running task afresh.
      const ranBefore = !t.spec && t.containers.some((c) => c.startedAt !== undefined);
      // The spec of a task never changes once it runs; only its desired status does.
      for (const def of a.containers) {
        const c = this.container(def.name);
        if (!c) {
          const fresh = newContainerState(def);
          if (ranBefore) markStopped(fresh, VANISHED_WHILE_DOWN);
          t.containers.push(fresh);
        } else if (!c.definition) {
          c.definition = def;
          c.essential = def.essential ?? true;
        }
      }
      t.spec = a;
      // Reports list containers in definition order, whatever order adoption found them in.
      const order = (name: string) => {
        const i = a.containers.findIndex((d) => d.name === name);
        return i < 0 ? a.containers.length : i;
      };
      t.containers.sort((x, y) => order(x.name) - order(y.name));
    }
    this.refuseHostAccess();
    if (a.desiredStatus === 'STOPPED') setStop(t, a.stopCode, a.stoppedReason ?? 'Task stopped by the control plane');
  }

  /** Before any pull or create: nothing of a task beyond the host-access policy it carries reaches Docker. */
  private refuseHostAccess(): void {
    const t = this.state;
    if (!t.spec || t.containers.some((c) => c.runtimeId !== undefined || c.known === 'STOPPED')) return;
    const refusal = hostAccessRefusal(t.spec);
    if (refusal === undefined) return;
    this.ctx.log.warn({ reason: refusal }, 'task refused: host access beyond the cluster policy');
    for (const c of t.containers) markStopped(c, new HostAccessError(refusal).message, true);
  }

  private hostBindings(c: ContainerState): NetworkBinding[] | undefined {
    if (this.state.spec?.networkMode === 'awsvpc') {
      const mine = c.definition?.portMappings ?? [];
      return (this.namespaces.pauseBindings ?? []).filter((b) => mine.some((pm) => pm.containerPort === b.containerPort && (pm.protocol ?? 'tcp') === b.protocol));
    }
    if (this.state.spec?.networkMode !== 'host') return undefined;
    return (c.definition?.portMappings ?? [])
      .filter((p) => p.containerPort !== undefined)
      .map((p) => ({ bindIP: this.ctx.hostIp, containerPort: p.containerPort!, hostPort: p.hostPort || p.containerPort!, protocol: p.protocol ?? 'tcp' }));
  }

  /** Inspects; an exit 126/127 is checked for an init that could not exec the command. */
  private async look(id: string): Promise<Looked> {
    const observation = await this.ctx.controller.inspectContainer(id);
    if (!observation) return {};
    if (observation.running || observation.exitCode === undefined || !INIT_EXEC_FAILURE_CODES.includes(observation.exitCode)) return { observation };
    const execFailure = await this.ctx.controller.initExecFailure(id);
    return execFailure ? { observation, execFailure } : { observation };
  }

  private applyLook(c: ContainerState, looked: Looked): void {
    if (looked.execFailure && c.known !== 'STOPPED') {
      // The command never ran: a start failure, as ECS reports it without an init process.
      if (looked.observation?.exitCode !== undefined) c.exitCode = looked.observation.exitCode;
      if (looked.observation?.finishedAt !== undefined) c.finishedAt = looked.observation.finishedAt;
      delete c.startedAt;
      markStopped(c, `${ERROR_PREFIX.start}: ${looked.execFailure}`, true);
      return;
    }
    if (this.restartInPlace(c, looked.observation)) return;
    applyObservation(c, looked.observation, VANISHED, this.hostBindings(c));
  }

  /**
   * ECS restart policy: a container of a running task that exited is started
   * again (same container, same logs) instead of stopping, when
   * `shouldRestart` says so. Its known status stays RUNNING meanwhile.
   */
  private restartInPlace(c: ContainerState, obs: ContainerObservation | undefined): boolean {
    if (!obs || obs.running || c.known !== 'RUNNING' || c.applied !== 'RUNNING' || !c.runtimeId) return false;
    if (obs.state !== 'exited' && obs.state !== 'dead') return false;
    const decision = shouldRestart(c.definition?.restartPolicy, { exitCode: obs.exitCode, startedAt: obs.startedAt, finishedAt: obs.finishedAt, wanted: this.state.desired === 'RUNNING' }, this.ctx.restartPeriodScale);
    if (!decision.restart) {
      if (c.definition?.restartPolicy?.enabled) this.ctx.log.info({ container: c.name, why: decision.why }, 'container exited; not restarted');
      return false;
    }
    c.restartCount = (c.restartCount ?? 0) + 1;
    this.ctx.log.info({ container: c.name, exitCode: obs.exitCode, why: decision.why, restartCount: c.restartCount }, 'restarting container (restartPolicy)');
    const id = c.runtimeId;
    const spec = this.state.spec;
    // awslogs: the watch of the run that ended is over; the restarted run is shipped on (offsets kept).
    const logs = spec && c.definition ? AwslogsShipper.targetOf(spec.taskArn, spec.taskId, c.definition, id) : undefined;
    this.run(c.name, 'start', async () => {
      await this.ctx.controller.startContainer(id);
      if (logs) this.ctx.awslogs?.watch(logs);
      return { ok: true, ...(await this.look(id)) };
    });
    return true;
  }

  private async observe(c: ContainerState): Promise<void> {
    if (!c.runtimeId) return;
    // Adopted after a restart: learn the pause container's ports before reporting bindings.
    if (this.state.spec?.networkMode === 'awsvpc') await this.namespaces.learnPauseBindings();
    this.applyLook(c, await this.look(c.runtimeId));
  }

  private async onEvent(ev: ContainerEvent): Promise<void> {
    const c = this.state.containers.find((x) => x.runtimeId === ev.runtimeId);
    // Unknown id: a create whose `done` is still queued; that message brings the id.
    if (!c) return;
    if (ev.kind === 'start' || ev.kind === 'die' || ev.kind === 'health' || ev.kind === 'destroy') await this.observe(c);
  }

  private async resync(): Promise<void> {
    for (const c of this.state.containers) {
      if (c.known === 'STOPPED' || c.applied !== c.known) continue;
      try {
        await this.observe(c);
      } catch (err) {
        // dockerd down or slow: the next resync (or the reconnect one) tries again.
        this.ctx.log.warn({ container: c.name, err: runtimeMessage(err) }, 'resync inspect failed');
      }
    }
  }

  private onDone(name: string, action: Action, result: ActionResult): void {
    const c = this.container(name);
    if (!c) return;
    if (!result.ok) {
      const text = runtimeMessage(result.error);
      // Some failures already carry their ECS error name (ResourceInitializationError: ...).
      const msg = /^[A-Z][A-Za-z]+Error: /.test(text) ? text : `${ERROR_PREFIX[action]}: ${text}`;
      this.ctx.log.warn({ container: name, action, err: msg }, 'container action failed');
      if (action === 'stop') {
        this.later(STOP_RETRY_MS, { kind: 'retryStop', container: name });
        return;
      }
      markStopped(c, msg, true);
      return;
    }
    switch (action) {
      case 'pull':
        if (c.known === 'NONE') c.known = 'PULLED';
        break;
      case 'create':
        c.runtimeId = result.runtimeId!;
        c.dockerName = result.dockerName!;
        if (c.known === 'PULLED') c.known = 'CREATED';
        break;
      case 'start':
        this.applyLook(c, result);
        if (c.known === 'CREATED') markStopped(c, `${ERROR_PREFIX.start}: container did not stay up after start`, true);
        if (c.startedAt !== undefined) this.startupCheck(c.name, c.startedAt, 0);
        break;
      case 'stop':
        this.applyLook(c, result);
        // Still running after a successful stop call (it was restarted?): try again later.
        if (c.known === 'RUNNING') this.later(STOP_RETRY_MS, { kind: 'retryStop', container: name });
        break;
    }
  }

  /** Folds synchronous steps until nothing changes, launches Docker actions, then updates the task status. */
  private evaluate(): void {
    const t = this.state;
    const now = this.ctx.clock.now();
    let recheckAt: number | undefined;
    // Without a spec (adopted from labels, control plane not heard yet) the agent only observes, or stops.
    const canAct = t.spec !== undefined || t.desired === 'STOPPED';
    for (let round = 0; canAct && round < MAX_ROUNDS; round++) {
      let changed = checkEssential(t);
      const view = toTaskView(t);
      recheckAt = undefined;
      for (const c of t.containers) {
        const step = nextStep(view.containers.get(c.name)!, view, now);
        if (step.step === 'wait' && step.recheckAt !== undefined) recheckAt = Math.min(recheckAt ?? Infinity, step.recheckAt);
        changed = this.apply(c, step) || changed;
      }
      if (!changed) break;
    }
    updatePullTimes(t, now);
    const tr = updateTaskStatus(t, now);
    if (tr) this.ctx.log.info({ from: tr.from, to: tr.to, stopCode: t.stopCode }, `task ${tr.from} -> ${tr.to} (${tr.reason})`);
    // Once STOPPED: the pause container stops (freeing its ports) and the cgroup goes.
    if (t.lastStatus === 'STOPPED' && t.spec) this.namespaces.release(t.spec);
    if (t.lastStatus === 'STOPPED' && !this.endpointReleased && this.ctx.endpoint) {
      // Its credentials are no longer served and its rules go (the control plane refuses its keys already).
      this.endpointReleased = true;
      // After any grant begun during a pull (a task stopped while pulling): its rules go too.
      const endpoint = this.ctx.endpoint;
      this.namespaces
        .grantsSettled()
        .then(() => endpoint.release(t.taskArn))
        .catch((err: unknown) => this.ctx.log.warn({ err: (err as Error).message }, 'task endpoint release failed'));
    }
    this.scheduleTick(recheckAt);
    this.scheduleCleanup();
  }

  /** Returns true when the step changed state synchronously (so another round is needed). */
  private apply(c: ContainerState, step: Step): boolean {
    switch (step.step) {
      case 'none':
      case 'wait':
        return false;
      case 'skipToStopped':
        return markStopped(c, undefined);
      case 'fail':
        return markStopped(c, `${ERROR_PREFIX.start}: ${step.reason}`, true);
      case 'pull': {
        c.applied = 'PULLED';
        this.state.pullStartedAt ??= this.ctx.clock.now();
        const spec = this.state.spec!;
        const def = c.definition!;
        // The endpoint's rules for this container go in while its image is pulled (both come before create).
        this.namespaces.beginGrant(c.name, () => this.ctx.endpoint?.prepare(spec, def));
        this.run(c.name, 'pull', async () => {
          await this.ctx.images.ensure(def.image, def.repositoryCredentials ? await registryAuth(this.ctx, this.state.taskArn, def.name) : undefined);
          return { ok: true };
        });
        return false;
      }
      case 'create':
        c.applied = 'CREATED';
        this.run(c.name, 'create', () => createContainer(this.ctx, this.state, this.namespaces, c));
        return false;
      case 'start': {
        c.applied = 'RUNNING';
        const id = c.runtimeId!;
        const spec = this.state.spec!;
        const logs = AwslogsShipper.targetOf(spec.taskArn, spec.taskId, c.definition!, id);
        this.run(c.name, 'start', async () => {
          // As the Docker awslogs driver: no stream, no start.
          if (logs && this.ctx.awslogs) await this.ctx.awslogs.prepare(logs);
          await this.ctx.controller.startContainer(id);
          if (logs) this.ctx.awslogs?.watch(logs);
          return { ok: true, ...(await this.look(id)) };
        });
        return false;
      }
      case 'stop': {
        c.applied = 'STOPPED';
        const id = c.runtimeId!;
        // A Spot interruption gives the task ECS's two-minute warning between SIGTERM and SIGKILL.
        const timeout = this.state.stopCode === 'SpotInterruption' ? SPOT_INTERRUPTION_STOP_TIMEOUT_SECONDS : (c.definition?.stopTimeout ?? this.ctx.defaultStopTimeoutSeconds);
        this.ctx.log.info({ container: c.name, timeout, why: step.reason }, 'stopping container');
        this.run(c.name, 'stop', async () => {
          await this.ctx.controller.stopContainer(id, timeout);
          return { ok: true, ...(await this.look(id)) };
        });
        return false;
      }
    }
  }

  /** Runs startup check `attempt` (outside the mailbox, like any Docker call) if the run still awaits one. */
  private startupCheck(name: string, startedAt: number, attempt: number): void {
    const c = this.container(name);
    const h = c?.definition?.healthCheck;
    const argv = h && healthCheckArgv(h);
    if (!c || !h || !argv || this.state.desired !== 'RUNNING' || !awaitsStartupCheck(c, startedAt)) return;
    const id = c.runtimeId!;
    const post = (passed: boolean) => this.post({ kind: 'startupCheckResult', container: name, startedAt, attempt, passed });
    this.ctx.controller.runHealthCheck(id, argv, startupCheckTimeoutMs(h)).then(post, (err: unknown) => {
      this.ctx.log.debug({ container: name, err: runtimeMessage(err) }, 'startup health check could not run');
      post(false);
    });
  }

  private onStartupCheckResult(msg: { container: string; startedAt: number; attempt: number; passed: boolean }): void {
    const c = this.container(msg.container);
    if (!c) return;
    if (msg.passed) {
      if (passStartupCheck(c, msg.startedAt)) this.ctx.log.info({ container: c.name, attempt: msg.attempt }, 'startup health check passed: HEALTHY before Docker\'s first probe');
      return;
    }
    // A failure never counts (Docker's probes decide UNHEALTHY): try again, until Docker's first probe is due.
    const offsets = startupCheckOffsets(c.definition!.healthCheck!);
    const next = msg.attempt + 1;
    if (next < offsets.length && awaitsStartupCheck(c, msg.startedAt)) {
      this.later(offsets[next]! - offsets[msg.attempt]!, { kind: 'startupCheck', container: c.name, startedAt: msg.startedAt, attempt: next });
    }
  }

  private run(container: string, action: Action, fn: () => Promise<ActionResult>): void {
    fn().then(
      (result) => this.post({ kind: 'done', container, action, result }),
      (error: unknown) => this.post({ kind: 'done', container, action, result: { ok: false, error } }),
    );
  }

  private later(ms: number, msg: RunnerMessage): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.post(msg);
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private scheduleTick(at: number | undefined): void {
    if (at === undefined || at === this.tickAt) return;
    clearTimeout(this.tickTimer);
    this.tickAt = at;
    this.tickTimer = setTimeout(() => {
      this.tickAt = undefined;
      this.post({ kind: 'tick' });
    }, Math.max(0, at - this.ctx.clock.now()) + 5);
    this.tickTimer.unref();
  }

  private scheduleCleanup(): void {
    const t = this.state;
    if (this.cleanupTimer || t.lastStatus !== 'STOPPED' || !(t.stopAcked || t.forgotten)) return;
    const due = (t.stoppedAt ?? this.ctx.clock.now()) + this.ctx.cleanupWaitMs;
    this.cleanupTimer = setTimeout(() => this.mailbox.post(() => this.cleanup()), Math.max(0, due - this.ctx.clock.now()));
    this.cleanupTimer.unref();
  }

  /** Removes the task's containers and task-scope volumes (task-cleanup.ts); retried a minute later when Docker fails. */
  private async cleanup(): Promise<void> {
    if (this.closed || this.cleaning) return;
    this.cleaning = true;
    if (!(await cleanUpTask(this.ctx, this.state))) {
      this.cleaning = false;
      this.cleanupTimer = setTimeout(() => this.mailbox.post(() => this.cleanup()), CLEANUP_RETRY_MS);
      this.cleanupTimer.unref();
      return;
    }
    this.closed = true;
    this.ctx.onCleanedUp(this.state.taskArn, buildReport(this.state));
  }

  private logTransitions(before: string[]): void {
    this.state.containers.forEach((c, i) => {
      const from = before[i] ?? 'NONE';
      if (from === c.known) return;
      this.ctx.log.info({ container: c.name, exitCode: c.exitCode, reason: c.reason }, `container ${from} -> ${c.known}`);
    });
  }

  /** Persists and reports only real changes (sentStatus dedupe starts here). */
  private async publish(): Promise<void> {
    const saved = JSON.stringify(this.state);
    if (saved !== this.lastSaved) {
      this.lastSaved = saved;
      await this.ctx.journal.save(this.state);
    }
    if (!this.state.spec || this.state.forgotten) return;
    const report = buildReport(this.state);
    const json = JSON.stringify(report);
    if (json === this.lastReport) return;
    this.lastReport = json;
    this.ctx.onReport(report);
  }
}
