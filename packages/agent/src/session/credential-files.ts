import { createPrivateKey, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { certificateTimes, identityOfCertificate, type ChannelIdentity } from '@stevedore/proto';

/** The agent's channel identity as kept on the host: its own key, its certificate, the cluster CA. */
export interface AgentCredentials {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface LoadedCredentials extends AgentCredentials {
  identity: ChannelIdentity;
  notBefore: number;
  notAfter: number;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

export function pkiDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

const FILES = { key: 'agent.key', cert: 'agent.crt', ca: 'ca.crt' } as const;

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function matches(keyPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/**
 * Reads `<data-dir>/pki`. A save replaces the key, then the certificate; a
 * crash between the two leaves the new certificate in `agent.crt.new`, so a
 * key that does not match `agent.crt` is tried against that one.
 */
export async function loadCredentials(dataDir: string): Promise<LoadedCredentials | undefined> {
  const dir = pkiDir(dataDir);
  const keyPem = await readIfExists(path.join(dir, FILES.key));
  let certPem = await readIfExists(path.join(dir, FILES.cert));
  const caPem = await readIfExists(path.join(dir, FILES.ca));
  if (!keyPem && !certPem) return undefined;
  if (!keyPem || !certPem || !caPem) throw new CredentialsError(`${dir} is incomplete (needs ${Object.values(FILES).join(', ')}); remove it and join again with a token`);
  const st = await fs.stat(path.join(dir, FILES.key));
  if ((st.mode & 0o077) !== 0) throw new CredentialsError(`${path.join(dir, FILES.key)} is accessible by group or others; run: chmod 600 ${path.join(dir, FILES.key)}`);
  if (!matches(keyPem, certPem)) {
    const pending = await readIfExists(path.join(dir, `${FILES.cert}.new`));
    if (!pending || !matches(keyPem, pending)) throw new CredentialsError(`${dir}: agent.key does not match agent.crt; remove the directory and join again with a token`);
    certPem = pending;
  }
  const identity = identityOfCertificate(certPem);
  if (!identity) throw new CredentialsError(`${path.join(dir, FILES.cert)} names no Stevedore container instance`);
  return { keyPem, certPem, caPem, identity, ...certificateTimes(certPem) };
}

async function writeAtomically(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp`;
  const h = await fs.open(tmp, 'w', mode);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

/** The private key is 0600 in a 0700 directory: nothing else on the host reads it. */
export async function saveCredentials(dataDir: string, c: AgentCredentials): Promise<void> {
  const dir = pkiDir(dataDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const pending = path.join(dir, `${FILES.cert}.new`);
  await writeAtomically(pending, c.certPem, 0o644);
  await writeAtomically(path.join(dir, FILES.ca), c.caPem, 0o644);
  await writeAtomically(path.join(dir, FILES.key), c.keyPem, 0o600);
  await fs.rename(pending, path.join(dir, FILES.cert));
}
