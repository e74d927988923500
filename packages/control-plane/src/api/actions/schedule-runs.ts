import { NotFoundError, scheduleArn } from '@stevedore/core';
import type { RequestContext } from '../context';
import { Params } from '../params';
import { decodeToken, encodeToken, isNumber } from '../paging';

const NAME = /^[0-9a-zA-Z_.-]{1,64}$/;
const NAME_TEXT = 'must be 1-64 letters, numbers, hyphens, underscores and dots';

/**
 * Stevedore_20261125.ListScheduleRuns: what the scheduler did for each fire
 * time of a schedule, newest first (docs/design/scheduled-tasks.md):
 * launched tasks and their exit codes, skipped runs and why, failed
 * launches and why. Runs outlive a schedule deleted after completion.
 */
export function listScheduleRuns(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('name', { pattern: NAME, patternText: NAME_TEXT });
  const groupName = p.string('groupName', { pattern: NAME, patternText: NAME_TEXT }) ?? 'default';
  const limit = p.maxResults(100);
  const before = decodeToken(p.string('nextToken', { max: 256 }), isNumber);
  const rows = ctx.store.schedules.listRuns(groupName, name, before, limit + 1);
  const schedule = ctx.store.schedules.get(groupName, name);
  if (!schedule && rows.length === 0) throw new NotFoundError('ResourceNotFoundException', `Schedule ${name} does not exist in group ${groupName}.`);
  const items = rows.slice(0, limit);
  return {
    scheduleArn: scheduleArn(ctx.arn, groupName, name),
    ...(schedule?.nextFireAt !== undefined ? { nextScheduledTime: schedule.nextFireAt / 1000 } : {}),
    runs: items.map((r) => ({
      scheduledTime: r.scheduledTime / 1000,
      status: r.status,
      attempts: r.attempts,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      tasks: r.tasks.map((t) => ({ taskArn: t.taskArn, ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}), ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}), ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}) })),
      ...(r.status === 'PENDING' && r.nextAttemptAt !== undefined ? { nextAttemptTime: r.nextAttemptAt / 1000 } : {}),
      createdAt: r.createdAt / 1000,
      updatedAt: r.updatedAt / 1000,
    })),
    ...(rows.length > limit ? { nextToken: encodeToken(items.at(-1)!.id) } : {}),
  };
}
