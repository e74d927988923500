import { randomBytes, webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { caCertHash, exportPrivateKeyPem, identityUri, KEY_ALGORITHM, withNewline, type ChannelIdentity } from '@stevedore/proto';
import { x509 } from './x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A CA outlives any sensible cluster; rotating it means every agent re-joins. */
const CA_VALIDITY_MS = 10 * 365 * 24 * 3600_000;
/** Tolerated clock skew between hosts, capped so very short test lifetimes stay meaningful. */
const MAX_BACKDATE_MS = 60_000;

export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
}

export interface IssuedCertificate {
  certificatePem: string;
  serial: string;
  notBefore: number;
  notAfter: number;
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
}

/**
 * The cluster's certificate authority for the agent channel. Its private key
 * lives only in `<data-dir>/pki/ca.key` (0600, directory 0700), never in the
 * database: a copied database cannot mint agent identities. `:memory:`
 * control planes (tests) get a CA that dies with the process.
 */
export class ClusterCa {
  readonly caPem: string;
  readonly caCertHash: string;

  private constructor(
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {
    this.caPem = withNewline(cert.toString('pem'));
    this.caCertHash = caCertHash(this.caPem);
  }

  static async loadOrCreate(dir: string | undefined): Promise<{ ca: ClusterCa; created: boolean }> {
    if (dir === undefined) return { ca: await ClusterCa.create(), created: true };
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const keyFile = path.join(dir, 'ca.key');
    const certFile = path.join(dir, 'ca.crt');
    if (fs.existsSync(keyFile)) {
      const st = fs.statSync(keyFile);
      if ((st.mode & 0o077) !== 0) throw new Error(`${keyFile} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${keyFile}`);
      if (!fs.existsSync(certFile)) throw new Error(`${keyFile} exists but ${certFile} does not; restore it or remove both to create a new CA (every agent must then join again)`);
      const cert = new x509.X509Certificate(fs.readFileSync(certFile, 'utf8'));
      const der = x509.PemConverter.decodeFirst(fs.readFileSync(keyFile, 'utf8'));
      const key = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
      return { ca: new ClusterCa(cert, key), created: false };
    }
    const ca = await ClusterCa.create();
    // 'wx': two control planes racing on one data dir must not overwrite each other's key.
    fs.writeFileSync(keyFile, await exportPrivateKeyPem(ca.key), { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(certFile, ca.caPem, { mode: 0o644 });
    return { ca, created: true };
  }

  private static async create(): Promise<ClusterCa> {
    const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=Stevedore cluster CA ${randomBytes(4).toString('hex')}, O=Stevedore`,
      notBefore: new Date(now - MAX_BACKDATE_MS),
      notAfter: new Date(now + CA_VALIDITY_MS),
      signingAlgorithm: KEY_ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new ClusterCa(cert, keys.privateKey);
  }

  /** The control plane's TLS certificate (chain: server then CA, so agents can pin the CA from it). */
  async issueServerCertificate(sans: SubjectAltNames, validityMs: number, now: number): Promise<IssuedCertificate & { keyPem: string; chainPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const names: x509.JsonGeneralName[] = [...sans.dns.map((value) => ({ type: 'dns' as const, value })), ...sans.ip.map((value) => ({ type: 'ip' as const, value }))];
    const issued = await this.sign(keys.publicKey, 'CN=stevedore-control-plane, O=Stevedore', names, x509.ExtendedKeyUsage.serverAuth, validityMs, now);
    return { ...issued, keyPem: await exportPrivateKeyPem(keys.privateKey), chainPem: issued.certificatePem + this.caPem };
  }

  /**
   * A client certificate for an agent, for the public key of its CSR. The CSR
   * must be signed by that key (proof of possession); everything it asks for
   * besides the key is ignored: the identity comes from the control plane.
   */
  async issueAgentCertificate(csrPem: string, id: ChannelIdentity, validityMs: number, now: number): Promise<IssuedCertificate> {
    const publicKey = await verifiedCsrKey(csrPem);
    return this.sign(publicKey, `CN=${id.instanceId}, O=${id.cluster}`, [{ type: 'url', value: identityUri(id) }], x509.ExtendedKeyUsage.clientAuth, validityMs, now);
  }

  private async sign(publicKey: CryptoKey, subject: string, names: x509.JsonGeneralName[], usage: string, validityMs: number, now: number): Promise<IssuedCertificate> {
    const backdate = Math.min(MAX_BACKDATE_MS, Math.floor(validityMs / 10));
    const notBefore = now - backdate;
    const notAfter = now + validityMs;
    const s = serial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: s,
      subject,
      issuer: this.cert.subject,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: KEY_ALGORITHM,
      publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert, false),
      ],
    });
    // X.509 times have second precision: report what the certificate says.
    return { certificatePem: withNewline(cert.toString('pem')), serial: s, notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime() };
  }
}

/** 16 random bytes, high bit clear: a positive serial, unique without bookkeeping. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** The CSR's public key, once its signature proves the requester holds the private key. */
export async function verifiedCsrKey(csrPem: string): Promise<CryptoKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CertificateRequestError('csr_pem is not a PEM PKCS#10 certificate request');
  }
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== KEY_ALGORITHM.namedCurve) {
    throw new CertificateRequestError(`the CSR's key must be ECDSA ${KEY_ALGORITHM.namedCurve}`);
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw new CertificateRequestError('the CSR is not signed by its own key');
  return csr.publicKey.export(KEY_ALGORITHM, ['verify']);
}
