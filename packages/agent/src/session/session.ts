import type { Logger } from 'pino';
import type { LoadBalancerHostSet, TaskAssignment, TaskSecrets } from '@stevedore/core/host';
import { fromWireLoadBalancerSet, grpc, type ExecRequest, type LogRequest, type SessionMessage } from '@stevedore/proto';
import { AssignmentSequence } from './assignments-stream';
import { Backoff, SESSION_BACKOFF, Sleeper, type BackoffOptions } from './backoff';
import { CALL_TIMEOUTS, grpcCode, grpcDetails, type DispatcherClient } from './dispatcher-client';

export interface AssignmentTarget {
  assign(all: TaskAssignment[], secrets?: Map<string, TaskSecrets>): void;
  update(changed: TaskAssignment[], removed: string[], secrets?: Map<string, TaskSecrets>): void;
}

export interface SessionListener {
  connected(sessionId: string, channel: DispatcherClient): void;
  disconnected(): void;
}

export interface SessionOptions {
  client: DispatcherClient;
  instanceId: () => string;
  /** Registers (or re-registers) the instance; throws the gRPC error on failure. */
  register: () => Promise<void>;
  worker: AssignmentTarget;
  reporter: SessionListener;
  onLogRequest: (req: LogRequest, sessionId: string) => void;
  /** Contract 7: an ECS Exec session to open (absent: exec requests are ignored, the control plane times them out). */
  onExecRequest?: (req: ExecRequest, sessionId: string) => void;
  /** The complete load balancer host set, whenever a message carries one (contract 6). */
  onLoadBalancers?: (set: LoadBalancerHostSet) => void;
  log: Logger;
  backoff?: BackoffOptions;
  /** ECS waits an hour before retrying a deregistered (INACTIVE) instance. */
  inactiveWaitMs?: number;
  /** A connection that lasted this long was healthy: the next failure starts the backoff over. */
  stableAfterMs?: number;
  defaultHeartbeatMs?: number;
}

type Outcome =
  | { kind: 'gap' }
  | { kind: 'reconnect'; reason: string }
  | { kind: 'ended'; lastedMs: number }
  | { kind: 'superseded'; lastedMs: number }
  | { kind: 'error'; err: unknown; lastedMs: number }
  | { kind: 'stopped' };

const INACTIVE = 'InactiveInstanceException';

/**
 * The agent's side of the Session contract: register, open the stream,
 * apply COMPLETE/INCREMENTAL messages in sequence, heartbeat at the period
 * the control plane asks for, and reconnect with backoff and jitter whenever
 * anything breaks. Running containers are unaffected by any of this.
 */
export class Session {
  private stopped = false;
  private registered = false;
  private readonly sleeper = new Sleeper();
  private readonly backoff: Backoff;
  private current: grpc.ClientReadableStream<SessionMessage> | undefined;
  private loopDone: Promise<void> | undefined;
  private reconnectReason: string | undefined;
  private readonly log: Logger;
  /** Sessions opened so far (tests, metrics). */
  sessionsOpened = 0;

  constructor(private readonly opts: SessionOptions) {
    this.backoff = new Backoff(opts.backoff ?? SESSION_BACKOFF);
    this.log = opts.log.child({ component: 'session' });
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.interrupt();
    this.current?.cancel();
    await this.loopDone;
  }

  /**
   * Ends the current session and opens a new one at once, without backoff:
   * the channel's credentials changed. Running tasks are not involved; the
   * new session's COMPLETE set finds them as they are.
   */
  reconnect(reason: string): void {
    if (this.stopped) return;
    if (this.current) {
      this.reconnectReason = reason;
      this.current.cancel();
    } else {
      // Between sessions (backoff): try the new credentials now.
      this.sleeper.interrupt();
    }
  }

  private isInactive(err: unknown): boolean {
    return grpcCode(err) === grpc.status.FAILED_PRECONDITION && grpcDetails(err).includes(INACTIVE);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.registered) {
        try {
          await this.opts.register();
          this.registered = true;
        } catch (err) {
          if (this.stopped) break;
          await this.pause(err, 'registration failed');
          continue;
        }
        if (this.stopped) break;
      }
      const outcome = await this.runSession();
      this.opts.reporter.disconnected();
      if (outcome.kind === 'stopped' || this.stopped) break;
      if (outcome.kind === 'gap') {
        // Missed a message: a new session starts with a fresh COMPLETE at once.
        continue;
      }
      if (outcome.kind === 'reconnect') {
        this.log.info({ reason: outcome.reason }, 'reconnecting');
        continue;
      }
      if (outcome.lastedMs >= (this.opts.stableAfterMs ?? 60_000)) this.backoff.reset();
      if (outcome.kind === 'superseded' || (outcome.kind === 'ended' && outcome.lastedMs > 1000)) {
        // A replica ending the stream is usually stopping: the next one takes the session at once.
        const moved = outcome.kind === 'ended' ? this.opts.client.failover() : undefined;
        this.log.info({ reason: outcome.kind, ...(moved ? { controlPlane: moved } : {}) }, 'session closed; reconnecting');
        continue;
      }
      if (outcome.kind === 'error' && grpcCode(outcome.err) === grpc.status.NOT_FOUND) {
        // The control plane does not know this instance (any more): register again first.
        this.registered = false;
      }
      await this.pause(outcome.kind === 'error' ? outcome.err : undefined, 'session lost');
    }
  }

  private async pause(err: unknown, what: string): Promise<void> {
    if (this.isInactive(err)) {
      const ms = this.opts.inactiveWaitMs ?? 3600_000;
      this.log.error({ err: grpcDetails(err), retryInMs: ms }, 'this container instance was deregistered (INACTIVE); waiting before trying again');
      await this.sleeper.sleep(ms);
      return;
    }
    const ms = this.backoff.next();
    // Several replicas: the next attempt goes to the next one (a dead replica is left at once, the backoff paces the round).
    const from = this.opts.client.target;
    const moved = this.opts.client.failover();
    this.log.warn({ err: err === undefined ? undefined : grpcDetails(err), code: grpcCode(err), retryInMs: ms, ...(moved ? { from, controlPlane: moved } : {}) }, what);
    await this.sleeper.sleep(ms);
  }

  private runSession(): Promise<Outcome> {
    const { client, worker, reporter } = this.opts;
    const call = client.session(this.opts.instanceId());
    this.current = call;
    this.sessionsOpened++;
    const openedAt = Date.now();
    const seq = new AssignmentSequence();
    let sessionId: string | undefined;
    let period = this.opts.defaultHeartbeatMs ?? 10_000;
    let heartbeat: NodeJS.Timeout | undefined;
    let heartbeatFailures = 0;

    return new Promise<Outcome>((resolve) => {
      let done = false;
      const finish = (o: Outcome) => {
        if (done) return;
        done = true;
        clearTimeout(heartbeat);
        this.current = undefined;
        call.cancel();
        resolve(o);
      };
      const lasted = () => Date.now() - openedAt;

      const beat = () => {
        heartbeat = setTimeout(async () => {
          if (done || !sessionId) return;
          try {
            const res = await client.heartbeat(this.opts.instanceId(), sessionId, Math.min(period, CALL_TIMEOUTS.heartbeatMax));
            heartbeatFailures = 0;
            if (res.period_ms > 0) period = res.period_ms;
          } catch (err) {
            if (grpcCode(err) === grpc.status.NOT_FOUND) return finish({ kind: 'superseded', lastedMs: lasted() });
            // Two missed heartbeats: the stream is probably dead without knowing it (half-open TCP).
            if (++heartbeatFailures >= 2) return finish({ kind: 'error', err, lastedMs: lasted() });
            this.log.warn({ err: grpcDetails(err) }, 'heartbeat failed');
          }
          if (!done) beat();
        }, period);
      };

      call.on('data', (msg: SessionMessage) => {
        if (done) return;
        const accepted = seq.accept(msg);
        if (msg.heartbeat_period_ms > 0) period = msg.heartbeat_period_ms;
        switch (accepted.kind) {
          case 'gap':
            this.log.warn({ expected: accepted.expected, appliesTo: accepted.got }, 'assignment sequence gap; resyncing with a new session');
            return finish({ kind: 'gap' });
          case 'complete':
            sessionId = msg.session_id;
            this.log.info({ sessionId, tasks: accepted.assignments.length, resultsIn: msg.results_in }, 'session established (COMPLETE)');
            worker.assign(accepted.assignments, accepted.secrets);
            reporter.connected(sessionId, client);
            clearTimeout(heartbeat);
            beat();
            break;
          case 'incremental':
            this.log.debug({ changed: accepted.changed.length, removed: accepted.removed.length, resultsIn: msg.results_in }, 'incremental assignments');
            worker.update(accepted.changed, accepted.removed, accepted.secrets);
            break;
        }
        if (accepted.invalid.length) this.log.error({ tasks: accepted.invalid }, 'ignoring assignments whose spec cannot be read');
        for (const lr of msg.log_requests ?? []) if (sessionId) this.opts.onLogRequest(lr, sessionId);
        for (const er of msg.exec_requests ?? []) if (sessionId) this.opts.onExecRequest?.(er, sessionId);
        if (msg.load_balancers) {
          const set = fromWireLoadBalancerSet(msg.load_balancers);
          if (set) this.opts.onLoadBalancers?.(set);
          else this.log.error({ version: msg.load_balancers.version }, 'ignoring a load balancer set whose spec_json cannot be read');
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (this.stopped) return finish({ kind: 'stopped' });
        const reason = this.reconnectReason;
        this.reconnectReason = undefined;
        if (reason !== undefined) return finish({ kind: 'reconnect', reason });
        finish({ kind: 'error', err, lastedMs: lasted() });
      });
      call.on('end', () => finish(this.stopped ? { kind: 'stopped' } : { kind: 'ended', lastedMs: lasted() }));
    });
  }
}
