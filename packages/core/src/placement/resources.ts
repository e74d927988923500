import type { ContainerInstance, InstanceResources } from '../model/container-instance';
import type { Task } from '../model/task';

/** What a task takes from an instance while it is not STOPPED. */
export interface TaskRequirement {
  cpu: number;
  memory: number;
  hostPorts: { port: number; protocol: 'tcp' | 'udp' }[];
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
