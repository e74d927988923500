import {
  AGENT_CHANNEL_OPTIONS,
  dispatcherClientCtor,
  grpc,
  METADATA_INSTANCE_ID,
  METADATA_SESSION_ID,
  type HeartbeatResponse,
  type JoinRequest,
  type JoinResponse,
  type RenewCertificateResponse,
  type LogChunk,
  type PushLogsResponse,
  type RegisterRequest,
  type RegisterResponse,
  type SessionMessage,
  type SessionRequest,
  type UpdateTaskStatusResponse,
  type UpdateTargetHealthRequest,
  type UpdateTargetHealthResponse,
  type WireTaskStatus,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
  type WireLogBatchResult,
  type WireLogEventsBatch,
  type GetTaskCredentialsRequest,
  type GetTaskCredentialsResponse,
  type WireTaskUsage,
  type ReportTaskUsageRequest,
  type ReportTaskUsageResponse,
  type ExecFrame,
} from '@stevedore/proto';

/** Deadlines of the unary calls: each is a small request, so a slow answer means a sick channel. */
export const CALL_TIMEOUTS = { register: 30_000, heartbeatMax: 10_000, updateTaskStatus: 30_000, join: 30_000 } as const;

type Unary<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;

interface RawClient extends grpc.Client {
  Join: Unary<JoinRequest, JoinResponse>;
  RenewCertificate: Unary<{ csr_pem: string }, RenewCertificateResponse>;
  Register: Unary<RegisterRequest, RegisterResponse>;
  Heartbeat: Unary<{ session_id: string }, HeartbeatResponse>;
  UpdateTaskStatus: Unary<{ session_id: string; updates: WireTaskStatus[] }, UpdateTaskStatusResponse>;
  UpdateTargetHealth: Unary<UpdateTargetHealthRequest, UpdateTargetHealthResponse>;
  PutLogEvents: Unary<PutLogEventsRequest, PutLogEventsResponse>;
  GetTaskCredentials: Unary<GetTaskCredentialsRequest, GetTaskCredentialsResponse>;
  ReportTaskUsage: Unary<ReportTaskUsageRequest, ReportTaskUsageResponse>;
  Session(req: SessionRequest, md: grpc.Metadata): grpc.ClientReadableStream<SessionMessage>;
  PushLogs(md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: PushLogsResponse) => void): grpc.ClientWritableStream<LogChunk>;
  ExecSession(md: grpc.Metadata): grpc.ClientDuplexStream<ExecFrame, ExecFrame>;
}

/**
 * Typed calls on the Dispatcher service, with the metadata the proto requires
 * on each. With several control-plane replicas (--control-plane a:p,b:p,...)
 * it talks to one at a time and `failover` moves every later call to the next
 * (docs/design/high-availability.md): each replica presents a certificate of
 * the cluster CA for its own address, so the same credentials work with all.
 */
export class DispatcherClient {
  private raw: RawClient;
  private readonly targets: readonly string[];
  private index = 0;
  private credentials: grpc.ChannelCredentials;

  constructor(targets: string | readonly string[], credentials: grpc.ChannelCredentials) {
    this.targets = typeof targets === 'string' ? [targets] : targets;
    if (this.targets.length === 0) throw new Error('no control plane endpoint');
    this.credentials = credentials;
    this.raw = this.connect();
  }

  /** The replica calls go to now. */
  get target(): string {
    return this.targets[this.index]!;
  }

  private connect(): RawClient {
    const Ctor = dispatcherClientCtor();
    // The channel's own reconnect backoff is capped like the session's: at grpc-js's default
    // (120 s) a long outage would keep the agent away for minutes after the control plane is back.
    return new Ctor(this.target, this.credentials, { ...AGENT_CHANNEL_OPTIONS }) as unknown as RawClient;
  }

  /**
   * New calls go over a new channel with these credentials (a renewed
   * certificate); the old channel is closed, which ends the calls still on
   * it, and callers reconnect as they do after any network failure.
   */
  useCredentials(credentials: grpc.ChannelCredentials): void {
    this.credentials = credentials;
    const old = this.raw;
    this.raw = this.connect();
    old.close();
  }

  /**
   * The next replica in the list, for every call from now on (the caller's
   * backoff paces the moves). Returns the new target, or undefined when there
   * is only one and the channel is kept (it reconnects on its own).
   */
  failover(): string | undefined {
    if (this.targets.length < 2) return undefined;
    this.index = (this.index + 1) % this.targets.length;
    const old = this.raw;
    this.raw = this.connect();
    old.close();
    return this.target;
  }

  join(req: JoinRequest): Promise<JoinResponse> {
    return this.unary(this.raw.Join, req, new grpc.Metadata(), CALL_TIMEOUTS.join);
  }

  renewCertificate(instanceId: string, csrPem: string): Promise<RenewCertificateResponse> {
    return this.unary(this.raw.RenewCertificate, { csr_pem: csrPem }, this.md(instanceId), CALL_TIMEOUTS.join);
  }

  private md(instanceId: string, sessionId?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, instanceId);
    if (sessionId) md.set(METADATA_SESSION_ID, sessionId);
    return md;
  }

  private unary<Req, Res>(fn: Unary<Req, Res>, req: Req, md: grpc.Metadata, timeoutMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(this.raw, req, md, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.unary(this.raw.Register, req, req.instance_id ? this.md(req.instance_id) : new grpc.Metadata(), CALL_TIMEOUTS.register);
  }

  session(instanceId: string): grpc.ClientReadableStream<SessionMessage> {
    // reads_task_spec: this agent reads the typed TaskSpec (older control planes send spec_json, which it still reads).
    return this.raw.Session({ instance_id: instanceId, reads_task_spec: true }, this.md(instanceId));
  }

  heartbeat(instanceId: string, sessionId: string, timeoutMs: number): Promise<HeartbeatResponse> {
    return this.unary(this.raw.Heartbeat, { session_id: sessionId }, this.md(instanceId, sessionId), timeoutMs);
  }

  async updateTaskStatus(instanceId: string, sessionId: string, updates: WireTaskStatus[]): Promise<string[]> {
    const res = await this.unary(this.raw.UpdateTaskStatus, { session_id: sessionId, updates }, this.md(instanceId, sessionId), CALL_TIMEOUTS.updateTaskStatus);
    return res.applied ?? [];
  }

  async updateTargetHealth(instanceId: string, sessionId: string, req: Omit<UpdateTargetHealthRequest, 'session_id'>): Promise<void> {
    await this.unary(this.raw.UpdateTargetHealth, { session_id: sessionId, ...req }, this.md(instanceId, sessionId), CALL_TIMEOUTS.updateTaskStatus);
  }

  async putLogEvents(instanceId: string, sessionId: string, batches: WireLogEventsBatch[]): Promise<WireLogBatchResult[]> {
    const res = await this.unary(this.raw.PutLogEvents, { session_id: sessionId, batches }, this.md(instanceId, sessionId), CALL_TIMEOUTS.updateTaskStatus);
    return res.results ?? [];
  }

  getTaskCredentials(instanceId: string, taskArn: string, roleType: 'TaskApplication' | 'TaskExecution'): Promise<GetTaskCredentialsResponse> {
    return this.unary(this.raw.GetTaskCredentials, { task_arn: taskArn, role_type: roleType }, this.md(instanceId), CALL_TIMEOUTS.register);
  }

  async reportTaskUsage(instanceId: string, sessionId: string, usage: WireTaskUsage[]): Promise<void> {
    await this.unary(this.raw.ReportTaskUsage, { session_id: sessionId, usage }, this.md(instanceId, sessionId), CALL_TIMEOUTS.updateTaskStatus);
  }

  pushLogs(instanceId: string, sessionId: string, done: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<LogChunk> {
    return this.raw.PushLogs(this.md(instanceId, sessionId), (err) => done(err));
  }

  /** One ECS Exec session's agent end (proto contract of ExecSession). */
  execSession(instanceId: string, sessionId: string): grpc.ClientDuplexStream<ExecFrame, ExecFrame> {
    return this.raw.ExecSession(this.md(instanceId, sessionId));
  }

  close(): void {
    this.raw.close();
  }
}

export function grpcCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

export function grpcDetails(err: unknown): string {
  const e = err as { details?: unknown; message?: unknown } | null;
  return typeof e?.details === 'string' && e.details ? e.details : String(e?.message ?? err);
}
