import type { Tag } from './task-definition';
import type { CapacityProviderStrategyItem } from './capacity-provider-strategy';
import type { ServiceLoadBalancer } from './load-balancer';
import type { AwsVpcConfiguration, LaunchType } from './task';


/**
 * ECS Service shapes, named as the ECS API names them. The user's spec
 * (desiredCount, taskDefinition, placement, deploymentConfiguration) is written
 * only by the API; `events`, rollout states and the DAEMON desiredCount only by
 * the orchestrator.
 */
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';
export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';

export interface PlacementConstraint {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

export interface PlacementStrategy {
  type: 'binpack' | 'spread' | 'random';
  field?: string;
}

export interface DeploymentCircuitBreaker {
  enable: boolean;
  rollback: boolean;
}

export interface DeploymentConfiguration {
  maximumPercent: number;
  minimumHealthyPercent: number;
  deploymentCircuitBreaker: DeploymentCircuitBreaker;
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** The spec half of a deployment; counts are derived from tasks when described. */
export interface Deployment {
  id: string;
  status: DeploymentStatus;
  taskDefinitionArn: string;
  createdAt: number;
  /**
   * The principal (`arn:aws:sts::<account>:assumed-role/<role>/<key id>`)
   * whose CreateService/UpdateService started this deployment and was
   * checked for its secrets and roles; a rollback keeps the one of the
   * deployment it restores. Not in ECS's Deployment shape: kept, not shown.
   */
  createdBy?: string;
  /**
   * A circuit-breaker rollback: the COMPLETED deployment whose configuration
   * it restores. That deployment's tasks run the same revision, so they count
   * as this one's instead of being replaced again.
   */
  restores?: string;
}

/** The status half, written by the orchestrator. */
export interface DeploymentRollout {
  rolloutState: RolloutState;
  rolloutStateReason: string;
  updatedAt: number;
  failedTasks: number;
  /** Best figures seen so far and when they last improved (the deployment timeout). */
  progress?: RolloutProgress;
}

export interface RolloutProgress {
  /** Most tasks of the deployment counted healthy at once. */
  healthy: number;
  /** Fewest tasks of older deployments still not STOPPED. */
  old: number;
  at: number;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface Service {
  name: string;
  clusterName: string;
  status: ServiceStatus;
  taskDefinitionArn: string;
  desiredCount: number;
  schedulingStrategy: SchedulingStrategy;
  launchType: LaunchType;
  /** ECS capacityProviderStrategy (instead of launchType); a change is a new deployment. */
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** FARGATE services: the platform version their tasks run on. */
  platformVersion?: string;
  /** awsvpc services: the awsvpcConfiguration each task is launched with. */
  awsvpcConfiguration?: AwsVpcConfiguration;
  deploymentConfiguration: DeploymentConfiguration;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  deployments: Deployment[];
  healthCheckGracePeriodSeconds?: number;
  /** ECS `loadBalancers` (ALB/NLB form): each RUNNING task is registered in these target groups. */
  loadBalancers?: ServiceLoadBalancer[];
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableECSManagedTags: boolean;
  /** ECS Exec for the tasks it starts from now on (running tasks keep what they were started with, as in ECS). */
  enableExecuteCommand?: boolean;
  tags: Tag[];
  createdAt: number;
  /** ECS: the principal that created the service (its ARN, naming the access key). */
  createdBy?: string;
  /** The principal of the last UpdateService (not an ECS member: kept, not shown). */
  updatedBy?: string;
  /**
   * Set by the API on every UpdateService: tasks that failed to start before it
   * no longer count toward the launch throttle (ECS resets it on update).
   */
  updatedAt: number;
  /** Incremented on every spec change. */
  version: number;
  /** Hash of the CreateService request, so an identical retry returns this service. Never shown. */
  requestHash?: string;
}

/** What the orchestrator writes about a service. */
export interface ServiceRuntime {
  events: ServiceEvent[];
  rollouts: Record<string, DeploymentRollout>;
  /** DAEMON services: the number of instances that should run the task. */
  daemonDesiredCount?: number;
  /** Set when a DRAINING service has no tasks left. */
  inactiveAt?: number;
}

/** ECS: max 100 events kept, newest first. */
export const MAX_SERVICE_EVENTS = 100;
/** ECS suppresses an identical event until the cause changes or 6 hours pass. */
export const EVENT_SUPPRESSION_MS = 6 * 60 * 60 * 1000;

export function defaultDeploymentConfiguration(strategy: SchedulingStrategy): DeploymentConfiguration {
  return strategy === 'DAEMON'
    ? { maximumPercent: 100, minimumHealthyPercent: 0, deploymentCircuitBreaker: { enable: false, rollback: false } }
    : { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } };
}

/** ECS default for services without a strategy: balance across zones, then instances. */
export const DEFAULT_SERVICE_STRATEGY: PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

/** RunTask's default is effectively random. */
export const DEFAULT_RUN_TASK_STRATEGY: PlacementStrategy[] = [{ type: 'random' }];

export const serviceGroup = (serviceName: string) => `service:${serviceName}`;

/** `ecs-svc/` + 19 digits, from any source of randomness (pure callers pass one in). */
export function newDeploymentId(random: () => number): string {
  let digits = String(1 + Math.floor(random() * 9));
  while (digits.length < 19) digits += String(Math.floor(random() * 10));
  return `ecs-svc/${digits}`;
}

export const DEPLOYMENT_ID = /^ecs-svc\/\d{19}$/;

/** ECS arithmetic: minimum healthy rounds up, maximum rounds down. */
export function deploymentBounds(desired: number, c: DeploymentConfiguration): { minHealthy: number; maxTotal: number } {
  return {
    minHealthy: Math.ceil((desired * c.minimumHealthyPercent) / 100),
    maxTotal: Math.floor((desired * c.maximumPercent) / 100),
  };
}

/**
 * Prepends new events, newest first, keeping at most MAX_SERVICE_EVENTS. A
 * message identical to the newest one within the suppression window is
 * dropped: the cause has not changed.
 */
export function appendServiceEvents(
  events: ServiceEvent[],
  messages: string[],
  now: number,
  newId: () => string,
  suppressMs = EVENT_SUPPRESSION_MS,
): ServiceEvent[] {
  let out = events;
  for (const message of messages) {
    const newest = out[0];
    if (newest && newest.message === message && now - newest.createdAt < suppressMs) continue;
    const recent = out.find((e) => e.message === message);
    // Messages that alternate (placement failure, then the throttle notice) are
    // also the same cause: suppress a repeat seen within the last minute. A
    // steady state after other news (tasks replaced, a deployment completed) is news.
    if (recent && now - recent.createdAt < 60_000 && !/ has (started|stopped) | has reached a steady state\.$/.test(message)) continue;
    out = [{ id: newId(), createdAt: now, message }, ...out];
  }
  return out.length > MAX_SERVICE_EVENTS ? out.slice(0, MAX_SERVICE_EVENTS) : out;
}
