import type { Logger } from 'pino';
import {
  DEFAULT_DEPLOYMENT_TIMEOUT_MS,
  DEFAULT_HEALTHY_AFTER_RUNNING_MS,
  fargatePoolConstraints,
  healthyAfterRunningMs,
  judgeCensus,
  newDeploymentId,
  primaryDeployment,
  reconcileService,
  seededRandom,
  serviceGroup,
  type DeploymentRollout,
} from '@stevedore/core';
import { AGENT_RECONNECT_WORST_MS } from '@stevedore/proto';
import type { Store } from '../store/store';
import type { Change } from '../store/changes';
import { applyReconcile } from './apply-actions';
import { ClusterSnapshot, loadServiceTasks, requirementOf, toServiceTask } from './cluster-snapshot';
import { withTargetHealth } from '../store/load-balancing-view';
import { withScaleInProtection } from '../store/task-protection-view';
import { ClusterWatch } from './cluster-watch';
import { capacityCanGrow, capacityConstraints, daemonGroupsOf } from './capacity-placement';
import { placeProvisioning } from './provisioning-placer';
import { isHostGroupStrategy } from '../store/capacity-view';
import { SpreadResync } from './resync';

export interface OrchestratorOptions {
  /** An instance disconnected this long is lost: its service tasks are replaced. */
  instanceLostGraceMs: number;
  /** swarmkit's debounce: tick this long after the last change... */
  debounceMs: number;
  /** ...but no later than this after the first one. */
  maxDelayMs: number;
  /**
   * Every service is reconciled at least this often whatever happened, healing
   * any missed event: spread over the period, each service on its own phase
   * (resync.ts), so a thousand idle services are not one long stall.
   */
  resyncMs: number;
  /** Wait after start so agents can reconnect before anything is judged (a restart marks them all disconnected). */
  startupDelayMs: number;
  /** Placements per service per tick; more continue on the next tick. */
  maxPlacementsPerTick: number;
  /** A RUNNING task without health checks counts toward minimumHealthyPercent after this long (ECS: 40 s). */
  healthyAfterRunningMs: number;
  /** A deployment whose figures do not improve for this long fails. */
  deploymentTimeoutMs: number;
  /**
   * A tick that has run this long leaves the services it has not reached for
   * the next turn of the event loop: ticks are synchronous, and the
   * dispatcher must push what was just committed to the agents (assignment
   * latency) and serve heartbeats in between.
   */
  tickBudgetMs: number;
}

export const DEFAULT_ORCHESTRATOR_OPTIONS: OrchestratorOptions = {
  instanceLostGraceMs: 30_000,
  debounceMs: 50,
  maxDelayMs: 1000,
  resyncMs: 15_000,
  startupDelayMs: 3000,
  maxPlacementsPerTick: 2500,
  healthyAfterRunningMs: DEFAULT_HEALTHY_AFTER_RUNNING_MS,
  deploymentTimeoutMs: DEFAULT_DEPLOYMENT_TIMEOUT_MS,
  tickBudgetMs: 20,
};

const key = (cluster: string, name: string) => `${cluster}\u0000${name}`;

/**
 * The service orchestrator (swarmkit's replicated orchestrator): change events
 * only mark services dirty; a debounced tick loads each dirty service and its
 * cluster from the store, asks the pure `reconcileService`, and applies the
 * answer in one transaction. Everything is decided from the store, so a
 * restart in the middle loses nothing and repeats nothing.
 */
export class ServiceReconciler {
  private readonly dirty = new Set<string>();
  private readonly dirtyClusters = new Set<string>();
  /** Services waiting for capacity: any task or instance change in their cluster may help. */
  private readonly waiting = new Map<string, string>();
  private readonly wakeAt = new Map<string, number>();
  private readonly reportedLost = new Set<string>();
  private watch: ClusterWatch | undefined;
  private firstDirtyAt: number | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private seed = 1;
  /** Tasks placed, and the time of the ticks that placed them: snapshot, decisions, commits (benchmarks, metrics). */
  readonly stats = { placed: 0, placingMs: 0, deferred: 0 };
  /** Told each tick's duration in seconds (the control plane's Prometheus histogram). */
  observeTick: ((seconds: number) => void) | undefined;
  /** Some service placed only part of what it needs this tick. */
  private hasMore = false;
  private urgent = false;
  /** The pending tick timer runs on the next turn (0 ms), not after the debounce. */
  private tickPrompt = false;
  /**
   * Services with a deployment IN_PROGRESS: a change to one of their tasks (a
   * new task HEALTHY, an old one STOPPED) is the event the next wave waits
   * for, so it is reconciled on the next turn of the event loop, not after the
   * debounce (docs/design/deployments.md, "Event-driven waves"). Reports that
   * arrive together are still one tick: timers run after the I/O callbacks.
   */
  private readonly rolling = new Set<string>();
  private readonly resync: SpreadResync;
  /**
   * DAEMON groups per cluster, read once instead of on every tick turn (a scan
   * of the cluster's service specs): a service change updates its own entry
   * (a create, a re-create, a row reaped), and each resync period drops them
   * all, so a missed change heals like the rest.
   */
  private readonly daemonGroups = new Map<string, ReadonlySet<string>>();
  /** Deployment timeouts count from here: the control plane's own downtime is not a stall. */
  private progressSince = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    readonly opts: OrchestratorOptions = DEFAULT_ORCHESTRATOR_OPTIONS,
  ) {
    this.resync = new SpreadResync(opts.resyncMs);
  }

  start(): void {
    // Agents could not reach us before now: every instance gets a full grace from here (instance-liveness.ts).
    this.watch = new ClusterWatch(this.store, this.log, this.opts.instanceLostGraceMs, this.store.clock.now());
    if (this.opts.instanceLostGraceMs < 2 * AGENT_RECONNECT_WORST_MS) {
      this.log.warn(
        { instanceLostGraceMs: this.opts.instanceLostGraceMs, agentReconnectWorstMs: AGENT_RECONNECT_WORST_MS },
        'the lost-instance grace is short next to how long an agent may take to reconnect: a control-plane restart may replace healthy tasks',
      );
    }
    this.progressSince = this.store.clock.now() + this.opts.startupDelayMs;
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    const begin = () => {
      this.started = true;
      // Everything once at start (agents may have come and gone while no one watched); the resync's first period begins after it.
      this.markAll();
      this.resync.begin(Date.now());
    };
    this.timers.push(setTimeout(begin, this.opts.startupDelayMs));
    this.timers.push(setInterval(() => this.started && this.resyncStep(), this.resync.stepMs));
  }

  stop(): void {
    this.unsubscribe?.();
    this.timers.forEach((t) => clearTimeout(t));
    this.timers = [];
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.tickTimer = this.wakeTimer = undefined;
  }

  private onChange(c: Change): void {
    if (c.kind === 'service') {
      this.noteStrategy(c.cluster, c.service);
      this.mark(c.cluster, c.service);
    }
    else if (c.kind === 'task') {
      if (c.group?.startsWith('service:')) this.mark(c.cluster, c.group.slice('service:'.length));
      this.markWaiting(c.cluster);
    } else if (c.kind === 'instance' || c.kind === 'host-group') this.markCluster(c.cluster);
    // A provider that stops growing turns its waiting tasks into placement failures.
    else if (c.kind === 'capacity-provider') for (const cluster of this.store.tasks.clustersProvisioning()) this.markCluster(cluster);
  }

  /** Keeps the cached DAEMON groups of the cluster exact for one changed service (one row read, not the cluster's specs). */
  private noteStrategy(cluster: string, name: string): void {
    const cached = this.daemonGroups.get(cluster);
    if (!cached) return;
    const group = serviceGroup(name);
    const daemon = this.store.services.schedulingStrategyOf(cluster, name) === 'DAEMON';
    if (daemon === cached.has(group)) return;
    const next = new Set(cached);
    if (daemon) next.add(group);
    else next.delete(group);
    this.daemonGroups.set(cluster, next);
  }

  private markWaiting(cluster: string): void {
    for (const [k, cl] of this.waiting) if (cl === cluster) this.markKey(k);
  }

  mark(cluster: string, name: string): void {
    this.markKey(key(cluster, name));
  }

  private markKey(k: string): void {
    this.dirty.add(k);
    this.schedule(this.rolling.has(k));
  }

  private markCluster(cluster: string): void {
    this.dirtyClusters.add(cluster);
    this.schedule();
  }

  private markAll(): void {
    for (const s of this.store.services.listReconcilable()) this.dirty.add(key(s.cluster, s.name));
    for (const cluster of this.store.tasks.clustersProvisioning()) this.dirtyClusters.add(cluster);
    this.schedule();
  }

  /** The resync's share of services due by now; a new period lists the services again. */
  private resyncStep(): void {
    const now = Date.now();
    const due = this.resync.due(now, () => {
      // Tasks waiting in PROVISIONING are the placer's, per cluster: looked at once a period.
      for (const cluster of this.store.tasks.clustersProvisioning()) this.dirtyClusters.add(cluster);
      this.daemonGroups.clear();
      return this.store.services.listReconcilable().map((s) => key(s.cluster, s.name));
    });
    for (const k of due) this.dirty.add(k);
    if (due.length > 0 || this.dirtyClusters.size > 0) this.schedule();
  }

  private schedule(prompt = false): void {
    if (!this.started) return;
    // A tick is due on the next turn already: it carries this change too.
    if (this.tickTimer && this.tickPrompt) return;
    if (this.urgent || prompt) {
      // A scale-out in chunks continues at once: debouncing would wait for the agents' reports to pause.
      if (this.tickTimer) clearTimeout(this.tickTimer);
      this.tickTimer = setTimeout(() => this.tick(), 0);
      this.tickPrompt = true;
      return;
    }
    const now = Date.now();
    this.firstDirtyAt ??= now;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    const delay = Math.max(0, Math.min(this.opts.debounceMs, this.firstDirtyAt + this.opts.maxDelayMs - now));
    this.tickTimer = setTimeout(() => this.tick(), delay);
  }

  /** One pass over the dirty services, cluster by cluster. Synchronous: nothing interleaves with it. */
  tick(): void {
    const startedAt = performance.now();
    const placedBefore = this.stats.placed;
    this.tickTimer = undefined;
    this.tickPrompt = false;
    this.firstDirtyAt = undefined;
    const work = new Map<string, string[]>();
    for (const cluster of this.dirtyClusters) {
      // A cluster with no service may still have tasks waiting in PROVISIONING (RunTask): the placer runs for it.
      work.set(cluster, []);
      for (const s of this.store.services.listReconcilable()) if (s.cluster === cluster) this.dirty.add(key(s.cluster, s.name));
    }
    this.dirtyClusters.clear();
    for (const k of this.dirty) {
      const [cluster, name] = k.split('\u0000') as [string, string];
      work.set(cluster, [...(work.get(cluster) ?? []), name]);
    }
    this.dirty.clear();
    /** Services left for the next turn once the budget is spent (at least one service per tick: progress). */
    const later: string[] = [];
    let reconciled = 0;
    const spent = () => reconciled > 0 && performance.now() - startedAt > this.opts.tickBudgetMs;
    for (const [cluster, names] of work) {
      if (spent()) {
        names.forEach((n) => later.push(key(cluster, n)));
        continue;
      }
      let snapshot: ClusterSnapshot;
      let watchingSince: number;
      try {
        snapshot = new ClusterSnapshot(this.store, cluster);
        watchingSince = this.watch!.observe(snapshot);
        this.reportLostInstances(snapshot, watchingSince);
      } catch (e) {
        this.log.error({ err: e, cluster }, 'could not load the cluster; retrying');
        names.forEach((n) => this.dirty.add(key(cluster, n)));
        continue;
      }
      // DAEMON services first: a new host gets its daemon task before replica tasks take its room (ECS's order).
      let daemons = this.daemonGroups.get(cluster);
      if (!daemons) this.daemonGroups.set(cluster, (daemons = daemonGroupsOf(this.store, cluster)));
      names.sort((a, b) => Number(!daemons.has(serviceGroup(a))) - Number(!daemons.has(serviceGroup(b))));
      snapshot.daemonGroups = daemons;
      const firstReplica = names.findIndex((n) => !daemons.has(serviceGroup(n)));
      names.forEach((name, i) => {
        if (later.length > 0 || spent()) {
          later.push(key(cluster, name));
          return;
        }
        reconciled++;
        // Tasks waiting in PROVISIONING go on new hosts after the daemon tasks, before new replica tasks.
        if (i === firstReplica) this.placeWaiting(snapshot);
        try {
          this.reconcileOne(snapshot, name, watchingSince);
        } catch (e) {
          this.log.error({ err: e, cluster, service: name }, 'service reconcile failed; retrying');
          this.wakeAt.set(key(cluster, name), Date.now() + 1000);
        }
      });
      // Again for what the replica services just created in PROVISIONING (placed in this same tick).
      this.placeWaiting(snapshot);
    }
    for (const k of later) this.dirty.add(k);
    // The rest continues on the next turn, without the debounce.
    if (later.length > 0) this.hasMore = true;
    this.stats.deferred += later.length;
    this.armWake();
    if (this.stats.placed > placedBefore) this.stats.placingMs += performance.now() - startedAt;
    this.observeTick?.((performance.now() - startedAt) / 1000);
    this.urgent = this.hasMore;
    this.hasMore = false;
    if (this.dirty.size > 0) this.schedule();
  }

  private reconcileOne(snapshot: ClusterSnapshot, name: string, watchingSince: number): void {
    const k = key(snapshot.cluster, name);
    this.wakeAt.delete(k);
    this.waiting.delete(k);
    const stored = this.store.services.get(snapshot.cluster, name);
    if (!stored || stored.service.status === 'INACTIVE') {
      this.rolling.delete(k);
      return;
    }
    const now = this.store.clock.now();
    const primary = primaryDeployment(stored.service);
    const td = primary ? snapshot.taskDefinition(primary.taskDefinitionArn) : undefined;
    if (!td) this.log.warn({ cluster: snapshot.cluster, service: name }, 'task definition of the PRIMARY deployment not found; nothing will be placed');
    const { requirement, constraints: tdConstraints } = td ? requirementOf(td) : { requirement: { cpu: 0, memory: 0, hostPorts: [] }, constraints: [] };
    // FARGATE services are placed on the cluster's FARGATE pool only (docs/design/fargate.md).
    const constraints = stored.service.launchType === 'FARGATE' ? fargatePoolConstraints(this.store.clusters.get(snapshot.cluster)?.settings ?? []) : tdConstraints;
    const seed = this.seed++;
    const rollout = primary ? stored.runtime.rollouts[primary.id] : undefined;
    // Counted in SQL only while it can still change the rollout.
    const primaryFailures =
      primary && rollout?.rolloutState !== 'COMPLETED' && rollout?.rolloutState !== 'FAILED'
        ? this.store.tasks.countDeploymentFailures(snapshot.cluster, serviceGroup(name), primary.id)
        : (rollout?.failedTasks ?? 0);
    const result = reconcileService({
      service: stored.service,
      tasks: withScaleInProtection(this.store, snapshot.cluster, now, withTargetHealth(this.store, stored.service, loadServiceTasks(this.store, snapshot, stored.service, now).map(toServiceTask))),
      ...snapshot.instancesInput(),
      requirement,
      taskDefinitionConstraints: [...constraints, ...capacityConstraints(this.store, stored.service)],
      daemonGroups: snapshot.daemonGroups,
      now,
      instanceLostGraceMs: this.opts.instanceLostGraceMs,
      watchingSince,
      random: seededRandom(seed),
      maxPlacements: td ? this.opts.maxPlacementsPerTick : 0,
      rollouts: stored.runtime.rollouts,
      primaryFailures,
      deployment: {
        // The cluster's stevedore:healthyAfterRunningSeconds overrides the flag.
        healthyAfterRunningMs: healthyAfterRunningMs(this.store.clusters.get(snapshot.cluster)?.settings ?? [], this.opts.healthyAfterRunningMs),
        timeoutMs: this.opts.deploymentTimeoutMs,
        progressSince: this.progressSince,
        newDeploymentId: () => newDeploymentId(Math.random),
      },
    });
    // Tasks waiting for a provider that is still growing are not a placement failure (ECS: PROVISIONING).
    if (result.unplaced > 0 && capacityCanGrow(this.store, stored.service)) {
      const prefix = `(service ${name}) was unable to place`;
      result.events = result.events.filter((m) => !m.startsWith(prefix));
    }
    const before = stored.runtime.rollouts;
    const provisioning =
      stored.service.schedulingStrategy === 'REPLICA' && isHostGroupStrategy(this.store, stored.service.capacityProviderStrategy)
        ? { canGrow: capacityCanGrow(this.store, stored.service), constraints: [...stored.service.placementConstraints, ...constraints] }
        : undefined;
    const out = applyReconcile(this.store, snapshot, stored, result, td, requirement, provisioning);
    this.stats.placed += out.started.length;
    if (out.started.length > 0 || out.stopped.length > 0 || out.requeued > 0 || result.unplaced > 0) {
      this.log.info(
        { cluster: snapshot.cluster, service: name, placed: out.started.length, stopped: out.stopped.length, lost: result.stop.filter((s) => s.lost).length, unplaced: result.unplaced, requeued: out.requeued, seed },
        'service reconciled',
      );
    }
    this.logRollouts(snapshot.cluster, name, before, result.rollouts);
    if (Object.values(result.rollouts ?? {}).some((r) => r.rolloutState === 'IN_PROGRESS')) this.rolling.add(k);
    else this.rolling.delete(k);
    if (result.more || out.requeued > 0) this.dirty.add(k);
    if (result.more) this.hasMore = true;
    if (result.unplaced > 0 || out.requeued > 0) this.waiting.set(k, snapshot.cluster);
    if (result.nextWakeAt !== undefined) this.wakeAt.set(k, result.nextWakeAt);
  }

  private logRollouts(cluster: string, service: string, before: Record<string, DeploymentRollout>, after: Record<string, DeploymentRollout> | undefined): void {
    for (const [deployment, r] of Object.entries(after ?? {})) {
      if (before[deployment]?.rolloutState === r.rolloutState) continue;
      const level = r.rolloutState === 'FAILED' ? 'warn' : 'info';
      this.log[level]({ cluster, service, deployment, rolloutState: r.rolloutState, failedTasks: r.failedTasks }, r.rolloutStateReason);
    }
  }

  /** The provisioning placer's pass over the cluster (provisioning-placer.ts); a failure waits for the next tick. */
  private placeWaiting(snapshot: ClusterSnapshot): void {
    try {
      const r = placeProvisioning(this.store, snapshot, this.log, seededRandom(this.seed++));
      this.stats.placed += r.placed;
    } catch (e) {
      this.log.error({ err: e, cluster: snapshot.cluster }, 'placing tasks in PROVISIONING failed; retrying');
      this.dirtyClusters.add(snapshot.cluster);
    }
  }

  /** Standalone tasks on a lost instance are left alone (never duplicated), and said so once. */
  private reportLostInstances(snapshot: ClusterSnapshot, watchingSince: number): void {
    const now = this.store.clock.now();
    const { byId, census } = snapshot.instancesInput().instanceIndex;
    // From the census: O(disconnected instances) per tick, not O(instances).
    const liveness = judgeCensus(census, now, { graceMs: this.opts.instanceLostGraceMs, watchingSince });
    for (const id of this.reportedLost) if (byId.has(id) && !liveness.lost.has(id)) this.reportedLost.delete(id);
    for (const id of liveness.lost) {
      if (this.reportedLost.has(id)) continue;
      this.reportedLost.add(id);
      const standalone = snapshot.tasksOn(id).filter((t) => !t.group.startsWith('service:') && t.desiredStatus === 'RUNNING');
      this.log.warn(
        { cluster: snapshot.cluster, instance: id, standaloneTasks: standalone.map((t) => t.id) },
        `container instance ${id} lost (agent disconnected longer than ${this.opts.instanceLostGraceMs / 1000} s): service tasks are replaced, ${standalone.length} standalone task(s) left as they are`,
      );
    }
  }

  /** One timer for the earliest time-based change (lost grace, throttle). */
  private armWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.wakeAt.size === 0) return;
    const earliest = Math.min(...this.wakeAt.values());
    const delay = Math.max(10, earliest - this.store.clock.now() + 5);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      const now = this.store.clock.now();
      for (const [k, at] of [...this.wakeAt]) {
        if (at > now) continue;
        this.wakeAt.delete(k);
        this.markKey(k);
      }
      this.armWake();
    }, Math.min(delay, 2 ** 31 - 1));
  }
}
