import type { ContainerInstance } from '../model/container-instance';
import { disconnectedSince, type ReconcileInput } from './service-view';
import { instanceIndexOf } from './instance-index';

/**
 * When a container instance whose agent went away counts as lost, so that its
 * service tasks are replaced elsewhere (ECS never does; Stevedore does after a
 * grace period, docs/design/scheduler.md). Two guards keep a problem of the
 * control plane from being taken for a fleet of dead hosts:
 *
 * - The grace never counts from before `watchingSince`: the control plane's
 *   start, or the end of the cluster's last partition. An agent gets a full
 *   grace to reconnect from the moment there is someone to reconnect to, however
 *   long the control plane itself was down.
 * - While more than half of a cluster's registered instances are disconnected at
 *   once, none is declared lost. Hosts fail one by one; a majority vanishing
 *   together points at the control plane's own network, and replacing then
 *   would stop healthy tasks everywhere, with no good place for the
 *   replacements anyway (one host of one: there is nowhere else at all).
 */
export interface LivenessPolicy {
  /** Disconnected this long (after `watchingSince`): lost. */
  graceMs: number;
  /** The control plane could hear from agents since then. Absent: for longer than any grace. */
  watchingSince?: number;
}

export interface InstanceLiveness {
  /** Instances declared lost now: their service tasks are replaced. */
  lost: ReadonlySet<string>;
  /** More than half of the registered (not INACTIVE) instances are disconnected. */
  partitioned: boolean;
  /** Past their grace but not declared lost, because the cluster is partitioned. */
  withheld: string[];
  disconnected: number;
  registered: number;
  /** The earliest future end of a grace: the verdict can change then without any store change. */
  nextWakeAt?: number;
}

/** When the instance's grace ends, or undefined while its agent is connected. */
export function graceEndsAt(i: ContainerInstance, policy: LivenessPolicy): number | undefined {
  const since = disconnectedSince(i);
  if (since === undefined) return undefined;
  return Math.max(since, policy.watchingSince ?? -Infinity) + policy.graceMs;
}

/**
 * What liveness is judged from: how many instances are registered and which
 * of them are disconnected. It changes only when an instance does (registers,
 * connects, disconnects, deregisters), so a caller that knows when that
 * happens keeps one (instance-index.ts) and judges each service's pass in
 * O(disconnected), not O(instances).
 */
export interface InstanceCensus {
  /** Not INACTIVE. */
  registered: number;
  /** Not INACTIVE, agent disconnected. */
  disconnected: readonly ContainerInstance[];
}

export function censusOf(instances: Iterable<ContainerInstance>): InstanceCensus {
  let registered = 0;
  const disconnected: ContainerInstance[] = [];
  for (const i of instances) {
    if (i.status === 'INACTIVE') continue;
    registered++;
    if (!i.agentConnected) disconnected.push(i);
  }
  return { registered, disconnected };
}

/** The verdict on every instance of one cluster at `now`. Pure. */
export function judgeInstances(instances: readonly ContainerInstance[], now: number, policy: LivenessPolicy): InstanceLiveness {
  return judgeCensus(censusOf(instances), now, policy);
}

/** The same verdict from a census. */
export function judgeCensus(census: InstanceCensus, now: number, policy: LivenessPolicy): InstanceLiveness {
  const { registered, disconnected } = census;
  const partitioned = disconnected.length * 2 > registered;
  const lost = new Set<string>();
  const withheld: string[] = [];
  let nextWakeAt: number | undefined;
  for (const i of disconnected) {
    const ends = graceEndsAt(i, policy)!;
    if (ends > now) nextWakeAt = Math.min(nextWakeAt ?? Infinity, ends);
    else if (partitioned) withheld.push(i.id);
    else lost.add(i.id);
  }
  const out: InstanceLiveness = { lost, partitioned, withheld, disconnected: disconnected.length, registered };
  if (nextWakeAt !== undefined) out.nextWakeAt = nextWakeAt;
  return out;
}

/** Lost: deregistered (INACTIVE), unknown, or declared lost by the verdict. */
export function isLostIn(liveness: InstanceLiveness, i: ContainerInstance | undefined): boolean {
  return !i || i.status === 'INACTIVE' || liveness.lost.has(i.id);
}

const verdicts = new WeakMap<ReconcileInput, InstanceLiveness>();

/** The verdict for a reconcile input, judged once per input (every task of the service asks). */
export function livenessOf(input: ReconcileInput): InstanceLiveness {
  let v = verdicts.get(input);
  if (!v) {
    const policy: LivenessPolicy = { graceMs: input.instanceLostGraceMs };
    if (input.watchingSince !== undefined) policy.watchingSince = input.watchingSince;
    v = judgeCensus(instanceIndexOf(input).census, input.now, policy);
    verdicts.set(input, v);
  }
  return v;
}
