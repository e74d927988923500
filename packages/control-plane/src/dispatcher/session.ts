import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { arns, holdAssignment, type ArnContext, type HoldDecision } from '@stevedore/core';
import { toWireLoadBalancerSet, type WireLoadBalancerSet } from '@stevedore/proto';
import { type ExecRequest, type LogRequest, type SessionMessage, type SessionRequest } from '@stevedore/proto';
import type { Store } from '../store/store';
import { buildAssignment, diffAssignments } from './assignment-set';
import { agentAssignment } from './task-secrets';
import { heldStops } from './stop-holds';
import { hostSetOf } from '../store/load-balancing-view';
import type { PushReads } from './push-reads';
import type { PushScheduler } from './push-scheduler';

/** Debounce of incremental messages: changes within this gap go in one batch. */
export const BATCH_MS = 100;
/** The load balancer host set is looked at again at least this often (placement by attributes can change). */
const LOAD_BALANCER_RESYNC_MS = 30_000;
const NOT_HELD: HoldDecision = { held: false };

/**
 * One agent session: owns the server stream and the view of what the agent
 * has been sent. Every send is a diff between that view and the store, so
 * events only say "look again".
 */
export class AgentSession {
  private seq = 0;
  private readonly sent = new Map<string, number>();
  private pendingLogs: LogRequest[] = [];
  private pendingExec: ExecRequest[] = [];
  private closed = false;
  private lastSentAt = 0;
  private sentLoadBalancers: string | undefined;
  private loadBalancersDirty = true;
  private loadBalancersCheckedAt = 0;
  lastHeartbeatAt: number;

  constructor(
    readonly id: string,
    readonly instanceId: string,
    private readonly call: ServerWritableStream<SessionRequest, SessionMessage>,
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly log: Logger,
    readonly heartbeatPeriodMs: number,
    /** Reads shared by every session's pushes in one turn of the event loop (push-reads.ts). */
    private readonly reads: PushReads,
    /** Flushes the dispatcher's due sessions in bounded slices (push-scheduler.ts). */
    private readonly pushes: PushScheduler<AgentSession>,
  ) {
    this.lastHeartbeatAt = store.clock.now();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * One assignment as this agent gets it, secrets read as the task's
   * execution role. A refused read is an audit line: who (the execution
   * role's session) was refused what (the secret's ARN, never a value).
   */
  private wire(a: Parameters<typeof agentAssignment>[2]): ReturnType<typeof agentAssignment> {
    // Agents older than the typed spec do not set reads_task_spec: they get spec_json (one version).
    const w = agentAssignment(this.store, this.arn, a, { typedSpec: this.call.request?.reads_task_spec === true }, this.reads.cluster(a.cluster));
    if (w.secrets_error && a.executionRoleArn !== undefined && w.secrets_error.includes('AccessDeniedException')) {
      this.log.warn({ audit: true, task: a.taskArn, executionRole: a.executionRoleArn, reason: w.secrets_error }, 'secret read refused to the task execution role');
    }
    return w;
  }

  /** The first message: the whole assignment set, authoritative. */
  sendComplete(): void {
    const current = this.currentSet();
    this.sent.clear();
    this.sentLoadBalancers = undefined;
    this.loadBalancersDirty = true;
    const assignments = [];
    for (const [arnKey, a] of current) {
      this.sent.set(arnKey, a.version);
      assignments.push(this.wire(a));
    }
    this.write('COMPLETE', assignments, [], this.loadBalancerDelta());
    this.log.info({ tasks: assignments.length }, 'sent complete assignment set');
  }

  /**
   * Marks the session dirty. Leading edge: an idle session sends on the next
   * turn (coalescing one transaction's events); a busy one waits until BATCH_MS
   * after its previous send, so bursts go out as one message. The flush itself
   * runs in the push scheduler's next slice, behind the sessions due before it.
   */
  schedule(): void {
    if (this.closed) return;
    this.pushes.mark(this, this.lastSentAt + BATCH_MS);
  }

  /** The load balancer configuration may have changed: recompute this instance's host set on the next flush. */
  scheduleLoadBalancers(): void {
    this.loadBalancersDirty = true;
    this.schedule();
  }

  requestLogs(r: LogRequest): void {
    this.pendingLogs.push(r);
    this.schedule();
  }

  /** Contract 7: an exec session for the agent to open, sent with the next message. */
  requestExec(r: ExecRequest): void {
    this.pendingExec.push(r);
    this.schedule();
  }

  flush(): void {
    if (this.closed) return;
    // Diff on versions first: most flushes (an agent's own reports) change nothing it must be sent.
    const ids = new Map<string, string>();
    const versions = new Map<string, number>();
    for (const r of this.store.tasks.assignmentVersionsOn(this.instanceId)) {
      const arn = arns.task(this.arn, r.cluster, r.id);
      ids.set(arn, r.id);
      versions.set(arn, r.version);
    }
    // A stop held while load balancer targets drain is sent at the version before the stop.
    const held = heldStops(this.store, ids, this.store.clock.now());
    for (const arn of held.keys()) versions.set(arn, versions.get(arn)! - 1);
    const diff = diffAssignments(this.sent, versions);
    const loadBalancers = this.loadBalancerDelta();
    if (diff.changed.length === 0 && diff.removed.length === 0 && this.pendingLogs.length === 0 && this.pendingExec.length === 0 && !loadBalancers) return;
    const assignments = [];
    // The changed tasks in one query, not one each (a commit gives an instance many at once).
    const tasks = new Map(this.store.tasks.getMany(diff.changed.map((k) => ids.get(k)!)).map((t) => [t.id, t]));
    for (const k of diff.changed) {
      const t = tasks.get(ids.get(k)!);
      const td = t && this.reads.taskDefinition(t.family, t.revision);
      if (!t || !td) continue;
      const a = holdAssignment(buildAssignment(this.arn, t, td), held.get(k) ?? NOT_HELD);
      this.sent.set(k, a.version);
      assignments.push(this.wire(a));
    }
    for (const k of diff.removed) this.sent.delete(k);
    this.write('INCREMENTAL', assignments, diff.removed, loadBalancers);
    this.log.debug({ changed: diff.changed.length, removed: diff.removed.length }, 'sent incremental assignments');
  }

  close(reason: string, error?: { code: number; details: string }): void {
    if (this.closed) return;
    this.closed = true;
    this.pushes.cancel(this);
    this.log.info({ reason }, 'session closed');
    try {
      // emit, not destroy: grpc-js sends the status from the stream's 'error' handler.
      if (error) this.call.emit('error', Object.assign(new Error(error.details), error));
      else this.call.end();
    } catch {
      // the stream may already be gone
    }
  }

  private currentSet() {
    const out = new Map<string, ReturnType<typeof buildAssignment>>();
    const tasks = this.store.tasks.assignedTo(this.instanceId);
    const held = heldStops(this.store, new Map(tasks.map((t) => [arns.task(this.arn, t.clusterName, t.id), t.id])), this.store.clock.now());
    for (const t of tasks) {
      const td = this.reads.taskDefinition(t.family, t.revision);
      if (!td) continue;
      const arn = arns.task(this.arn, t.clusterName, t.id);
      out.set(arn, holdAssignment(buildAssignment(this.arn, t, td), held.get(arn) ?? NOT_HELD));
    }
    return out;
  }

  /** The host set when it differs from what the agent has (contract 6), else undefined. */
  private loadBalancerDelta(): WireLoadBalancerSet | undefined {
    const now = Date.now();
    if (!this.loadBalancersDirty && this.sentLoadBalancers !== undefined && now - this.loadBalancersCheckedAt < LOAD_BALANCER_RESYNC_MS) return undefined;
    this.loadBalancersDirty = false;
    this.loadBalancersCheckedAt = now;
    const instance = this.store.instances.get(this.instanceId);
    if (!instance) return undefined;
    const set = hostSetOf(this.store, instance);
    if (set.version === this.sentLoadBalancers) return undefined;
    this.sentLoadBalancers = set.version;
    if (set.loadBalancers.length > 0) this.log.info({ version: set.version, loadBalancers: set.loadBalancers.length }, 'sending load balancer host set');
    return toWireLoadBalancerSet(set);
  }

  private write(type: SessionMessage['type'], assignments: SessionMessage['assignments'], removed: string[], loadBalancers?: WireLoadBalancerSet): void {
    const appliesTo = this.seq;
    this.seq = type === 'COMPLETE' ? 1 : this.seq + 1;
    const msg: SessionMessage = {
      type,
      session_id: this.id,
      applies_to: type === 'COMPLETE' ? 0 : appliesTo,
      results_in: this.seq,
      assignments,
      removed,
      heartbeat_period_ms: this.heartbeatPeriodMs,
      log_requests: this.pendingLogs,
      load_balancers: loadBalancers ?? null,
      exec_requests: this.pendingExec,
    };
    this.pendingLogs = [];
    this.pendingExec = [];
    this.lastSentAt = Date.now();
    this.call.write(msg);
  }
}
