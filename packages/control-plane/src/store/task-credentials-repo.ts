import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './db';
import type { SecretBox } from './secret-box';

/** AWS temporary key ids: ASIA + 16 base32 characters. */
export const TEMPORARY_KEY_ID_PATTERN = /^ASIA[A-Z2-7]{16}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 20 characters in the shape of AWS temporary key ids: ASIA + 16 base32 (task roles and console sessions). */
export function newTemporaryKeyId(): string {
  let id = 'ASIA';
  for (const b of randomBytes(16)) id += BASE32[b & 31];
  return id;
}

export type TaskRoleType = 'TaskApplication' | 'TaskExecution';

export interface TaskCredential {
  accessKeyId: string;
  taskArn: string;
  taskId: string;
  instanceId: string;
  roleType: TaskRoleType;
  roleName: string;
  expiresAt: number;
  createdAt: number;
}

interface Row {
  access_key_id: string;
  task_arn: string;
  task_id: string;
  instance_id: string;
  role_type: string;
  role_name: string;
  secret_sealed: string;
  token_sha256: string;
  expires_at: number;
  created_at: number;
}

const toCredential = (r: Row): TaskCredential => ({
  accessKeyId: r.access_key_id,
  taskArn: r.task_arn,
  taskId: r.task_id,
  instanceId: r.instance_id,
  roleType: r.role_type === 'TaskExecution' ? 'TaskExecution' : 'TaskApplication',
  roleName: r.role_name,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The AAD that binds a sealed secret to its row (a swapped ciphertext does not open). */
const secretContext = (accessKeyId: string) => `task-credential:${accessKeyId}`;

/**
 * Temporary keys of task roles. Like access keys, the secret is sealed; the
 * session token only hashed: verification needs the secret in clear (SigV4),
 * but a token only needs comparing.
 */
export class TaskCredentialsRepo {
  private readonly byId;

  constructor(private readonly db: Db, private readonly box: SecretBox) {
    // Runs on every request signed with temporary credentials.
    this.byId = db.prepare('SELECT * FROM task_credentials WHERE access_key_id = ?');
  }

  insert(c: TaskCredential, secretAccessKey: string, sessionToken: string): void {
    this.db
      .prepare('INSERT INTO task_credentials(access_key_id, task_arn, task_id, instance_id, role_type, role_name, secret_sealed, token_sha256, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(c.accessKeyId, c.taskArn, c.taskId, c.instanceId, c.roleType, c.roleName, this.box.seal(secretAccessKey, secretContext(c.accessKeyId)), sha256(sessionToken), c.expiresAt, c.createdAt);
  }

  /** The credential with its secret in clear, for signature verification only. */
  getWithSecret(accessKeyId: string): { credential: TaskCredential; secretAccessKey: string } | undefined {
    const r = this.byId.get(accessKeyId) as Row | undefined;
    if (!r) return undefined;
    return { credential: toCredential(r), secretAccessKey: this.box.open(r.secret_sealed, secretContext(r.access_key_id)) };
  }

  /** Constant-time comparison of the presented session token with the stored hash. */
  tokenMatches(accessKeyId: string, sessionToken: string): boolean {
    const r = this.byId.get(accessKeyId) as Row | undefined;
    if (!r) return false;
    return timingSafeEqual(Buffer.from(r.token_sha256, 'hex'), Buffer.from(sha256(sessionToken), 'hex'));
  }

  listForTask(taskArn: string): TaskCredential[] {
    return (this.db.prepare('SELECT * FROM task_credentials WHERE task_arn = ? ORDER BY created_at').all(taskArn) as Row[]).map(toCredential);
  }

  /** Revocation: every key of the task, at once. */
  deleteForTask(taskArn: string): number {
    return this.db.prepare('DELETE FROM task_credentials WHERE task_arn = ?').run(taskArn).changes;
  }

  /** Retention: expired keys, and keys of tasks that are stopped or gone. */
  deleteExpired(now: number, limit = 1000): number {
    return this.db
      .prepare(
        `DELETE FROM task_credentials WHERE access_key_id IN (
           SELECT c.access_key_id FROM task_credentials c LEFT JOIN tasks t ON t.id = c.task_id
           WHERE c.expires_at <= ? OR t.id IS NULL OR t.last_status = 'STOPPED' LIMIT ?)`,
      )
      .run(now, limit).changes;
  }
}
