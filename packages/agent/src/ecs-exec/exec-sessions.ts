import type { Logger } from 'pino';
import { EMPTY_EXEC_FRAME, type ExecFrame, type ExecRequest, type grpc } from '@stevedore/proto';
import type { TaskAssignment } from '@stevedore/core/host';
import type { ExecLauncher, ExecProcess } from './exec-process';

/** What the agent knows of its tasks that an exec session needs. */
export interface ExecTaskLookup {
  /** The task's current assignment (what the control plane last sent), if this agent runs it. */
  specOf(taskArn: string): TaskAssignment | undefined;
  runtimeIdOf(taskArn: string, container: string): string | undefined;
  /** Whether the container runs now. */
  isRunning(taskArn: string, container: string): boolean;
}

export interface ExecChannel {
  execSession(instanceId: string, sessionId: string): grpc.ClientDuplexStream<ExecFrame, ExecFrame>;
}

export interface ExecSessionsOptions {
  /** Sessions served at once, whatever the control plane asks (it has its own, lower limit per instance). */
  maxConcurrent: number;
}

export const DEFAULT_EXEC_SESSIONS_OPTIONS: ExecSessionsOptions = { maxConcurrent: 16 };

/**
 * The agent's end of ECS Exec (proto contract of ExecSession): for each
 * request of its session stream it opens an ExecSession call, checks the
 * task again (assigned here, desired RUNNING, enableExecuteCommand, the
 * container running: the control plane's word is not enough), runs the
 * command with `docker exec`, and pipes stdin, resizes and output until the
 * process exits (last frame: its exit code) or the control plane ends the
 * call (the process's stream is dropped: with a TTY it gets SIGHUP).
 */
export class ExecSessions {
  private readonly live = new Map<string, { call: grpc.ClientDuplexStream<ExecFrame, ExecFrame>; proc?: ExecProcess }>();

  constructor(
    private readonly channel: ExecChannel,
    private readonly tasks: ExecTaskLookup,
    private readonly launcher: ExecLauncher,
    private readonly instanceId: () => string,
    private readonly log: Logger,
    private readonly opts: ExecSessionsOptions = DEFAULT_EXEC_SESSIONS_OPTIONS,
  ) {}

  /** Sessions open now (tests). */
  get serving(): number {
    return this.live.size;
  }

  /** Why this agent refuses a request, or undefined when it may run. */
  refusal(req: ExecRequest): string | undefined {
    const spec = this.tasks.specOf(req.task_arn);
    if (!spec) return `task ${req.task_arn} is not running on this container instance`;
    if (!spec.enableExecuteCommand) return 'execute command is not enabled for this task';
    if (spec.desiredStatus !== 'RUNNING') return 'the task is stopping';
    if (!spec.containers.some((c) => c.name === req.container_name)) return `the task has no container ${req.container_name}`;
    if (!this.tasks.isRunning(req.task_arn, req.container_name) || !this.tasks.runtimeIdOf(req.task_arn, req.container_name)) return `container ${req.container_name} is not running`;
    if (!Array.isArray(req.command) || req.command.length === 0) return 'no command to run';
    if (this.live.size >= this.opts.maxConcurrent) return `this container instance already serves ${this.opts.maxConcurrent} execute command sessions`;
    return undefined;
  }

  handle(req: ExecRequest, sessionId: string): void {
    const log = this.log.child({ execSession: req.session_id, task: req.task_arn, container: req.container_name });
    const call = this.channel.execSession(this.instanceId(), sessionId);
    call.on('error', (err: grpc.ServiceError) => log.debug({ code: err.code, err: err.details }, 'exec call ended by the control plane'));
    const send = (f: Partial<ExecFrame>) => {
      try {
        return call.write({ ...EMPTY_EXEC_FRAME, ...f });
      } catch {
        return false;
      }
    };
    send({ session_id: req.session_id });
    const refused = this.refusal(req);
    if (refused) {
      log.warn({ reason: refused }, 'exec session refused');
      send({ error: refused });
      call.end();
      return;
    }
    const entry: { call: typeof call; proc?: ExecProcess } = { call };
    this.live.set(req.session_id, entry);
    let finished = false;
    const finish = (last?: Partial<ExecFrame>) => {
      if (finished) return;
      finished = true;
      this.live.delete(req.session_id);
      if (last) send(last);
      call.end();
    };
    // Frames that come before the process runs (a resize, early keystrokes) wait for it.
    const queued: ExecFrame[] = [];
    const apply = (proc: ExecProcess, f: ExecFrame) => {
      if (f.data && f.data.length > 0 && !proc.write(Buffer.from(f.data))) call.pause();
      if (f.cols > 0 && f.rows > 0) proc.resize(f.cols, f.rows);
      if (f.eof) proc.endInput();
    };
    call.on('data', (f: ExecFrame) => {
      if (entry.proc) apply(entry.proc, f);
      else queued.push(f);
    });
    // The control plane ended the call: the client left or the task stopped.
    call.on('end', () => {
      entry.proc?.detach();
      finish();
    });
    call.on('error', () => {
      entry.proc?.detach();
      finish();
    });
    const runtimeId = this.tasks.runtimeIdOf(req.task_arn, req.container_name)!;
    const started = Date.now();
    this.launcher.start({ runtimeId, command: req.command, tty: req.tty, cols: req.cols, rows: req.rows }).then(
      (proc) => {
        if (finished) return proc.detach();
        entry.proc = proc;
        proc.onDrain(() => call.resume());
        send({ started: true });
        log.info({ tty: req.tty }, 'exec session started');
        proc.onOutput((stream, data) => {
          if (!send({ data, stream })) {
            proc.pause();
            call.once('drain', () => proc.resume());
          }
        });
        for (const f of queued.splice(0)) apply(proc, f);
        proc.exited.then(
          (exitCode) => {
            log.info({ exitCode, durationMs: Date.now() - started }, 'exec session ended');
            finish({ exit_code: exitCode });
          },
          (err: unknown) => finish({ error: `the exit code could not be read: ${(err as Error).message}` }),
        );
      },
      (err: unknown) => {
        const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
        log.warn({ err: message }, 'exec session failed to start');
        finish({ error: `docker exec failed: ${message}` });
      },
    );
  }

  /** Drops every session (agent shutdown). */
  closeAll(): void {
    for (const { call, proc } of this.live.values()) {
      proc?.detach();
      call.end();
    }
    this.live.clear();
  }
}
