import { indexInstances, InstanceLoad, type Candidate, type ContainerInstance, type InstanceIndex, type InstanceResources, type InstanceView } from '@stevedore/core';
import type { TaskSummary } from './tasks-repo';

/** Where a cluster's state comes from when it is (re)built: the committed rows, plus the open transaction's. */
export interface ClusterStateSource {
  instances(cluster: string): ContainerInstance[];
  tasks(cluster: string): TaskSummary[];
}

interface ClusterEntry {
  /** Instances that are not INACTIVE. */
  instances: Map<string, ContainerInstance>;
  /** Tasks that are not STOPPED, per instance id (an INACTIVE or unknown instance's too: they are lost, not free). */
  loads: Map<string, InstanceLoad<TaskSummary>>;
  byGroup: Map<string, Map<string, TaskSummary>>;
  /** Where each task sits, to move it out when it changes. */
  taskInstance: Map<string, string>;
  /** Tasks waiting in PROVISIONING (no instance yet): in their group, holding nothing. */
  unplaced: Map<string, TaskSummary>;
  /** Bumped by every change of the cluster's instances or tasks (heartbeats aside). */
  version: number;
  /** Bumped by every change of the cluster's instances only: views and their index live as long as it stands. */
  instancesVersion: number;
  sorted?: { version: number; instances: ContainerInstance[] };
  views?: { version: number; views: InstanceView[]; index: InstanceIndex };
}

/**
 * The placement input of every cluster, in memory: instances, and per
 * instance what its tasks hold (InstanceLoad), kept in step with the store by
 * the repos themselves. RunTask, StartTask and the service orchestrator all
 * place from it, so a placement costs O(instances), never a query per
 * instance, however many tasks pile up.
 *
 * Consistency: the repos write through, right after their SQL, so reads in a
 * transaction see its own writes exactly as SQLite does (one connection, one
 * thread, synchronous transactions: nothing else can read in between). A
 * transaction that rolls back drops every cluster (`invalidate`); the next
 * read rebuilds it from SQL. Clusters are loaded on first use.
 */
export class ClusterState {
  private readonly clusters = new Map<string, ClusterEntry>();
  /** Cluster of each loaded instance, for heartbeats (which name only the instance). */
  private readonly home = new Map<string, string>();
  /** Times a cluster was built from SQL (tests, metrics). */
  loads = 0;

  constructor(private readonly source: ClusterStateSource) {}

  /** Forgets everything (a rolled-back transaction): rebuilt from the store on the next read. */
  invalidate(): void {
    this.clusters.clear();
    this.home.clear();
  }

  private entry(cluster: string): ClusterEntry {
    let e = this.clusters.get(cluster);
    if (e) return e;
    this.loads++;
    e = { instances: new Map(), loads: new Map(), byGroup: new Map(), taskInstance: new Map(), unplaced: new Map(), version: 0, instancesVersion: 0 };
    for (const i of this.source.instances(cluster)) {
      e.instances.set(i.id, Object.freeze(i));
      this.home.set(i.id, cluster);
    }
    this.clusters.set(cluster, e);
    for (const t of this.source.tasks(cluster)) this.placeTask(e, t);
    return e;
  }

  // --- writes (the repos call these after their SQL) ---

  taskWritten(t: TaskSummary): void {
    const e = this.clusters.get(t.clusterName);
    if (!e) return; // not loaded: it is read from SQL, with this write, when first needed
    e.version++;
    const was = e.taskInstance.get(t.id);
    const old = (was === undefined ? undefined : e.loads.get(was)?.remove(t.id)) ?? e.unplaced.get(t.id);
    e.taskInstance.delete(t.id);
    e.unplaced.delete(t.id);
    // A task updated in place keeps its place in its group (seq order, as SQL reads them).
    if (!this.placeTask(e, t) || (old && old.group !== t.group)) {
      if (old) e.byGroup.get(old.group)?.delete(t.id);
    }
  }

  /** Whether the task holds resources (and so was placed in the state). */
  private placeTask(e: ClusterEntry, t: TaskSummary): boolean {
    // Frozen: readers share it, and a caller's later mutation must not change placement behind the store's back.
    Object.freeze(t);
    if (t.lastStatus === 'STOPPED') return false;
    if (!t.containerInstanceId) {
      // Waiting for a capacity provider's host: part of its service (counted, not missing), on no instance.
      if (t.lastStatus !== 'PROVISIONING') return false;
      e.unplaced.set(t.id, t);
      this.addToGroup(e, t);
      return true;
    }
    let load = e.loads.get(t.containerInstanceId);
    if (!load) e.loads.set(t.containerInstanceId, (load = new InstanceLoad<TaskSummary>()));
    load.put(t);
    e.taskInstance.set(t.id, t.containerInstanceId);
    this.addToGroup(e, t);
    return true;
  }

  private addToGroup(e: ClusterEntry, t: TaskSummary): void {
    let g = e.byGroup.get(t.group);
    if (!g) e.byGroup.set(t.group, (g = new Map()));
    g.set(t.id, t);
  }

  instanceWritten(written: ContainerInstance): void {
    const i = Object.freeze({ ...written });
    const before = this.home.get(i.id);
    if (before !== undefined && before !== i.clusterName) {
      const old = this.clusters.get(before);
      if (old) {
        old.instances.delete(i.id);
        old.version++;
        old.instancesVersion++;
      }
      this.home.delete(i.id);
    }
    const e = this.clusters.get(i.clusterName);
    if (!e) return;
    e.version++;
    e.instancesVersion++;
    if (i.status === 'INACTIVE') {
      e.instances.delete(i.id);
      this.home.delete(i.id);
    } else {
      e.instances.set(i.id, i);
      this.home.set(i.id, i.clusterName);
    }
  }

  /**
   * Heartbeats change no placement decision: no version bump, the instance
   * object is replaced. Except for one of an instance recorded disconnected
   * (a race with another replica): its heartbeat time is when its grace
   * started, which the liveness census (views' index) holds.
   */
  heartbeat(instanceId: string, at: number): void {
    const cluster = this.home.get(instanceId);
    const e = cluster === undefined ? undefined : this.clusters.get(cluster);
    const i = e?.instances.get(instanceId);
    if (!e || !i) return;
    const next = Object.freeze({ ...i, lastHeartbeatAt: at });
    e.instances.set(instanceId, next);
    const view = e.views?.index.byId.get(instanceId);
    if (view instanceof LiveView) view.instance = next;
    if (!i.agentConnected) e.instancesVersion++;
  }

  // --- reads ---

  version(cluster: string): number {
    return this.entry(cluster).version;
  }

  /** Instances that are not INACTIVE, ordered by id (the store's order). */
  instances(cluster: string): ContainerInstance[] {
    const e = this.entry(cluster);
    if (e.sorted?.version !== e.version) e.sorted = { version: e.version, instances: [...e.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
    // Heartbeats replace instance objects without a version bump: read them fresh.
    return e.sorted.instances.map((i) => e.instances.get(i.id) ?? i);
  }

  instance(cluster: string, id: string): ContainerInstance | undefined {
    return this.entry(cluster).instances.get(id);
  }

  /**
   * The instance if its cluster is loaded already, without loading it: reads
   * that would otherwise decode the row (DescribeTasks, an instance per task)
   * take it from memory when it is there, and never pay a cluster's load for it
   * (a replica that is not the leader drops the state on every remote change).
   */
  loadedInstance(cluster: string, id: string): ContainerInstance | undefined {
    return this.clusters.get(cluster)?.instances.get(id);
  }

  /** Tasks on the instance that are not STOPPED, in no particular order. */
  tasksOn(cluster: string, instanceId: string): TaskSummary[] {
    return this.entry(cluster).loads.get(instanceId)?.list() ?? [];
  }

  /**
   * Tasks on the instance that are not STOPPED, if its cluster is loaded
   * already (else undefined: the caller reads SQL). Never loads a cluster:
   * a replica that is not the leader drops the state on every remote change,
   * and an agent's push must not pay a cluster's load.
   */
  loadedTasksOn(instanceId: string): TaskSummary[] | undefined {
    const cluster = this.home.get(instanceId);
    const e = cluster === undefined ? undefined : this.clusters.get(cluster);
    if (!e) return undefined;
    return e.loads.get(instanceId)?.list() ?? [];
  }

  /** Tasks of the group that are not STOPPED: on an instance, or waiting in PROVISIONING for one. */
  groupTasks(cluster: string, group: string): TaskSummary[] {
    return [...(this.entry(cluster).byGroup.get(group)?.values() ?? [])];
  }

  /** What is left on the instance now, a copy the caller may consume from. */
  remaining(cluster: string, instance: ContainerInstance): InstanceResources {
    const r = this.loadOf(this.entry(cluster), instance.id).remaining(instance.registeredResources);
    return { ...r, ports: [...r.ports], portsUdp: [...r.portsUdp] };
  }

  private loadOf(e: ClusterEntry, instanceId: string): InstanceLoad<TaskSummary> {
    return e.loads.get(instanceId) ?? EMPTY;
  }

  /** RunTask/StartTask candidates: counts, not task lists (core copies what it consumes). */
  candidates(cluster: string, instances?: ContainerInstance[]): Candidate[] {
    const e = this.entry(cluster);
    return (instances ?? this.instances(cluster)).map((instance) => {
      const load = this.loadOf(e, instance.id);
      return { instance, remaining: load.remaining(instance.registeredResources), groups: load.groups, runningTasksCount: load.running };
    });
  }

  /**
   * The orchestrator's view of every instance. Each view reads the instance's
   * load when read (remaining, groups, running count: what the tasks hold now),
   * so the array and its index stand until an instance itself changes: a task
   * written between two services' passes no longer rebuilds a thousand views.
   * `tasks` is computed when read (the daemon scheduler reads a few).
   */
  views(cluster: string): InstanceView[] {
    return this.viewsEntry(cluster).views;
  }

  /** The views by id and their liveness census, built with them (core's InstanceIndex). */
  instanceIndex(cluster: string): InstanceIndex {
    return this.viewsEntry(cluster).index;
  }

  private viewsEntry(cluster: string): { views: InstanceView[]; index: InstanceIndex } {
    const e = this.entry(cluster);
    if (e.views?.version === e.instancesVersion) return e.views;
    const views = this.instances(cluster).map((instance) => {
      // Every instance gets its load now, empty or not, so its view holds the one a task write will change.
      let load = e.loads.get(instance.id);
      if (!load) e.loads.set(instance.id, (load = new InstanceLoad<TaskSummary>()));
      return new LiveView(instance, load);
    });
    e.views = { version: e.instancesVersion, views, index: indexInstances(views) };
    return e.views;
  }
}

/**
 * One instance as the orchestrator reads it: the instance object (replaced in
 * place by a heartbeat) and what its tasks hold now, read from its load on
 * access (the load keeps `remaining` until a task changes).
 */
class LiveView implements InstanceView {
  constructor(
    public instance: ContainerInstance,
    private readonly load: InstanceLoad<TaskSummary>,
  ) {}

  get remaining(): InstanceResources {
    return this.load.remaining(this.instance.registeredResources);
  }

  get groups(): ReadonlyMap<string, number> {
    return this.load.groups;
  }

  get runningTasksCount(): number {
    return this.load.running;
  }

  get tasks(): InstanceView['tasks'] {
    return this.load.list().map((t) => ({ id: t.id, group: t.group, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus }));
  }
}

const EMPTY = new InstanceLoad<TaskSummary>();
