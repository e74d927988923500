import type { Cluster, TaskDefinition } from '@stevedore/core';
import type { Store } from '../store/store';

/** A task definition revision's content never changes: a parsed one is kept this long (bounded, in case a change event was missed). */
const TASK_DEFINITION_TTL_MS = 1000;
/** Revisions kept at most (a burst pushes a few hundred families at most; past this the cache starts over). */
const MAX_TASK_DEFINITIONS = 2000;

/**
 * What assignment pushes read again and again (a task definition revision
 * per task, the cluster per task). After a commit of hundreds of
 * placements, the sessions of every instance that got a task flush one
 * after another; each used to read and parse the same revision and cluster
 * row once per task. Clusters are kept for one turn of the event loop
 * (setImmediate), and the push scheduler's slices (push-scheduler.ts) also
 * `reset` them before and after each slice, so a push never uses a cluster
 * setting older than one it could have read had it run a moment earlier. A
 * revision's content is immutable, so revisions are kept across turns and
 * slices (a burst's pushes span many of each): for a second at most, and
 * dropped at once when their family changes (deregistered, deleted).
 */
export class PushReads {
  private readonly tds = new Map<string, { td: TaskDefinition; at: number }>();
  private readonly clusters = new Map<string, Cluster | undefined>();
  private armed = false;

  constructor(private readonly store: Store) {}

  taskDefinition(family: string, revision: number): TaskDefinition | undefined {
    const k = `${family}:${revision}`;
    const now = Date.now();
    const kept = this.tds.get(k);
    if (kept && now - kept.at < TASK_DEFINITION_TTL_MS) return kept.td;
    const td = this.store.taskDefinitions.get(family, revision)?.taskDefinition;
    if (!td) {
      this.tds.delete(k);
      return undefined;
    }
    if (this.tds.size >= MAX_TASK_DEFINITIONS) this.tds.clear();
    this.tds.set(k, { td, at: now });
    return td;
  }

  /** A task-definition change (store change feed): that family's revisions are read again. */
  taskDefinitionChanged(family: string): void {
    for (const k of this.tds.keys()) if (k.slice(0, k.lastIndexOf(':')) === family) this.tds.delete(k);
  }

  cluster(name: string): Cluster | undefined {
    if (this.clusters.has(name)) return this.clusters.get(name);
    const c = this.store.clusters.get(name);
    this.remember(this.clusters, name, c);
    return c;
  }

  /** Forgets the clusters read so far (the push scheduler, at each slice's edges). */
  reset(): void {
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
