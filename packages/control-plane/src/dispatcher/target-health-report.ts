import { fromWireLoadBalancerStatus, fromWireTargetHealth, type UpdateTargetHealthRequest } from '@stevedore/proto';
import type { TargetHealthObservation } from '@stevedore/core';
import type { Store } from '../store/store';
import type { LoadBalancerHostStatus } from '../store/targets-repo';

/**
 * Applies one load-balancer host's complete UpdateTargetHealth report in one
 * transaction. The reporter is the authenticated instance and the time is
 * the control plane's; entries with states the contract does not know are
 * dropped rather than failing the whole report.
 */
export function applyTargetHealthReport(store: Store, instanceId: string, req: UpdateTargetHealthRequest): { targets: number; dropped: number } {
  const now = store.clock.now();
  const observations: TargetHealthObservation[] = [];
  let dropped = 0;
  for (const w of req.targets ?? []) {
    const o = fromWireTargetHealth(w, instanceId, now);
    if (o) observations.push(o);
    else dropped++;
  }
  const statuses: LoadBalancerHostStatus[] = [];
  for (const w of req.load_balancers ?? []) {
    const s = fromWireLoadBalancerStatus(w);
    if (s) statuses.push({ ...s, instanceId, updatedAt: now });
    else dropped++;
  }
  store.tx(() => {
    store.targets.replaceHealth(instanceId, observations);
    store.targets.putStatuses(instanceId, statuses);
  });
  return { targets: observations.length, dropped };
}
