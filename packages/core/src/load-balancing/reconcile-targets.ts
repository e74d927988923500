import type { NetworkBinding } from '../model/task';
import type { RegisteredTarget, ServiceLoadBalancer, TargetGroup, TargetHealth, TaskDrain } from '../model/load-balancer';
import type { DesiredStatus, TaskStatus } from '../status/task-status';

/** What the load balancer role knows about a service that has load balancers. */
export interface LbService {
  cluster: string;
  name: string;
  loadBalancers: ServiceLoadBalancer[];
}

/** What it needs of one of that service's tasks. */
export interface LbTask {
  id: string;
  cluster: string;
  /** `service:<name>` */
  group: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  containerInstanceId?: string;
  containers: { name: string; networkBindings: NetworkBinding[] }[];
}

export interface TargetReconcileInput {
  now: number;
  services: LbService[];
  /** Tasks of those services that are not STOPPED, and every task that still owns targets or a drain record. */
  tasks: LbTask[];
  /** Host IP of each container instance (targets of type ip). */
  hostIps: ReadonlyMap<string, string>;
  targetGroups: ReadonlyMap<string, TargetGroup>;
  /** Every registered target (manual ones too: they may already hold a key). */
  targets: RegisteredTarget[];
  drains: ReadonlyMap<string, TaskDrain>;
  health: (t: RegisteredTarget) => TargetHealth;
  newRegistrationId: () => string;
  /**
   * Why the service scheduler may not register targets in this target group
   * (its service-linked role's policy says no), or undefined when it may.
   * Absent: always allowed.
   */
  registrationDenied?: (targetGroupArn: string) => string | undefined;
}

export interface ServiceEventOut {
  cluster: string;
  service: string;
  message: string;
}

export interface TargetReconcileResult {
  register: RegisteredTarget[];
  /** Targets that begin draining (rows with state, drainingSince and drainingUntil set). */
  drain: RegisteredTarget[];
  deregister: RegisteredTarget[];
  putDrains: TaskDrain[];
  forgetDrains: string[];
  events: ServiceEventOut[];
  /** Targets found unhealthy (the caller reports each registration once). */
  unhealthy: { target: RegisteredTarget; health: TargetHealth; instanceId?: string }[];
  /** Registrations refused by the scheduler's role, not made (the caller reports each task and group once). */
  denied?: { cluster: string; service: string; taskId: string; targetGroupArn: string; reason: string }[];
  /** Earliest drain end: nothing else changes by the clock alone. */
  nextWakeAt?: number;
}

export const lbMsg = {
  registered: (service: string, n: number, tg: string) => `(service ${service}) registered ${n} targets in (target-group ${tg})`,
  deregistered: (service: string, n: number, tg: string) => `(service ${service}) deregistered ${n} targets in (target-group ${tg})`,
  draining: (service: string, n: number) => `(service ${service}) has begun draining connections on ${n} tasks.`,
  registerFailed: (service: string, tg: string, error: string) => `(service ${service}) failed to register targets in (target-group ${tg}) with (error ${error})`,
  unhealthy: (service: string, instance: string, port: number, tg: string, why: string) =>
    `(service ${service}) (instance ${instance}) (port ${port}) is unhealthy in (target-group ${tg}) due to (reason ${why})`,
};

const targetKey = (t: Pick<RegisteredTarget, 'targetGroupArn' | 'id' | 'port'>) => `${t.targetGroupArn}\u0000${t.id}\u0000${t.port}`;
const serviceKey = (cluster: string, name: string) => `${cluster}\u0000${name}`;
const AGENT_STOPPING: readonly TaskStatus[] = ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];

/** The host port a task's container publishes for `containerPort` (bridge mode: dynamic). */
export function bindingFor(task: Pick<LbTask, 'containers'>, lb: Pick<ServiceLoadBalancer, 'containerName' | 'containerPort'>): number | undefined {
  const c = task.containers.find((x) => x.name === lb.containerName);
  return c?.networkBindings.find((b) => b.containerPort === lb.containerPort && b.protocol === 'tcp')?.hostPort;
}

/**
 * The load balancer role's decision (ECS's service/target-group wiring),
 * pure: RUNNING tasks get a target per service load balancer (host + dynamic
 * host port); a task to stop is deregistered first (its targets drain for the
 * target group's deregistration delay while the dispatcher holds the stop,
 * see `stopHold`), and its targets go once the delay is over; targets of
 * stopped or vanished tasks go at once.
 */
export function reconcileTargets(input: TargetReconcileInput): TargetReconcileResult {
  const { now } = input;
  const out: TargetReconcileResult = { register: [], drain: [], deregister: [], putDrains: [], forgetDrains: [], events: [], unhealthy: [] };
  const services = new Map(input.services.map((s) => [serviceKey(s.cluster, s.name), s]));
  const byTask = new Map<string, RegisteredTarget[]>();
  const taken = new Set<string>();
  for (const t of input.targets) {
    taken.add(targetKey(t));
    if (t.taskId) byTask.set(t.taskId, [...(byTask.get(t.taskId) ?? []), t]);
  }
  const known = new Set(input.tasks.map((t) => t.id));
  const registered = new Map<string, number>(); // service \0 tg -> count
  const deregistered = new Map<string, number>();
  const drainingTasks = new Map<string, number>(); // service key -> tasks
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const wake = (at: number) => (out.nextWakeAt = Math.min(out.nextWakeAt ?? Infinity, at));
  const remove = (t: RegisteredTarget, svc: string | undefined) => {
    out.deregister.push(t);
    taken.delete(targetKey(t));
    if (svc && t.state === 'registered') count(deregistered, `${svc}\u0000${t.targetGroupArn}`);
  };

  for (const task of input.tasks) {
    const svcName = task.group.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
    const svc = svcName === undefined ? undefined : services.get(serviceKey(task.cluster, svcName));
    const mine = byTask.get(task.id) ?? [];
    const drain = input.drains.get(task.id);

    if (AGENT_STOPPING.includes(task.lastStatus)) {
      // The agent is already stopping it (or it stopped on its own): nothing left to drain.
      for (const t of mine) remove(t, svcName);
      if (drain && task.lastStatus === 'STOPPED') out.forgetDrains.push(task.id);
      else if (drain && drain.state !== 'deregistered') out.putDrains.push({ ...drain, state: 'deregistered' });
      continue;
    }

    if (task.desiredStatus === 'RUNNING') {
      if (task.lastStatus !== 'RUNNING' || !svc || !task.containerInstanceId) continue;
      let added = 0;
      for (const lb of svc.loadBalancers) {
        const tg = input.targetGroups.get(lb.targetGroupArn);
        const hostPort = bindingFor(task, lb);
        if (!tg || hostPort === undefined) continue;
        const id = tg.targetType === 'ip' ? input.hostIps.get(task.containerInstanceId) : task.containerInstanceId;
        if (!id) continue;
        const key = targetKey({ targetGroupArn: tg.arn, id, port: hostPort });
        if (taken.has(key)) continue;
        const denied = input.registrationDenied?.(tg.arn);
        if (denied !== undefined) {
          (out.denied ??= []).push({ cluster: task.cluster, service: svc.name, taskId: task.id, targetGroupArn: tg.arn, reason: denied });
          continue;
        }
        taken.add(key);
        out.register.push({
          targetGroupArn: tg.arn,
          id,
          port: hostPort,
          registrationId: input.newRegistrationId(),
          taskId: task.id,
          cluster: task.cluster,
          serviceName: svc.name,
          state: 'registered',
          registeredAt: now,
        });
        count(registered, `${svc.name}\u0000${tg.arn}`);
        added++;
      }
      if ((added > 0 || mine.length > 0) && !drain) out.putDrains.push({ taskId: task.id, state: 'registered', registeredAt: now });
      for (const t of mine) {
        const health = input.health(t);
        if (health.state === 'unhealthy') out.unhealthy.push({ target: t, health, instanceId: task.containerInstanceId });
      }
      continue;
    }

    // desiredStatus STOPPED, still RUNNING on its agent: deregister first, stop after the delay.
    let until = drain?.state === 'draining' ? (drain.drainingUntil ?? now) : 0;
    let began = 0;
    let remaining = 0;
    for (const t of mine) {
      let cur = t;
      // The orchestrator may have stopped the task for this very health
      // before this pass saw it: the unhealthy target is still reported once.
      if (t.state === 'registered') {
        const health = input.health(t);
        if (health.state === 'unhealthy') out.unhealthy.push({ target: t, health, instanceId: task.containerInstanceId });
      }
      if (t.state === 'registered') {
        const delay = (input.targetGroups.get(t.targetGroupArn)?.attributes.deregistrationDelaySeconds ?? 0) * 1000;
        cur = { ...t, state: 'draining', drainingSince: now, drainingUntil: now + delay };
        began++;
        if (svcName) count(deregistered, `${svcName}\u0000${t.targetGroupArn}`);
        if (delay > 0) out.drain.push(cur);
      }
      if (now >= (cur.drainingUntil ?? now)) remove(cur, undefined);
      else {
        remaining++;
        until = Math.max(until, cur.drainingUntil!);
        wake(cur.drainingUntil!);
      }
    }
    if (began > 0 && svcName) {
      const k = serviceKey(task.cluster, svcName);
      drainingTasks.set(k, (drainingTasks.get(k) ?? 0) + 1);
    }
    if (mine.length > 0 || (drain && drain.state !== 'deregistered')) {
      const next: TaskDrain =
        remaining > 0
          ? { taskId: task.id, state: 'draining', registeredAt: drain?.registeredAt ?? now, drainingUntil: until }
          : { taskId: task.id, state: 'deregistered', registeredAt: drain?.registeredAt ?? now, drainingUntil: until || now };
      if (JSON.stringify(next) !== JSON.stringify(drain)) out.putDrains.push(next);
    }
  }

  // Targets whose task is gone from the store entirely; manual targets at the end of their drain.
  for (const t of input.targets) {
    if (t.taskId && !known.has(t.taskId)) remove(t, t.serviceName);
    else if (!t.taskId && t.state === 'draining') {
      if (now >= (t.drainingUntil ?? now)) remove(t, undefined);
      else wake(t.drainingUntil!);
    }
  }
  for (const id of input.drains.keys()) if (!known.has(id)) out.forgetDrains.push(id);

  const events = (m: Map<string, number>, text: (s: string, n: number, tg: string) => string) => {
    for (const [k, n] of m) {
      const [service, tg] = k.split('\u0000') as [string, string];
      const cluster = input.services.find((s) => s.name === service)?.cluster ?? input.targets.find((t) => t.serviceName === service)?.cluster ?? '';
      out.events.push({ cluster, service, message: text(service, n, tg) });
    }
  };
  for (const [k, n] of drainingTasks) {
    const [cluster, service] = k.split('\u0000') as [string, string];
    out.events.push({ cluster, service, message: lbMsg.draining(service, n) });
  }
  events(deregistered, lbMsg.deregistered);
  events(registered, lbMsg.registered);
  return out;
}
