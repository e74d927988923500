import type { ContainerInstance, InstanceResources } from '../model/container-instance';
import type { Task } from '../model/task';

/** What a task takes from an instance while it is not STOPPED. */
export interface TaskRequirement {
  cpu: number;
  memory: number;
  hostPorts: { port: number; protocol: 'tcp' | 'udp' }[];
}

/** The resources a task can lack, in the order placement checks them (ECS failure reasons). */
export const RESOURCE_DIMENSIONS = ['RESOURCE:CPU', 'RESOURCE:MEMORY', 'RESOURCE:PORTS', 'RESOURCE:PORTS_UDP'] as const;
export type ResourceDimension = (typeof RESOURCE_DIMENSIONS)[number];

/**
 * The one resource-fit rule: placement's filters (one dimension each, so a
 * rejection names its reason) and the orchestrator's re-check at commit both
 * ask this.
 */
export function fitsDimension(r: InstanceResources, req: TaskRequirement, d: ResourceDimension): boolean {
  switch (d) {
    case 'RESOURCE:CPU':
      return r.cpu >= req.cpu;
    case 'RESOURCE:MEMORY':
      return r.memory >= req.memory;
    case 'RESOURCE:PORTS':
      // Loops, not closures: placement asks this for every instance of the cluster.
      for (const p of req.hostPorts) if (p.protocol === 'tcp' && r.ports.includes(p.port)) return false;
      return true;
    case 'RESOURCE:PORTS_UDP':
      for (const p of req.hostPorts) if (p.protocol === 'udp' && r.portsUdp.includes(p.port)) return false;
      return true;
  }
}

/** The first dimension the task does not fit in, or undefined when it fits. */
export function resourceShortfall(r: InstanceResources, req: TaskRequirement): ResourceDimension | undefined {
  return RESOURCE_DIMENSIONS.find((d) => !fitsDimension(r, req, d));
}

export function fits(r: InstanceResources, req: TaskRequirement): boolean {
  return resourceShortfall(r, req) === undefined;
}

/** Takes one task's reservation out of `r` (in place). */
export function consumeResources(r: InstanceResources, req: TaskRequirement): void {
  r.cpu -= req.cpu;
  r.memory -= req.memory;
  for (const p of req.hostPorts) (p.protocol === 'udp' ? r.portsUdp : r.ports).push(p.port);
}

/** registered − reservations of the instance's tasks; static ports join the reserved set. */
export function remainingResources(instance: ContainerInstance, tasks: Pick<Task, 'cpu' | 'memory' | 'hostPorts' | 'lastStatus'>[]): InstanceResources {
  const r = instance.registeredResources;
  const ports = new Set(r.ports);
  const portsUdp = new Set(r.portsUdp);
  let cpu = r.cpu;
  let memory = r.memory;
  for (const t of tasks) {
    if (t.lastStatus === 'STOPPED') continue;
    cpu -= t.cpu;
    memory -= t.memory;
    for (const p of t.hostPorts) (p.protocol === 'udp' ? portsUdp : ports).add(p.port);
  }
  return { cpu, memory, ports: [...ports].sort((a, b) => a - b), portsUdp: [...portsUdp].sort((a, b) => a - b) };
}
