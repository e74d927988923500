/**
 * Placement loop alone (issue 15): core's placement over 1,000 instances, the
 * scan of every instance for every task (before) against the incremental
 * selection with copy-on-write pool entries (now), alternated in one run.
 * Prints figures, asserts nothing (beyond both choosing alike).
 *
 *   npm run bench:placement
 *   BENCH_INSTANCES=1000 BENCH_ROUNDS=7 npm run bench:placement
 */
import {
  buildFilters,
  buildPool,
  computePlacements,
  DEFAULT_RUN_TASK_STRATEGY,
  DEFAULT_SERVICE_STRATEGY,
  placeByScan,
  placeInPool,
  seededRandom,
  StrategyScorer,
  type Candidate,
  type ContainerInstance,
  type PlacementResult,
  type PoolEntry,
} from '@stevedore/core';
import { machine, percentile } from './bench-kit';

const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const SERVICES = 200;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const REQ = { cpu: 10, memory: 32, hostPorts: [] };

/** What the cluster state hands the orchestrator in bench:scale: counts per group, ~30 tasks per instance, frozen. */
function cluster(): Candidate[] {
  const r = seededRandom(15);
  return Array.from({ length: INSTANCES }, (_, k) => {
    const instance: ContainerInstance = {
      id: `i-${k}`,
      clusterName: 'bench',
      ec2InstanceId: `host-${k}`,
      hostIp: '127.0.0.2',
      status: 'ACTIVE',
      agentConnected: true,
      registeredResources: { cpu: 8192, memory: 16384, ports: [22, 2375, 2376, 51678, 51679], portsUdp: [] },
      attributes: [{ name: 'ecs.availability-zone', value: ZONES[k % ZONES.length]! }],
      versionInfo: { agentVersion: '1', dockerVersion: '1' },
      registeredAt: 0,
      version: 1,
    };
    const groups = new Map<string, number>();
    for (let t = 0; t < 30; t++) {
      const g = `service:s${Math.floor(r() * SERVICES)}`;
      groups.set(g, (groups.get(g) ?? 0) + 1);
    }
    const remaining = { cpu: 8192 - 300, memory: 16384 - 960, ports: [22, 2375, 2376, 51678, 51679], portsUdp: [] };
    return Object.freeze({ instance: Object.freeze(instance), remaining: Object.freeze(remaining), groups, runningTasksCount: 30 });
  });
}

/** The pool as it was built before (toPoolEntry then, for candidates with counts): every entry with its own copy of the resources. */
function eagerPool(cands: Candidate[], group: string, random: () => number): PoolEntry[] {
  return cands.map((c) => ({
    instance: c.instance,
    remaining: { ...c.remaining, ports: [...c.remaining.ports], portsUdp: [...c.remaining.portsUdp] },
    ownsRemaining: true,
    groupCount: c.groups!.get(group) ?? 0,
    groups: c.groups!,
    runningTasksCount: c.runningTasksCount ?? 0,
    rank: random(),
  }));
}

interface Shape {
  name: string;
  /** Builds what a batch needs before the part timed, when only the loop is timed. */
  prepare?: (seed: number, before: boolean) => unknown;
  /** One batch, the way its caller runs it; returns the choices. */
  before: (seed: number) => PlacementResult;
  now: (seed: number) => PlacementResult;
  tasks: number;
}

function serviceBatch(cands: Candidate[], count: number): Shape {
  const group = 'service:s7';
  const filters = buildFilters([]);
  return {
    name: `service, ${count} tasks, default strategy (spread zone, spread instanceId): pool + scorer + loop`,
    tasks: count,
    before: (seed) => {
      const random = seededRandom(seed);
      const pool = eagerPool(cands, group, random);
      return placeByScan(pool, filters, new StrategyScorer(DEFAULT_SERVICE_STRATEGY, pool, random), REQ, count, group);
    },
    now: (seed) => {
      const random = seededRandom(seed);
      const pool = buildPool(cands, group, random);
      return placeInPool(pool, filters, new StrategyScorer(DEFAULT_SERVICE_STRATEGY, pool, random), REQ, count, group);
    },
  };
}

/** The loop alone: pools and scorers built before the clock starts. */
function serviceLoop(cands: Candidate[], count: number): Shape {
  const group = 'service:s7';
  const filters = buildFilters([]);
  let prepared: { pool: PoolEntry[]; scorer: StrategyScorer }[] = [];
  const prepare = (seed: number, before: boolean) => {
    const random = seededRandom(seed);
    const pool = before ? eagerPool(cands, group, random) : buildPool(cands, group, random);
    return { pool, scorer: new StrategyScorer(DEFAULT_SERVICE_STRATEGY, pool, random) };
  };
  return {
    name: `service, ${count} tasks, default strategy: placement loop alone (placeByScan / placeInPool)`,
    tasks: count,
    prepare: (seed, before) => prepared.push(prepare(seed, before)),
    before: () => {
      const p = prepared.shift()!;
      return placeByScan(p.pool, filters, p.scorer, REQ, count, group);
    },
    now: () => {
      const p = prepared.shift()!;
      return placeInPool(p.pool, filters, p.scorer, REQ, count, group);
    },
  };
}

function runTask(cands: Candidate[]): Shape {
  const group = 'family:bench';
  const filters = buildFilters([]);
  return {
    name: 'RunTask, 1 task, random: pool + scorer + loop',
    tasks: 1,
    before: (seed) => {
      const random = seededRandom(seed);
      const pool = eagerPool(cands, group, random);
      return placeByScan(pool, filters, new StrategyScorer(DEFAULT_RUN_TASK_STRATEGY, pool, random), REQ, 1, group);
    },
    now: (seed) => computePlacements(cands, REQ, 1, seededRandom(seed), { group }),
  };
}

/** µs per batch over `n` batches (different seeds). */
function time(s: Shape, before: boolean, n: number, seed0: number): number {
  const fn = before ? s.before : s.now;
  for (let i = 0; i < n; i++) s.prepare?.(seed0 + i, before);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(seed0 + i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

function main(): void {
  console.log(`placement loop, ${INSTANCES} instances in ${ZONES.length} zones, ${ROUNDS} rounds old/new alternated`);
  console.log(`machine: ${machine()}`);
  const cands = cluster();
  const shapes = [serviceBatch(cands, 30), serviceLoop(cands, 30), serviceBatch(cands, 1), runTask(cands)];
  for (const s of shapes) {
    // Same choices (the property test proves it on small pools; this is the full-size sanity check).
    for (let seed = 1; seed <= 20; seed++) {
      s.prepare?.(seed, true);
      const a = s.before(seed);
      s.prepare?.(seed, false);
      const b = s.now(seed);
      if (JSON.stringify(a.placements) !== JSON.stringify(b.placements)) throw new Error(`${s.name}: choices differ for seed ${seed}`);
    }
    const batches = Math.max(20, Math.round(3000 / s.tasks));
    time(s, true, batches, 1000);
    time(s, false, batches, 1000);
    const before: number[] = [];
    const now: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      before.push(time(s, true, batches, 5000 + r * batches));
      now.push(time(s, false, batches, 5000 + r * batches));
    }
    const b = percentile(before, 50);
    const n = percentile(now, 50);
    console.log(`${s.name}:`);
    console.log(`  before ${b.toFixed(0)} µs per batch (${(b / s.tasks).toFixed(1)} µs per task; rounds ${before.map((x) => x.toFixed(0)).join(' ')})`);
    console.log(`  now    ${n.toFixed(0)} µs per batch (${(n / s.tasks).toFixed(1)} µs per task; rounds ${now.map((x) => x.toFixed(0)).join(' ')})  = ${(b / n).toFixed(1)} x`);
  }
  console.log(`load average after: ${machine().split('load average ')[1]}`);
}

main();
