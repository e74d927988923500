import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { arns, type ArnContext } from '@stevedore/core';
import { toWireAssignment, type LogRequest, type SessionMessage, type SessionRequest } from '@stevedore/proto';
import type { Store } from '../store/store';
import { buildAssignment, diffAssignments } from './assignment-set';

/** Debounce of incremental messages: changes within this gap go in one batch. */
export const BATCH_MS = 100;

/**
 * One agent session: owns the server stream and the view of what the agent
 * has been sent. Every send is a diff between that view and the store, so
 * events only say "look again".
 */
export class AgentSession {
  private seq = 0;
  private readonly sent = new Map<string, number>();
  private pendingLogs: LogRequest[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastSentAt = 0;
  lastHeartbeatAt: number;

  constructor(
    readonly id: string,
    readonly instanceId: string,
    private readonly call: ServerWritableStream<SessionRequest, SessionMessage>,
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly log: Logger,
    readonly heartbeatPeriodMs: number,
  ) {
    this.lastHeartbeatAt = store.clock.now();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The first message: the whole assignment set, authoritative. */
  sendComplete(): void {
    const current = this.currentSet();
    this.sent.clear();
    const assignments = [];
    for (const [arnKey, a] of current) {
      this.sent.set(arnKey, a.version);
      assignments.push(toWireAssignment(a));
    }
    this.write('COMPLETE', assignments, []);
    this.log.info({ tasks: assignments.length }, 'sent complete assignment set');
  }

  /**
   * Marks the session dirty. Leading edge: an idle session sends on the next
   * tick (coalescing one transaction's events); a busy one waits until BATCH_MS
   * after its previous send, so bursts go out as one message.
   */
  schedule(): void {
    if (this.closed || this.timer) return;
    const delay = Math.max(0, this.lastSentAt + BATCH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
  }

  requestLogs(r: LogRequest): void {
    this.pendingLogs.push(r);
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
    const diff = diffAssignments(this.sent, versions);
    if (diff.changed.length === 0 && diff.removed.length === 0 && this.pendingLogs.length === 0) return;
    const assignments = [];
    for (const k of diff.changed) {
      const t = this.store.tasks.get(ids.get(k)!);
      const td = t && this.store.taskDefinitions.get(t.family, t.revision);
      if (!t || !td) continue;
      const a = buildAssignment(this.arn, t, td.taskDefinition);
      this.sent.set(k, a.version);
      assignments.push(toWireAssignment(a));
    }
    for (const k of diff.removed) this.sent.delete(k);
    this.write('INCREMENTAL', assignments, diff.removed);
    this.log.debug({ changed: diff.changed.length, removed: diff.removed.length }, 'sent incremental assignments');
  }

  close(reason: string, error?: { code: number; details: string }): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
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
    for (const t of this.store.tasks.assignedTo(this.instanceId)) {
      const td = this.store.taskDefinitions.get(t.family, t.revision);
      if (!td) continue;
      out.set(arns.task(this.arn, t.clusterName, t.id), buildAssignment(this.arn, t, td.taskDefinition));
    }
    return out;
  }

  private write(type: SessionMessage['type'], assignments: SessionMessage['assignments'], removed: string[]): void {
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
    };
    this.pendingLogs = [];
    this.lastSentAt = Date.now();
    this.call.write(msg);
  }
}
