import type { TaskOverride } from '../model/task';
import type { TaskDefinitionInput } from '../model/task-definition';
import { applyOverrides } from './overrides';
import { staticHostPort } from './rules';
import { parseCpuUnits, parseMemoryMiB } from './task-size';

export interface HostPortReservation {
  port: number;
  protocol: 'tcp' | 'udp';
}

/** What placing one task takes from an instance (ECS §6.1). */
export interface TaskReservation {
  /** CPU units. */
  cpu: number;
  /** MiB. */
  memory: number;
  /** Static host ports only: dynamic bridge ports are chosen on the host and reserve nothing up front. */
  hostPorts: HostPortReservation[];
}

/**
 * Task-level cpu/memory (overrides first) when set, since they are the task's
 * hard limits; otherwise the containers' sum, counting per container the soft
 * `memoryReservation` when set, else the hard `memory`.
 */
export function taskReservation(td: TaskDefinitionInput, overrides?: TaskOverride): TaskReservation {
  const containers = applyOverrides(td, overrides);
  const taskCpu = overrides?.cpu ?? td.cpu;
  const taskMemory = overrides?.memory ?? td.memory;
  const hostPorts: HostPortReservation[] = [];
  for (const c of containers) {
    for (const m of c.portMappings ?? []) {
      const port = staticHostPort(td.networkMode, m);
      if (port !== undefined) hostPorts.push({ port, protocol: m.protocol ?? 'tcp' });
    }
  }
  return {
    cpu: taskCpu !== undefined ? parseCpuUnits(taskCpu, 'cpu') : containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0),
    memory:
      taskMemory !== undefined ? parseMemoryMiB(taskMemory, 'memory') : containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0),
    hostPorts,
  };
}
