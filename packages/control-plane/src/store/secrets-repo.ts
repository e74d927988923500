import type { Db } from './db';
import type { SecretBox } from './secret-box';
import { statementCache } from './statement-cache';

export interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  versionId: string;
  createdAt: number;
  changedAt: number;
  accessedAt?: number;
  /** Scheduled deletion (DeleteSecret with a recovery window): the value can no longer be read. */
  deletionDate?: number;
}

interface Row {
  name: string;
  arn: string;
  description: string | null;
  value_sealed: string;
  version_id: string;
  created_at: number;
  changed_at: number;
  accessed_at: number | null;
  deletion_date: number | null;
}

const toSecret = (r: Row): StoredSecret => ({
  name: r.name,
  arn: r.arn,
  ...(r.description !== null ? { description: r.description } : {}),
  versionId: r.version_id,
  createdAt: r.created_at,
  changedAt: r.changed_at,
  ...(r.accessed_at !== null ? { accessedAt: r.accessed_at } : {}),
  ...(r.deletion_date !== null ? { deletionDate: r.deletion_date } : {}),
});

/** The AAD binding a sealed value to its secret and version: a value copied into another row does not open. */
const context = (arn: string, versionId: string) => `secret:${arn}:${versionId}`;

/** Secret metadata in the clear, values only sealed; `value()` is the one place a value is opened. */
export class SecretsRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {
    this.sql = statementCache(db);
  }

  get(name: string): StoredSecret | undefined {
    const r = this.sql('SELECT * FROM secrets WHERE name = ?').get(name) as Row | undefined;
    return r && toSecret(r);
  }

  byArn(arn: string): StoredSecret | undefined {
    const r = this.sql('SELECT * FROM secrets WHERE arn = ?').get(arn) as Row | undefined;
    return r && toSecret(r);
  }

  /**
   * A SecretId as Secrets Manager takes it: a name, a full ARN, or a partial
   * ARN (without the 6-character suffix). The one resolver: the API, task
   * secret delivery and launch authorization all name the same secret.
   */
  find(secretId: string): StoredSecret | undefined {
    const m = /^arn:aws:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId);
    if (!m) return this.get(secretId);
    return this.byArn(secretId) ?? this.get(m[1]!);
  }

  list(afterName: string | undefined, limit: number): StoredSecret[] {
    return (this.sql('SELECT * FROM secrets WHERE name > ? ORDER BY name LIMIT ?').all(afterName ?? '', limit) as Row[]).map(toSecret);
  }

  create(s: StoredSecret, value: string): void {
    this.sql('INSERT INTO secrets(name, arn, description, value_sealed, version_id, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(s.name, s.arn, s.description ?? null, this.box.seal(value, context(s.arn, s.versionId)), s.versionId, s.createdAt, s.changedAt);
  }

  putValue(name: string, versionId: string, value: string, now: number): void {
    const s = this.get(name);
    if (!s) return;
    this.sql('UPDATE secrets SET value_sealed = ?, version_id = ?, changed_at = ? WHERE name = ?').run(this.box.seal(value, context(s.arn, versionId)), versionId, now, name);
  }

  setDescription(name: string, description: string, now: number): void {
    this.sql('UPDATE secrets SET description = ?, changed_at = ? WHERE name = ?').run(description, now, name);
  }

  value(s: StoredSecret): string {
    const r = this.sql('SELECT value_sealed FROM secrets WHERE arn = ?').get(s.arn) as { value_sealed: string } | undefined;
    if (!r) throw new Error(`secret ${s.name} is gone`);
    return this.box.open(r.value_sealed, context(s.arn, s.versionId));
  }

  touch(name: string, now: number): void {
    this.sql('UPDATE secrets SET accessed_at = ? WHERE name = ?').run(now, name);
  }

  scheduleDeletion(name: string, at: number): void {
    this.sql('UPDATE secrets SET deletion_date = ? WHERE name = ?').run(at, name);
  }

  delete(name: string): void {
    this.sql('DELETE FROM secrets WHERE name = ?').run(name);
  }

  /** Secrets whose recovery window has passed. */
  purgeDue(now: number): number {
    return this.sql('DELETE FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?').run(now).changes;
  }
}
