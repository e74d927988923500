import type { ScalableTarget, ScalingActivity, ScalingMemory, ScalingPolicy, ScheduledAction, SuspendedState } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface TargetRow {
  resource_id: string;
  cluster: string;
  service: string;
  arn: string;
  min_capacity: number;
  max_capacity: number;
  suspended_json: string;
  role_arn: string;
  created_at: number;
  memory_json: string;
}

const toTarget = (r: TargetRow): ScalableTarget => ({
  resourceId: r.resource_id,
  cluster: r.cluster,
  service: r.service,
  arn: r.arn,
  minCapacity: r.min_capacity,
  maxCapacity: r.max_capacity,
  suspendedState: JSON.parse(r.suspended_json) as SuspendedState,
  roleArn: r.role_arn,
  createdAt: r.created_at,
});

/** Activities kept per target (newest); older ones are pruned as new ones come. */
export const MAX_ACTIVITIES_PER_TARGET = 200;

/**
 * Application Auto Scaling's objects. Targets, policies and scheduled
 * actions are written by the API; the memory column, scheduled actions'
 * `checked_at` and the activities by the autoscaler. Every write that can
 * change a decision emits a `scalable-target` change so the autoscaler looks.
 */
export class AutoscalingRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
  }

  getTarget(resourceId: string): ScalableTarget | undefined {
    const r = this.sql('SELECT * FROM scalable_targets WHERE resource_id = ?').get(resourceId) as TargetRow | undefined;
    return r && toTarget(r);
  }

  /** Targets by ResourceId, after `after` (paging); `ids` narrows to those. */
  listTargets(opts: { ids?: readonly string[]; after?: string; limit?: number } = {}): ScalableTarget[] {
    const rows = this.sql('SELECT * FROM scalable_targets WHERE resource_id > ? ORDER BY resource_id').all(opts.after ?? '') as TargetRow[];
    const wanted = opts.ids ? new Set(opts.ids) : undefined;
    const out = rows.filter((r) => !wanted || wanted.has(r.resource_id)).map(toTarget);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  }

  targetsOfService(cluster: string, service: string): ScalableTarget[] {
    return (this.sql('SELECT * FROM scalable_targets WHERE cluster = ? AND service = ?').all(cluster, service) as TargetRow[]).map(toTarget);
  }

  putTarget(t: ScalableTarget): void {
    this
      .sql(
        `INSERT INTO scalable_targets(resource_id, cluster, service, arn, min_capacity, max_capacity, suspended_json, role_arn, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(resource_id) DO UPDATE SET min_capacity = excluded.min_capacity, max_capacity = excluded.max_capacity,
           suspended_json = excluded.suspended_json, role_arn = excluded.role_arn`,
      )
      .run(t.resourceId, t.cluster, t.service, t.arn, t.minCapacity, t.maxCapacity, JSON.stringify(t.suspendedState), t.roleArn, t.createdAt);
    this.record({ kind: 'scalable-target', resourceId: t.resourceId });
  }

  /** The target with its policies and scheduled actions (cascade) and its activities (so the table stays bounded). */
  deleteTarget(resourceId: string): boolean {
    const n = this.sql('DELETE FROM scalable_targets WHERE resource_id = ?').run(resourceId).changes;
    this.sql('DELETE FROM scaling_activities WHERE resource_id = ?').run(resourceId);
    if (n > 0) this.record({ kind: 'scalable-target', resourceId });
    return n > 0;
  }

  getMemory(resourceId: string): ScalingMemory {
    const r = this.sql('SELECT memory_json FROM scalable_targets WHERE resource_id = ?').get(resourceId) as { memory_json: string } | undefined;
    return r ? (JSON.parse(r.memory_json) as ScalingMemory) : { policies: [] };
  }

  /** Autoscaler: its cooldown clocks. No change event: nothing reacts to it. */
  putMemory(resourceId: string, memory: ScalingMemory): void {
    this.sql('UPDATE scalable_targets SET memory_json = ? WHERE resource_id = ?').run(JSON.stringify(memory), resourceId);
  }

  /** Autoscaler: Min/Max set by a scheduled action. */
  putCapacity(resourceId: string, minCapacity: number, maxCapacity: number): void {
    this.sql('UPDATE scalable_targets SET min_capacity = ?, max_capacity = ? WHERE resource_id = ?').run(minCapacity, maxCapacity, resourceId);
  }

  getPolicy(resourceId: string, name: string): ScalingPolicy | undefined {
    const r = this.sql('SELECT policy_json FROM scaling_policies WHERE resource_id = ? AND name = ?').get(resourceId, name) as { policy_json: string } | undefined;
    return r && (JSON.parse(r.policy_json) as ScalingPolicy);
  }

  policyByArn(arn: string): ScalingPolicy | undefined {
    const r = this.sql('SELECT policy_json FROM scaling_policies WHERE arn = ?').get(arn) as { policy_json: string } | undefined;
    return r && (JSON.parse(r.policy_json) as ScalingPolicy);
  }

  /** Policies, of one target or all, by (ResourceId, name). */
  listPolicies(resourceId?: string): ScalingPolicy[] {
    const rows = (
      resourceId !== undefined
        ? this.sql('SELECT policy_json FROM scaling_policies WHERE resource_id = ? ORDER BY name').all(resourceId)
        : this.sql('SELECT policy_json FROM scaling_policies ORDER BY resource_id, name').all()
    ) as { policy_json: string }[];
    return rows.map((r) => JSON.parse(r.policy_json) as ScalingPolicy);
  }

  putPolicy(p: ScalingPolicy): void {
    this
      .sql(
        `INSERT INTO scaling_policies(resource_id, name, arn, policy_json, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(resource_id, name) DO UPDATE SET policy_json = excluded.policy_json`,
      )
      .run(p.resourceId, p.name, p.arn, JSON.stringify(p), p.createdAt);
    this.record({ kind: 'scalable-target', resourceId: p.resourceId });
  }

  deletePolicy(resourceId: string, name: string): boolean {
    const n = this.sql('DELETE FROM scaling_policies WHERE resource_id = ? AND name = ?').run(resourceId, name).changes;
    if (n > 0) this.record({ kind: 'scalable-target', resourceId });
    return n > 0;
  }

  listScheduledActions(resourceId?: string): (ScheduledAction & { checkedAt: number })[] {
    const rows = (
      resourceId !== undefined
        ? this.sql('SELECT action_json, checked_at FROM scheduled_actions WHERE resource_id = ? ORDER BY name').all(resourceId)
        : this.sql('SELECT action_json, checked_at FROM scheduled_actions ORDER BY resource_id, name').all()
    ) as { action_json: string; checked_at: number }[];
    return rows.map((r) => ({ ...(JSON.parse(r.action_json) as ScheduledAction), checkedAt: r.checked_at }));
  }

  /** API: a new or changed action; its schedule is looked at from `checkedAt` on (a change never fires a past time). */
  putScheduledAction(a: ScheduledAction, checkedAt: number): void {
    this
      .sql(
        `INSERT INTO scheduled_actions(resource_id, name, action_json, checked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(resource_id, name) DO UPDATE SET action_json = excluded.action_json, checked_at = excluded.checked_at`,
      )
      .run(a.resourceId, a.name, JSON.stringify(a), checkedAt);
    this.record({ kind: 'scalable-target', resourceId: a.resourceId });
  }

  /** Autoscaler: it has applied the schedule up to `checkedAt`. */
  markScheduledActionChecked(resourceId: string, name: string, checkedAt: number): void {
    // Never backwards: a clock stepped back must not make a fired time due again.
    this.sql('UPDATE scheduled_actions SET checked_at = MAX(checked_at, ?) WHERE resource_id = ? AND name = ?').run(checkedAt, resourceId, name);
  }

  deleteScheduledAction(resourceId: string, name: string): boolean {
    const n = this.sql('DELETE FROM scheduled_actions WHERE resource_id = ? AND name = ?').run(resourceId, name).changes;
    if (n > 0) this.record({ kind: 'scalable-target', resourceId });
    return n > 0;
  }

  addActivity(a: ScalingActivity): void {
    this.sql('INSERT INTO scaling_activities(id, resource_id, activity_json) VALUES (?, ?, ?)').run(a.activityId, a.resourceId, JSON.stringify(a));
    this
      .sql('DELETE FROM scaling_activities WHERE resource_id = ? AND seq <= (SELECT seq FROM scaling_activities WHERE resource_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)')
      .run(a.resourceId, a.resourceId, MAX_ACTIVITIES_PER_TARGET);
  }

  /** Newest first; `beforeSeq` pages. */
  listActivities(opts: { resourceId?: string; beforeSeq?: number; limit: number }): { seq: number; activity: ScalingActivity }[] {
    const rows = this
      .sql('SELECT seq, activity_json FROM scaling_activities WHERE (? IS NULL OR resource_id = ?) AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(opts.resourceId ?? null, opts.resourceId ?? null, opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, opts.limit) as { seq: number; activity_json: string }[];
    return rows.map((r) => ({ seq: r.seq, activity: JSON.parse(r.activity_json) as ScalingActivity }));
  }

  /** ECS UpdateTaskProtection: protected until `expiresAt`, or not at all. */
  setTaskProtection(cluster: string, taskId: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) this.sql('DELETE FROM task_protection WHERE cluster = ? AND task_id = ?').run(cluster, taskId);
    else
      this
        .sql('INSERT INTO task_protection(cluster, task_id, expires_at) VALUES (?, ?, ?) ON CONFLICT(cluster, task_id) DO UPDATE SET expires_at = excluded.expires_at')
        .run(cluster, taskId, expiresAt);
  }

  taskProtection(cluster: string, taskId: string): number | undefined {
    const r = this.sql('SELECT expires_at FROM task_protection WHERE cluster = ? AND task_id = ?').get(cluster, taskId) as { expires_at: number } | undefined;
    return r?.expires_at;
  }

  /** Task ids of a cluster protected at `now`. */
  protectedTasks(cluster: string, now: number): Set<string> {
    const rows = this.sql('SELECT task_id FROM task_protection WHERE cluster = ? AND expires_at > ?').all(cluster, now) as { task_id: string }[];
    return new Set(rows.map((r) => r.task_id));
  }

  /** Rows of expired protections or of tasks gone (retention calls it). */
  pruneTaskProtection(now: number): number {
    return this.sql('DELETE FROM task_protection WHERE expires_at <= ? OR task_id NOT IN (SELECT id FROM tasks)').run(now).changes;
  }
}
