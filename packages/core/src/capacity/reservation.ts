import type { TaskRequirement } from '../placement/resources';

/** The resources one new host of a group brings (learned from its hosts, or configured). */
export interface HostSize {
  cpu: number;
  memory: number;
}

/**
 * ECS's CapacityProviderReservation: M / N × 100, with M the hosts needed
 * and N the hosts running. No hosts and nothing needed is 100 (steady); no
 * hosts and something needed is 200 (ECS's value: scale out from zero).
 */
export function capacityProviderReservation(m: number, n: number): number {
  if (n === 0) return m > 0 ? 200 : 100;
  return (m / n) * 100;
}

/**
 * Hosts needed for `tasks` on empty hosts of `size` (first fit, largest
 * first: a good bound, as ECS's own estimate is). Tasks that fit no host of
 * this size are counted apart: adding hosts cannot help them. Host ports are
 * per host, so two tasks with the same static port need two hosts.
 */
export function hostsForTasks(tasks: readonly TaskRequirement[], size: HostSize): { hosts: number; unfit: number } {
  const bins: { cpu: number; memory: number; ports: Set<string> }[] = [];
  let unfit = 0;
  const sorted = [...tasks].sort((a, b) => b.memory - a.memory || b.cpu - a.cpu);
  for (const t of sorted) {
    if (t.cpu > size.cpu || t.memory > size.memory) {
      unfit++;
      continue;
    }
    const ports = t.hostPorts.map((p) => `${p.protocol}/${p.port}`);
    let bin = bins.find((b) => b.cpu >= t.cpu && b.memory >= t.memory && ports.every((p) => !b.ports.has(p)));
    if (!bin) {
      bin = { cpu: size.cpu, memory: size.memory, ports: new Set() };
      bins.push(bin);
    }
    bin.cpu -= t.cpu;
    bin.memory -= t.memory;
    ports.forEach((p) => bin.ports.add(p));
  }
  return { hosts: bins.length, unfit };
}

/** A host of a group as the scaler sees it. */
export interface ScalingHost {
  id: string;
  /** Joined and connected: counts in N. */
  running: boolean;
  /** Tasks not STOPPED, other than daemon services' (ECS counts those only). */
  nonDaemonTasks: number;
}

/**
 * M: hosts running at least one non-daemon task, plus the hosts the tasks
 * waiting for capacity would need (ECS: "tasks in the PROVISIONING state").
 */
export function hostsNeeded(hosts: readonly ScalingHost[], waiting: readonly TaskRequirement[], size: HostSize | undefined): number {
  const busy = hosts.filter((h) => h.running && h.nonDaemonTasks > 0).length;
  if (waiting.length === 0) return busy;
  // Before the first host has joined its size is unknown: one host at a time, as ECS does from zero.
  const extra = size ? hostsForTasks(waiting, size).hosts : 1;
  return busy + extra;
}

/** A joined host of a group, for the warm-up split. */
export interface JoinedHost {
  running: boolean;
  /** When its container instance registered. */
  joinedAt: number;
}

/**
 * ECS's instanceWarmupPeriod: a host that joined less than the warm-up ago
 * does not count toward scaling decisions yet (neither in N nor, through
 * its tasks, in M); it counts as still launching, so a further scale-out
 * waits for it instead of adding more.
 */
export function splitWarmingHosts<H extends JoinedHost>(hosts: readonly H[], now: number, warmupSeconds: number): { counted: H[]; warming: number } {
  const counted: H[] = [];
  let warming = 0;
  for (const h of hosts) {
    if (h.running && now - h.joinedAt < warmupSeconds * 1000) warming++;
    else counted.push(h);
  }
  return { counted, warming };
}
