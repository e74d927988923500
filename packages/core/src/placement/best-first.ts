import { firstFailing, type PlacementFilter, type PoolEntry } from './filters';
import type { TaskRequirement } from './resources';
import { compareKeys, type StrategyScorer } from './strategies';

/**
 * The best pool entry for the next task of a batch, kept incrementally so a
 * batch costs O(instances) plus O(partitions + log instances) per task
 * instead of a scan of every instance for every task.
 *
 * Why it picks what the scan picks (first entry in pool order among the
 * lowest keys that pass the filters): placing a task changes only the chosen
 * entry's own state (resources, ports, its group counts, hence its filter
 * results and its own key positions) and the spread-attribute counters of
 * its values, which every entry sharing a value reads alike. Entries that
 * share all their spread-attribute values (one partition: one zone) thus
 * keep their relative order whatever is placed, and each partition is a
 * binary heap on the key without those shared positions, then the pool
 * index (the scan's tie-break). Per task the partitions' heads are compared
 * on their full key, computed now, then on pool index; only the chosen entry
 * is re-checked and re-keyed afterwards. Filters must read only the entry
 * itself (all of buildFilters' do). Strategies with `random` are not for
 * this (StrategyScorer.drawsRandom): their draws depend on the scan's order.
 */
export class BestFirst {
  /** Per entry: its own key, then its pool index (so no two entries compare equal). */
  private readonly keys: Float64Array;
  private readonly width: number;
  private readonly heaps: number[][] = [];
  private readonly heapOf: Int32Array;
  private readonly key: number[] = [];
  private readonly bestKey: number[] = [];
  private chosen = -1;

  constructor(
    private readonly pool: PoolEntry[],
    private readonly filters: PlacementFilter[],
    private readonly scorer: StrategyScorer,
    private readonly req: TaskRequirement,
  ) {
    this.width = scorer.ownKeyLength + 1;
    this.keys = new Float64Array(pool.length * this.width);
    this.heapOf = new Int32Array(pool.length);
    const byPartition = new Map<number, number>();
    for (let i = 0; i < pool.length; i++) {
      const e = pool[i]!;
      if (firstFailing(filters, e, req) >= 0) continue;
      this.writeKey(i);
      const p = scorer.partitionOf(e);
      let h = byPartition.get(p);
      if (h === undefined) {
        byPartition.set(p, (h = this.heaps.length));
        this.heaps.push([]);
      }
      this.heapOf[i] = h;
      this.heaps[h]!.push(i);
    }
    for (const heap of this.heaps) for (let k = (heap.length >> 1) - 1; k >= 0; k--) this.siftDown(heap, k);
  }

  /** Pool index of the entry the scan would choose now, or -1 when none passes the filters. */
  best(): number {
    let best = -1;
    if (this.heaps.length === 1) best = this.heaps[0]![0] ?? -1;
    else {
      for (const heap of this.heaps) {
        const head = heap[0];
        if (head === undefined) continue;
        this.scorer.placeKeyInto(this.pool[head]!, this.req, this.key);
        const order = best < 0 ? -1 : compareKeys(this.key, this.bestKey);
        if (order < 0 || (order === 0 && head < best)) {
          best = head;
          for (let k = 0; k < this.key.length; k++) this.bestKey[k] = this.key[k]!;
        }
      }
    }
    this.chosen = best;
    return best;
  }

  /** After the entry `best()` returned took its task: re-check and re-key it alone. */
  chosenChanged(): void {
    const i = this.chosen;
    if (i < 0) return;
    this.chosen = -1;
    const heap = this.heaps[this.heapOf[i]!]!;
    if (firstFailing(this.filters, this.pool[i]!, this.req) < 0) this.writeKey(i);
    else {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    this.siftDown(heap, 0);
  }

  private writeKey(i: number): void {
    const at = i * this.width;
    this.scorer.ownKeyInto(this.pool[i]!, this.req, this.keys, at);
    this.keys[at + this.width - 1] = i;
  }

  private less(a: number, b: number): boolean {
    const keys = this.keys;
    let x = a * this.width;
    let y = b * this.width;
    for (let k = 0; k < this.width; k++, x++, y++) if (keys[x] !== keys[y]) return keys[x]! < keys[y]!;
    return false;
  }

  private siftDown(heap: number[], k: number): void {
    const n = heap.length;
    const item = heap[k]!;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(heap[c + 1]!, heap[c]!)) c++;
      if (!this.less(heap[c]!, item)) break;
      heap[k] = heap[c]!;
      k = c;
    }
    heap[k] = item;
  }
}
