import type { PlacementStrategy } from '../model/service';
import type { PoolEntry } from './filters';
import type { TaskRequirement } from './resources';

export type Random = () => number;

const NO_VALUE = '\u0000none';

function attributeOf(e: PoolEntry, name: string): string {
  return e.instance.attributes.find((a) => a.name === name)?.value ?? NO_VALUE;
}

function spreadAttribute(field: string | undefined): string | undefined {
  return field?.startsWith('attribute:') ? field.slice('attribute:'.length) : undefined;
}

/**
 * ECS strategies are best effort, applied in array order: the first decides,
 * later ones break its ties. Each becomes one element of a lexicographic key
 * (lower is better); the instance's stable random rank breaks what is left.
 * The same keys, negated, choose which task a scale-in stops.
 */
export class StrategyScorer {
  /** Per spread attribute: value -> active tasks of the group (over the whole pool). */
  private readonly spreadCounts = new Map<string, Map<string, number>>();
  /** Attribute values looked up once per instance, not once per comparison. */
  private readonly values = new Map<PoolEntry, Map<string, string>>();

  private valueOf(e: PoolEntry, attr: string): string {
    let m = this.values.get(e);
    if (!m) this.values.set(e, (m = new Map()));
    let v = m.get(attr);
    if (v === undefined) m.set(attr, (v = attributeOf(e, attr)));
    return v;
  }

  constructor(
    private readonly strategies: PlacementStrategy[],
    pool: PoolEntry[],
    private readonly random: Random,
  ) {
    for (const s of strategies) {
      const attr = s.type === 'spread' ? spreadAttribute(s.field) : undefined;
      if (attr === undefined || this.spreadCounts.has(attr)) continue;
      const counts = new Map<string, number>();
      for (const e of pool) {
        const v = attributeOf(e, attr);
        counts.set(v, (counts.get(v) ?? 0) + e.groupCount);
      }
      this.spreadCounts.set(attr, counts);
    }
  }

  /** Key for placing one more task on `e` (lower wins). */
  placeKey(e: PoolEntry, req: TaskRequirement): number[] {
    return this.placeKeyInto(e, req, new Array<number>(this.strategies.length + 1));
  }

  /** placeKey without allocating: placement compares thousands of instances per task. */
  placeKeyInto(e: PoolEntry, req: TaskRequirement, key: number[]): number[] {
    let i = 0;
    for (const s of this.strategies) {
      if (s.type === 'random') key[i++] = this.random();
      else if (s.type === 'binpack') key[i++] = s.field === 'cpu' ? e.remaining.cpu - req.cpu : e.remaining.memory - req.memory;
      else {
        const attr = spreadAttribute(s.field);
        key[i++] = attr === undefined ? e.groupCount : (this.spreadCounts.get(attr)?.get(this.valueOf(e, attr)) ?? 0);
      }
    }
    key[i] = e.rank;
    return key;
  }

  /**
   * Key for stopping one task on `e` (lower wins): the reverse of placement.
   * spread stops where the group is most crowded, binpack frees the instance
   * with the most room left (the least used) first.
   */
  removeKey(e: PoolEntry): number[] {
    const key: number[] = [];
    for (const s of this.strategies) {
      if (s.type === 'random') key.push(this.random());
      else if (s.type === 'binpack') key.push(-(s.field === 'cpu' ? e.remaining.cpu : e.remaining.memory));
      else {
        const attr = spreadAttribute(s.field);
        key.push(-(attr === undefined ? e.groupCount : (this.spreadCounts.get(attr)?.get(this.valueOf(e, attr)) ?? 0)));
      }
    }
    key.push(e.rank);
    return key;
  }

  /** Book-keeping after a task of the group was placed on (+1) or removed from (-1) `e`. */
  adjust(e: PoolEntry, delta: 1 | -1, req: Pick<TaskRequirement, 'cpu' | 'memory'>): void {
    e.groupCount += delta;
    e.remaining.cpu -= delta * req.cpu;
    e.remaining.memory -= delta * req.memory;
    for (const [attr, counts] of this.spreadCounts) {
      const v = this.valueOf(e, attr);
      counts.set(v, (counts.get(v) ?? 0) + delta);
    }
  }
}

export function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y;
  }
  return false;
}
