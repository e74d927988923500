/**
 * Change events, emitted only after the transaction that made the change has
 * committed. Roles treat them as hints ("something about X changed") and
 * re-read state from the store: they are level-triggered, never trust payloads.
 */
export type Change =
  | { kind: 'cluster'; cluster: string }
  | { kind: 'task-definition'; family: string }
  | { kind: 'instance'; cluster: string; instanceId: string }
  | {
      kind: 'task';
      cluster: string;
      taskId: string;
      instanceId?: string;
      group?: string;
      /**
       * Set by an agent's report that changed nothing its agent is sent (the
       * assignment version, whether the task is in the set, whether its stop
       * can be held): the dispatcher does not look again for it. About a fifth
       * of all task writes at scale.
       */
      agentViewUnchanged?: true;
    }
  | { kind: 'service'; cluster: string; service: string }
  /** Load balancers, listeners, rules, target groups or targets changed: host configurations may differ. */
  | { kind: 'load-balancer-config' }
  /** A load-balancer host reported a target health state change. */
  | { kind: 'target-health' }
  /** Datapoints of this namespace were written (wakes the alarm evaluator). */
  | { kind: 'metric-data'; namespace: string }
  /** An alarm was created, changed or deleted (PutMetricAlarm, DeleteAlarms, Enable/DisableAlarmActions). */
  | { kind: 'alarm'; alarmName: string }
  /**
   * An alarm's state changed (OK, ALARM, INSUFFICIENT_DATA), by evaluation or
   * SetAlarmState: the autoscaling role's trigger (docs/design/metrics.md, "alarm-state contract").
   */
  | { kind: 'alarm-state'; alarmName: string }
  /** A scalable target, its policies or scheduled actions changed (Application Auto Scaling). */
  | { kind: 'scalable-target'; resourceId: string }
  /** A host group, one of its hosts or its desired capacity changed. */
  | { kind: 'host-group'; cluster: string; group: string }
  | { kind: 'capacity-provider'; provider: string }
  /** A schedule (EventBridge Scheduler) was created, changed or deleted: the schedule runner looks again. */
  | { kind: 'schedule'; group: string; name: string };

/** What to do with an error a listener threw (the control plane logs it). */
export type ListenerErrorHandler = (err: unknown, change: Change) => void;

/**
 * Listeners run after commit, one by one, each isolated: a listener that
 * throws is reported to `onListenerError` and the others still get the
 * change. The write that emitted it has committed and must not look failed
 * to its caller (an API client would retry a RunTask that did happen).
 */
export class ChangeFeed {
  private readonly listeners = new Set<(c: Change) => void>();

  constructor(private readonly onListenerError: ListenerErrorHandler = reportToStderr) {}

  on(listener: (c: Change) => void): () => void {
    // Wrapped, so the same function subscribed twice gets every change twice, as with an EventEmitter.
    const entry = (c: Change) => listener(c);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  emit(changes: Change[]): void {
    for (const c of changes) {
      for (const l of [...this.listeners]) {
        try {
          const r = l(c) as unknown;
          // An async listener's rejection is its own failure too, not the process's.
          if (r instanceof Promise) r.catch((err: unknown) => this.report(err, c));
        } catch (err) {
          this.report(err, c);
        }
      }
    }
  }

  private report(err: unknown, c: Change): void {
    try {
      this.onListenerError(err, c);
    } catch {
      // A failing error handler must not undo the isolation either.
    }
  }
}

function reportToStderr(err: unknown, change: Change): void {
  process.stderr.write(`stevedore: change listener failed on ${JSON.stringify(change)}: ${(err as Error)?.stack ?? String(err)}\n`);
}
