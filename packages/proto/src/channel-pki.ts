import { createHash, generateKeyPair, randomBytes, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { createCertificateRequest } from './certificate-request';

type CryptoKey = webcrypto.CryptoKey;

/**
 * How identities travel in the agent channel's certificates, shared by both
 * ends so they cannot disagree: key algorithm, the CA pin format, the URI SAN
 * that names a container instance, CSRs, and when to renew. Only node:crypto
 * here: the agent loads this module, and an X.509 library (@peculiar/x509,
 * which the control plane's CA uses) would cost every host ~14 MiB.
 */

/** ECDSA P-256: small keys, fast handshakes, supported by every TLS stack Node ships. */
export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const CA_CERT_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** `sha256:<hex>` of the certificate's SubjectPublicKeyInfo DER, as kubeadm's --discovery-token-ca-cert-hash. */
export function caCertHash(cert: string | Buffer): string {
  const c = new X509Certificate(cert);
  const spki = c.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Lower-cases and checks a pin given by an operator; undefined when malformed. */
export function normalizeCaCertHash(v: string): string | undefined {
  const s = v.trim().toLowerCase();
  return CA_CERT_HASH_PATTERN.test(s) ? s : undefined;
}

export interface ChannelIdentity {
  cluster: string;
  instanceId: string;
}

const URI_PREFIX = 'stevedore://cluster/';

export function identityUri(id: ChannelIdentity): string {
  return `${URI_PREFIX}${encodeURIComponent(id.cluster)}/instance/${encodeURIComponent(id.instanceId)}`;
}

/**
 * The identity named by a certificate's subjectAltName text (Node's
 * `URI:a, DNS:b` form, from X509Certificate or a TLS peer certificate).
 * Exactly one Stevedore URI is accepted: two would make the identity ambiguous.
 */
export function identityFromSubjectAltName(san: string | undefined): ChannelIdentity | undefined {
  if (!san) return undefined;
  const uris = san
    .split(/,\s*/)
    .filter((e) => e.startsWith(`URI:${URI_PREFIX}`))
    .map((e) => e.slice('URI:'.length));
  if (uris.length !== 1) return undefined;
  const m = /^stevedore:\/\/cluster\/([^/]+)\/instance\/([^/]+)$/.exec(uris[0]!);
  if (!m) return undefined;
  try {
    const cluster = decodeURIComponent(m[1]!);
    const instanceId = decodeURIComponent(m[2]!);
    return cluster && instanceId ? { cluster, instanceId } : undefined;
  } catch {
    return undefined;
  }
}

export function identityOfCertificate(pem: string): ChannelIdentity | undefined {
  return identityFromSubjectAltName(new X509Certificate(pem).subjectAltName);
}

/** PKCS#8 PEM of a WebCrypto private key (the CA keeps WebCrypto keys). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return withNewline(KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString());
}

const generateEcKeyPair = promisify(generateKeyPair);

/** A fresh key pair (KEY_ALGORITHM's curve) and a CSR signed by it (proof of possession); the key stays with the caller. */
export async function generateKeyAndCsr(commonName = 'stevedore-agent'): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateEcKeyPair('ec', { namedCurve: KEY_ALGORITHM.namedCurve });
  return { keyPem: withNewline(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), csrPem: createCertificateRequest(commonName, keys) };
}

export function certificateTimes(pem: string): { notBefore: number; notAfter: number } {
  const c = new X509Certificate(pem);
  return { notBefore: Date.parse(c.validFrom), notAfter: Date.parse(c.validTo) };
}

/** Agents renew at 2/3 of the lifetime: early enough to survive a control plane outage of a third of it. */
export function renewalTime(t: { notBefore: number; notAfter: number }): number {
  return t.notBefore + Math.floor(((t.notAfter - t.notBefore) * 2) / 3);
}

/** PEM blocks concatenated into chains need their trailing newline, which x509's encoder omits. */
export function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** `SVDR-<8 id chars>.<43 chars: base64url of 32 random bytes>`: anything else is not a token we issued. The id finds the row, only the secret's hash is stored. */
export const JOIN_TOKEN_PATTERN = /^SVDR-([a-z0-9]{8})\.([A-Za-z0-9_-]{43})$/;

export function parseJoinToken(token: string): { id: string; secret: string } | undefined {
  const m = JOIN_TOKEN_PATTERN.exec(token.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** What the control plane stores of a token's secret (never the secret itself). */
export function joinSecretSha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const TOKEN_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A new join token: `token` is shown once, `id` and `secretSha256` are what is stored. */
export function newJoinToken(): { id: string; token: string; secretSha256: string } {
  const id = [...randomBytes(8)].map((b) => TOKEN_ID_ALPHABET[b % TOKEN_ID_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `SVDR-${id}.${secret}`, secretSha256: joinSecretSha256(secret) };
}
