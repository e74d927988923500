import {
  actionTargetGroups,
  aggregateTargetHealth,
  listenerTargetGroups,
  hostSetFor,
  loadBalancerHosts,
  taskTargetHealth,
  targetGroupsInUse,
  type ContainerInstance,
  type HealthStatus,
  type LoadBalancerHostSet,
  type RegisteredTarget,
  type TargetHealth,
  type TargetHealthObservation,
} from '@stevedore/core';
import type { Store } from './store';

/**
 * Read models over the load balancing tables, shared by the API, the
 * dispatcher, the load balancer role and the orchestrator: each is one
 * snapshot of the store turned into answers by the pure core functions.
 */
export class LoadBalancingView {
  private readonly state;
  private readonly instances = new Map<string, ContainerInstance>();
  private readonly observations = new Map<string, TargetHealthObservation[]>();
  private readonly inUse: Set<string>;
  /** Target group -> connected hosts of load balancers that forward to it. */
  private readonly reporters = new Map<string, Set<string>>();

  constructor(private readonly store: Store) {
    this.state = store.loadBalancers.state();
    this.inUse = targetGroupsInUse(this.state);
    const clusters = new Set(this.state.loadBalancers.map((lb) => lb.cluster));
    for (const c of clusters) for (const i of store.instances.listByCluster(c)) this.instances.set(i.id, i);
    for (const lb of this.state.loadBalancers) {
      const hosts = loadBalancerHosts(lb, [...this.instances.values()]).filter((h) => h.agentConnected);
      const listenerArns = new Set(this.state.listeners.filter((l) => l.loadBalancerArn === lb.arn).map((l) => l.arn));
      const tgs = new Set<string>();
      for (const l of this.state.listeners) if (listenerArns.has(l.arn)) listenerTargetGroups(l).forEach((tg) => tgs.add(tg));
      for (const r of this.state.rules) if (listenerArns.has(r.listenerArn)) r.actions.flatMap(actionTargetGroups).forEach((tg) => tgs.add(tg));
      for (const tg of tgs) {
        const set = this.reporters.get(tg) ?? new Set<string>();
        hosts.forEach((h) => set.add(h.id));
        this.reporters.set(tg, set);
      }
    }
    for (const o of store.targets.health()) {
      const k = `${o.targetGroupArn}\u0000${o.id}\u0000${o.port}`;
      this.observations.set(k, [...(this.observations.get(k) ?? []), o]);
    }
  }

  health(t: RegisteredTarget): TargetHealth {
    return aggregateTargetHealth(t, this.observations.get(`${t.targetGroupArn}\u0000${t.id}\u0000${t.port}`) ?? [], {
      inUse: this.inUse.has(t.targetGroupArn),
      reporters: this.reporters.get(t.targetGroupArn) ?? new Set(),
    });
  }

  /** Load balancers forwarding to a target group (DescribeTargetGroups LoadBalancerArns). */
  loadBalancersOf(targetGroupArn: string): string[] {
    const listeners = this.state.listeners.filter(
      (l) => listenerTargetGroups(l).includes(targetGroupArn) || this.state.rules.some((r) => r.listenerArn === l.arn && r.actions.some((a) => actionTargetGroups(a).includes(targetGroupArn))),
    );
    return [...new Set(listeners.map((l) => l.loadBalancerArn))];
  }

  /** The hosts a load balancer runs on now (any agent state). */
  hostsOf(loadBalancerArn: string): ContainerInstance[] {
    const lb = this.state.loadBalancers.find((x) => x.arn === loadBalancerArn);
    if (!lb) return [];
    const all = this.instances.size > 0 ? [...this.instances.values()] : this.store.instances.listByCluster(lb.cluster);
    return loadBalancerHosts(lb, all);
  }
}

/**
 * The host set one container instance must run (the session's load balancer
 * field). Cheap when its cluster has no load balancers, which is the common case.
 */
export function hostSetOf(store: Store, instance: ContainerInstance): LoadBalancerHostSet {
  if (store.loadBalancers.countInCluster(instance.clusterName) === 0) return hostSetFor(instance, { loadBalancers: [], listeners: [], rules: [], targetGroups: [], targets: [] }, new Map());
  const state = store.loadBalancers.state([instance.clusterName]);
  const targets = store.targets.all();
  const ids = new Set(targets.map((t) => t.id));
  const byId = new Map<string, ContainerInstance>();
  for (const id of ids) {
    const i = store.instances.get(id);
    if (i) byId.set(id, i);
  }
  // Keys are opened only for the certificates of this instance's cluster's HTTPS/TLS listeners.
  const certificates = new Map<string, string>();
  for (const l of state.listeners) {
    for (const arn of l.certificates ?? []) {
      if (certificates.has(arn)) continue;
      const pem = store.certificates.pem(arn);
      if (pem !== undefined) certificates.set(arn, pem);
    }
  }
  return hostSetFor(instance, { ...state, targets, certificates }, byId);
}

/**
 * The orchestrator's load balancer hook: each task's combined target health
 * (core `taskTargetHealth`) given how many target groups its service uses,
 * and, when unhealthy, a target group it fails in (ECS names it in the stop
 * reason). Tasks of services without load balancers are simply absent.
 */
export function taskTargetHealthOf(store: Store, taskIds: string[], expectedTargetGroups: number): Map<string, { health: HealthStatus; unhealthyTargetGroupArn?: string }> {
  const out = new Map<string, { health: HealthStatus; unhealthyTargetGroupArn?: string }>();
  if (expectedTargetGroups === 0 || taskIds.length === 0) return out;
  const targets = store.targets.ofTasks(taskIds);
  const view = targets.length > 0 ? new LoadBalancingView(store) : undefined;
  const byTask = new Map<string, { targetGroupArn: string; health: TargetHealth }[]>();
  for (const t of targets) byTask.set(t.taskId!, [...(byTask.get(t.taskId!) ?? []), { targetGroupArn: t.targetGroupArn, health: view!.health(t) }]);
  for (const id of taskIds) {
    const mine = byTask.get(id) ?? [];
    const health = taskTargetHealth(mine, expectedTargetGroups);
    const failing = mine.find((m) => m.health.state === 'unhealthy');
    out.set(id, health === 'UNHEALTHY' && failing ? { health, unhealthyTargetGroupArn: failing.targetGroupArn } : { health });
  }
  return out;
}

/**
 * The orchestrator's loader hook (docs/design/deployments.md): sets
 * `targetHealth` (and the failing target group) on the tasks of a service
 * with load balancers, leaves the others untouched (their health is the
 * containers' alone).
 */
export function withTargetHealth<T extends { id: string; targetHealth?: HealthStatus; unhealthyTargetGroupArn?: string }>(store: Store, service: { loadBalancers?: unknown[] }, tasks: T[]): T[] {
  const expected = service.loadBalancers?.length ?? 0;
  if (expected === 0) return tasks;
  const health = taskTargetHealthOf(store, tasks.map((t) => t.id), expected);
  return tasks.map((t) => {
    const h = health.get(t.id);
    const next: T = { ...t, targetHealth: h?.health ?? 'UNKNOWN' };
    if (h?.unhealthyTargetGroupArn) next.unhealthyTargetGroupArn = h.unhealthyTargetGroupArn;
    return next;
  });
}
