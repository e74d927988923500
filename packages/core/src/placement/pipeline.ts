import type { PlacementConstraint, PlacementStrategy } from '../model/service';
import { DEFAULT_RUN_TASK_STRATEGY } from '../model/service';
import { BestFirst } from './best-first';
import { buildFilters, firstFailing, toPoolEntry, writableRemaining, type Candidate, type PlacementFailureReason, type PlacementFilter, type PoolEntry } from './filters';
import type { TaskRequirement } from './resources';
import { lexLess, StrategyScorer, type Random } from './strategies';


/**
 * Placement, as ECS describes it and Nomad structures it: binding filters
 * (status, agent, resources, ports, then constraints), then best-effort
 * strategies as scorers. Pure: the caller passes the snapshot and a seeded
 * random source, and gets decisions plus the metrics that explain a
 * non-placement.
 */
export interface PlacementOptions {
  /** Task group of the tasks being placed (distinctInstance, spread). */
  group?: string;
  /** Already validated; memberOf expressions are parsed here. */
  constraints?: PlacementConstraint[];
  /** Default: random (RunTask). */
  strategies?: PlacementStrategy[];
}

export interface PlacementMetrics {
  evaluated: number;
  /** Instances rejected per filter key (first failing filter only). */
  filtered: Record<string, number>;
  /** Words for each key in `filtered`. */
  describe?: Record<string, string>;
  /** The instance that passed the most filters, and the filter that stopped it. */
  closest?: { instanceId: string; filter: Pick<PlacementFilter, 'key' | 'explain'> };
}

export interface PlacementResult {
  /** Instance ids, one per placed task, in order. */
  placements: string[];
  /** Per instance, why it was unusable for the first unplaced task (ECS failures[]). */
  failures: { instanceId: string; reason: PlacementFailureReason }[];
  metrics: PlacementMetrics;
  unplaced: number;
}

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


/** Builds the working pool: entries copy a candidate's resources only when they take a task (`writableRemaining`). */
export function buildPool(candidates: Candidate[], group: string, random: Random): PoolEntry[] {
  return candidates.map((c) => toPoolEntry(c, group, random()));
}

/** Records one more task of `group` on `e` (resources, ports, groups). */
export function consume(e: PoolEntry, req: TaskRequirement, group: string, scorer: StrategyScorer): void {
  scorer.adjust(e, 1, req);
  const r = writableRemaining(e);
  for (const p of req.hostPorts) (p.protocol === 'udp' ? r.portsUdp : r.ports).push(p.port);
  // Copied, not mutated: the map may be the snapshot's own.
  e.groups = new Map(e.groups).set(group, (e.groups.get(group) ?? 0) + 1);
}

/**
 * Places `count` copies of a task. Each placement consumes resources in the
 * working pool so later copies see what earlier ones took.
 */
export function computePlacements(candidates: Candidate[], req: TaskRequirement, count: number, random: Random, opts: PlacementOptions = {}): PlacementResult {
  const group = opts.group ?? '';
  const pool = buildPool(candidates, group, random);
  const filters = buildFilters(opts.constraints ?? []);
  const scorer = new StrategyScorer(opts.strategies && opts.strategies.length > 0 ? opts.strategies : DEFAULT_RUN_TASK_STRATEGY, pool, random);
  return placeInPool(pool, filters, scorer, req, count, group);
}

/**
 * The placement loop over an existing pool (the reconciler keeps one pool per
 * tick). Each task goes to the entry with the lowest strategy key among those
 * passing the filters, the first in pool order among equal keys. Without a
 * `random` strategy the best entry is kept incrementally (BestFirst: the same
 * choices, O(instances) per batch); with one, every entry is scanned for every
 * task, as the seeded draws require.
 */
export function placeInPool(pool: PoolEntry[], filters: PlacementFilter[], scorer: StrategyScorer, req: TaskRequirement, count: number, group: string): PlacementResult {
  if (scorer.drawsRandom) return placeByScan(pool, filters, scorer, req, count, group);
  const placements: string[] = [];
  const index = count > 0 ? new BestFirst(pool, filters, scorer, req) : undefined;
  for (let n = 0; n < count; n++) {
    const i = index!.best();
    if (i < 0) return unplacedResult(pool, filters, req, placements, count - n);
    const best = pool[i]!;
    consume(best, req, group, scorer);
    index!.chosenChanged();
    placements.push(best.instance.id);
  }
  return { placements, failures: [], metrics: { evaluated: pool.length, filtered: {} }, unplaced: 0 };
}

/** placeInPool by scanning every entry for every task: the path for `random`, whose draws follow the scan. */
export function placeByScan(pool: PoolEntry[], filters: PlacementFilter[], scorer: StrategyScorer, req: TaskRequirement, count: number, group: string): PlacementResult {
  const placements: string[] = [];
  // Two scratch keys swapped as the best changes: no allocation per instance compared.
  let key: number[] = [];
  let bestKey: number[] = [];
  for (let n = 0; n < count; n++) {
    let best: PoolEntry | undefined;
    for (const e of pool) {
      if (firstFailing(filters, e, req) >= 0) continue;
      scorer.placeKeyInto(e, req, key);
      if (!best || lexLess(key, bestKey)) {
        best = e;
        [key, bestKey] = [bestKey, key];
      }
    }
    if (!best) return unplacedResult(pool, filters, req, placements, count - n);
    consume(best, req, group, scorer);
    placements.push(best.instance.id);
  }
  return { placements, failures: [], metrics: { evaluated: pool.length, filtered: {} }, unplaced: 0 };
}

function unplacedResult(pool: PoolEntry[], filters: PlacementFilter[], req: TaskRequirement, placements: string[], unplaced: number): PlacementResult {
  const why = explainPool(pool, filters, req);
  return { placements, failures: why.failures, metrics: why.metrics, unplaced };
}

/** Why no instance of the pool takes the task: counts per first failing filter, and the closest one. */
export function explainPool(pool: PoolEntry[], filters: PlacementFilter[], req: TaskRequirement): { metrics: PlacementMetrics; failures: PlacementResult['failures'] } {
  const metrics: PlacementMetrics = { evaluated: pool.length, filtered: {}, describe: {} };
  const failures: PlacementResult['failures'] = [];
  let bestPassed = -1;
  for (const e of pool) {
    const i = firstFailing(filters, e, req);
    if (i < 0) continue;
    const f = filters[i]!;
    metrics.filtered[f.key] = (metrics.filtered[f.key] ?? 0) + 1;
    metrics.describe![f.key] = f.describe;
    failures.push({ instanceId: e.instance.id, reason: f.reason });
    if (i > bestPassed) {
      bestPassed = i;
      metrics.closest = { instanceId: e.instance.id, filter: { key: f.key, explain: f.explain } };
    }
  }
  return { metrics, failures };
}

/**
 * ECS-worded explanation plus per-reason counts, for service events and
 * RunTask failures: "unable to place a task because no container instance met
 * all of its requirements. The closest matching container-instance X has
 * insufficient memory available. (3 instances: insufficient CPU units; ...)".
 */
export function explainPlacement(metrics: PlacementMetrics): string {
  const parts = ['unable to place a task because no container instance met all of its requirements.'];
  if (metrics.evaluated === 0) parts.push('Reason: No Container Instances were found in your cluster.');
  if (metrics.closest) parts.push(metrics.closest.filter.explain(metrics.closest.instanceId));
  const counts = Object.entries(metrics.filtered).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key, n]) => `${n} instance${n === 1 ? '' : 's'}: ${metrics.describe?.[key] ?? key}`);
  if (counts.length > 0) parts.push(`(${counts.join('; ')})`);
  return parts.join(' ');
}
