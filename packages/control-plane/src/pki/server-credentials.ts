import { isIP } from 'node:net';
import * as os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { renewalTime } from '@stevedore/proto';
import type { ClusterCa, SubjectAltNames } from './cluster-ca';

/** The server certificate is re-issued at every start and at 2/3 of this while running. */
export const SERVER_CERT_VALIDITY_MS = 90 * 24 * 3600_000;
const RENEW_CHECK_MS = 3600_000;

/**
 * Names agents may dial the control plane by. A wildcard listen address
 * means "any of this host's addresses", so every interface address, the host
 * name and localhost are included; `extra` (--agent-cert-san) adds load
 * balancer names or NAT addresses.
 */
export function serverSubjectAltNames(
  listenHost: string,
  extra: readonly string[],
  hostname: string = os.hostname(),
  interfaces: ReturnType<typeof os.networkInterfaces> = os.networkInterfaces(),
): SubjectAltNames {
  const dns = new Set<string>();
  const ip = new Set<string>();
  const add = (name: string) => {
    const n = name.trim().replace(/^\[|\]$/g, '');
    if (!n) return;
    if (isIP(n)) ip.add(n);
    else dns.add(n.toLowerCase());
  };
  const host = listenHost.replace(/^\[|\]$/g, '');
  if (host === '' || host === '0.0.0.0' || host === '::') {
    add('localhost');
    add(hostname);
    for (const list of Object.values(interfaces)) for (const a of list ?? []) add(a.address.split('%')[0]!);
  } else {
    add(host);
  }
  for (const e of extra) add(e);
  return { dns: [...dns], ip: [...ip] };
}

type Listener<T> = (update: T | null) => void;

/**
 * Serves the agent channel's TLS identity to grpc-js and swaps in a fresh
 * server certificate before the current one expires, without a restart.
 * grpc-js registers its listeners before it starts watching for updates, so
 * updates are always delivered asynchronously.
 */
export class ServerCertificateProvider implements grpc.experimental.CertificateProvider {
  private ca: grpc.experimental.CaCertificateUpdate;
  private identity: grpc.experimental.IdentityCertificateUpdate | undefined;
  private readonly caListeners = new Set<Listener<grpc.experimental.CaCertificateUpdate>>();
  private readonly identityListeners = new Set<Listener<grpc.experimental.IdentityCertificateUpdate>>();
  private timer: NodeJS.Timeout | undefined;
  private renewAt = 0;

  constructor(
    private readonly clusterCa: ClusterCa,
    private readonly sans: SubjectAltNames,
    private readonly log: Logger,
  ) {
    this.ca = { caCertificate: Buffer.from(clusterCa.caPem) };
  }

  async start(): Promise<void> {
    await this.issue();
    this.timer = setInterval(() => {
      if (Date.now() >= this.renewAt) this.issue().catch((err: unknown) => this.log.error({ err }, 'cannot renew the agent channel server certificate'));
    }, RENEW_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Client certificates are requested but not required by TLS: Join needs none; every other call checks. */
  credentials(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  private async issue(): Promise<void> {
    const now = Date.now();
    const cert = await this.clusterCa.issueServerCertificate(this.sans, SERVER_CERT_VALIDITY_MS, now);
    this.identity = { certificate: Buffer.from(cert.chainPem), privateKey: Buffer.from(cert.keyPem) };
    this.renewAt = renewalTime(cert);
    this.log.info({ dns: this.sans.dns, ip: this.sans.ip, notAfter: new Date(cert.notAfter).toISOString() }, 'agent channel server certificate issued');
    for (const l of this.identityListeners) setImmediate(() => l(this.identity ?? null));
  }

  addCaCertificateListener(l: Listener<grpc.experimental.CaCertificateUpdate>): void {
    this.caListeners.add(l);
    setImmediate(() => l(this.ca));
  }

  removeCaCertificateListener(l: Listener<grpc.experimental.CaCertificateUpdate>): void {
    this.caListeners.delete(l);
  }

  addIdentityCertificateListener(l: Listener<grpc.experimental.IdentityCertificateUpdate>): void {
    this.identityListeners.add(l);
    setImmediate(() => l(this.identity ?? null));
  }

  removeIdentityCertificateListener(l: Listener<grpc.experimental.IdentityCertificateUpdate>): void {
    this.identityListeners.delete(l);
  }
}
