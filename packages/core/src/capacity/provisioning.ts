import { StevedoreError } from '../errors';
import type { PlacementConstraint, PlacementStrategy } from '../model/service';
import type { Candidate, CandidateTask } from '../placement/filters';
import { computePlacements, explainPlacement } from '../placement/pipeline';
import type { TaskRequirement } from '../placement/resources';
import type { Random } from '../placement/strategies';

/**
 * ECS's quota of tasks in PROVISIONING per cluster (Service Quotas: "Tasks
 * in the PROVISIONING state per cluster", 500). Past it RunTask is refused
 * and a service waits with its missing tasks uncreated.
 */
export const PROVISIONING_TASKS_PER_CLUSTER = 500;

/** RunTask's refusal past the quota: ECS answers a ClientException. */
export function checkProvisioningQuota(cluster: string, inProvisioning: number, adding: number, limit = PROVISIONING_TASKS_PER_CLUSTER): void {
  if (adding > 0 && inProvisioning + adding > limit) {
    throw new StevedoreError(
      'ClientException',
      `The cluster ${cluster} has reached its limit of ${limit} tasks in the PROVISIONING state (${inProvisioning} waiting for capacity). Wait for capacity providers to scale, or stop tasks, and try again.`,
    );
  }
}

/** A task waiting in PROVISIONING, as the placer sees it. */
export interface ProvisioningTask {
  id: string;
  group: string;
  requirement: TaskRequirement;
  /** The provider its strategy gave it: it runs on that provider's hosts only. */
  capacityProviderName: string;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  createdAt: number;
}

/** An instance of the cluster, with the capacity provider whose host group it belongs to (if any). */
export interface ProviderCandidate extends Candidate {
  capacityProviderName?: string;
}

export interface ProvisioningInput {
  tasks: readonly ProvisioningTask[];
  instances: readonly ProviderCandidate[];
  /** Providers that can still add a host (managed scaling on, group below its maximum or still launching). */
  growing: ReadonlySet<string>;
  random: Random;
}

export interface ProvisioningDecision {
  place: { taskId: string; instanceId: string }[];
  /** Tasks whose provider cannot add a host and none of whose hosts takes them: ECS's placement failure. */
  fail: { taskId: string; reason: string; explanation: string }[];
  /** Still waiting for their provider to add a host. */
  waiting: number;
}

/**
 * Places tasks waiting in PROVISIONING on their capacity provider's hosts,
 * oldest first (ties in the order given), each placement taking its resources before the next task is
 * looked at. Level-triggered: it reads only the waiting tasks and the
 * instances, so running it again (after a restart, or twice) decides the
 * same. A task that fits nowhere waits while its provider can grow; once it
 * cannot, the task fails with the placement explanation ECS gives.
 */
export function placeProvisioningTasks(input: ProvisioningInput): ProvisioningDecision {
  const out: ProvisioningDecision = { place: [], fail: [], waiting: 0 };
  // Working copies: placements consume resources without touching the caller's snapshot.
  const pool = input.instances.map((c) => ({
    ...c,
    remaining: { ...c.remaining, ports: [...c.remaining.ports], portsUdp: [...c.remaining.portsUdp] },
    groups: new Map(c.groups ?? countGroups(c.tasks ?? [])),
    runningTasksCount: c.runningTasksCount ?? (c.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING').length,
  }));
  const byId = new Map(pool.map((c) => [c.instance.id, c]));
  // Stable: tasks created together (one RunTask) keep the caller's order (the store's insertion order).
  const ordered = [...input.tasks].sort((a, b) => a.createdAt - b.createdAt);
  for (const t of ordered) {
    const mine = pool.filter((c) => c.capacityProviderName === t.capacityProviderName);
    const r = computePlacements(mine, t.requirement, 1, input.random, { group: t.group, constraints: t.placementConstraints, strategies: t.placementStrategy });
    const instanceId = r.placements[0];
    if (instanceId !== undefined) {
      const c = byId.get(instanceId)!;
      c.remaining.cpu -= t.requirement.cpu;
      c.remaining.memory -= t.requirement.memory;
      for (const p of t.requirement.hostPorts) (p.protocol === 'udp' ? c.remaining.portsUdp : c.remaining.ports).push(p.port);
      c.groups.set(t.group, (c.groups.get(t.group) ?? 0) + 1);
      out.place.push({ taskId: t.id, instanceId });
    } else if (input.growing.has(t.capacityProviderName)) {
      out.waiting++;
    } else {
      const explanation = explainPlacement(r.metrics);
      out.fail.push({ taskId: t.id, reason: provisioningFailureReason(t.capacityProviderName, explanation), explanation });
    }
  }
  return out;
}

function countGroups(tasks: readonly CandidateTask[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) if (t.lastStatus !== 'STOPPED' && t.desiredStatus === 'RUNNING') out.set(t.group, (out.get(t.group) ?? 0) + 1);
  return out;
}

/**
 * The stoppedReason of a task that waited for capacity in vain: ECS's
 * placement explanation, capitalised as a stoppedReason, naming the provider
 * that could not add a host.
 */
export function provisioningFailureReason(provider: string, explanation: string): string {
  const text = explanation.charAt(0).toUpperCase() + explanation.slice(1);
  return `${text} Capacity provider ${provider} cannot add a host.`;
}
