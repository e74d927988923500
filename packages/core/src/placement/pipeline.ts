import type { ContainerInstance, InstanceResources } from '../model/container-instance';
import type { TaskRequirement } from './resources';

/**
 * Placement, Nomad style: feasibility filters (binding, cheapest first), then
 * a ranking strategy (best effort). Pure: the caller passes the snapshot and a
 * seeded random source, and gets decisions plus the metrics that explain a
 * non-placement.
 */
export interface Candidate {
  instance: ContainerInstance;
  remaining: InstanceResources;
}

/** ECS failure reasons of RunTask/StartTask `failures[].reason`. */
export type PlacementFailureReason = 'AGENT' | 'INACTIVE' | 'RESOURCE:CPU' | 'RESOURCE:MEMORY' | 'RESOURCE:PORTS' | 'RESOURCE:PORTS_UDP' | 'ATTRIBUTE';

export interface PlacementFilter {
  name: string;
  reason: PlacementFailureReason;
  /** ECS's "The closest matching container-instance X ..." wording. */
  explain: (instanceId: string) => string;
  check(c: Candidate, req: TaskRequirement): boolean;
}

export const FILTERS: PlacementFilter[] = [
  {
    name: 'status',
    reason: 'INACTIVE',
    explain: (id) => `The closest matching container-instance ${id} is not ACTIVE.`,
    check: (c) => c.instance.status === 'ACTIVE',
  },
  {
    name: 'agent',
    reason: 'AGENT',
    explain: (id) => `The closest matching container-instance ${id} encountered error "AGENT".`,
    check: (c) => c.instance.agentConnected,
  },
  {
    name: 'cpu',
    reason: 'RESOURCE:CPU',
    explain: (id) => `The closest matching container-instance ${id} has insufficient CPU units available.`,
    check: (c, req) => c.remaining.cpu >= req.cpu,
  },
  {
    name: 'memory',
    reason: 'RESOURCE:MEMORY',
    explain: (id) => `The closest matching container-instance ${id} has insufficient memory available.`,
    check: (c, req) => c.remaining.memory >= req.memory,
  },
  {
    name: 'ports',
    reason: 'RESOURCE:PORTS',
    explain: (id) => `The closest matching container-instance ${id} is already using a port required by your task.`,
    check: (c, req) => req.hostPorts.every((p) => p.protocol !== 'tcp' || !c.remaining.ports.includes(p.port)),
  },
  {
    name: 'ports-udp',
    reason: 'RESOURCE:PORTS_UDP',
    explain: (id) => `The closest matching container-instance ${id} is already using a port required by your task.`,
    check: (c, req) => req.hostPorts.every((p) => p.protocol !== 'udp' || !c.remaining.portsUdp.includes(p.port)),
  },
];

export interface PlacementMetrics {
  evaluated: number;
  /** Instances rejected per filter reason (first failing filter only). */
  filtered: Partial<Record<PlacementFailureReason, number>>;
  /** The instance that passed the most filters, and the filter that stopped it. */
  closest?: { instanceId: string; filter: PlacementFilter };
}

export interface PlacementResult {
  /** Instance ids, one per placed task, in order. */
  placements: string[];
  /** Per instance, why it was unusable for the first unplaced task (ECS failures[]). */
  failures: { instanceId: string; reason: PlacementFailureReason }[];
  metrics: PlacementMetrics;
  unplaced: number;
}

export type Random = () => number;

/** Deterministic PRNG (mulberry32) so a logged seed reproduces a placement. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function evaluate(c: Candidate, req: TaskRequirement): { passed: number; failed?: PlacementFilter } {
  for (let i = 0; i < FILTERS.length; i++) {
    const f = FILTERS[i]!;
    if (!f.check(c, req)) return { passed: i, failed: f };
  }
  return { passed: FILTERS.length };
}

/**
 * Places `count` copies of a task. Each placement consumes resources on a copy
 * of the snapshot so later copies see what earlier ones took. RunTask's
 * default strategy is random among feasible instances.
 */
export function computePlacements(candidates: Candidate[], req: TaskRequirement, count: number, random: Random): PlacementResult {
  const pool = candidates.map((c) => ({ instance: c.instance, remaining: { ...c.remaining, ports: [...c.remaining.ports], portsUdp: [...c.remaining.portsUdp] } }));
  const placements: string[] = [];
  let failures: PlacementResult['failures'] = [];
  let metrics: PlacementMetrics = { evaluated: 0, filtered: {} };
  for (let n = 0; n < count; n++) {
    const feasible: Candidate[] = [];
    metrics = { evaluated: pool.length, filtered: {} };
    failures = [];
    let best = -1;
    for (const c of pool) {
      const v = evaluate(c, req);
      if (!v.failed) {
        feasible.push(c);
        continue;
      }
      metrics.filtered[v.failed.reason] = (metrics.filtered[v.failed.reason] ?? 0) + 1;
      failures.push({ instanceId: c.instance.id, reason: v.failed.reason });
      if (v.passed > best) {
        best = v.passed;
        metrics.closest = { instanceId: c.instance.id, filter: v.failed };
      }
    }
    if (feasible.length === 0) {
      return { placements, failures, metrics, unplaced: count - n };
    }
    const chosen = feasible[Math.floor(random() * feasible.length)]!;
    chosen.remaining.cpu -= req.cpu;
    chosen.remaining.memory -= req.memory;
    for (const p of req.hostPorts) (p.protocol === 'udp' ? chosen.remaining.portsUdp : chosen.remaining.ports).push(p.port);
    placements.push(chosen.instance.id);
  }
  return { placements, failures: [], metrics, unplaced: 0 };
}

/** ECS-worded explanation plus per-reason counts, for events and errors. */
export function explainPlacement(metrics: PlacementMetrics): string {
  const parts = ['unable to place a task because no container instance met all of its requirements.'];
  if (metrics.closest) parts.push(metrics.closest.filter.explain(metrics.closest.instanceId));
  const counts = Object.entries(metrics.filtered).map(([reason, n]) => `${n} instance${n === 1 ? '' : 's'}: ${reason}`);
  if (counts.length > 0) parts.push(`(${counts.join('; ')})`);
  return parts.join(' ');
}
