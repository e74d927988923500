import type { ScalingActivity } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isNumber, page } from '../paging';
import { Params } from '../params';
import { checkResourceId, keyJson, readDimension, readMaxResults, readNamespace, seconds } from './autoscaling-input';

export function activityJson(a: ScalingActivity) {
  return {
    ActivityId: a.activityId,
    ...keyJson(a.resourceId),
    Description: a.description,
    Cause: a.cause,
    StartTime: seconds(a.startTime),
    ...(a.endTime !== undefined ? { EndTime: seconds(a.endTime) } : {}),
    StatusCode: a.statusCode,
    ...(a.statusMessage !== undefined ? { StatusMessage: a.statusMessage } : {}),
  };
}

/** DescribeScalingActivities: newest first, as AWS lists them. */
export function describeScalingActivities(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  readNamespace(p);
  const resourceId = p.string('ResourceId');
  if (resourceId !== undefined) checkResourceId(resourceId);
  readDimension(p, false);
  p.boolean('IncludeNotScaledActivities');
  const limit = readMaxResults(p);
  const before = decodeToken(p.string('NextToken'), isNumber);
  const rows = ctx.store.autoscaling.listActivities({ ...(resourceId !== undefined ? { resourceId } : {}), ...(before !== undefined ? { beforeSeq: before } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (r) => r.seq);
  return { ScalingActivities: items.map((r) => activityJson(r.activity)), ...(nextToken ? { NextToken: nextToken } : {}) };
}
