import type { ArnContext } from '../arn';

/**
 * EventBridge Scheduler's schedules with an ECS target, as Stevedore runs
 * them (docs/design/scheduled-tasks.md): the spec as CreateSchedule and
 * UpdateSchedule take it (the model's member names, timestamps in
 * milliseconds), the RunTask request its target makes, and the no-overlap
 * extension, written as a tag of the target. Pure data, shared by the API
 * and the schedule runner.
 *
 * A schedule as CreateSchedule/UpdateSchedule take it, checked and with
 * timestamps in milliseconds: EventBridge Scheduler's members and names
 * (the API's schedule-input.ts reads it, the schedule runner acts on it).
 */
export interface ScheduleSpec {
  Description?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: number;
  EndDate?: number;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  State: 'ENABLED' | 'DISABLED';
  ActionAfterCompletion?: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  Target: ScheduleTarget;
}

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  EcsParameters?: Record<string, unknown> & { TaskDefinitionArn: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  [member: string]: unknown;
}

/** EventBridge Scheduler's ARNs. */
export const scheduleArn = (a: ArnContext, group: string, name: string) => `arn:aws:scheduler:${a.region}:${a.account}:schedule/${group}/${name}`;
export const scheduleGroupArn = (a: ArnContext, group: string) => `arn:aws:scheduler:${a.region}:${a.account}:schedule-group/${group}`;

/** The Stevedore extension tag (docs/design/scheduled-tasks.md): in EcsParameters.Tags, never passed on to the task. */
export const OVERLAP_TAG = 'stevedore:overlap';
export type Overlap = 'ALLOW' | 'SKIP';

const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:([^:]*):([^:]*):cluster\/([A-Za-z0-9_-]{1,255})$/;

/** The cluster name of an ECS target, or undefined for any other ARN. */
export function targetCluster(arn: string, a: ArnContext): string | undefined {
  const m = CLUSTER_ARN.exec(arn);
  return m && m[1] === a.region && m[2] === a.account ? m[3] : undefined;
}

/** The no-overlap extension's setting, from the target's tags. */
export function overlapOf(target: ScheduleTarget): Overlap {
  for (const tags of (target.EcsParameters?.['Tags'] as Record<string, string>[] | undefined) ?? []) {
    if (Object.hasOwn(tags, OVERLAP_TAG)) return tags[OVERLAP_TAG] === 'SKIP' ? 'SKIP' : 'ALLOW';
  }
  return 'ALLOW';
}

/**
 * The RunTask request a schedule's ECS target makes: EcsParameters to
 * RunTask's members (EventBridge's mapping), Input as its overrides, and
 * the extension tag left out of the task's tags.
 */
export function runTaskRequestOf(spec: ScheduleSpec, startedBy: string): Record<string, unknown> {
  const t = spec.Target;
  const e = t.EcsParameters!;
  const body: Record<string, unknown> = { cluster: t.Arn, taskDefinition: e.TaskDefinitionArn, count: e['TaskCount'] ?? 1, startedBy };
  const copy: [string, string][] = [
    ['LaunchType', 'launchType'],
    ['CapacityProviderStrategy', 'capacityProviderStrategy'],
    ['PlatformVersion', 'platformVersion'],
    ['Group', 'group'],
    ['PlacementConstraints', 'placementConstraints'],
    ['PlacementStrategy', 'placementStrategy'],
    ['PropagateTags', 'propagateTags'],
    ['EnableECSManagedTags', 'enableECSManagedTags'],
    ['EnableExecuteCommand', 'enableExecuteCommand'],
    ['ReferenceId', 'referenceId'],
  ];
  for (const [from, to] of copy) if (e[from] !== undefined) body[to] = e[from];
  const vpc = (e['NetworkConfiguration'] as { awsvpcConfiguration?: { Subnets?: string[]; SecurityGroups?: string[]; AssignPublicIp?: string } } | undefined)?.awsvpcConfiguration;
  if (vpc) {
    body['networkConfiguration'] = {
      awsvpcConfiguration: { subnets: vpc.Subnets ?? [], ...(vpc.SecurityGroups ? { securityGroups: vpc.SecurityGroups } : {}), ...(vpc.AssignPublicIp ? { assignPublicIp: vpc.AssignPublicIp } : {}) },
    };
  }
  const tags = ((e['Tags'] as Record<string, string>[] | undefined) ?? []).flatMap((m) => Object.entries(m).filter(([k]) => k !== OVERLAP_TAG).map(([key, value]) => ({ key, value })));
  if (tags.length > 0) body['tags'] = tags;
  if (t.Input !== undefined) body['overrides'] = JSON.parse(t.Input) as unknown;
  return body;
}
