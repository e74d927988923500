import type { InstanceResources } from '../model/container-instance';
import type { DesiredStatus, TaskStatus } from '../status/task-status';
import { isActiveTask } from './filters';
import type { TaskRequirement } from './resources';

/** What the load of an instance needs to know about one of its tasks. */
export interface LoadTask extends TaskRequirement {
  id: string;
  group: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
}

function bump<K>(m: Map<K, number>, k: K, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

/**
 * Everything placement reads about one instance's tasks (reservations, host
 * ports, groups, running count), kept up to date one task at a time, so a
 * placement costs O(instances) whatever the number of tasks. Holds only tasks
 * that are not STOPPED (a STOPPED task frees what it held). Same arithmetic
 * as `remainingResources`.
 */
export class InstanceLoad<T extends LoadTask = LoadTask> {
  cpu = 0;
  memory = 0;
  running = 0;
  /** Active tasks per group (task:group in memberOf, distinctInstance, spread). */
  readonly groups = new Map<string, number>();
  private readonly tcp = new Map<number, number>();
  private readonly udp = new Map<number, number>();
  private readonly tasks = new Map<string, T>();
  private cached: { registered: InstanceResources; remaining: InstanceResources } | undefined;

  get size(): number {
    return this.tasks.size;
  }

  get(id: string): T | undefined {
    return this.tasks.get(id);
  }

  list(): T[] {
    return [...this.tasks.values()];
  }

  /** Adds or replaces a task; a STOPPED one is removed. */
  put(t: T): void {
    this.remove(t.id);
    if (t.lastStatus === 'STOPPED') return;
    this.apply(t, 1);
    this.tasks.set(t.id, t);
  }

  remove(id: string): T | undefined {
    const old = this.tasks.get(id);
    if (!old) return undefined;
    this.apply(old, -1);
    this.tasks.delete(id);
    return old;
  }

  private apply(t: LoadTask, by: 1 | -1): void {
    this.cached = undefined;
    this.cpu += by * t.cpu;
    this.memory += by * t.memory;
    if (t.lastStatus === 'RUNNING') this.running += by;
    if (isActiveTask(t)) bump(this.groups, t.group, by);
    for (const p of t.hostPorts) bump(p.protocol === 'udp' ? this.udp : this.tcp, p.port, by);
  }

  /** registered − what the tasks hold; the same object until a task changes (callers copy before consuming). */
  remaining(registered: InstanceResources): InstanceResources {
    if (this.cached?.registered === registered) return this.cached.remaining;
    const ports = new Set(registered.ports);
    for (const p of this.tcp.keys()) ports.add(p);
    const portsUdp = new Set(registered.portsUdp);
    for (const p of this.udp.keys()) portsUdp.add(p);
    const remaining = {
      cpu: registered.cpu - this.cpu,
      memory: registered.memory - this.memory,
      ports: [...ports].sort((a, b) => a - b),
      portsUdp: [...portsUdp].sort((a, b) => a - b),
    };
    this.cached = { registered, remaining };
    return remaining;
  }
}
