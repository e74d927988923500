// Tests only: the agent itself never loads @peculiar/x509 (it builds its CSR
// with node:crypto); tsyringe, under it, needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { caCertHash, exportPrivateKeyPem, grpc, identityUri, KEY_ALGORITHM, withNewline, type ChannelIdentity } from '@stevedore/proto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const serial = () => {
  const b = randomBytes(12);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
};

/**
 * A throwaway cluster CA for agent tests (the real one is the control
 * plane's): server credentials that request client certificates the way the
 * control plane's do, and signing of agent CSRs.
 */
export class TestCa {
  readonly caPem: string;
  readonly caCertHash: string;

  private constructor(
    private readonly cert: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {
    this.caPem = withNewline(cert.toString('pem'));
    this.caCertHash = caCertHash(this.caPem);
  }

  static async create(): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=test cluster CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: KEY_ALGORITHM,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return new TestCa(cert, keys);
  }

  private async issue(publicKey: webcrypto.CryptoKey, subject: string, names: x509.JsonGeneralName[], validityMs: number): Promise<string> {
    const now = Date.now();
    const c = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: this.cert.subject,
      notBefore: new Date(now - Math.min(60_000, validityMs / 10)),
      notAfter: new Date(now + validityMs),
      signingAlgorithm: KEY_ALGORITHM,
      publicKey,
      signingKey: this.keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false), new x509.SubjectAlternativeNameExtension(names)],
    });
    return withNewline(c.toString('pem'));
  }

  async signCsr(csrPem: string, id: ChannelIdentity, validityMs: number): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error('bad CSR');
    return this.issue(await csr.publicKey.export(KEY_ALGORITHM, ['verify']), `CN=${id.instanceId}`, [{ type: 'url', value: identityUri(id) }], validityMs);
  }

  /** TLS for a server on 127.0.0.1 whose chain includes this CA, asking for (not requiring) client certificates. */
  async serverCredentials(): Promise<grpc.ServerCredentials> {
    const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await this.issue(keys.publicKey, 'CN=test control plane', [{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }], 86_400_000);
    const identity = { certificate: Buffer.from(cert + this.caPem), privateKey: Buffer.from(await exportPrivateKeyPem(keys.privateKey)) };
    const ca = { caCertificate: Buffer.from(this.caPem) };
    // grpc-js subscribes before it watches for updates: deliver asynchronously.
    const provider: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (l) => setImmediate(() => l(ca)),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (l) => setImmediate(() => l(identity)),
      removeIdentityCertificateListener: () => undefined,
    };
    return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
  }
}
