import { canTransitionRun, type ScheduleRunStatus, type ScheduleSpec } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

export interface StoredSchedule {
  uid: string;
  groupName: string;
  name: string;
  spec: ScheduleSpec;
  createdAt: number;
  updatedAt: number;
  /** Where a rate counts from: StartDate, else when its expression last changed. */
  anchorAt: number;
  /** Every fire time up to here has been decided. */
  cursor: number;
  nextFireAt: number | undefined;
}

export interface StoredScheduleGroup {
  name: string;
  tags: { Key: string; Value: string }[];
  createdAt: number;
  updatedAt: number;
}

/** One task a run started, and how it ended. */
export interface ScheduleRunTask {
  taskArn: string;
  lastStatus?: string;
  exitCode?: number;
  stoppedReason?: string;
}

export interface StoredScheduleRun {
  id: number;
  scheduleUid: string;
  groupName: string;
  scheduleName: string;
  scheduledTime: number;
  status: ScheduleRunStatus;
  /** Launch attempts begun (the open one included). */
  attempts: number;
  /** An attempt began and its outcome is not recorded: a restart repeats it with the same client token. */
  attemptOpen: boolean;
  nextAttemptAt: number | undefined;
  tasks: ScheduleRunTask[];
  reason: string | undefined;
  createdAt: number;
  updatedAt: number;
}

type ScheduleRow = { uid: string; group_name: string; name: string; spec_json: string; created_at: number; updated_at: number; anchor_at: number; cursor: number; next_fire_at: number | null };
type RunRow = {
  id: number;
  schedule_uid: string;
  group_name: string;
  schedule_name: string;
  scheduled_time: number;
  status: ScheduleRunStatus;
  attempts: number;
  attempt_open: number;
  next_attempt_at: number | null;
  tasks_json: string;
  reason: string | null;
  created_at: number;
  updated_at: number;
};

/** Runs kept per schedule name (the oldest go first). */
export const RUNS_KEPT_PER_SCHEDULE = 200;

const scheduleOf = (r: ScheduleRow): StoredSchedule => ({
  uid: r.uid,
  groupName: r.group_name,
  name: r.name,
  spec: JSON.parse(r.spec_json) as ScheduleSpec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  anchorAt: r.anchor_at,
  cursor: r.cursor,
  nextFireAt: r.next_fire_at ?? undefined,
});

const runOf = (r: RunRow): StoredScheduleRun => ({
  id: r.id,
  scheduleUid: r.schedule_uid,
  groupName: r.group_name,
  scheduleName: r.schedule_name,
  scheduledTime: r.scheduled_time,
  status: r.status,
  attempts: r.attempts,
  attemptOpen: r.attempt_open === 1,
  nextAttemptAt: r.next_attempt_at ?? undefined,
  tasks: JSON.parse(r.tasks_json) as ScheduleRunTask[],
  reason: r.reason ?? undefined,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Schedules, schedule groups and schedule runs. Writers: the Scheduler API
 * (schedules, groups) and the schedule runner (cursors, runs, deleting a
 * completed schedule with ActionAfterCompletion DELETE).
 */
export class SchedulesRepo {
  private readonly st: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.st = statementCache(db);
  }

  get(groupName: string, name: string): StoredSchedule | undefined {
    const r = this.st('SELECT * FROM schedules WHERE group_name = ? AND name = ?').get(groupName, name) as ScheduleRow | undefined;
    return r && scheduleOf(r);
  }

  getByUid(uid: string): StoredSchedule | undefined {
    const r = this.st('SELECT * FROM schedules WHERE uid = ?').get(uid) as ScheduleRow | undefined;
    return r && scheduleOf(r);
  }

  /** Sorted by group, then name; `after` is the last (group, name) of the previous page. */
  list(filter: { groupName?: string; namePrefix?: string; state?: string; after?: [string, string]; limit: number }): StoredSchedule[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.groupName !== undefined) (where.push('group_name = ?'), args.push(filter.groupName));
    if (filter.namePrefix !== undefined) (where.push("substr(name, 1, ?) = ?"), args.push(filter.namePrefix.length, filter.namePrefix));
    if (filter.state !== undefined) (where.push('state = ?'), args.push(filter.state));
    if (filter.after) (where.push('(group_name > ? OR (group_name = ? AND name > ?))'), args.push(filter.after[0], filter.after[0], filter.after[1]));
    const sql = `SELECT * FROM schedules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY group_name, name LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit) as ScheduleRow[]).map(scheduleOf);
  }

  all(): StoredSchedule[] {
    return (this.st('SELECT * FROM schedules ORDER BY group_name, name').all() as ScheduleRow[]).map(scheduleOf);
  }

  countInGroup(groupName: string): number {
    return (this.st('SELECT COUNT(*) AS n FROM schedules WHERE group_name = ?').get(groupName) as { n: number }).n;
  }

  put(s: StoredSchedule): void {
    this.st(
      `INSERT INTO schedules(uid, group_name, name, spec_json, state, created_at, updated_at, anchor_at, cursor, next_fire_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(uid) DO UPDATE SET spec_json = excluded.spec_json, state = excluded.state, updated_at = excluded.updated_at, anchor_at = excluded.anchor_at, cursor = excluded.cursor, next_fire_at = excluded.next_fire_at`,
    ).run(s.uid, s.groupName, s.name, JSON.stringify(s.spec), s.spec.State, s.createdAt, s.updatedAt, s.anchorAt, s.cursor, s.nextFireAt ?? null);
    this.record({ kind: 'schedule', group: s.groupName, name: s.name });
  }

  /** The runner's bookkeeping: no change event (it would only wake the runner itself). */
  setCursor(uid: string, cursor: number, nextFireAt: number | undefined): void {
    this.st('UPDATE schedules SET cursor = ?, next_fire_at = ? WHERE uid = ?').run(cursor, nextFireAt ?? null, uid);
  }

  delete(groupName: string, name: string): boolean {
    const n = this.st('DELETE FROM schedules WHERE group_name = ? AND name = ?').run(groupName, name).changes;
    if (n > 0) this.record({ kind: 'schedule', group: groupName, name });
    return n > 0;
  }

  getGroup(name: string): StoredScheduleGroup | undefined {
    const r = this.st('SELECT * FROM schedule_groups WHERE name = ?').get(name) as { name: string; tags_json: string; created_at: number; updated_at: number } | undefined;
    return r && { name: r.name, tags: JSON.parse(r.tags_json) as StoredScheduleGroup['tags'], createdAt: r.created_at, updatedAt: r.updated_at };
  }

  listGroups(namePrefix: string | undefined, after: string | undefined, limit: number): StoredScheduleGroup[] {
    const rows = this.st("SELECT * FROM schedule_groups WHERE (? IS NULL OR substr(name, 1, length(?)) = ?) AND (? IS NULL OR name > ?) ORDER BY name LIMIT ?").all(
      namePrefix ?? null,
      namePrefix ?? null,
      namePrefix ?? null,
      after ?? null,
      after ?? null,
      limit,
    ) as { name: string; tags_json: string; created_at: number; updated_at: number }[];
    return rows.map((r) => ({ name: r.name, tags: JSON.parse(r.tags_json) as StoredScheduleGroup['tags'], createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  putGroup(g: StoredScheduleGroup): void {
    this.st('INSERT INTO schedule_groups(name, tags_json, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET tags_json = excluded.tags_json, updated_at = excluded.updated_at').run(
      g.name,
      JSON.stringify(g.tags),
      g.createdAt,
      g.updatedAt,
    );
  }

  /** Deletes a group and its schedules (EventBridge deletes a group's schedules with it). */
  deleteGroup(name: string): void {
    for (const s of this.list({ groupName: name, limit: 1_000_000 })) this.delete(s.groupName, s.name);
    this.st('DELETE FROM schedule_groups WHERE name = ?').run(name);
  }

  // --- runs ---

  /** Records a decided run; false when the fire time was already decided (the unique key), so it is never launched twice. */
  addRun(r: Omit<StoredScheduleRun, 'id' | 'createdAt' | 'updatedAt' | 'attemptOpen' | 'tasks'> & { tasks?: ScheduleRunTask[] }, now: number): boolean {
    const res = this.st(
      `INSERT OR IGNORE INTO schedule_runs(schedule_uid, group_name, schedule_name, scheduled_time, status, attempts, next_attempt_at, tasks_json, reason, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.scheduleUid, r.groupName, r.scheduleName, r.scheduledTime, r.status, r.attempts, r.nextAttemptAt ?? null, JSON.stringify(r.tasks ?? []), r.reason ?? null, now, now);
    if (res.changes > 0) this.prune(r.groupName, r.scheduleName);
    return res.changes > 0;
  }

  getRun(id: number): StoredScheduleRun | undefined {
    const r = this.st('SELECT * FROM schedule_runs WHERE id = ?').get(id) as RunRow | undefined;
    return r && runOf(r);
  }

  /** PENDING and RUNNING runs of every schedule, oldest first. */
  activeRuns(): StoredScheduleRun[] {
    return (this.st("SELECT * FROM schedule_runs WHERE status IN ('PENDING', 'RUNNING') ORDER BY scheduled_time, id").all() as RunRow[]).map(runOf);
  }

  /** Runs of a schedule name, newest first; `before` is the id the previous page ended at. */
  listRuns(groupName: string, name: string, before: number | undefined, limit: number): StoredScheduleRun[] {
    return (
      this.st('SELECT * FROM schedule_runs WHERE group_name = ? AND schedule_name = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?').all(groupName, name, before ?? null, before ?? null, limit) as RunRow[]
    ).map(runOf);
  }

  /** Moves a run forward (state machine in core); the other fields change with it. */
  updateRun(id: number, to: ScheduleRunStatus, fields: Partial<Pick<StoredScheduleRun, 'attempts' | 'attemptOpen' | 'nextAttemptAt' | 'tasks' | 'reason'>>, now: number): void {
    const cur = this.getRun(id);
    if (!cur) throw new Error(`schedule run ${id} does not exist`);
    if (cur.status !== to && !canTransitionRun(cur.status, to)) throw new Error(`schedule run ${id}: illegal transition ${cur.status} -> ${to}`);
    const next = { ...cur, ...fields };
    this.st('UPDATE schedule_runs SET status = ?, attempts = ?, attempt_open = ?, next_attempt_at = ?, tasks_json = ?, reason = ?, updated_at = ? WHERE id = ?').run(
      to,
      next.attempts,
      next.attemptOpen ? 1 : 0,
      next.nextAttemptAt ?? null,
      JSON.stringify(next.tasks),
      next.reason ?? null,
      now,
      id,
    );
  }

  private prune(groupName: string, name: string): void {
    this.st(
      `DELETE FROM schedule_runs WHERE group_name = ? AND schedule_name = ? AND status NOT IN ('PENDING', 'RUNNING')
       AND id <= (SELECT id FROM schedule_runs WHERE group_name = ? AND schedule_name = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    ).run(groupName, name, groupName, name, RUNS_KEPT_PER_SCHEDULE);
  }
}
