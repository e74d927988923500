import { stopHold, type HoldDecision } from '@stevedore/core';
import type { Store } from '../store/store';

/**
 * Which of an instance's tasks have their stop held while their load
 * balancer targets drain (the decision itself is core's `stopHold`). Only
 * tasks with a drain record can be held, and the table is empty unless
 * services use load balancers, so most calls cost one tiny query.
 */
export function heldStops(store: Store, taskIds: ReadonlyMap<string, string>, now: number): Map<string, HoldDecision> {
  const out = new Map<string, HoldDecision>();
  if (taskIds.size === 0 || !store.targets.anyDrains()) return out;
  const drains = store.targets.drainsOf([...taskIds.values()]);
  if (drains.size === 0) return out;
  for (const [arn, id] of taskIds) {
    const drain = drains.get(id);
    if (!drain) continue;
    const task = store.tasks.get(id);
    if (!task) continue;
    const d = stopHold(task, drain, now);
    if (d.held) out.set(arn, d);
  }
  return out;
}
