/**
 * The agent's finer container states, in order. The API shows only the ECS
 * projection (PENDING, RUNNING, STOPPED) through `toEcsContainerStatus`.
 */
export const CONTAINER_STATUSES = ['NONE', 'PULLED', 'CREATED', 'RUNNING', 'STOPPED'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

export type EcsContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

const ECS_CONTAINER_STATUS: Record<ContainerStatus, EcsContainerStatus> = {
  NONE: 'PENDING',
  PULLED: 'PENDING',
  CREATED: 'PENDING',
  RUNNING: 'RUNNING',
  STOPPED: 'STOPPED',
};

export function toEcsContainerStatus(s: ContainerStatus): EcsContainerStatus {
  return ECS_CONTAINER_STATUS[s];
}

export function containerStatusRank(s: ContainerStatus): number {
  return CONTAINER_STATUSES.indexOf(s);
}

export function isContainerStatus(s: string): s is ContainerStatus {
  return (CONTAINER_STATUSES as readonly string[]).includes(s);
}

export function canTransitionContainer(from: ContainerStatus, to: ContainerStatus): boolean {
  return containerStatusRank(to) > containerStatusRank(from);
}

export const HEALTH_STATUSES = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
