import type { Service } from './ecs-types';

const REVISION_RE = /task-definition\/([^:/]+):(\d+)$/;

/** The family and revision of a task definition ARN. */
export function revisionOf(arn: string): { family: string; revision: number } | undefined {
  const m = REVISION_RE.exec(arn);
  return m ? { family: m[1]!, revision: Number(m[2]) } : undefined;
}

/**
 * What a roll back deploys (as `stevedore service rollback`): the revision
 * an older deployment still runs (a rollout in progress), else the family's
 * newest ACTIVE revision below the current one.
 */
export function previousRevision(s: Pick<Service, 'taskDefinition' | 'deployments'>, activeArns: readonly string[]): string | undefined {
  const current = s.taskDefinition ?? '';
  const older = (s.deployments ?? []).find((d) => d.status !== 'PRIMARY' && d.taskDefinition && d.taskDefinition !== current);
  if (older) return older.taskDefinition;
  const cur = revisionOf(current);
  if (!cur) return undefined;
  return activeArns
    .map((a) => ({ a, r: revisionOf(a) }))
    .filter((x) => x.r && x.r.family === cur.family && x.r.revision < cur.revision)
    .sort((x, y) => y.r!.revision - x.r!.revision)[0]?.a;
}
