import type { PlacementStrategy } from '../model/service';
import { writableRemaining, type PoolEntry } from './filters';
import type { TaskRequirement } from './resources';

export type Random = () => number;

const NO_VALUE = '\u0000none';

function attributeOf(e: PoolEntry, name: string): string {
  for (const a of e.instance.attributes) if (a.name === name) return a.value ?? NO_VALUE;
  return NO_VALUE;
}

/** A strategy compiled once per scorer: placement evaluates it for every instance and every task. */
type Step = { kind: 'random' } | { kind: 'binpack'; cpu: boolean } | { kind: 'spreadInstance' } | { kind: 'spreadAttribute'; slot: number };

/** Tasks of the group on all instances sharing one attribute value (one zone). */
interface Counter {
  n: number;
  /** Names the value's counter in a partition key. */
  id: number;
}

/** An instance's place among the spread attributes' values. */
interface Spread {
  /** The counter of its value for each spread attribute (by slot). */
  counters: Counter[];
  /** Which tuple of counters it shares (see `partitionOf`). */
  partition: number;
}

/**
 * ECS strategies are best effort, applied in array order: the first decides,
 * later ones break its ties. Each becomes one element of a lexicographic key
 * (lower is better); the instance's stable random rank breaks what is left.
 * The same keys, negated, choose which task a scale-in stops.
 */
export class StrategyScorer {
  private readonly steps: Step[];
  /** Per instance, only when some strategy spreads over an attribute. */
  private readonly spread = new Map<PoolEntry, Spread>();
  /** Positions of the key that belong to the instance alone (binpack, spread instanceId), then the rank. */
  private readonly own: Step[];
  private readonly slotCount: number;

  constructor(
    strategies: PlacementStrategy[],
    pool: PoolEntry[],
    private readonly random: Random,
  ) {
    const slots: string[] = [];
    this.steps = strategies.map((s): Step => {
      if (s.type === 'random') return { kind: 'random' };
      if (s.type === 'binpack') return { kind: 'binpack', cpu: s.field === 'cpu' };
      if (!s.field?.startsWith('attribute:')) return { kind: 'spreadInstance' };
      const attr = s.field.slice('attribute:'.length);
      let slot = slots.indexOf(attr);
      if (slot < 0) slot = slots.push(attr) - 1;
      return { kind: 'spreadAttribute', slot };
    });
    this.slotCount = slots.length;
    this.own = this.steps.filter((s) => s.kind === 'binpack' || s.kind === 'spreadInstance');
    if (slots.length === 0) return;
    const byValue = slots.map(() => new Map<string, Counter>());
    const tuples = new Map<string, number>();
    let ids = 0;
    for (const e of pool) {
      const counters = new Array<Counter>(slots.length);
      for (let slot = 0; slot < slots.length; slot++) {
        const v = attributeOf(e, slots[slot]!);
        let c = byValue[slot]!.get(v);
        if (!c) byValue[slot]!.set(v, (c = { n: 0, id: ids++ }));
        c.n += e.groupCount;
        counters[slot] = c;
      }
      let partition = counters[0]!.id;
      if (counters.length > 1) {
        const tuple = counters.map((c) => c.id).join(',');
        const known = tuples.get(tuple);
        if (known === undefined) tuples.set(tuple, (partition = tuples.size));
        else partition = known;
      }
      this.spread.set(e, { counters, partition });
    }
  }

  /** A `random` step draws for every instance evaluated: only a scan in pool order reproduces a seed's draws. */
  get drawsRandom(): boolean {
    return this.steps.some((s) => s.kind === 'random');
  }

  /**
   * Instances in one partition share every spread-attribute counter (same
   * zone, ...): their keys differ only in their own positions (`ownKeyLength`),
   * whatever is placed elsewhere. 0 without spread attributes; -1 for an
   * instance this scorer was not built with (its counters read 0).
   */
  partitionOf(e: PoolEntry): number {
    if (this.slotCount === 0) return 0;
    return this.spread.get(e)?.partition ?? -1;
  }

  /** Length of `ownKeyInto`'s key. */
  get ownKeyLength(): number {
    return this.own.length + 1;
  }

  /**
   * The placement key without its spread-attribute positions, written at
   * `out[at..]`: within one partition it orders instances as `placeKey` does.
   * Strategies with `random` have no such key (see `drawsRandom`).
   */
  ownKeyInto(e: PoolEntry, req: TaskRequirement, out: Float64Array, at: number): void {
    let i = at;
    for (const s of this.own) {
      if (s.kind === 'binpack') out[i++] = s.cpu ? e.remaining.cpu - req.cpu : e.remaining.memory - req.memory;
      else out[i++] = e.groupCount;
    }
    out[i] = e.rank;
  }

  private spreadCount(e: PoolEntry, slot: number): number {
    return this.spread.get(e)?.counters[slot]?.n ?? 0;
  }

  /** Key for placing one more task on `e` (lower wins). */
  placeKey(e: PoolEntry, req: TaskRequirement): number[] {
    return this.placeKeyInto(e, req, new Array<number>(this.steps.length + 1));
  }

  /** placeKey without allocating: placement compares thousands of instances per task. */
  placeKeyInto(e: PoolEntry, req: TaskRequirement, key: number[]): number[] {
    const counters = this.slotCount > 0 ? this.spread.get(e)?.counters : undefined;
    let i = 0;
    for (const s of this.steps) {
      switch (s.kind) {
        case 'random':
          key[i++] = this.random();
          break;
        case 'binpack':
          key[i++] = s.cpu ? e.remaining.cpu - req.cpu : e.remaining.memory - req.memory;
          break;
        case 'spreadInstance':
          key[i++] = e.groupCount;
          break;
        case 'spreadAttribute':
          key[i++] = counters?.[s.slot]?.n ?? 0;
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
    return this.steps
      .map((s) => {
        switch (s.kind) {
          case 'random':
            return this.random();
          case 'binpack':
            return -(s.cpu ? e.remaining.cpu : e.remaining.memory);
          case 'spreadInstance':
            return -e.groupCount;
          case 'spreadAttribute':
            return -this.spreadCount(e, s.slot);
        }
      })
      .concat(e.rank);
  }

  /** Book-keeping after a task of the group was placed on (+1) or removed from (-1) `e`. */
  adjust(e: PoolEntry, delta: 1 | -1, req: Pick<TaskRequirement, 'cpu' | 'memory'>): void {
    e.groupCount += delta;
    const r = writableRemaining(e);
    r.cpu -= delta * req.cpu;
    r.memory -= delta * req.memory;
    const spread = this.spread.get(e);
    if (spread) for (const c of spread.counters) c.n += delta;
  }
}

/** Lexicographic order of two keys of one length: negative when `a` is lower (better), 0 when equal. */
export function compareKeys(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function lexLess(a: number[], b: number[]): boolean {
  return compareKeys(a, b) < 0;
}
