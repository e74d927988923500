import { fromWireLoadBalancerStatus, fromWireTargetHealth, type UpdateTargetHealthRequest } from '@stevedore/proto';
import type { LoadBalancerHostSet, TargetHealthObservation } from '@stevedore/core';
import type { Store } from '../store/store';
import type { LoadBalancerHostStatus } from '../store/targets-repo';

/**
 * Applies one load-balancer host's complete UpdateTargetHealth report in one
 * transaction. The reporter is the authenticated instance and the time is
 * the control plane's; entries with states the contract does not know are
 * dropped rather than failing the whole report, and so are entries about
 * load balancers and targets the reporter does not run (`hosted`, its own
 * host set): one host cannot vouch for, or fail, targets it does not check.
 */
export function applyTargetHealthReport(store: Store, instanceId: string, req: UpdateTargetHealthRequest, hosted: LoadBalancerHostSet): { targets: number; dropped: number } {
  const now = store.clock.now();
  const lbs = new Set(hosted.loadBalancers.map((lb) => lb.arn));
  const targetKeys = new Set(hosted.loadBalancers.flatMap((lb) => lb.targetGroups.flatMap((tg) => tg.targets.map((t) => `${tg.arn}\u0000${t.id}\u0000${t.port}`))));
  const observations: TargetHealthObservation[] = [];
  let dropped = 0;
  for (const w of req.targets ?? []) {
    const o = fromWireTargetHealth(w, instanceId, now);
    if (o && targetKeys.has(`${o.targetGroupArn}\u0000${o.id}\u0000${o.port}`)) observations.push(o);
    else dropped++;
  }
  const statuses: LoadBalancerHostStatus[] = [];
  for (const w of req.load_balancers ?? []) {
    const s = fromWireLoadBalancerStatus(w);
    if (s && lbs.has(s.loadBalancerArn)) statuses.push({ ...s, instanceId, updatedAt: now });
    else dropped++;
  }
  store.tx(() => {
    store.targets.replaceHealth(instanceId, observations);
    store.targets.putStatuses(instanceId, statuses);
  });
  return { targets: observations.length, dropped };
}
