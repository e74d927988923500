import * as grpc from '@grpc/grpc-js';
import { EMPTY_EXEC_FRAME, fromWireAssignment, METADATA_INSTANCE_ID, toWireTaskStatus, type ExecFrame, type ExecRequest, type SessionMessage, type WireTaskStatus } from '@stevedore/proto';
import type { TaskReport, TaskStopCode } from '@stevedore/core';
import { FakeAgent } from './harness';

export interface SimAgentOptions {
  cluster: string;
  ec2InstanceId: string;
  hostIp?: string;
  zone?: string;
  cpu?: number;
  memory?: number;
  attributes?: Record<string, string>;
  /** The agent's --container-instance-tags. */
  tags?: Record<string, string>;
  /** Known identity: re-register as the same instance (an agent restart). */
  instanceId?: string;
  /** Heartbeat every this fraction of the period (the real agent: 1). */
  heartbeatFraction?: number;
  /**
   * Answers log requests (PushLogs) with these lines on stdout; a follow
   * stays open for `pushLog` until the reader goes away.
   */
  logLines?: (taskArn: string, containerName: string) => string[];
  /**
   * Answers ECS Exec requests (ExecSession): the process "starts", every
   * input chunk comes back on stdout prefixed `echo:`, and stdin's EOF ends
   * it with this exit code.
   */
  execExitCode?: number;
}

/** One exec session the simulated agent answered: its request and every frame the control plane sent on it. */
export interface SimExecSession {
  request: ExecRequest;
  frames: ExecFrame[];
}

const REPORT_BATCH_MS = 100;

interface Known {
  desired: 'RUNNING' | 'STOPPED';
  containers: string[];
  reported?: 'RUNNING' | 'STOPPED';
}

/**
 * A simulated agent over the real gRPC protocol, without Docker: it runs
 * (reports RUNNING) whatever it is assigned and stops what it is told to stop,
 * heartbeats, and can die and come back. For service tests and the scheduler
 * benchmark.
 */
export class SimAgent {
  readonly fake: FakeAgent;
  private stream: grpc.ClientReadableStream<SessionMessage> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private periodMs = 3000;
  readonly tasks = new Map<string, Known>();
  /** When each task ARN was first assigned to this agent (latency measurements). */
  readonly assignedAt = new Map<string, number>();
  alive = false;
  lastHeartbeatAt = 0;
  completeCount = 0;
  /** Tasks this agent should not run: they are reported as failing to start. */
  failToStart = false;

  constructor(private readonly address: string, private readonly opts: SimAgentOptions) {
    this.fake = new FakeAgent(address);
  }

  get instanceId(): string {
    return this.fake.instanceId;
  }

  async start(): Promise<void> {
    const attributes = [{ name: 'ecs.availability-zone', value: this.opts.zone ?? 'zone-a' }, ...Object.entries(this.opts.attributes ?? {}).map(([name, value]) => ({ name, value }))];
    await this.fake.register({
      cluster: this.opts.cluster,
      instance_id: this.opts.instanceId ?? this.fake.instanceId ?? '',
      ec2_instance_id: this.opts.ec2InstanceId,
      host_ip: this.opts.hostIp ?? '127.0.0.2',
      resources: { cpu: this.opts.cpu ?? 2048, memory: this.opts.memory ?? 4096, ports: [22], ports_udp: [] },
      attributes,
      tags: this.wireTags(),
    });
    this.openSession();
  }

  private openSession(): void {
    this.alive = true;
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.fake.instanceId);
    const stream = this.fake.client['Session']!({ instance_id: this.fake.instanceId, reads_task_spec: true }, md) as grpc.ClientReadableStream<SessionMessage>;
    this.stream = stream;
    stream.on('data', (m: SessionMessage) => this.onMessage(m));
    stream.on('error', () => undefined);
    this.armHeartbeat();
  }

  private armHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      if (!this.fake.sessionId) return;
      this.fake.heartbeat().then(
        () => (this.lastHeartbeatAt = Date.now()),
        () => undefined,
      );
    }, Math.max(50, this.periodMs * (this.opts.heartbeatFraction ?? 1 / 3)));
  }

  /** Exec sessions answered (execExitCode set), in order. */
  readonly execSessions: SimExecSession[] = [];

  private answerExec(request: ExecRequest): void {
    const exitCode = this.opts.execExitCode;
    if (exitCode === undefined) return;
    const seen: SimExecSession = { request, frames: [] };
    this.execSessions.push(seen);
    const call = (this.fake.client as unknown as Record<string, (md: grpc.Metadata) => grpc.ClientDuplexStream<ExecFrame, ExecFrame>>)['ExecSession']!(this.fake.metadata());
    call.on('error', () => undefined);
    call.write({ ...EMPTY_EXEC_FRAME, session_id: request.session_id });
    call.write({ ...EMPTY_EXEC_FRAME, started: true });
    call.on('data', (f: ExecFrame) => {
      seen.frames.push(f);
      if (f.data.length > 0) call.write({ ...EMPTY_EXEC_FRAME, data: Buffer.concat([Buffer.from('echo:'), f.data]), stream: 'stdout' });
      if (f.eof) {
        call.write({ ...EMPTY_EXEC_FRAME, exit_code: exitCode });
        call.end();
      }
    });
  }

  /** Follows being served, by request id. */
  readonly follows = new Map<string, grpc.ClientWritableStream<unknown>>();

  private answerLogs(requestId: string, taskArn: string, containerName: string, follow: boolean): void {
    if (!this.opts.logLines) return;
    const call = (this.fake.client as unknown as Record<string, (md: grpc.Metadata, cb: (err: unknown) => void) => grpc.ClientWritableStream<unknown>>)['PushLogs']!(this.fake.metadata(), () => this.follows.delete(requestId));
    call.on('error', () => this.follows.delete(requestId));
    call.write({ request_id: requestId, data: Buffer.alloc(0), stream: '', error: '', truncated: false });
    for (const line of this.opts.logLines(taskArn, containerName)) call.write({ request_id: requestId, data: Buffer.from(`${line}\n`), stream: 'stdout', error: '', truncated: false });
    if (follow) this.follows.set(requestId, call);
    else call.end();
  }

  /** One more stdout line on every follow being served. */
  pushLog(line: string): void {
    for (const [requestId, call] of this.follows) call.write({ request_id: requestId, data: Buffer.from(`${line}\n`), stream: 'stdout', error: '', truncated: false });
  }

  /** The agent stops heartbeating but keeps its connection (a host that froze or a partition). */
  freeze(): void {
    this.alive = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private onMessage(m: SessionMessage): void {
    this.fake.sessionId = m.session_id;
    if (m.heartbeat_period_ms && m.heartbeat_period_ms !== this.periodMs) {
      this.periodMs = m.heartbeat_period_ms;
      if (this.alive) this.armHeartbeat();
    }
    const now = Date.now();
    if (m.type === 'COMPLETE') {
      this.completeCount++;
      const wanted = new Set(m.assignments.map((a) => a.task_arn));
      for (const arn of [...this.tasks.keys()]) if (!wanted.has(arn)) this.tasks.delete(arn);
    }
    for (const lr of m.log_requests ?? []) this.answerLogs(lr.request_id, lr.task_arn, lr.container_name, lr.follow);
    for (const r of m.exec_requests ?? []) this.answerExec(r);
    for (const arn of m.removed) this.tasks.delete(arn);
    for (const w of m.assignments) {
      const a = fromWireAssignment(w);
      if (!this.assignedAt.has(a.taskArn)) this.assignedAt.set(a.taskArn, now);
      const known = this.tasks.get(a.taskArn);
      this.tasks.set(a.taskArn, { desired: a.desiredStatus, containers: a.containers.map((c) => c.name), ...(known?.reported ? { reported: known.reported } : {}) });
    }
    this.scheduleFlush();
  }

  /** Leading-edge batching like the real agent's reporter: the first report goes now, the rest within 100 ms. */
  private scheduleFlush(): void {
    if (this.flushTimer || !this.alive) return;
    const wait = Math.max(0, this.lastFlushAt + REPORT_BATCH_MS - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.lastFlushAt = Date.now();
      this.flush().catch(() => undefined);
    }, wait);
  }
  private lastFlushAt = 0;

  /** Reports, batched: RUNNING for what should run, STOPPED for what should stop. */
  private async flush(): Promise<void> {
    const updates: WireTaskStatus[] = [];
    const now = Date.now();
    for (const [arn, k] of this.tasks) {
      if (k.desired === 'RUNNING' && !k.reported) {
        if (this.failToStart) {
          updates.push(report(arn, k.containers, 'STOPPED', now, { stopCode: 'TaskFailedToStart', exitCode: null, started: false }));
          k.reported = 'STOPPED';
        } else {
          updates.push(report(arn, k.containers, 'RUNNING', now));
          k.reported = 'RUNNING';
        }
      } else if (k.desired === 'STOPPED' && k.reported !== 'STOPPED') {
        updates.push(report(arn, k.containers, 'STOPPED', now, { exitCode: 143 }));
        k.reported = 'STOPPED';
      }
    }
    for (let i = 0; i < updates.length; i += 200) await this.fake.update(updates.slice(i, i + 200));
  }

  /** An essential container exits on its own (crash). */
  async crash(taskArn: string): Promise<void> {
    const k = this.tasks.get(taskArn);
    if (!k) throw new Error(`no task ${taskArn} on ${this.instanceId}`);
    k.reported = 'STOPPED';
    await this.fake.update([report(taskArn, k.containers, 'STOPPED', Date.now(), { stopCode: 'EssentialContainerExited', exitCode: 1 })]);
  }

  /** The agent process dies: no more heartbeats, the stream drops; containers keep running. */
  die(): void {
    this.alive = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.heartbeatTimer = this.flushTimer = undefined;
    this.stream?.cancel();
    this.fake.sessionId = '';
  }

  /** The agent restarts with the same identity and its tasks as they were. */
  async revive(): Promise<void> {
    await this.fake.register({
      cluster: this.opts.cluster,
      instance_id: this.fake.instanceId,
      ec2_instance_id: this.opts.ec2InstanceId,
      host_ip: this.opts.hostIp ?? '127.0.0.2',
      resources: { cpu: this.opts.cpu ?? 2048, memory: this.opts.memory ?? 4096, ports: [22], ports_udp: [] },
      attributes: [{ name: 'ecs.availability-zone', value: this.opts.zone ?? 'zone-a' }, ...Object.entries(this.opts.attributes ?? {}).map(([name, value]) => ({ name, value }))],
      tags: this.wireTags(),
    });
    this.openSession();
  }

  private wireTags(): { key: string; value: string }[] {
    return Object.entries(this.opts.tags ?? {}).map(([key, value]) => ({ key, value }));
  }

  /** Tasks this agent runs now (desired RUNNING and reported RUNNING). */
  running(): string[] {
    return [...this.tasks].filter(([, k]) => k.desired === 'RUNNING' && k.reported === 'RUNNING').map(([arn]) => arn);
  }

  close(): void {
    this.die();
    this.fake.client.close();
  }
}

function report(arn: string, containers: string[], status: 'RUNNING' | 'STOPPED', now: number, o: { stopCode?: TaskStopCode; exitCode?: number | null; started?: boolean } = {}): WireTaskStatus {
  const stopped = status === 'STOPPED';
  const r: TaskReport = {
    taskArn: arn,
    lastStatus: status,
    containers: containers.map((name) => ({ name, status, runtimeId: `sim-${name}`, ...(stopped ? { exitCode: o.exitCode ?? 0 } : {}), networkBindings: [], healthStatus: 'UNKNOWN' })),
    pullStartedAt: now,
    pullStoppedAt: now,
    ...(o.started ?? true ? { startedAt: now } : {}),
    ...(stopped ? { executionStoppedAt: now, stoppedAt: now } : {}),
  };
  if (o.stopCode) r.stopCode = o.stopCode;
  if (o.stopCode === 'EssentialContainerExited') r.stoppedReason = 'Essential container in task exited';
  return toWireTaskStatus(r);
}
