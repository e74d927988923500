import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ecsServicePrincipalArn, type ArnContext } from '@stevedore/core';
import {
  dispatcherService,
  METADATA_SESSION_ID,
  type GetTaskCredentialsRequest,
  type GetTaskCredentialsResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type LogChunk,
  type PushLogsResponse,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
  type RegisterRequest,
  type RegisterResponse,
  type ReportTaskUsageRequest,
  type ReportTaskUsageResponse,
  type SessionMessage,
  type SessionRequest,
  type UpdateTargetHealthRequest,
  type UpdateTargetHealthResponse,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '@stevedore/proto';
import type { Store } from '../store/store';
import type { LogBroker } from '../logs/log-broker';
import { AgentSession } from './session';
import { PushReads } from './push-reads';
import { PushScheduler, DEFAULT_PUSH_SCHEDULER_OPTIONS } from './push-scheduler';
import { grpcError, status } from './grpc-errors';
import { INACTIVE_DETAILS, metadataValue, PeerCache, type Peer } from './channel-auth';
import type { Enrollment } from './enrollment';
import { RefusalLog } from './refusal-log';
import { DEFAULT_TASK_CREDENTIALS_TTL_MS, issueTaskCredentials } from './task-credentials';
import { isGrpcError, unaryHandler, type UnaryContext, type UnaryDeps } from './unary-handler';
import { registerInstance } from './registration';
import { ReportIngest } from './report-ingest';
import { servePushLogs } from './log-push';
import type { ExecRelay } from '../exec/exec-relay';
import type { ExecFrame } from '@stevedore/proto';
import { serveExecSession } from './exec-session';

/** The agent channel is mutual TLS only: the server identity and who may join. */
export interface ChannelSecurity {
  credentials: grpc.ServerCredentials;
  enrollment: Enrollment;
}

export interface DispatcherOptions {
  heartbeatPeriodMs: number;
  /** Missed periods before an agent counts as disconnected. */
  missedHeartbeats: number;
  /** Full resync of every session, healing any missed change event. */
  resyncMs: number;
  /** Lifetime of task role credentials (at most 6 hours). */
  taskCredentialsTtlMs?: number;
  /** This replica's id: recorded on the instances whose sessions it holds (several replicas on one store). */
  replicaId?: string;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = { heartbeatPeriodMs: 3000, missedHeartbeats: 3, resyncMs: 30_000 };

/**
 * The agent channel's server side (swarmkit dispatcher): registers instances,
 * keeps one session per agent, pushes assignments, applies status reports.
 * It writes container-instance liveness and task lastStatus; nothing else.
 */
export class Dispatcher {
  private readonly sessions = new Map<string, AgentSession>(); // by instance id
  private readonly byId = new Map<string, AgentSession>(); // by session id
  private server: grpc.Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly refusals: RefusalLog;
  /** Verified agent identities per connection (channel-auth.ts). */
  readonly identities = new PeerCache();
  private readonly pushReads: PushReads;
  private readonly pushes: PushScheduler<AgentSession>;

  constructor(
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly logs: LogBroker,
    private readonly log: Logger,
    private readonly opts: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
    private readonly exec?: ExecRelay,
  ) {
    this.refusals = new RefusalLog(log, () => store.clock.now());
    this.pushReads = new PushReads(store);
    this.pushes = new PushScheduler<AgentSession>(log, { ...DEFAULT_PUSH_SCHEDULER_OPTIONS, onSliceEdge: () => this.pushReads.reset() });
  }

  async start(listen: string, security: ChannelSecurity): Promise<number> {
    this.unsubscribe = this.store.changes.on((c) => {
      if (c.kind === 'task' && c.instanceId && !c.agentViewUnchanged) this.sessions.get(c.instanceId)?.schedule();
      if (c.kind === 'load-balancer-config') this.sessions.forEach((s) => s.scheduleLoadBalancers());
      if (c.kind === 'task-definition') this.pushReads.taskDefinitionChanged(c.family);
      // Attributes decide which instances run a load balancer.
      if (c.kind === 'instance') this.sessions.get(c.instanceId)?.scheduleLoadBalancers();
      if (c.kind === 'instance') {
        const s = this.sessions.get(c.instanceId);
        const i = this.store.instances.get(c.instanceId);
        if (s && i?.status === 'INACTIVE') {
          this.dropSession(s, 'instance deregistered', { code: status.FAILED_PRECONDITION, details: INACTIVE_DETAILS });
        }
      }
    });
    this.timers.push(setInterval(() => this.checkHeartbeats(), 1000));
    this.timers.push(setInterval(() => this.resyncSessions(), this.opts.resyncMs));
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
    const deps: UnaryDeps = {
      log: this.log,
      refusals: this.refusals,
      authenticate: (call) => this.authenticate(call),
      hasSession: (peer, metadata, sessionId) => this.sessionOf(peer, metadata, sessionId) !== undefined,
    };
    const ingest = new ReportIngest(this.store, this.arn, this.log, this.refusals);
    server.addService(dispatcherService(), {
      Join: security.enrollment.join.bind(security.enrollment),
      RenewCertificate: security.enrollment.renew.bind(security.enrollment),
      Register: unaryHandler<RegisterRequest, RegisterResponse>(deps, 'register', { session: false }, (ctx, req) => registerInstance(this.store, this.arn, this.log, ctx, req)),
      Session: this.session.bind(this),
      Heartbeat: this.heartbeat.bind(this),
      UpdateTaskStatus: unaryHandler<UpdateTaskStatusRequest, UpdateTaskStatusResponse>(deps, 'update task status', { session: false }, (ctx, req) => ingest.taskStatus(ctx, req)),
      PushLogs: (call: grpc.ServerReadableStream<LogChunk, PushLogsResponse>, cb: grpc.sendUnaryData<PushLogsResponse>) => {
        let peer: Peer;
        try {
          peer = this.authenticate(call);
        } catch (e) {
          return cb(e as grpc.ServiceError);
        }
        servePushLogs(this.logs, peer.instanceId, call, cb);
      },
      UpdateTargetHealth: unaryHandler<UpdateTargetHealthRequest, UpdateTargetHealthResponse>(deps, 'update target health', { session: true }, (ctx, req) => ingest.targetHealth(ctx, req)),
      GetTaskCredentials: unaryHandler<GetTaskCredentialsRequest, GetTaskCredentialsResponse>(deps, 'get task credentials', { session: false }, (ctx, req) => this.taskCredentials(ctx, req)),
      PutLogEvents: unaryHandler<PutLogEventsRequest, PutLogEventsResponse>(deps, 'put log events', { session: true }, (ctx, req) => ingest.logEvents(ctx, req)),
      ReportTaskUsage: unaryHandler<ReportTaskUsageRequest, ReportTaskUsageResponse>(deps, 'report task usage', { session: true }, (ctx, req) => ingest.taskUsage(ctx, req)),
      ExecSession: (call: grpc.ServerDuplexStream<ExecFrame, ExecFrame>) => {
        let peer: Peer;
        try {
          peer = this.authenticate(call);
        } catch (e) {
          return refuseStream(call as unknown as grpc.ServerWritableStream<unknown, unknown>, e as { code: number; details: string });
        }
        if (!this.exec) return refuseStream(call as unknown as grpc.ServerWritableStream<unknown, unknown>, { code: status.UNIMPLEMENTED, details: 'ECS Exec is not served here' });
        serveExecSession(this.exec, peer.instanceId, call, (code, details) =>
          refuseStream(call as unknown as grpc.ServerWritableStream<unknown, unknown>, this.refuse(call, code, details, 'exec session refused', { instance: peer.instanceId }) as { code: number; details: string }),
        );
      },
    });
    this.server = server;
    return new Promise((resolve, reject) =>
      server.bindAsync(listen, security.credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.timers = [];
    this.unsubscribe?.();
    for (const s of [...this.sessions.values()]) s.close('control plane stopping');
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** A refused call's status, logged (rate-limited: a looping agent must not flood the log). */
  private refuse(call: { getPeer(): string }, code: status, details: string, what: string, fields: Record<string, unknown> = {}): Partial<grpc.ServiceError> {
    this.refusals.warn({ peer: call.getPeer(), ...fields, reason: details }, what);
    return grpcError(code, details);
  }

  private session(call: grpc.ServerWritableStream<SessionRequest, SessionMessage>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      const err = e as { code: number; details: string };
      refuseStream(call, err);
      return;
    }
    if (call.request.instance_id && call.request.instance_id !== peer.instanceId) {
      refuseStream(call, this.refuse(call, status.PERMISSION_DENIED, `the certificate is for instance ${peer.instanceId}, not ${call.request.instance_id}`, 'session refused') as { code: number; details: string });
      return;
    }
    const instance = this.store.instances.get(peer.instanceId);
    if (!instance) {
      refuseStream(call, { code: status.NOT_FOUND, details: 'unknown container instance; register first' });
      return;
    }
    if (instance.status === 'INACTIVE') {
      refuseStream(call, { code: status.FAILED_PRECONDITION, details: INACTIVE_DETAILS });
      return;
    }
    const previous = this.sessions.get(instance.id);
    if (previous) this.dropSession(previous, 'superseded by a new session');
    const id = randomUUID();
    const log = this.log.child({ cluster: instance.clusterName, instance: instance.id, session: id });
    const s = new AgentSession(id, instance.id, call, this.store, this.arn, log, this.opts.heartbeatPeriodMs, this.pushReads, this.pushes);
    this.sessions.set(instance.id, s);
    this.byId.set(id, s);
    const unregisterLogs = this.logs.registerSender(instance.id, (reqId, q) =>
      s.requestLogs({ request_id: reqId, task_arn: q.taskArn, container_name: q.containerName, follow: q.follow, tail: q.tail, since_ms: q.sinceMs, max_bytes: q.maxBytes, timestamps: q.timestamps === true }),
    );
    const unregisterExec = this.exec?.registerSender(instance.id, (r) => s.requestExec(r));
    const onGone = () => {
      unregisterLogs();
      unregisterExec?.();
      this.dropSession(s, 'stream ended');
    };
    call.on('cancelled', onGone);
    call.on('close', onGone);
    call.on('error', onGone);
    this.store.tx(() => this.store.instances.setConnected(instance.id, true, this.store.clock.now(), this.opts.replicaId));
    log.info('agent session opened');
    s.sendComplete();
  }

  private dropSession(s: AgentSession, reason: string, error?: { code: number; details: string }): void {
    s.close(reason, error);
    this.byId.delete(s.id);
    if (this.sessions.get(s.instanceId) === s) {
      this.sessions.delete(s.instanceId);
      try {
        this.store.tx(() => this.store.instances.setConnected(s.instanceId, false, this.store.clock.now(), this.opts.replicaId));
      } catch (e) {
        this.log.error({ err: e, instance: s.instanceId }, 'failed to mark instance disconnected');
      }
    }
  }

  /**
   * The periodic resync (heals a missed change event): every session compares
   * what its agent was sent with the store. One session per turn of the event
   * loop, not all in one: at 1,000 agents a single pass held the loop for
   * over a second (bench:scale's event-loop delay), delaying every API call
   * and heartbeat behind it.
   */
  private resyncSessions(): void {
    const queue = [...this.sessions.values()];
    const next = (): void => {
      const s = queue.shift();
      if (!s) return;
      if (!s.isClosed) s.flush();
      setImmediate(next);
    };
    next();
  }

  private checkHeartbeats(): void {
    const now = this.store.clock.now();
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastHeartbeatAt > s.heartbeatPeriodMs * this.opts.missedHeartbeats) {
        this.dropSession(s, 'missed heartbeats', { code: status.UNAVAILABLE, details: 'heartbeat timeout' });
      }
    }
  }

  /** The caller's own session: another agent's session id finds nothing. */
  private sessionOf(peer: Peer, metadata: grpc.Metadata, fallback?: string): AgentSession | undefined {
    const id = metadataValue(metadata, METADATA_SESSION_ID) || fallback;
    const s = id ? this.byId.get(id) : undefined;
    return s && s.instanceId === peer.instanceId ? s : undefined;
  }

  /** The certificate's identity, or the gRPC error the call ends with (logged: refusals are security events). */
  private authenticate(call: Parameters<PeerCache['authenticate']>[0] & { getPeer(): string }): Peer {
    try {
      return this.identities.authenticate(call, this.store, this.store.clock.now());
    } catch (e) {
      this.refusals.warn({ peer: call.getPeer(), reason: (e as { details?: string }).details }, 'agent call refused');
      throw e;
    }
  }

  private heartbeat(call: grpc.ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>, cb: grpc.sendUnaryData<HeartbeatResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    const s = this.sessionOf(peer, call.metadata, call.request.session_id);
    if (!s) return cb(grpcError(status.NOT_FOUND, 'unknown or superseded session'));
    s.lastHeartbeatAt = this.store.clock.now();
    this.store.instances.touchHeartbeat(s.instanceId, s.lastHeartbeatAt);
    cb(null, { period_ms: s.heartbeatPeriodMs });
  }

  /** Temporary credentials of a role of one of the caller's tasks (proto contract of GetTaskCredentials). */
  private taskCredentials(ctx: UnaryContext, request: GetTaskCredentialsRequest): GetTaskCredentialsResponse {
    try {
      const res = issueTaskCredentials(this.store, this.arn, ctx.peer.instanceId, request, this.opts.taskCredentialsTtlMs ?? DEFAULT_TASK_CREDENTIALS_TTL_MS);
      // Audited like an API call made by the ECS service-linked role (the key id names the credentials; never the secret or token).
      this.log.info(
        { audit: true, action: 'sts:AssumeRole', principal: ecsServicePrincipalArn(this.arn.account), instance: ctx.peer.instanceId, task: request.task_arn, roleType: request.role_type, roleArn: res.role_arn, accessKeyId: res.access_key_id },
        'task credentials issued',
      );
      return res;
    } catch (e) {
      if (!isGrpcError(e)) throw e;
      const err = e as { code: status; details: string };
      throw ctx.refuse(err.code, err.details, 'task credentials refused', { instance: ctx.peer.instanceId, task: String(request.task_arn).slice(0, 200) });
    }
  }

}

/**
 * Ends a server stream with a status. grpc-js sends the status from the
 * stream's own 'error' handler; destroy() would tear the stream down before
 * any status went out, leaving the agent waiting on a silent stream.
 */
function refuseStream(call: grpc.ServerWritableStream<unknown, unknown>, err: { code: number; details: string }): void {
  call.emit('error', Object.assign(new Error(err.details), err));
}
