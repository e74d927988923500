import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  applyTaskReport,
  arns,
  DEFAULT_RESERVED_PORTS,
  idOf,
  mergeAgentAttributes,
  type ArnContext,
  type ContainerInstance,
} from '@stevedore/core';
import {
  dispatcherService,
  fromWireTaskStatus,
  METADATA_SESSION_ID,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type LogChunk,
  type PushLogsResponse,
  type RegisterRequest,
  type RegisterResponse,
  type SessionMessage,
  type SessionRequest,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '@stevedore/proto';
import type { Store } from '../store/store';
import type { LogBroker } from '../logs/log-broker';
import { AgentSession } from './session';
import { grpcError, status } from './grpc-errors';
import { INACTIVE_DETAILS, metadataValue, PeerCache, type Peer } from './channel-auth';
import type { Enrollment } from './enrollment';
import { applyTargetHealthReport } from './target-health-report';
import { hostSetOf } from '../store/load-balancing-view';
import { validateRegistration } from './registration-validation';
import { validateTaskReport } from './report-validation';
import { RefusalLog } from './refusal-log';
import type { GetTaskCredentialsRequest, GetTaskCredentialsResponse, UpdateTargetHealthRequest, UpdateTargetHealthResponse, PutLogEventsRequest, PutLogEventsResponse, ReportTaskUsageRequest, ReportTaskUsageResponse } from '@stevedore/proto';
import { DEFAULT_TASK_CREDENTIALS_TTL_MS, issueTaskCredentials } from './task-credentials';
import { buildInfo, ecsServicePrincipalArn } from '@stevedore/core';
import { IngestRefusal, ingestAgentLogEvents } from './log-events-ingest';
import { validateUsageReport } from './usage-report-validation';
import type { TaskUsage } from '../store/task-usage-repo';

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

  constructor(
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly logs: LogBroker,
    private readonly log: Logger,
    private readonly opts: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
  ) {
    this.refusals = new RefusalLog(log, () => store.clock.now());
  }

  async start(listen: string, security: ChannelSecurity): Promise<number> {
    this.unsubscribe = this.store.changes.on((c) => {
      if (c.kind === 'task' && c.instanceId) this.sessions.get(c.instanceId)?.schedule();
      if (c.kind === 'load-balancer-config') this.sessions.forEach((s) => s.scheduleLoadBalancers());
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
    this.timers.push(setInterval(() => this.sessions.forEach((s) => s.flush()), this.opts.resyncMs));
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
    server.addService(dispatcherService(), {
      Join: security.enrollment.join.bind(security.enrollment),
      RenewCertificate: security.enrollment.renew.bind(security.enrollment),
      Register: this.register.bind(this),
      Session: this.session.bind(this),
      Heartbeat: this.heartbeat.bind(this),
      UpdateTaskStatus: this.updateTaskStatus.bind(this),
      PushLogs: this.pushLogs.bind(this),
      UpdateTargetHealth: this.updateTargetHealth.bind(this),
      GetTaskCredentials: this.getTaskCredentials.bind(this),
      PutLogEvents: this.putLogEvents.bind(this),
      ReportTaskUsage: this.reportTaskUsage.bind(this),
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

  private register(call: grpc.ServerUnaryCall<RegisterRequest, RegisterResponse>, cb: grpc.sendUnaryData<RegisterResponse>): void {
    try {
      const peer = this.authenticate(call);
      if (call.request.instance_id && call.request.instance_id !== peer.instanceId) {
        return cb(this.refuse(call, status.PERMISSION_DENIED, `the certificate is for instance ${peer.instanceId}, not ${call.request.instance_id}`, 'registration refused'));
      }
      if (call.request.cluster !== peer.cluster) {
        return cb(this.refuse(call, status.PERMISSION_DENIED, `the certificate is for cluster ${peer.cluster}, not ${call.request.cluster}`, 'registration refused'));
      }
      const checked = validateRegistration(call.request);
      if (!checked.ok) {
        return cb(this.refuse(call, status.INVALID_ARGUMENT, checked.problem.message, 'registration refused', { instance: peer.instanceId, field: checked.problem.field }));
      }
      const v = checked.value;
      // The identity is the certificate's, whatever the request says.
      const instanceId = peer.instanceId;
      const clusterName = peer.cluster;
      const cluster = this.store.clusters.get(clusterName);
      if (!cluster || cluster.status !== 'ACTIVE') return cb(grpcError(status.NOT_FOUND, 'Cluster not found.'));
      const now = this.store.clock.now();
      const instance = this.store.tx(() => {
        const existing = this.store.instances.get(instanceId);
        if (existing?.status === 'INACTIVE') {
          throw grpcError(status.FAILED_PRECONDITION, INACTIVE_DETAILS);
        }
        if (existing && existing.clusterName !== clusterName) {
          throw grpcError(status.INVALID_ARGUMENT, `instance ${existing.id} belongs to cluster ${existing.clusterName}, not ${clusterName}`);
        }
        const i: ContainerInstance = {
          id: instanceId,
          clusterName,
          ec2InstanceId: v.ec2InstanceId || 'unknown',
          hostIp: v.hostIp,
          status: existing?.status ?? 'ACTIVE',
          agentConnected: existing?.agentConnected ?? false,
          registeredResources: {
            cpu: v.resources.cpu,
            memory: v.resources.memory,
            ports: v.resources.ports.length ? v.resources.ports : DEFAULT_RESERVED_PORTS,
            portsUdp: v.resources.portsUdp,
          },
          // PutAttributes outranks the agent: see mergeAgentAttributes.
          attributes: mergeAgentAttributes(existing?.attributes ?? [], v.attributes),
          versionInfo: { agentVersion: v.agentVersion, ...(v.agentHash ? { agentHash: v.agentHash } : {}), dockerVersion: `DockerVersion: ${v.dockerVersion}` },
          registeredAt: existing?.registeredAt ?? now,
          version: (existing?.version ?? 0) + 1,
        };
        this.store.instances.put(i);
        return i;
      });
      // Versions are recorded, never checked: see "Versions" in docs/design/dispatcher-protocol.md.
      this.log.info({ cluster: clusterName, instance: instance.id, hostIp: v.hostIp, cpu: v.resources.cpu, memory: v.resources.memory, agentVersion: v.agentVersion || 'unknown', agentHash: v.agentHash || 'unknown' }, 'container instance registered');
      cb(null, { instance_id: instance.id, container_instance_arn: arns.containerInstance(this.arn, instance.clusterName, instance.id), control_plane_version: buildInfo().version });
    } catch (e) {
      cb(isGrpcError(e) ? e : this.internal(e, 'register'));
    }
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
    const s = new AgentSession(id, instance.id, call, this.store, this.arn, log, this.opts.heartbeatPeriodMs);
    this.sessions.set(instance.id, s);
    this.byId.set(id, s);
    const unregisterLogs = this.logs.registerSender(instance.id, (reqId, q) =>
      s.requestLogs({ request_id: reqId, task_arn: q.taskArn, container_name: q.containerName, follow: q.follow, tail: q.tail, since_ms: q.sinceMs, max_bytes: q.maxBytes, timestamps: q.timestamps === true }),
    );
    const onGone = () => {
      unregisterLogs();
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

  /** A load-balancer host's target health and configuration status (proto contract of UpdateTargetHealth). */
  private updateTargetHealth(call: grpc.ServerUnaryCall<UpdateTargetHealthRequest, UpdateTargetHealthResponse>, cb: grpc.sendUnaryData<UpdateTargetHealthResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    if (!this.sessionOf(peer, call.metadata, call.request.session_id)) return cb(grpcError(status.NOT_FOUND, 'unknown or superseded session'));
    try {
      const instance = this.store.instances.get(peer.instanceId);
      if (!instance) return cb(grpcError(status.NOT_FOUND, 'unknown container instance; register first'));
      const r = applyTargetHealthReport(this.store, peer.instanceId, call.request, hostSetOf(this.store, instance));
      if (r.dropped > 0) this.refusals.warn({ instance: peer.instanceId, dropped: r.dropped }, 'target health entries with unknown states, or for load balancers this host does not run, ignored');
      cb(null, {});
    } catch (e) {
      cb(this.internal(e, 'update target health'));
    }
  }

  /** awslogs lines of the caller's own tasks (proto contract of PutLogEvents; log-events-ingest.ts). */
  private putLogEvents(call: grpc.ServerUnaryCall<PutLogEventsRequest, PutLogEventsResponse>, cb: grpc.sendUnaryData<PutLogEventsResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    if (!this.sessionOf(peer, call.metadata, call.request.session_id)) return cb(grpcError(status.NOT_FOUND, 'unknown or superseded session'));
    try {
      cb(null, { results: ingestAgentLogEvents(this.store, this.arn, peer.instanceId, call.request, this.store.clock.now()) });
    } catch (e) {
      if (e instanceof IngestRefusal) return cb(this.refuse(call, status[e.grpcCode], e.message, 'log events refused', { instance: peer.instanceId }));
      cb(this.internal(e, 'put log events'));
    }
  }

  /**
   * One agent's task usage for the last interval (proto contract of
   * ReportTaskUsage): checked whole, like UpdateTaskStatus (bounds, then
   * ownership of every task), then kept as the latest reading per task.
   */
  private reportTaskUsage(call: grpc.ServerUnaryCall<ReportTaskUsageRequest, ReportTaskUsageResponse>, cb: grpc.sendUnaryData<ReportTaskUsageResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    if (!this.sessionOf(peer, call.metadata, call.request.session_id)) return cb(grpcError(status.NOT_FOUND, 'unknown or superseded session'));
    const instanceId = peer.instanceId;
    try {
      const usage = call.request.usage ?? [];
      const checked = validateUsageReport(usage);
      if (!checked.ok) return cb(this.refuse(call, status.INVALID_ARGUMENT, checked.problem.message, 'task usage report refused', { instance: instanceId, field: checked.problem.field }));
      const now = this.store.clock.now();
      const rows: TaskUsage[] = [];
      for (const u of usage) {
        const task = this.store.tasks.get(idOf(u.task_arn));
        // A task the store does not know (reaped, or a wiped database): nothing to attribute it to.
        if (!task) continue;
        if (task.containerInstanceId !== instanceId) {
          return cb(this.refuse(call, status.PERMISSION_DENIED, `task ${u.task_arn.slice(0, 256)} is not assigned to instance ${instanceId}`, 'task usage report refused', { instance: instanceId }));
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
      cb(null, {});
    } catch (e) {
      cb(this.internal(e, 'report task usage'));
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

  private updateTaskStatus(call: grpc.ServerUnaryCall<UpdateTaskStatusRequest, UpdateTaskStatusResponse>, cb: grpc.sendUnaryData<UpdateTaskStatusResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    const instanceId = peer.instanceId;
    if (!this.store.instances.get(instanceId)) return cb(grpcError(status.NOT_FOUND, 'unknown container instance; register first'));
    try {
      const applied = this.store.tx(() => {
        const now = this.store.clock.now();
        const done: string[] = [];
        for (const [i, raw] of call.request.updates.entries()) {
          const checked = validateTaskReport(raw, `updates[${i}]`);
          if (!checked.ok) {
            throw this.refuse(call, status.INVALID_ARGUMENT, checked.problem.message, 'task status update refused', { instance: instanceId, field: checked.problem.field });
          }
          const w = checked.value;
          const report = fromWireTaskStatus(w);
          const task = this.store.tasks.get(idOf(report.taskArn));
          if (!task) {
            // A task the store never had (e.g. a wiped database): acknowledge so
            // the agent stops resending; the COMPLETE set already told it to stop.
            // Rate-limited: an agent can name any number of tasks that do not exist.
            this.refusals.warn({ instance: instanceId, taskArn: report.taskArn.slice(0, 256) }, 'status update for unknown task ignored');
            done.push(report.taskArn);
            continue;
          }
          if (task.containerInstanceId !== instanceId) {
            throw this.refuse(call, status.PERMISSION_DENIED, `task ${report.taskArn} is not assigned to instance ${instanceId}`, 'task status update refused', { instance: instanceId });
          }
          const result = applyTaskReport(task, report, now);
          if (result) {
            this.store.tasks.put({ ...result.task, seq: task.seq });
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
      });
      cb(null, { applied });
    } catch (e) {
      cb(isGrpcError(e) ? e : this.internal(e, 'update task status'));
    }
  }

  private pushLogs(call: grpc.ServerReadableStream<LogChunk, PushLogsResponse>, cb: grpc.sendUnaryData<PushLogsResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    let stream: ReturnType<LogBroker['get']>;
    let finished = false;
    let agentEnded = false;
    const finish = (err?: Partial<grpc.ServiceError>) => {
      if (finished) return;
      finished = true;
      if (err) cb(err);
      else cb(null, {});
    };
    call.on('data', (chunk: LogChunk) => {
      if (!stream) {
        stream = this.logs.get(chunk.request_id);
        if (!stream) return finish(grpcError(status.NOT_FOUND, 'unknown or closed log request'));
        if (stream.instanceId !== peer.instanceId) {
          stream = undefined;
          return finish(grpcError(status.PERMISSION_DENIED, 'the log request was sent to another container instance'));
        }
        stream.once('cancel', () => finish(grpcError(status.CANCELLED, 'log reader went away')));
        // Ended here (byte cap, idle reader timeout): the agent must stop too.
        stream.once('end', () => agentEnded || finish(grpcError(status.CANCELLED, 'log stream ended by the control plane')));
        // Backpressure: a slow reader stops this call being read, and HTTP/2
        // flow control then stops the agent's writes (and its Docker reads).
        stream.on('pause', () => call.pause());
        stream.on('resume', () => call.resume());
        if (stream.paused) call.pause();
      }
      if (stream.cancelled) return finish(grpcError(status.CANCELLED, 'log reader went away'));
      if (chunk.data.length > 0) stream.push(chunk.stream === 'stderr' ? 'stderr' : 'stdout', chunk.data);
      if (chunk.error || chunk.truncated) {
        agentEnded = true;
        stream.end(chunk.error ? { error: chunk.error } : { truncated: true });
      }
    });
    call.on('end', () => {
      agentEnded = true;
      stream?.end();
      finish();
    });
    call.on('error', () => {
      agentEnded = true;
      stream?.end({ error: 'the agent log stream failed' });
      finish();
    });
  }

  /** Temporary credentials of a role of one of the caller's tasks (proto contract of GetTaskCredentials). */
  private getTaskCredentials(call: grpc.ServerUnaryCall<GetTaskCredentialsRequest, GetTaskCredentialsResponse>, cb: grpc.sendUnaryData<GetTaskCredentialsResponse>): void {
    let peer: Peer;
    try {
      peer = this.authenticate(call);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    try {
      const res = issueTaskCredentials(this.store, this.arn, peer.instanceId, call.request, this.opts.taskCredentialsTtlMs ?? DEFAULT_TASK_CREDENTIALS_TTL_MS);
      // The key id names the credentials in logs and in the API's audit lines; never the secret or token.
      // Audited like an API call made by the ECS service-linked role (the key id names the credentials; never the secret or token).
      this.log.info(
        { audit: true, action: 'sts:AssumeRole', principal: ecsServicePrincipalArn(this.arn.account), instance: peer.instanceId, task: call.request.task_arn, roleType: call.request.role_type, roleArn: res.role_arn, accessKeyId: res.access_key_id },
        'task credentials issued',
      );
      cb(null, res);
    } catch (e) {
      if (isGrpcError(e)) {
        const err = e as { code: status; details: string };
        return cb(this.refuse(call, err.code, err.details, 'task credentials refused', { instance: peer.instanceId, task: String(call.request.task_arn).slice(0, 200) }));
      }
      cb(this.internal(e, 'get task credentials'));
    }
  }

  private internal(e: unknown, what: string): Partial<grpc.ServiceError> {
    this.log.error({ err: e }, `dispatcher ${what} failed`);
    return grpcError(status.INTERNAL, 'internal error');
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

function isGrpcError(e: unknown): e is Partial<grpc.ServiceError> {
  return typeof e === 'object' && e !== null && 'code' in e && 'details' in e && typeof (e as { code: unknown }).code === 'number';
}
