import { isTimeZone, OVERLAP_TAG, parseSchedule, ScheduleError, StevedoreError, targetCluster, type ArnContext, type ScheduleSpec, type ScheduleTarget } from '@stevedore/core';

/**
 * What CreateSchedule and UpdateSchedule take beyond the model's own checks
 * (rest-json-values.ts did types, lengths, enums and patterns): the
 * expression and its time zone, the flexible window, the dates, and the
 * target, which Stevedore runs only as an ECS RunTask on one of its
 * clusters. Each refusal is a ValidationException naming the member.
 */
export function validation(message: string, field: string): StevedoreError {
  return new StevedoreError('ValidationException', message, { field, httpStatus: 400 });
}

const OTHER_TARGET_PARAMETERS = ['EventBridgeParameters', 'KinesisParameters', 'SageMakerPipelineParameters', 'SqsParameters'] as const;


/** The decoded input of CreateSchedule/UpdateSchedule as a spec; `b` is already checked against the model. */
export function readScheduleSpec(b: Record<string, unknown>, a: ArnContext): ScheduleSpec {
  const expression = b['ScheduleExpression'] as string;
  const timezone = b['ScheduleExpressionTimezone'] as string | undefined;
  if (timezone !== undefined && !isTimeZone(timezone)) throw validation(`Invalid time zone: ${timezone}. Use an IANA time zone name such as America/New_York.`, 'ScheduleExpressionTimezone');
  try {
    parseSchedule(expression, timezone ?? 'UTC');
  } catch (e) {
    if (e instanceof ScheduleError) throw validation(`Invalid Schedule Expression ${expression}: ${e.message}.`, 'ScheduleExpression');
    throw e;
  }
  const window = b['FlexibleTimeWindow'] as ScheduleSpec['FlexibleTimeWindow'];
  if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined) {
    throw validation('MaximumWindowInMinutes must be provided when FlexibleTimeWindow Mode is FLEXIBLE.', 'FlexibleTimeWindow.MaximumWindowInMinutes');
  }
  if (window.Mode === 'OFF' && window.MaximumWindowInMinutes !== undefined) {
    throw validation('MaximumWindowInMinutes must not be provided when FlexibleTimeWindow Mode is OFF.', 'FlexibleTimeWindow.MaximumWindowInMinutes');
  }
  const start = b['StartDate'] as number | undefined;
  const end = b['EndDate'] as number | undefined;
  if (start !== undefined && end !== undefined && end <= start) throw validation('The EndDate must be later than the StartDate.', 'EndDate');
  const target = b['Target'] as ScheduleTarget;
  if (targetCluster(target.Arn, a) === undefined) {
    throw validation(
      `Target.Arn ${target.Arn} is not an ECS cluster ARN of this region and account (arn:aws:ecs:${a.region}:${a.account}:cluster/NAME): Stevedore schedules run ECS tasks only.`,
      'Target.Arn',
    );
  }
  if (!target.EcsParameters) throw validation('EcsParameters must be provided when the target is an ECS cluster.', 'Target.EcsParameters');
  for (const p of OTHER_TARGET_PARAMETERS) if (target[p] !== undefined) throw validation(`${p} cannot be used with an ECS cluster target.`, `Target.${p}`);
  if (target.Input !== undefined) {
    let input: unknown;
    try {
      input = JSON.parse(target.Input) as unknown;
    } catch {
      throw validation('Target.Input must be valid JSON: for an ECS target, the RunTask overrides object.', 'Target.Input');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw validation('Target.Input must be a JSON object: for an ECS target, the RunTask overrides.', 'Target.Input');
  }
  const ecs = target.EcsParameters;
  if (ecs['LaunchType'] !== undefined && ecs['CapacityProviderStrategy'] !== undefined) {
    throw validation('LaunchType and CapacityProviderStrategy cannot both be specified.', 'Target.EcsParameters.CapacityProviderStrategy');
  }
  (ecs['Tags'] as Record<string, string>[] | undefined)?.forEach((tags, i) => {
    if (Object.hasOwn(tags, OVERLAP_TAG) && tags[OVERLAP_TAG] !== 'SKIP' && tags[OVERLAP_TAG] !== 'ALLOW') {
      throw validation(`The ${OVERLAP_TAG} tag must be SKIP or ALLOW.`, `Target.EcsParameters.Tags[${i}].${OVERLAP_TAG}`);
    }
  });
  const spec: ScheduleSpec = {
    ScheduleExpression: expression,
    FlexibleTimeWindow: window,
    State: (b['State'] as ScheduleSpec['State'] | undefined) ?? 'ENABLED',
    ActionAfterCompletion: (b['ActionAfterCompletion'] as ScheduleSpec['ActionAfterCompletion'] | undefined) ?? 'NONE',
    Target: target,
  };
  if (b['Description'] !== undefined) spec.Description = b['Description'] as string;
  if (timezone !== undefined) spec.ScheduleExpressionTimezone = timezone;
  if (start !== undefined) spec.StartDate = start;
  if (end !== undefined) spec.EndDate = end;
  if (b['KmsKeyArn'] !== undefined) spec.KmsKeyArn = b['KmsKeyArn'] as string;
  return spec;
}
