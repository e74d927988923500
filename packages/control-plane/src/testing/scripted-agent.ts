import * as grpc from '@grpc/grpc-js';
import { fromWireAssignment, METADATA_INSTANCE_ID, toWireTaskStatus, type SessionMessage } from '@stevedore/proto';
import type { HealthStatus, TaskAssignment, TaskReport, TaskStopCode } from '@stevedore/core';
import { FakeAgent } from './harness';

/**
 * How a task behaves, from its first container's image tag:
 *   `:fail-start`  never runs (TaskFailedToStart, as a bad image or command);
 *   `:crash`       runs, then its essential container exits 1 after `crashAfterMs`;
 *   `:unhealthy`   runs, its health check reports UNHEALTHY after `healthDelayMs`;
 *   anything else  runs, and reports HEALTHY after `healthDelayMs` when it has a health check.
 */
export type Behaviour = 'fail-start' | 'crash' | 'unhealthy' | 'healthy';

export function behaviourOf(a: TaskAssignment): Behaviour {
  const tag = /:([^:/]+)$/.exec(a.containers[0]?.image ?? '')?.[1];
  return tag === 'fail-start' || tag === 'crash' || tag === 'unhealthy' ? tag : 'healthy';
}

export interface ScriptedAgentOptions {
  cluster: string;
  ec2InstanceId: string;
  zone?: string;
  memory?: number;
  /** Known identity: re-register as the same instance (an agent restart). */
  instanceId?: string;
  healthDelayMs?: number;
  crashAfterMs?: number;
  /** SIGTERM to exit: how long a stop takes. */
  stopDelayMs?: number;
}

interface Run {
  assignment: TaskAssignment;
  status: 'PENDING' | 'RUNNING' | 'STOPPED';
  health: HealthStatus;
  stopCode?: TaskStopCode;
  exitCode?: number;
  startedAt?: number;
  timers: NodeJS.Timeout[];
}

/**
 * A simulated agent over the real gRPC protocol and mTLS, without Docker,
 * whose tasks behave as their image says: good revisions and bad ones, for
 * deployment tests. Heartbeats like the real agent; `close()` is a crash.
 */
export class ScriptedAgent {
  readonly fake: FakeAgent;
  readonly runs = new Map<string, Run>();
  private heartbeat: NodeJS.Timeout | undefined;
  private stream: grpc.ClientReadableStream<SessionMessage> | undefined;
  private periodMs = 3000;
  private closed = false;

  constructor(address: string, private readonly opts: ScriptedAgentOptions) {
    this.fake = new FakeAgent(address);
  }

  get instanceId(): string {
    return this.fake.instanceId;
  }

  async start(): Promise<void> {
    await this.fake.register({
      cluster: this.opts.cluster,
      instance_id: this.opts.instanceId ?? '',
      ec2_instance_id: this.opts.ec2InstanceId,
      resources: { cpu: 4096, memory: this.opts.memory ?? 8192, ports: [22], ports_udp: [] },
      attributes: [{ name: 'ecs.availability-zone', value: this.opts.zone ?? 'zone-a' }],
    });
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.fake.instanceId);
    this.stream = this.fake.client['Session']!({ instance_id: this.fake.instanceId }, md) as grpc.ClientReadableStream<SessionMessage>;
    this.stream.on('data', (m: SessionMessage) => this.onMessage(m));
    this.stream.on('error', () => undefined);
    this.armHeartbeat();
  }

  private armHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.fake.sessionId) this.fake.heartbeat().catch(() => undefined);
    }, Math.max(50, this.periodMs / 3));
  }

  private onMessage(m: SessionMessage): void {
    this.fake.sessionId = m.session_id;
    if (m.heartbeat_period_ms && m.heartbeat_period_ms !== this.periodMs) {
      this.periodMs = m.heartbeat_period_ms;
      this.armHeartbeat();
    }
    const wanted = new Set<string>();
    for (const w of m.assignments) {
      const a = fromWireAssignment(w);
      wanted.add(a.taskArn);
      const run = this.runs.get(a.taskArn);
      if (!run) this.launch(a);
      else if (a.desiredStatus === 'STOPPED' && run.status !== 'STOPPED') this.stop(run, 143);
    }
    const gone = m.type === 'COMPLETE' ? [...this.runs.keys()].filter((arn) => !wanted.has(arn)) : m.removed;
    for (const arn of gone) {
      const run = this.runs.get(arn);
      if (run && run.status !== 'STOPPED') this.stop(run, 137, true);
    }
  }

  private launch(a: TaskAssignment): void {
    const run: Run = { assignment: a, status: 'PENDING', health: 'UNKNOWN', timers: [] };
    this.runs.set(a.taskArn, run);
    if (a.desiredStatus === 'STOPPED') return this.finish(run, 'STOPPED');
    const b = behaviourOf(a);
    if (b === 'fail-start') {
      run.stopCode = 'TaskFailedToStart';
      return this.finish(run, 'STOPPED');
    }
    run.status = 'RUNNING';
    run.startedAt = Date.now();
    this.report(run);
    const checked = a.containers.some((c) => c.essential !== false && c.healthCheck);
    if (b === 'crash') {
      run.timers.push(setTimeout(() => {
        run.stopCode = 'EssentialContainerExited';
        run.exitCode = 1;
        this.finish(run, 'STOPPED');
      }, this.opts.crashAfterMs ?? 100));
    } else if (checked) {
      run.timers.push(setTimeout(() => {
        run.health = b === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY';
        this.report(run);
      }, this.opts.healthDelayMs ?? 100));
    }
  }

  private stop(run: Run, exitCode: number, silently = false): void {
    run.timers.forEach(clearTimeout);
    run.timers = [];
    const t = setTimeout(() => {
      run.exitCode = exitCode;
      if (silently) run.status = 'STOPPED';
      else this.finish(run, 'STOPPED');
    }, this.opts.stopDelayMs ?? 20);
    run.timers.push(t);
  }

  private finish(run: Run, status: 'STOPPED'): void {
    run.timers.forEach(clearTimeout);
    run.timers = [];
    run.status = status;
    this.report(run);
  }

  private report(run: Run): void {
    if (this.closed) return;
    const now = Date.now();
    const stopped = run.status === 'STOPPED';
    const r: TaskReport = {
      taskArn: run.assignment.taskArn,
      lastStatus: run.status,
      containers: run.assignment.containers.map((c) => ({
        name: c.name,
        status: run.status === 'PENDING' ? 'NONE' : run.status,
        runtimeId: `scripted-${c.name}`,
        ...(stopped ? { exitCode: run.exitCode ?? 0 } : {}),
        networkBindings: [],
        healthStatus: c.healthCheck ? run.health : 'UNKNOWN',
      })),
      pullStartedAt: now,
      pullStoppedAt: now,
      ...(run.startedAt ? { startedAt: run.startedAt } : {}),
      ...(stopped ? { executionStoppedAt: now, stoppedAt: now } : {}),
    };
    if (run.stopCode) r.stopCode = run.stopCode;
    if (run.stopCode === 'EssentialContainerExited') r.stoppedReason = 'Essential container in task exited';
    const u = toWireTaskStatus(r);
    this.fake.update([u]).catch(() => undefined);
  }

  /** Task ARNs running here now (not told to stop). */
  running(): string[] {
    return [...this.runs].filter(([, r]) => r.status === 'RUNNING').map(([arn]) => arn);
  }

  /** The agent process dies: no heartbeats, no reports; its tasks' containers stay. */
  close(): void {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const r of this.runs.values()) r.timers.forEach(clearTimeout);
    this.stream?.cancel();
    this.fake.close();
  }
}
