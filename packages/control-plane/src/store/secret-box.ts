import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Encryption at rest for secrets kept in SQLite (access-key secrets today,
 * task secrets later): AES-256-GCM under one master key that lives in a file
 * beside the database, never in it. `context` is bound as additional
 * authenticated data, so a ciphertext copied into another row (another access
 * key, another secret) does not decrypt there.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** A key for another purpose (`label`), derived from the master key: every replica holding the master key derives the same one. */
  deriveKey(label: string): Buffer;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;

export class AesGcmSecretBox implements SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  deriveKey(label: string): Buffer {
    return createHmac('sha256', this.key).update(`stevedore derived key: ${label}`).digest();
  }

  open(sealed: string, context: string): string {
    const [version, data] = sealed.split(':', 2);
    if (version !== VERSION || data === undefined) throw new Error('unknown sealed-secret format');
    const raw = Buffer.from(data, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/** For in-memory stores (tests): a fresh random key that dies with the process. */
export function ephemeralSecretBox(): SecretBox {
  return new AesGcmSecretBox(randomBytes(MASTER_KEY_BYTES));
}

export function masterKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'master.key');
}

/**
 * Loads `<data-dir>/keys/master.key`, creating it (directory 0700, file 0600)
 * on first start. A key file that others can read is refused, as ssh refuses a
 * private key with loose permissions: the file is the only thing standing
 * between a copied database and every secret in it.
 */
export function loadOrCreateMasterKey(dataDir: string): { box: SecretBox; file: string; created: boolean } {
  const file = masterKeyPath(dataDir);
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The directory is ours alone, whatever umask or an earlier copy left.
  fs.chmodSync(dir, 0o700);
  let created = false;
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.statSync(file);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`${file} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  const hex = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file} does not hold a ${MASTER_KEY_BYTES}-byte hex key`);
  return { box: new AesGcmSecretBox(Buffer.from(hex, 'hex')), file, created };
}
