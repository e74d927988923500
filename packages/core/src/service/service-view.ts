import type { InstanceIndex } from './instance-index';
import type { ContainerInstance } from '../model/container-instance';
import type { Deployment, DeploymentRollout, PlacementConstraint, Service } from '../model/service';
import type { DeploymentOptions } from '../deployment/rollout';
import type { HealthStatus } from '../status/container-status';
import type { DesiredStatus, TaskStatus, TaskStopCode } from '../status/task-status';
import type { Candidate, CandidateTask } from '../placement/filters';
import type { TaskRequirement } from '../placement/resources';
import type { Random } from '../placement/strategies';

/** What the reconciler needs to know about one task of the service. */
export interface ServiceTask {
  id: string;
  containerInstanceId?: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  healthStatus: HealthStatus;
  /** The deployment that started it (`ecs-svc/...`). */
  startedBy?: string;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  cpu: number;
  memory: number;
  /** An essential container has a health check, so RUNNING alone is not healthy. */
  hasHealthCheck: boolean;
  /**
   * Load balancer hook: the combined health of the task's targets, set by the
   * loader only when the service has load balancers (docs/design/deployments.md).
   */
  targetHealth?: HealthStatus;
  /** With targetHealth UNHEALTHY: a target group it failed in, for ECS's stop reason. */
  unhealthyTargetGroupArn?: string;
  /** ECS task scale-in protection (UpdateTaskProtection) is on: a scale-in never picks it. */
  scaleInProtected?: boolean;
}

/** An instance and every task on it that is not STOPPED (any group). */
export interface InstanceView {
  instance: ContainerInstance;
  remaining: Candidate['remaining'];
  tasks: (CandidateTask & { id: string })[];
  /** Counts kept by the caller (Candidate's): given, placement does not walk `tasks`, which may then be computed on demand. */
  groups?: ReadonlyMap<string, number>;
  runningTasksCount?: number;
}

export interface ReconcileInput {
  service: Service;
  /** The service's tasks that are not STOPPED, plus recently stopped ones (for the throttle). */
  tasks: ServiceTask[];
  instances: InstanceView[];
  /**
   * `instances` by id and their census, kept by the caller for as long as no
   * instance changes (instance-index.ts). Absent: built from `instances`.
   * Given, it must describe exactly `instances`.
   */
  instanceIndex?: InstanceIndex;
  /** Reservation of the PRIMARY deployment's task definition. */
  requirement: TaskRequirement;
  /** memberOf constraints of that task definition. */
  taskDefinitionConstraints: PlacementConstraint[];
  now: number;
  /** An instance disconnected this long is lost (see instance-liveness.ts for the guards). */
  instanceLostGraceMs: number;
  /**
   * The control plane could hear from agents since then: its start, or the end
   * of the cluster's last partition. No instance is lost before a full grace
   * after it. Absent: longer than any grace.
   */
  watchingSince?: number;
  random: Random;
  /** Caps placements per call so one large scale-out does not hold the event loop. */
  maxPlacements?: number;
  /** The service's rollout records: given, deployments are tracked (circuit breaker, timeout, COMPLETED). */
  rollouts?: Record<string, DeploymentRollout>;
  /** Circuit-breaker failures among the PRIMARY's stopped tasks, counted by the store (no look-back limit). */
  primaryFailures?: number;
  deployment?: Partial<DeploymentOptions>;
  /** Groups (`service:NAME`) of the cluster's DAEMON services: a draining instance stops its daemon tasks once nothing else runs there. */
  daemonGroups?: ReadonlySet<string>;
}

export interface PlaceAction {
  instanceId: string;
  deploymentId: string;
}

export interface StopAction {
  taskId: string;
  reason: string;
  /** The instance is lost: the task cannot be stopped by its agent now. */
  lost: boolean;
}

export interface ReconcileResult {
  place: PlaceAction[];
  stop: StopAction[];
  /** Messages for the service's events (started/stopped ones are added by the caller, who knows the new task ids). */
  events: string[];
  /** Tasks wanted but not placed this time, and why. */
  unplaced: number;
  /** The service runs what it should and nothing is in flight. */
  steady: boolean;
  /** Earliest time the decision could change without any store change (lost grace, throttle). */
  nextWakeAt?: number;
  /** DAEMON: instances that should run the task. */
  daemonDesiredCount?: number;
  /** A DRAINING service whose tasks are all gone. */
  inactive: boolean;
  /** More placements are wanted than `maxPlacements` allowed: run again soon. */
  more: boolean;
  /** New rollout records, when tracked: written with the decision. */
  rollouts?: Record<string, DeploymentRollout>;
  /** Circuit-breaker rollback: this deployment becomes PRIMARY (its task definition the service's). */
  rollback?: Deployment;
}

export const msg = {
  started: (service: string, taskIds: string[]) =>
    `(service ${service}) has started ${taskIds.length} tasks: ${taskIds.map((id) => `(task ${id})`).join(' ')}.`,
  /** ECS's text, plus the stoppedReason in ECS's `due to (reason ...)` form when given. */
  stopped: (service: string, taskIds: string[], reason?: string) =>
    `(service ${service}) has stopped ${taskIds.length} running tasks: ${taskIds.map((id) => `(task ${id})`).join(' ')}${reason ? ` due to (reason ${reason})` : ''}.`,
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  throttled: (service: string) => `(service ${service}) is unable to consistently start tasks successfully.`,
  stuck: (service: string) =>
    `(service ${service}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  unplaced: (service: string, explanation: string) => `(service ${service}) was ${explanation}`,
  /** ECS's wording when task scale-in protection holds tasks a scale-in would stop. */
  scaleInProtected: (service: string, n: number) => `(service ${service}) was unable to scale in due to (reason ${n} tasks under protection).`,
  /** Once per partition episode (the orchestrator keeps the episode). */
  partitioned: (service: string, disconnected: number, registered: number) =>
    `(service ${service}) did not replace tasks on disconnected container instances: ${disconnected} of ${registered} container instances in the cluster are disconnected, which points at the control plane's network rather than at the hosts. Tasks are replaced once more than half of the container instances are connected again.`,
};

export const reasons = {
  lost: (instanceId: string) => `Task lost: container instance ${instanceId} disconnected`,
  gone: (instanceId: string) => `Task lost: container instance ${instanceId} is no longer registered`,
  draining: (instanceId: string) => `Container instance ${instanceId} is DRAINING`,
  unhealthy: 'Task failed container health checks',
  targetUnhealthy: 'Task failed ELB health checks',
  scaling: (deploymentId: string) => `Scaling activity initiated by (deployment ${deploymentId})`,
  constraints: 'Task no longer matches the service placement constraints',
};

/** When the instance's agent went away, or undefined while it is connected. */
export function disconnectedSince(i: ContainerInstance): number | undefined {
  return i.agentConnected ? undefined : (i.lastHeartbeatAt ?? i.registeredAt);
}

export function primaryDeployment(s: Service) {
  return s.deployments.find((d) => d.status === 'PRIMARY') ?? s.deployments[0];
}
