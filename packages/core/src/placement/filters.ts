import type { ContainerInstance, InstanceResources } from '../model/container-instance';
import type { PlacementConstraint } from '../model/service';
import type { DesiredStatus, TaskStatus } from '../status/task-status';
import { dependsOnTasks, evaluateQuery, parseQuery, type QueryExpr } from './query-language';
import { fitsDimension, type ResourceDimension, type TaskRequirement } from './resources';

/** What placement needs to know about a task already on an instance. */
export interface CandidateTask {
  group: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
}

export interface Candidate {
  instance: ContainerInstance;
  remaining: InstanceResources;
  /** Tasks on the instance that are not STOPPED (for groups, spread and the query language). */
  tasks?: CandidateTask[];
  /**
   * Already counted from those tasks (active tasks per group, RUNNING tasks):
   * given, `tasks` is not read, so a caller with an incrementally kept load
   * (InstanceLoad) pays nothing per task.
   */
  groups?: ReadonlyMap<string, number>;
  runningTasksCount?: number;
}

/** ECS failure reasons of RunTask/StartTask `failures[].reason`. */
export type PlacementFailureReason = 'AGENT' | 'INACTIVE' | 'RESOURCE:CPU' | 'RESOURCE:MEMORY' | 'RESOURCE:PORTS' | 'RESOURCE:PORTS_UDP' | 'ATTRIBUTE';

/** Working state of one instance while a batch of tasks is placed. */
export interface PoolEntry {
  instance: ContainerInstance;
  /**
   * The candidate's own object until the entry first takes or gives back a
   * task (`writableRemaining`): a batch changes a handful of the thousand
   * entries, and the caller's snapshot must never change.
   */
  remaining: InstanceResources;
  /** `remaining` is this entry's copy (absent: the candidate's, read-only). */
  ownsRemaining?: boolean;
  /** Active tasks of the group being placed. */
  groupCount: number;
  /** Active tasks per group (task:group in expressions); may be the candidate's own map: replace, never mutate. */
  groups: ReadonlyMap<string, number>;
  runningTasksCount: number;
  /** Stable random rank: breaks ties without reshuffling for every task. */
  rank: number;
}

/**
 * A binding rule. Filters run cheapest first; the first that fails names the
 * reason an instance was rejected. `key` counts rejections in PlacementMetrics.
 */
export interface PlacementFilter {
  key: string;
  reason: PlacementFailureReason;
  /** Short words for the per-reason counts: "insufficient CPU units". */
  describe: string;
  /** ECS's "The closest matching container-instance X ..." wording. */
  explain: (instanceId: string) => string;
  check(c: PoolEntry, req: TaskRequirement): boolean;
}

const closest = (id: string, what: string) => `The closest matching container-instance ${id} ${what}`;

/** One resource dimension, checked by core's one fit rule (`fitsDimension`). */
function resourceFilter(d: ResourceDimension, describe: string, what: string): PlacementFilter {
  return { key: d, reason: d, describe, explain: (id) => closest(id, what), check: (c, req) => fitsDimension(c.remaining, req, d) };
}

export const BASE_FILTERS: PlacementFilter[] = [
  {
    key: 'INACTIVE',
    reason: 'INACTIVE',
    describe: 'not ACTIVE (draining)',
    explain: (id) => closest(id, 'is not ACTIVE.'),
    check: (c) => c.instance.status === 'ACTIVE',
  },
  {
    key: 'AGENT',
    reason: 'AGENT',
    describe: 'agent disconnected',
    explain: (id) => closest(id, 'encountered error "AGENT".'),
    check: (c) => c.instance.agentConnected,
  },
  resourceFilter('RESOURCE:CPU', 'insufficient CPU units', 'has insufficient CPU units available.'),
  resourceFilter('RESOURCE:MEMORY', 'insufficient memory', 'has insufficient memory available.'),
  resourceFilter('RESOURCE:PORTS', 'port already in use', 'is already using a port required by your task.'),
  resourceFilter('RESOURCE:PORTS_UDP', 'UDP port already in use', 'is already using a port required by your task.'),
];

/** ECS: each task of the group on a different instance. */
export const DISTINCT_INSTANCE_FILTER: PlacementFilter = {
  key: 'distinctInstance',
  reason: 'ATTRIBUTE',
  describe: 'distinctInstance constraint',
  explain: (id) => closest(id, 'already runs a task of this group (distinctInstance placement constraint).'),
  check: (c) => c.groupCount === 0,
};

export function memberOfFilter(expression: string): PlacementFilter {
  const expr = parseQuery(expression);
  // Expressions about attributes alone cannot change while a batch is placed.
  const cache = dependsOnTasks(expr) ? undefined : new Map<string, boolean>();
  return {
    key: 'memberOf',
    reason: 'ATTRIBUTE',
    describe: 'memberOf constraint',
    explain: (id) => closest(id, `does not match the memberOf placement constraint "${expression}".`),
    check: (c) => {
      const hit = cache?.get(c.instance.id);
      if (hit !== undefined) return hit;
      const v = matches(expr, c);
      cache?.set(c.instance.id, v);
      return v;
    },
  };
}

function matches(expr: QueryExpr, c: PoolEntry): boolean {
  return evaluateQuery(expr, { instance: c.instance, runningTasksCount: c.runningTasksCount, taskGroups: c.groups.keys() });
}

/** Index of the first filter `e` fails, or -1 when it passes them all (the one check of the scan, BestFirst and explainPool). */
export function firstFailing(filters: PlacementFilter[], e: PoolEntry, req: TaskRequirement): number {
  for (let i = 0; i < filters.length; i++) if (!filters[i]!.check(e, req)) return i;
  return -1;
}

/** The full filter chain for one request: status, resources, then constraints. */
export function buildFilters(constraints: PlacementConstraint[]): PlacementFilter[] {
  const out = [...BASE_FILTERS];
  if (constraints.some((c) => c.type === 'distinctInstance')) out.push(DISTINCT_INSTANCE_FILTER);
  for (const c of constraints) if (c.type === 'memberOf' && c.expression) out.push(memberOfFilter(c.expression));
  return out;
}

/** Tasks that count for groups and spread: wanted and not yet stopped. */
export function isActiveTask(t: CandidateTask): boolean {
  return t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
}

export function toPoolEntry(c: Candidate, group: string, rank: number): PoolEntry {
  let groups = c.groups;
  let running = c.runningTasksCount ?? 0;
  if (!groups) {
    const counted = new Map<string, number>();
    for (const t of c.tasks ?? []) {
      if (t.lastStatus === 'RUNNING') running++;
      if (isActiveTask(t)) counted.set(t.group, (counted.get(t.group) ?? 0) + 1);
    }
    groups = counted;
  }
  return {
    instance: c.instance,
    remaining: c.remaining,
    groupCount: groups.get(group) ?? 0,
    groups,
    runningTasksCount: running,
    rank,
  };
}

/** The entry's `remaining`, copied (object and port lists) on the first write: the candidate's stays untouched. */
export function writableRemaining(e: PoolEntry): InstanceResources {
  if (!e.ownsRemaining) {
    const r = e.remaining;
    e.remaining = { ...r, ports: [...r.ports], portsUdp: [...r.portsUdp] };
    e.ownsRemaining = true;
  }
  return e.remaining;
}
