import { censusOf, type InstanceCensus } from './instance-liveness';
import type { InstanceView, ReconcileInput } from './service-view';

/**
 * What every pass over a cluster's services looks up about its instances:
 * each view by id, and the census liveness is judged from. Both depend only
 * on which instances there are and on their status and connection, so the
 * control plane builds one per such change and passes it with every
 * service's input (ReconcileInput.instanceIndex): a pass then costs
 * O(the service's tasks), not O(instances), and a thousand services on a
 * thousand instances do not build a million map entries per resync.
 */
export interface InstanceIndex {
  byId: ReadonlyMap<string, InstanceView>;
  census: InstanceCensus;
}

export function indexInstances(views: readonly InstanceView[]): InstanceIndex {
  const byId = new Map<string, InstanceView>();
  for (const v of views) byId.set(v.instance.id, v);
  return { byId, census: censusOf(views.map((v) => v.instance)) };
}

const built = new WeakMap<ReconcileInput, InstanceIndex>();

/** The input's index: the caller's, or built once per input (tests and one-off callers pass none). */
export function instanceIndexOf(input: ReconcileInput): InstanceIndex {
  if (input.instanceIndex) return input.instanceIndex;
  let i = built.get(input);
  if (!i) built.set(input, (i = indexInstances(input.instances)));
  return i;
}
