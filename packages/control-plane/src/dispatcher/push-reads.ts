import type { Cluster, TaskDefinition } from '@stevedore/core';
import type { Store } from '../store/store';

/**
 * What assignment pushes read again and again (a task definition revision
 * per task, the cluster per task), cached for one turn of the event loop.
 * After a commit of hundreds of placements, the sessions of every instance
 * that got a task flush in the same turn; each used to read and parse the
 * same revision and cluster row once per task. Entries live only until the
 * turn ends (setImmediate), so a push never uses a cluster setting older
 * than one it could have read had it run a moment earlier. The push
 * scheduler's slices (push-scheduler.ts) also `reset` it before and after
 * each slice: a burst of pushes spans several turns with I/O (API writes)
 * in between, and each slice must read what those wrote.
 */
export class PushReads {
  private readonly tds = new Map<string, TaskDefinition | undefined>();
  private readonly clusters = new Map<string, Cluster | undefined>();
  private armed = false;

  constructor(private readonly store: Store) {}

  taskDefinition(family: string, revision: number): TaskDefinition | undefined {
    const k = `${family}:${revision}`;
    if (this.tds.has(k)) return this.tds.get(k);
    const td = this.store.taskDefinitions.get(family, revision)?.taskDefinition;
    this.remember(this.tds, k, td);
    return td;
  }

  cluster(name: string): Cluster | undefined {
    if (this.clusters.has(name)) return this.clusters.get(name);
    const c = this.store.clusters.get(name);
    this.remember(this.clusters, name, c);
    return c;
  }

  /** Forgets everything read so far (the push scheduler, at each slice's edges). */
  reset(): void {
    this.tds.clear();
    this.clusters.clear();
  }

  private remember<V>(m: Map<string, V>, k: string, v: V): void {
    m.set(k, v);
    if (this.armed) return;
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      this.reset();
    });
  }
}
