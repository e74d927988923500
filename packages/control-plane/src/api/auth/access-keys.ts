import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../../store/store';
import type { StoredAccessKey } from '../../store/iam-repo';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 20 characters in the shape of an AWS long-term key id: AKIA + 16 base32. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = 'AKIA';
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** 40 characters, 240 random bits, as AWS secrets are. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

export const ACCESS_KEY_ID_PATTERN = /^AKIA[A-Z2-7]{16}$/;

export function createAccessKey(store: Store, roleName: string, now: number, description?: string): StoredAccessKey & { secretAccessKey: string } {
  const key: StoredAccessKey = { accessKeyId: newAccessKeyId(), roleName, status: 'Active', createdAt: now, ...(description !== undefined ? { description } : {}) };
  const secretAccessKey = newSecretAccessKey();
  store.iam.insertAccessKey(key, secretAccessKey);
  return { ...key, secretAccessKey };
}

/** An AWS shared-credentials file: what AWS_SHARED_CREDENTIALS_FILE points the AWS CLI and SDKs at. */
export function formatCredentialsFile(accessKeyId: string, secretAccessKey: string, comment: string): string {
  return `# ${comment}\n[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`;
}

/** Written to a 0600 temporary file and renamed, so no reader ever sees a partial or world-readable file. */
export function writeCredentialsFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

const BOOTSTRAP_META = 'admin-bootstrap';

/**
 * First start: creates an access key with the built-in admin role and writes
 * it to `file`. Later starts leave the key and the file alone, even when every
 * key has since been deleted: minting admin keys is not something a restart
 * should do behind the operator's back. The file is written before the key is
 * committed, so a crash in between leaves no admin key without its file.
 */
export function bootstrapAdminKey(store: Store, file: string | undefined, now: number, log: Logger): { created: boolean } {
  const done = store.iam.getMeta(BOOTSTRAP_META);
  if (done) {
    if (file && !fs.existsSync(file)) log.warn({ file }, 'the admin credentials file written on first start is gone; create keys with an admin key you still have');
    else if (file) log.info({ file }, 'admin credentials file (written on first start)');
    return { created: false };
  }
  if (!file) {
    log.warn('no admin credentials file configured: no admin access key was created');
    return { created: false };
  }
  store.tx(() => {
    const key = createAccessKey(store, 'admin', now, 'created on first start');
    writeCredentialsFile(file, formatCredentialsFile(key.accessKeyId, key.secretAccessKey, `Stevedore admin access key ${key.accessKeyId}, created ${new Date(now).toISOString()}`));
    store.iam.setMeta(BOOTSTRAP_META, JSON.stringify({ accessKeyId: key.accessKeyId, createdAt: now }));
    // Never the secret: the file holds it, mode 0600.
    log.warn({ file, accessKeyId: key.accessKeyId }, 'created the admin access key; use it with AWS_SHARED_CREDENTIALS_FILE=<file>');
  });
  return { created: true };
}
