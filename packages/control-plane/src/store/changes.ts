import { EventEmitter } from 'node:events';

/**
 * Change events, emitted only after the transaction that made the change has
 * committed. Roles treat them as hints ("something about X changed") and
 * re-read state from the store: they are level-triggered, never trust payloads.
 */
export type Change =
  | { kind: 'cluster'; cluster: string }
  | { kind: 'task-definition'; family: string }
  | { kind: 'instance'; cluster: string; instanceId: string }
  | { kind: 'task'; cluster: string; taskId: string; instanceId?: string; group?: string }
  | { kind: 'service'; cluster: string; service: string }
  /** Load balancers, listeners, rules, target groups or targets changed: host configurations may differ. */
  | { kind: 'load-balancer-config' }
  /** A load-balancer host reported a target health state change. */
  | { kind: 'target-health' };

export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  on(listener: (c: Change) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
  emit(changes: Change[]): void {
    for (const c of changes) this.emitter.emit('change', c);
  }
}
