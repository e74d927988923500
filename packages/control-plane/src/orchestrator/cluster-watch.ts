import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { appendServiceEvents, judgeCensus, msg, type InstanceLiveness } from '@stevedore/core';
import type { Store } from '../store/store';
import type { ClusterSnapshot } from './cluster-snapshot';

interface Episode {
  since: number;
  reported: boolean;
}

/**
 * Partition episodes per cluster: while more than half of a cluster's
 * instances are disconnected, core's `judgeCensus` declares none lost; this
 * keeps what that verdict cannot, because it spans ticks:
 *
 * - since when the control plane has been able to hear from the cluster's
 *   agents (its own start, or the end of the last partition), from which every
 *   instance's grace counts;
 * - whether the services concerned were told (one event per episode, not one
 *   per tick).
 *
 * Kept in memory: a restart starts over from its own start time, which is
 * later than anything forgotten.
 */
export class ClusterWatch {
  private readonly episodes = new Map<string, Episode>();
  private readonly healedAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly graceMs: number,
    private readonly startedAt: number,
  ) {}

  /** Looks at the cluster as this tick sees it; returns since when its agents could reach us (the grace counts from there). */
  observe(snapshot: ClusterSnapshot): number {
    const cluster = snapshot.cluster;
    const now = this.store.clock.now();
    const since = Math.max(this.startedAt, this.healedAt.get(cluster) ?? -Infinity);
    const verdict = judgeCensus(snapshot.instancesInput().instanceIndex.census, now, { graceMs: this.graceMs, watchingSince: since });
    const episode = this.episodes.get(cluster);
    if (!verdict.partitioned) {
      if (!episode) return since;
      // The majority is back. Instances still away may only have been slower to
      // reconnect than the others: they get a full grace from now, like after a restart.
      this.episodes.delete(cluster);
      this.healedAt.set(cluster, now);
      const level = episode.reported ? 'warn' : 'info';
      this.log[level](
        { cluster, disconnected: verdict.disconnected, registered: verdict.registered, partitionedForMs: now - episode.since },
        'most container instances are connected again: instances still disconnected a full grace from now are lost and their service tasks replaced',
      );
      return now;
    }
    if (!episode) this.episodes.set(cluster, { since: now, reported: false });
    const current = this.episodes.get(cluster)!;
    if (verdict.withheld.length > 0 && !current.reported) {
      current.reported = true;
      this.report(snapshot, verdict, now);
    }
    return since;
  }

  /** The services with tasks on instances whose loss is withheld are told, once per episode. */
  private report(snapshot: ClusterSnapshot, verdict: InstanceLiveness, now: number): void {
    const services = new Set<string>();
    for (const id of verdict.withheld) {
      for (const t of snapshot.tasksOn(id)) if (t.group.startsWith('service:') && t.desiredStatus === 'RUNNING') services.add(t.group.slice('service:'.length));
    }
    this.log.warn(
      { cluster: snapshot.cluster, disconnected: verdict.disconnected, registered: verdict.registered, withheld: verdict.withheld, services: [...services] },
      'more than half of the container instances are disconnected: none is declared lost and no task is replaced (the control plane network is suspect, not the hosts)',
    );
    this.store.tx(() => {
      for (const name of services) {
        const stored = this.store.services.get(snapshot.cluster, name);
        if (!stored) continue;
        const message = msg.partitioned(name, verdict.disconnected, verdict.registered);
        this.store.services.putRuntime(snapshot.cluster, name, { ...stored.runtime, events: appendServiceEvents(stored.runtime.events, [message], now, randomUUID) });
      }
    });
  }
}
