import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { Logger } from 'pino';
import { renewalTime } from '@stevedore/proto';
import type { ClusterCa, SubjectAltNames } from './cluster-ca';
import { SERVER_CERT_VALIDITY_MS } from './server-credentials';

/** What the HTTPS server presents: a key and its certificate chain (PEM). */
export interface ApiTlsIdentity {
  key: string;
  cert: string;
}

export type ApiCertificateSource =
  /** Issued by the cluster CA for these names, renewed at 2/3 of its lifetime. */
  | { kind: 'cluster-ca'; ca: ClusterCa; sans: SubjectAltNames; validityMs?: number }
  /** Operator-provided files (an ACME client renews them): re-read when they change. */
  | { kind: 'files'; certFile: string; keyFile: string };

const CHECK_INTERVAL_MS = 60_000;

/**
 * The API's TLS identity, kept fresh without a restart: `apply` receives the
 * first identity in start() and every renewal (the caller swaps it into the
 * server with setSecureContext). A renewal that fails is logged and retried
 * at the next check; the current identity stays in use meanwhile.
 */
export class ApiCertificate {
  private timer: NodeJS.Timeout | undefined;
  private renewAt = Infinity;
  private filesStamp = '';

  constructor(
    private readonly source: ApiCertificateSource,
    private readonly apply: (identity: ApiTlsIdentity) => void,
    private readonly log: Logger,
    private readonly checkIntervalMs = CHECK_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    await this.refresh(true);
    this.timer = setInterval(() => {
      this.refresh(false).catch((err: unknown) => this.log.error({ err }, 'cannot renew the API certificate; the current one stays in use'));
    }, this.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(first: boolean): Promise<void> {
    const src = this.source;
    if (src.kind === 'cluster-ca') {
      if (!first && Date.now() < this.renewAt) return;
      const cert = await src.ca.issueServerCertificate(src.sans, src.validityMs ?? SERVER_CERT_VALIDITY_MS, Date.now());
      this.apply({ key: cert.keyPem, cert: cert.chainPem });
      this.renewAt = renewalTime(cert);
      this.log.info({ dns: src.sans.dns, ip: src.sans.ip, notAfter: new Date(cert.notAfter).toISOString() }, 'API certificate issued by the cluster CA');
      return;
    }
    const stamp = [src.certFile, src.keyFile].map((f) => `${fs.statSync(f).mtimeMs}:${fs.statSync(f).size}`).join('|');
    if (!first && stamp === this.filesStamp) return;
    const identity = { cert: fs.readFileSync(src.certFile, 'utf8'), key: fs.readFileSync(src.keyFile, 'utf8') };
    // Refuse a key that does not match its certificate here, not at the first client's handshake.
    tls.createSecureContext(identity);
    this.apply(identity);
    this.filesStamp = stamp;
    const notAfter = new X509Certificate(identity.cert).validTo;
    this.log.info({ certFile: src.certFile, notAfter }, first ? 'API certificate loaded' : 'API certificate files changed: reloaded');
  }
}

/** Writes the CA bundle clients verify the API with (public: 0644), atomically. */
export function writeCaBundle(file: string, caPem: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, caPem, { mode: 0o644 });
  fs.renameSync(tmp, file);
}
