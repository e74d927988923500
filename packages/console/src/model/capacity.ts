import type { ContainerInstance, Resource } from './ecs-types';

export interface CapacityBar {
  resource: 'CPU' | 'MEMORY';
  registered: number;
  /** registered - remaining: what placed tasks reserve. */
  reserved: number;
  /** What the instance's tasks use now (Container Insights), when measured. */
  used?: number;
  unit: string;
}

const intOf = (rs: readonly Resource[] | undefined, name: string) => rs?.find((r) => r.name === name)?.integerValue;

/** An instance's CPU (units) and memory (MiB) bars: registered, reserved, used. */
export function capacityBars(i: ContainerInstance, used: { cpu?: number; memory?: number } = {}): CapacityBar[] {
  const bar = (resource: 'CPU' | 'MEMORY', unit: string, u: number | undefined): CapacityBar | undefined => {
    const registered = intOf(i.registeredResources, resource);
    if (registered === undefined) return undefined;
    const remaining = intOf(i.remainingResources, resource) ?? registered;
    return { resource, registered, reserved: Math.max(0, registered - remaining), ...(u !== undefined ? { used: u } : {}), unit };
  };
  return [bar('CPU', 'units', used.cpu), bar('MEMORY', 'MiB', used.memory)].filter((b): b is CapacityBar => b !== undefined);
}

/** Percent of a bar, bounded 0-100 (used may exceed reserved; it never draws past the bar). */
export function percentOf(part: number | undefined, whole: number): number {
  if (part === undefined || whole <= 0) return 0;
  return Math.max(0, Math.min(100, (part / whole) * 100));
}
