import type { ArnContext } from '@stevedore/core';
import { LOG_GROUP_NAME, LOG_STREAM_NAME } from '@stevedore/core';

/**
 * Resources of CloudWatch Logs operations, as IAM names them:
 * `arn:aws:logs:<region>:<account>:log-group:<name>` (a policy on
 * `log-group:/ecs/*` covers the groups under /ecs/), and for stream
 * operations `...:log-group:<name>:log-stream:<stream>`. Listing every group
 * is on `log-group:*`. A malformed name yields "*", which only "*" matches.
 */
type Body = Record<string, unknown>;
const ANY = '*';
const GROUP_ARN = /^arn:aws:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/;

function groupName(b: Body): string | undefined {
  const v = b['logGroupName'] ?? b['logGroupIdentifier'];
  if (typeof v !== 'string') return undefined;
  const name = GROUP_ARN.exec(v)?.[1] ?? v;
  return LOG_GROUP_NAME.test(name) ? name : undefined;
}

const group = (b: Body, a: ArnContext): string[] => {
  const g = groupName(b);
  return [g === undefined ? ANY : `arn:aws:logs:${a.region}:${a.account}:log-group:${g}`];
};

const stream = (b: Body, a: ArnContext): string[] => {
  const g = groupName(b);
  const s = b['logStreamName'];
  return [g === undefined || typeof s !== 'string' || !LOG_STREAM_NAME.test(s) ? ANY : `arn:aws:logs:${a.region}:${a.account}:log-group:${g}:log-stream:${s}`];
};

export const LOGS_OPERATION_RESOURCES: Record<string, (b: Body, a: ArnContext) => string[]> = {
  'logs:CreateLogGroup': group,
  'logs:DeleteLogGroup': group,
  'logs:DescribeLogGroups': (_b, a) => [`arn:aws:logs:${a.region}:${a.account}:log-group:*`],
  'logs:PutRetentionPolicy': group,
  'logs:DeleteRetentionPolicy': group,
  'logs:CreateLogStream': group,
  'logs:DeleteLogStream': stream,
  'logs:DescribeLogStreams': group,
  'logs:PutLogEvents': stream,
  'logs:GetLogEvents': stream,
  'logs:FilterLogEvents': group,
};
