import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { EMPTY_EXEC_FRAME, type ExecFrame, type ExecRequest } from '@stevedore/proto';
import type { Store } from '../store/store';
import { mintExecToken, type ExecRouting } from './exec-route';

/**
 * ECS Exec's relay (docs/design/ecs-exec.md). ExecuteCommand creates a
 * session here and hands its caller a single-use token; the caller's
 * WebSocket claims the session with it; the relay asks the agent holding the
 * task (over its session stream) to open an ExecSession call, and then pipes
 * one to the other. Sessions are not desired state: like log streams they
 * live in memory, and a control-plane restart ends them.
 */

export interface ExecRelayOptions {
  /** How long an unclaimed token stays valid (ECS's is short-lived too). */
  tokenTtlMs: number;
  /** How long the relay waits for the agent's ExecSession call once the client is there. */
  agentAnswerMs: number;
  /** Sessions open at once per container instance: more get LimitExceededException at ExecuteCommand. */
  maxSessionsPerInstance: number;
}

export const DEFAULT_EXEC_RELAY_OPTIONS: ExecRelayOptions = { tokenTtlMs: 60_000, agentAnswerMs: 15_000, maxSessionsPerInstance: 10 };

/** What ExecuteCommand authorized: the session's fixed facts. */
export interface ExecGrant {
  cluster: string;
  taskId: string;
  taskArn: string;
  containerName: string;
  instanceId: string;
  command: string[];
  /** Who: the caller's access key id and principal ARN (logged with the session, never the token). */
  accessKeyId: string;
  principal: string;
}

/** What the client end of a session is told. */
export type ExecOutput =
  | { kind: 'started' }
  | { kind: 'data'; stream: 'stdout' | 'stderr'; data: Buffer }
  | { kind: 'exit'; exitCode: number }
  | { kind: 'error'; code: string; message: string };

/** The client end (the API's WebSocket): the relay sends to it and closes it. */
export interface ExecClientEnd {
  send(out: ExecOutput): void;
  close(): void;
  /** Bytes sent but not yet written to the client: output is paused above a bound. */
  pending(): number;
  /** Called once pending() has fallen back under the bound. */
  onDrained(fn: () => void): void;
}

/** The agent end (the dispatcher's ExecSession call). */
export interface ExecAgentEnd {
  write(frame: ExecFrame): boolean;
  end(): void;
  pause(): void;
  resume(): void;
}

/** The terminal a client asks for when it claims a session. */
export interface ExecTerminal {
  tty: boolean;
  cols: number;
  rows: number;
}

/** The handle a client end drives a claimed session with. */
export interface ExecSessionHandle {
  input(data: Buffer): void;
  resize(cols: number, rows: number): void;
  eof(): void;
  /** The client went away. */
  close(): void;
}

export class ExecRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Phase = 'granted' | 'waiting-agent' | 'running' | 'ended';

interface Session {
  id: string;
  grant: ExecGrant;
  tokenHash: Buffer;
  expiresAt: number;
  phase: Phase;
  startedAt?: number;
  client?: ExecClientEnd;
  agent?: ExecAgentEnd;
  timer?: NodeJS.Timeout;
  exitCode?: number;
  /** What the client sent before the agent's end was there (keystrokes, stdin, a resize), bounded. */
  early: Partial<ExecFrame>[];
  earlyBytes: number;
  log: Logger;
}

/** Output waiting for the client beyond this pauses the agent's call (gRPC flow control does the rest). */
const CLIENT_BUFFER_BYTES = 1024 * 1024;

/** Input a client may send before the agent's end is there. */
const EARLY_INPUT_BYTES = 1024 * 1024;

const hash = (token: string) => createHash('sha256').update(token).digest();

export class ExecRelay {
  private readonly senders = new Map<string, (req: ExecRequest) => void>();
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: ExecRelayOptions = DEFAULT_EXEC_RELAY_OPTIONS,
    /** With several replicas: tokens name this replica (exec-route.ts), so any replica can forward the stream here. */
    private readonly routing?: ExecRouting,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(5000, opts.tokenTtlMs));
    this.sweeper.unref();
    // A stopped task ends its sessions (the agent's process would end with the container anyway).
    this.unsubscribe = store.changes.on((c) => {
      if (c.kind !== 'task') return;
      for (const s of this.sessions.values()) {
        if (s.grant.taskId !== c.taskId || s.phase === 'ended') continue;
        const t = store.tasks.get(c.taskId);
        if (!t || t.desiredStatus === 'STOPPED' || t.lastStatus === 'STOPPED') this.end(s, { kind: 'error', code: 'TaskStopped', message: 'The task was stopped: the session is closed.' });
      }
    });
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
    for (const s of [...this.sessions.values()]) this.end(s, { kind: 'error', code: 'ServerException', message: 'The control plane is stopping.' });
  }

  /** The dispatcher's sender for one connected agent (its session stream). */
  registerSender(instanceId: string, send: (req: ExecRequest) => void): () => void {
    this.senders.set(instanceId, send);
    return () => {
      if (this.senders.get(instanceId) === send) this.senders.delete(instanceId);
    };
  }

  connected(instanceId: string): boolean {
    return this.senders.has(instanceId);
  }

  /** Whether this replica holds the session (granted here, not yet ended or dropped). */
  holds(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** ExecuteCommand: a new session and its token (returned once, kept only as a hash). */
  create(grant: ExecGrant): { sessionId: string; token: string } {
    const open = [...this.sessions.values()].filter((s) => s.grant.instanceId === grant.instanceId && s.phase !== 'ended').length;
    if (open >= this.opts.maxSessionsPerInstance) {
      throw new ExecRefusal('LimitExceededException', `The container instance already has ${this.opts.maxSessionsPerInstance} execute command sessions, the limit per container instance. Retry when one has ended.`);
    }
    // ECS's session ids: ecs-execute-command-<random>.
    const id = `ecs-execute-command-${randomBytes(12).toString('hex')}`;
    const token = mintExecToken(id, this.routing);
    const log = this.log.child({ execSession: id, cluster: grant.cluster, task: grant.taskArn, container: grant.containerName, accessKeyId: grant.accessKeyId });
    this.sessions.set(id, { id, grant, tokenHash: hash(token), expiresAt: this.store.clock.now() + this.opts.tokenTtlMs, phase: 'granted', early: [], earlyBytes: 0, log });
    return { sessionId: id, token };
  }

  /**
   * A client claims a session with its token: single use (a second claim,
   * even with the right token, is refused), within the TTL. Then the agent
   * is asked to open its end.
   */
  open(sessionId: string, token: string, term: ExecTerminal, client: ExecClientEnd): ExecSessionHandle {
    const s = this.sessions.get(sessionId);
    const presented = hash(token);
    if (!s || s.phase !== 'granted' || !timingSafeEqual(presented, s.tokenHash)) {
      throw new ExecRefusal('InvalidTokenException', 'The session token is invalid, expired or already used.');
    }
    if (this.store.clock.now() > s.expiresAt) {
      this.forget(s);
      throw new ExecRefusal('InvalidTokenException', 'The session token is invalid, expired or already used.');
    }
    s.client = client;
    s.phase = 'waiting-agent';
    const send = this.senders.get(s.grant.instanceId);
    if (!send) {
      this.end(s, { kind: 'error', code: 'TargetNotConnectedException', message: "The container instance's agent is not connected." });
      return this.handle(s);
    }
    s.timer = setTimeout(() => this.end(s, { kind: 'error', code: 'TargetNotConnectedException', message: 'The agent did not answer the execute command session in time.' }), this.opts.agentAnswerMs);
    const rows = clampSize(term.rows);
    const cols = clampSize(term.cols);
    send({ session_id: s.id, task_arn: s.grant.taskArn, container_name: s.grant.containerName, command: s.grant.command, tty: term.tty, cols, rows });
    s.log.info({ audit: true, action: 'ecs:ExecuteCommand', principal: s.grant.principal, command: s.grant.command, tty: term.tty, instance: s.grant.instanceId }, 'exec session opened');
    return this.handle(s);
  }

  /**
   * The agent's ExecSession call arrives (its first frame named the
   * session): only the instance the session was sent to may answer it.
   * Returns the function the dispatcher feeds the agent's later frames to.
   */
  attachAgent(sessionId: string, instanceId: string, agent: ExecAgentEnd): (frame: ExecFrame) => void {
    const s = this.sessions.get(sessionId);
    if (!s || s.phase !== 'waiting-agent') throw new ExecRefusal('NOT_FOUND', 'unknown, answered or abandoned exec session');
    if (s.grant.instanceId !== instanceId) throw new ExecRefusal('PERMISSION_DENIED', 'the exec session was sent to another container instance');
    clearTimeout(s.timer);
    s.agent = agent;
    s.phase = 'running';
    s.startedAt = this.store.clock.now();
    s.client?.onDrained(() => s.agent?.resume());
    for (const f of s.early.splice(0)) agent.write({ ...EMPTY_EXEC_FRAME, ...f });
    return (frame) => this.fromAgent(s, frame);
  }

  /** The agent's call ended (or failed) without a last frame. */
  agentGone(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (s && s.phase !== 'ended') this.end(s, { kind: 'error', code: 'TargetNotConnectedException', message: 'The agent ended the session without an exit code (the agent or the container went away).' });
  }

  /** Sessions not ended (tests, diagnostics). */
  openSessions(): number {
    return [...this.sessions.values()].filter((s) => s.phase !== 'ended').length;
  }

  private fromAgent(s: Session, f: ExecFrame): void {
    if (s.phase === 'ended' || !s.client) return;
    if (f.error) return this.end(s, { kind: 'error', code: 'ExecFailed', message: f.error });
    if (f.started) s.client.send({ kind: 'started' });
    if (f.data && f.data.length > 0) {
      s.client.send({ kind: 'data', stream: f.stream === 'stderr' ? 'stderr' : 'stdout', data: Buffer.from(f.data) });
      if (s.client.pending() > CLIENT_BUFFER_BYTES) s.agent?.pause();
    }
    if (typeof f.exit_code === 'number') {
      s.exitCode = f.exit_code;
      this.end(s, { kind: 'exit', exitCode: f.exit_code });
    }
  }

  private handle(s: Session): ExecSessionHandle {
    const toAgent = (frame: Partial<ExecFrame>) => {
      if (s.phase === 'running') s.agent?.write({ ...EMPTY_EXEC_FRAME, ...frame });
      else if (s.phase === 'waiting-agent') {
        // Kept until the agent's end is there (piped stdin comes at once); beyond the bound, the session fails rather than lose input.
        s.earlyBytes += frame.data?.length ?? 16;
        if (s.earlyBytes > EARLY_INPUT_BYTES) return this.end(s, { kind: 'error', code: 'LimitExceededException', message: `More than ${EARLY_INPUT_BYTES} bytes of input before the session started.` });
        s.early.push(frame);
      }
    };
    return {
      input: (data) => toAgent({ data }),
      resize: (cols, rows) => {
        if (cols > 0 && rows > 0) toAgent({ cols: clampSize(cols), rows: clampSize(rows) });
      },
      eof: () => toAgent({ eof: true }),
      close: () => {
        if (s.phase !== 'ended') this.end(s, undefined);
      },
    };
  }

  /** Ends a session once: tells the client (unless it is the one that left), ends the agent's call, logs who, what and how it ended. */
  private end(s: Session, last: ExecOutput | undefined): void {
    if (s.phase === 'ended') return;
    const was = s.phase;
    s.phase = 'ended';
    clearTimeout(s.timer);
    if (last) s.client?.send(last);
    s.client?.close();
    s.agent?.end();
    this.forget(s);
    if (was === 'granted') return;
    const durationMs = s.startedAt === undefined ? 0 : this.store.clock.now() - s.startedAt;
    const how = last === undefined ? { outcome: 'client closed' } : last.kind === 'exit' ? { outcome: 'exited', exitCode: last.exitCode } : last.kind === 'error' ? { outcome: 'error', error: last.code, reason: last.message } : {};
    s.log.info({ audit: true, action: 'ecs:ExecuteCommand', principal: s.grant.principal, durationMs, ...how }, 'exec session ended');
  }

  private forget(s: Session): void {
    this.sessions.delete(s.id);
  }

  /** Unclaimed tokens past their TTL are dropped. */
  private sweep(): void {
    const now = this.store.clock.now();
    for (const s of [...this.sessions.values()]) if (s.phase === 'granted' && now > s.expiresAt) this.forget(s);
  }
}

/** A terminal size Docker accepts (1..1000), or 0 for its default. */
function clampSize(n: number): number {
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 0;
}
