import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  appendServiceEvents,
  denialMessage,
  ECS_SERVICE_LINKED_POLICY,
  ECS_SERVICE_LINKED_ROLE,
  ecsServiceSchedulerArn,
  lbMsg,
  reconcileTargets,
  serviceGroup,
  type LbService,
  type LbTask,
  type TargetReconcileResult,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { Change } from '../store/changes';
import type { StoredTask } from '../store/tasks-repo';
import { LoadBalancingView } from '../store/load-balancing-view';
import { serviceLinkedDecision } from '../store/service-linked-view';

export interface TargetRegistrarOptions {
  /** Ticks come this long after the first change of a burst (swarmkit's debounce). */
  debounceMs: number;
  /** Full pass this often, whatever happened: heals missed events. */
  resyncMs: number;
}

export const DEFAULT_TARGET_REGISTRAR_OPTIONS: TargetRegistrarOptions = { debounceMs: 50, resyncMs: 5000 };

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The control plane's load balancer role (ECS's service <-> target group
 * wiring): registers each RUNNING service task's host and dynamic host port
 * in the service's target groups, deregisters it before it stops (draining
 * for the deregistration delay while the dispatcher holds the agent's stop),
 * removes the targets of stopped tasks, and expires manual deregistrations.
 * Wakes on store changes and resyncs periodically; decisions come from the
 * pure `reconcileTargets`, applied in one transaction. Unhealthy targets are
 * the orchestrator's to replace (it reads target health through the store).
 */
export class TargetRegistrar {
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Unhealthy registrations already announced in the service's events. */
  private readonly announced = new Set<string>();
  /** Refused registrations (task and target group) already announced. */
  private readonly refused = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: TargetRegistrarOptions = DEFAULT_TARGET_REGISTRAR_OPTIONS,
  ) {}

  start(): void {
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    this.resync = setInterval(() => this.schedule(), this.opts.resyncMs);
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    clearTimeout(this.wake);
    clearInterval(this.resync);
    this.timer = this.wake = this.resync = undefined;
  }

  private onChange(c: Change): void {
    if (c.kind === 'task' && !c.group?.startsWith('service:')) return;
    if (c.kind === 'cluster' || c.kind === 'task-definition') return;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || !this.unsubscribe) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.tick();
      } catch (e) {
        this.log.error({ err: e }, 'load balancer target pass failed; retrying');
        this.armWake(Date.now() + 1000);
      }
    }, this.opts.debounceMs);
  }

  /** One pass over every service with load balancers and every task that owns targets. Synchronous. */
  tick(): TargetReconcileResult {
    const now = this.store.clock.now();
    const services: LbService[] = [];
    const tasks = new Map<string, StoredTask>();
    for (const s of this.store.services.listWithLoadBalancers()) {
      services.push({ cluster: s.clusterName, name: s.name, loadBalancers: s.loadBalancers! });
      for (const t of this.store.tasks.forGroup(s.clusterName, serviceGroup(s.name), now)) tasks.set(t.id, t);
    }
    const targets = this.store.targets.all();
    const owners = new Set([...targets.flatMap((t) => (t.taskId ? [t.taskId] : [])), ...this.store.targets.allDrainTaskIds()]);
    for (const id of owners) {
      if (tasks.has(id)) continue;
      const t = this.store.tasks.get(id);
      if (t) tasks.set(id, t);
    }
    if (services.length === 0 && targets.length === 0 && owners.size === 0) return empty();
    const view = new LoadBalancingView(this.store);
    const hostIps = new Map<string, string>();
    const lbTasks: LbTask[] = [...tasks.values()].map((t) => {
      if (t.containerInstanceId && !hostIps.has(t.containerInstanceId)) {
        const i = this.store.instances.get(t.containerInstanceId);
        if (i) hostIps.set(i.id, i.hostIp);
      }
      const lt: LbTask = { id: t.id, cluster: t.clusterName, group: t.group, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, containers: t.containers };
      if (t.containerInstanceId) lt.containerInstanceId = t.containerInstanceId;
      return lt;
    });
    const state = this.store.loadBalancers.state();
    const result = reconcileTargets({
      now,
      services,
      tasks: lbTasks,
      hostIps,
      targetGroups: new Map(state.targetGroups.map((g) => [g.arn, g])),
      targets,
      drains: this.store.targets.drainsOf([...owners, ...tasks.keys()]),
      health: (t) => view.health(t),
      newRegistrationId: () => randomBytes(6).toString('hex'),
      registrationDenied: (tg) => this.registrationDenied(tg),
    });
    this.apply(result, tasks, now);
    if (result.nextWakeAt !== undefined) this.armWake(result.nextWakeAt);
    return result;
  }

  private apply(r: TargetReconcileResult, tasks: Map<string, StoredTask>, now: number): void {
    const events = new Map<string, { cluster: string; service: string; messages: string[] }>();
    const event = (cluster: string, service: string, message: string) => {
      const k = `${cluster}\u0000${service}`;
      const e = events.get(k) ?? { cluster, service, messages: [] };
      e.messages.push(message);
      events.set(k, e);
    };
    for (const e of r.events) event(e.cluster, e.service, e.message);
    for (const d of r.denied ?? []) {
      const k = `${d.taskId}\u0000${d.targetGroupArn}`;
      if (this.refused.has(k)) continue;
      this.refused.add(k);
      event(d.cluster, d.service, lbMsg.registerFailed(d.service, d.targetGroupArn, d.reason));
      this.log.warn({ audit: true, action: 'elasticloadbalancing:RegisterTargets', principal: ecsServiceSchedulerArn(this.store.arnContext.account), cluster: d.cluster, service: d.service, task: d.taskId, targetGroup: d.targetGroupArn }, 'target registration refused by the service-linked role');
    }
    if (this.refused.size > 10_000) this.refused.clear();
    for (const u of r.unhealthy) {
      if (this.announced.has(u.target.registrationId) || !u.target.serviceName || !u.target.cluster) continue;
      this.announced.add(u.target.registrationId);
      event(u.target.cluster, u.target.serviceName, lbMsg.unhealthy(u.target.serviceName, u.instanceId ?? u.target.id, u.target.port, u.target.targetGroupArn, u.health.description ?? u.health.reason ?? 'Health checks failed'));
    }
    const changed = r.register.length + r.drain.length + r.deregister.length + r.putDrains.length + r.forgetDrains.length + events.size;
    if (changed === 0) return;
    this.store.tx(() => {
      for (const t of r.register) this.store.targets.put(t);
      for (const t of r.drain) this.store.targets.put(t);
      for (const t of r.deregister) {
        this.store.targets.delete(t);
        this.announced.delete(t.registrationId);
      }
      for (const d of r.putDrains) {
        const t = tasks.get(d.taskId);
        if (t) this.store.targets.putDrain(d, t);
      }
      for (const id of r.forgetDrains) this.store.targets.deleteDrain(id);
      // The service's events belong to the orchestrator's runtime record; this pass
      // is synchronous with its ticks (one process), so reading and writing here is safe.
      for (const e of events.values()) {
        const stored = this.store.services.get(e.cluster, e.service);
        if (!stored) continue;
        this.store.services.putRuntime(e.cluster, e.service, { ...stored.runtime, events: appendServiceEvents(stored.runtime.events, e.messages, now, randomUUID) });
      }
    });
    this.log.info(
      { registered: r.register.length, draining: r.drain.length, deregistered: r.deregister.length, unhealthy: r.unhealthy.length },
      'load balancer targets reconciled',
    );
  }

  /** The service scheduler registers targets under AWSServiceRoleForECS: its policy (and boundary) decide, now. */
  private registrationDenied(targetGroupArn: string): string | undefined {
    const decision = serviceLinkedDecision(this.store, ECS_SERVICE_LINKED_ROLE, ECS_SERVICE_LINKED_POLICY, 'elasticloadbalancing:RegisterTargets', targetGroupArn);
    if (decision === 'allow') return undefined;
    return `AccessDenied: ${denialMessage(ecsServiceSchedulerArn(this.store.arnContext.account), 'elasticloadbalancing:RegisterTargets', targetGroupArn, decision)}`;
  }

  private armWake(at: number): void {
    clearTimeout(this.wake);
    const delay = Math.min(MAX_TIMER_MS, Math.max(10, at - this.store.clock.now() + 5));
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.schedule();
    }, delay);
  }
}

function empty(): TargetReconcileResult {
  return { register: [], drain: [], deregister: [], putDrains: [], forgetDrains: [], events: [], unhealthy: [] };
}
