import type { Action } from './context';
import * as cwl from './actions/cloudwatch-logs';

export const LOGS_TARGET_PREFIX = 'Logs_20140328.';

/** CloudWatch Logs operations (X-Amz-Target -> action), signed for `logs`. */
export const LOGS_ACTIONS: Record<string, Action> = {
  [`${LOGS_TARGET_PREFIX}CreateLogGroup`]: cwl.createLogGroup,
  [`${LOGS_TARGET_PREFIX}DeleteLogGroup`]: cwl.deleteLogGroup,
  [`${LOGS_TARGET_PREFIX}DescribeLogGroups`]: cwl.describeLogGroups,
  [`${LOGS_TARGET_PREFIX}PutRetentionPolicy`]: cwl.putRetentionPolicy,
  [`${LOGS_TARGET_PREFIX}DeleteRetentionPolicy`]: cwl.deleteRetentionPolicy,
  [`${LOGS_TARGET_PREFIX}CreateLogStream`]: cwl.createLogStream,
  [`${LOGS_TARGET_PREFIX}DeleteLogStream`]: cwl.deleteLogStream,
  [`${LOGS_TARGET_PREFIX}DescribeLogStreams`]: cwl.describeLogStreams,
  [`${LOGS_TARGET_PREFIX}PutLogEvents`]: cwl.putLogEvents,
  [`${LOGS_TARGET_PREFIX}GetLogEvents`]: cwl.getLogEvents,
  [`${LOGS_TARGET_PREFIX}FilterLogEvents`]: cwl.filterLogEvents,
};
