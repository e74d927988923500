import type { ArnContext, Tag, TaskDefinition, TaskDefinitionStatus } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface Row {
  family: string;
  revision: number;
  status: string;
  body_json: string;
  tags_json: string;
  registered_at: number;
  deregistered_at: number | null;
  delete_requested_at: number | null;
}

export interface StoredTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

/** Revisions are immutable: only status and deregisteredAt ever change. */
export class TaskDefinitionsRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db, private readonly record: (c: Change) => void, private readonly arnContext: ArnContext) {
    this.sql = statementCache(db);
  }

  /** Parsed bodies by family:revision: a revision's body never changes, and the dispatcher reads it for every assignment. */
  private readonly bodies = new Map<string, TaskDefinition>();

  private toStored(r: Row): StoredTaskDefinition {
    const key = `${r.family}:${r.revision}`;
    let body = this.bodies.get(key);
    if (!body) {
      body = JSON.parse(r.body_json) as TaskDefinition;
      if (this.bodies.size > 10_000) this.bodies.clear();
      this.bodies.set(key, body);
    }
    const td: TaskDefinition = { ...body, status: r.status as TaskDefinitionStatus };
    if (r.deregistered_at !== null) td.deregisteredAt = r.deregistered_at;
    if (r.delete_requested_at !== null) td.deleteRequestedAt = r.delete_requested_at;
    return { taskDefinition: td, tags: JSON.parse(r.tags_json) as Tag[] };
  }

  nextRevision(family: string): number {
    const r = this.sql('SELECT MAX(revision) AS m FROM task_definitions WHERE family = ?').get(family) as { m: number | null };
    return (r.m ?? 0) + 1;
  }

  insert(td: TaskDefinition, tags: Tag[]): void {
    this
      .sql(
        'INSERT INTO task_definitions(family, revision, status, body_json, tags_json, registered_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(td.family, td.revision, td.status, JSON.stringify(td), JSON.stringify(tags), td.registeredAt);
    this.record({ kind: 'task-definition', family: td.family });
  }

  get(family: string, revision: number): StoredTaskDefinition | undefined {
    const r = this.sql('SELECT * FROM task_definitions WHERE family = ? AND revision = ?').get(family, revision) as Row | undefined;
    return r && this.toStored(r);
  }

  latestActive(family: string): StoredTaskDefinition | undefined {
    const r = this
      .sql("SELECT * FROM task_definitions WHERE family = ? AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1")
      .get(family) as Row | undefined;
    return r && this.toStored(r);
  }

  setStatus(family: string, revision: number, status: TaskDefinitionStatus, at: number): void {
    this
      .sql('UPDATE task_definitions SET status = ?, deregistered_at = ? WHERE family = ? AND revision = ?')
      .run(status, at, family, revision);
    this.record({ kind: 'task-definition', family });
  }

  /** DeleteTaskDefinitions: an INACTIVE revision becomes DELETE_IN_PROGRESS until nothing uses it. */
  requestDelete(family: string, revision: number, at: number): void {
    this.sql("UPDATE task_definitions SET status = 'DELETE_IN_PROGRESS', delete_requested_at = ? WHERE family = ? AND revision = ? AND status = 'INACTIVE'").run(at, family, revision);
    this.record({ kind: 'task-definition', family });
  }

  /**
   * Deletes up to `limit` DELETE_IN_PROGRESS revisions that no task still
   * running (or stopping) uses and that are not in `inUse` (ARNs services'
   * deployments name). Returns how many went.
   */
  deleteUnused(inUse: ReadonlySet<string>, arnOf: (family: string, revision: number) => string, limit: number): number {
    const rows = this
      .sql(
        `SELECT family, revision FROM task_definitions td WHERE status = 'DELETE_IN_PROGRESS'
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.family = td.family AND t.revision = td.revision AND t.last_status != 'STOPPED')
         ORDER BY delete_requested_at LIMIT ?`,
      )
      .all(limit * 4) as { family: string; revision: number }[];
    let deleted = 0;
    for (const r of rows) {
      if (deleted >= limit) break;
      if (inUse.has(arnOf(r.family, r.revision))) continue;
      this.sql("DELETE FROM task_definitions WHERE family = ? AND revision = ? AND status = 'DELETE_IN_PROGRESS'").run(r.family, r.revision);
      this.bodies.delete(`${r.family}:${r.revision}`);
      this.record({ kind: 'task-definition', family: r.family });
      deleted++;
    }
    return deleted;
  }

  /** A revision's tags (TagResource/UntagResource): the registered body itself never changes. */
  setTags(family: string, revision: number, tags: Tag[]): void {
    this.sql('UPDATE task_definitions SET tags_json = ? WHERE family = ? AND revision = ?').run(JSON.stringify(tags), family, revision);
    this.record({ kind: 'task-definition', family });
  }

  /** (family, revision) keys in ARN order, for ListTaskDefinitions paging. */
  list(opts: { familyPrefix?: string; status: TaskDefinitionStatus; desc: boolean; after?: [string, number]; limit: number }): StoredTaskDefinition[] {
    const cmp = opts.desc ? '<' : '>';
    const order = opts.desc ? 'DESC' : 'ASC';
    const after = opts.after ?? (opts.desc ? ['\u{10FFFF}', 0] : ['', 0]);
    const rows = this
      .sql(
        `SELECT * FROM task_definitions WHERE status = ? AND family LIKE ? ESCAPE '\\'
         AND (family ${cmp} ? OR (family = ? AND revision ${cmp} ?))
         ORDER BY family ${order}, revision ${order} LIMIT ?`,
      )
      .all(opts.status, likePrefix(opts.familyPrefix), after[0], after[0], after[1], opts.limit) as Row[];
    return rows.map((r) => this.toStored(r));
  }

  /** Families with at least one revision in `status` (or any when ALL). */
  families(opts: { familyPrefix?: string; status: 'ACTIVE' | 'INACTIVE' | 'ALL'; after?: string; limit: number }): string[] {
    const statusClause =
      opts.status === 'ALL'
        ? ''
        : opts.status === 'ACTIVE'
          ? "AND family IN (SELECT family FROM task_definitions WHERE status = 'ACTIVE')"
          : "AND family NOT IN (SELECT family FROM task_definitions WHERE status = 'ACTIVE')";
    const rows = this
      .sql(
        `SELECT DISTINCT family FROM task_definitions WHERE family LIKE ? ESCAPE '\\' AND family > ? ${statusClause} ORDER BY family LIMIT ?`,
      )
      .all(likePrefix(opts.familyPrefix), opts.after ?? '', opts.limit) as { family: string }[];
    return rows.map((r) => r.family);
  }

  get arnContextForTests(): ArnContext {
    return this.arnContext;
  }
}

function likePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/[\\%_]/g, (m) => `\\${m}`) + '%';
}
