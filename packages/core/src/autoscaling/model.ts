/**
 * Application Auto Scaling's objects, with its member names, as Stevedore
 * stores them. Only the `ecs` namespace and `ecs:service:DesiredCount` exist
 * here; the namespace and dimension are still kept so responses carry them.
 */
export const ECS_NAMESPACE = 'ecs';
export const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';

export interface SuspendedState {
  DynamicScalingInSuspended: boolean;
  DynamicScalingOutSuspended: boolean;
  ScheduledScalingSuspended: boolean;
}

export interface ScalableTarget {
  /** `service/CLUSTER/SERVICE`. */
  resourceId: string;
  cluster: string;
  service: string;
  arn: string;
  minCapacity: number;
  maxCapacity: number;
  suspendedState: SuspendedState;
  roleArn: string;
  createdAt: number;
}

export interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

export type AdjustmentType = 'ChangeInCapacity' | 'ExactCapacity' | 'PercentChangeInCapacity';
export type MetricAggregationType = 'Average' | 'Minimum' | 'Maximum';

export interface StepScalingConfiguration {
  AdjustmentType: AdjustmentType;
  StepAdjustments: StepAdjustment[];
  MinAdjustmentMagnitude?: number;
  Cooldown?: number;
  MetricAggregationType?: MetricAggregationType;
}

export type PredefinedMetricType = 'ECSServiceAverageCPUUtilization' | 'ECSServiceAverageMemoryUtilization' | 'ALBRequestCountPerTarget';

export interface MetricDimension {
  Name: string;
  Value: string;
}

export interface CustomizedMetricSpecification {
  MetricName: string;
  Namespace: string;
  Dimensions?: MetricDimension[];
  Statistic: 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | 'Sum';
  Unit?: string;
}

export interface TargetTrackingConfiguration {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: PredefinedMetricType; ResourceLabel?: string };
  CustomizedMetricSpecification?: CustomizedMetricSpecification;
  ScaleOutCooldown?: number;
  ScaleInCooldown?: number;
  DisableScaleIn?: boolean;
}

export type PolicyType = 'StepScaling' | 'TargetTrackingScaling';

export interface ScalingPolicy {
  resourceId: string;
  name: string;
  arn: string;
  policyType: PolicyType;
  stepScaling?: StepScalingConfiguration;
  targetTracking?: TargetTrackingConfiguration;
  /** Alarms this policy created (target tracking) or that name it (step scaling, filled when read). */
  alarms: { AlarmName: string; AlarmARN: string }[];
  createdAt: number;
}

export interface ScheduledAction {
  resourceId: string;
  name: string;
  arn: string;
  schedule: string;
  timezone?: string;
  startTime?: number;
  endTime?: number;
  minCapacity?: number;
  maxCapacity?: number;
  createdAt: number;
}

export type ActivityStatus = 'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';

export interface ScalingActivity {
  activityId: string;
  resourceId: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: ActivityStatus;
  statusMessage?: string;
}

/** ECS's defaults for target tracking cooldowns (seconds). */
export const DEFAULT_ECS_COOLDOWN_SECONDS = 300;

export const resourceIdOf = (cluster: string, service: string) => `service/${cluster}/${service}`;

/** `service/CLUSTER/SERVICE` -> its parts, or undefined for anything else. */
export function parseEcsResourceId(id: string): { cluster: string; service: string } | undefined {
  const m = /^service\/([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/.exec(id);
  return m ? { cluster: m[1]!, service: m[2]! } : undefined;
}
