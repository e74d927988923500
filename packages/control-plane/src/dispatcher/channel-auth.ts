import type * as grpc from '@grpc/grpc-js';
import { identityFromSubjectAltName, METADATA_INSTANCE_ID, type ChannelIdentity } from '@stevedore/proto';
import type { Store } from '../store/store';
import { grpcError, status } from './grpc-errors';

/** An authenticated agent: who the client certificate says it is. */
export interface Peer extends ChannelIdentity {
  notAfter: number;
  serial: string;
}

export const INACTIVE_DETAILS = 'InactiveInstanceException: the container instance was deregistered';

interface WithAuth {
  getAuthContext?: () => { sslPeerCertificate?: { subjectaltname?: string; valid_to?: string; valid_from?: string; serialNumber?: string } } | null;
  metadata: grpc.Metadata;
}

/**
 * The per-call half of mutual TLS. The TLS layer requests a client
 * certificate but cannot require one (joining agents have none yet); grpc-js
 * exposes the peer certificate only when it chained to the cluster CA. So
 * here: a CA-issued certificate that is still valid (a long-lived connection
 * can outlive the certificate it was opened with) and names a Stevedore
 * identity; the identity comes from the certificate, metadata must agree.
 */
export function authenticatePeer(call: WithAuth, store: Store, now: number): Peer {
  return checkClaim(call, checkInstance(store, verifyCertificate(call, now)));
}

/** The certificate half: present (it chained to the CA), names an identity, valid now. */
function verifyCertificate(call: WithAuth, now: number): VerifiedCertificate {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert) throw grpcError(status.UNAUTHENTICATED, 'a client certificate issued by the cluster CA is required; join with a token first');
  const id = identityFromSubjectAltName(cert.subjectaltname);
  if (!id) throw grpcError(status.UNAUTHENTICATED, 'the client certificate names no Stevedore container instance');
  const notAfter = Date.parse(cert.valid_to ?? '');
  const notBefore = Date.parse(cert.valid_from ?? '');
  const verified = { ...id, notAfter, notBefore, serial: (cert.serialNumber ?? '').toLowerCase() };
  checkValidity(verified, now);
  return verified;
}

interface VerifiedCertificate extends Peer {
  notBefore: number;
}

/** A long-lived connection can outlive the certificate it was opened with: checked on every call. */
function checkValidity(c: VerifiedCertificate, now: number): void {
  if (!(now < c.notAfter) || !(now >= c.notBefore)) throw grpcError(status.UNAUTHENTICATED, 'the client certificate has expired or is not valid yet; renew it, or join again with a token');
}

/** The instance half: not deregistered, and in the certificate's cluster. */
function checkInstance(store: Store, c: VerifiedCertificate): VerifiedCertificate {
  const instance = store.instances.get(c.instanceId);
  if (instance?.status === 'INACTIVE') throw grpcError(status.FAILED_PRECONDITION, INACTIVE_DETAILS);
  if (instance && instance.clusterName !== c.cluster) throw grpcError(status.PERMISSION_DENIED, `instance ${c.instanceId} belongs to cluster ${instance.clusterName}`);
  return c;
}

/** Metadata may name the instance, and must then agree with the certificate (per call: metadata is per call). */
function checkClaim(call: WithAuth, c: VerifiedCertificate): Peer {
  const claimed = metadataValue(call.metadata, METADATA_INSTANCE_ID);
  if (claimed && claimed !== c.instanceId) throw grpcError(status.PERMISSION_DENIED, `the certificate is for instance ${c.instanceId}, not ${claimed}`);
  return { cluster: c.cluster, instanceId: c.instanceId, notAfter: c.notAfter, serial: c.serial };
}

/**
 * The connection (HTTP/2 session) a grpc-js server call arrived on: the
 * object every call of one TLS connection shares, reached through grpc-js's
 * call wrappers (`call` → interceptors' `nextCall` → `stream.session`). Not
 * public API: when a grpc-js upgrade moves it, this finds nothing and every
 * call is verified in full (slower, never weaker); a test pins it.
 */
export function connectionOf(call: unknown): object | undefined {
  let c = (call as { call?: unknown } | undefined)?.call;
  for (let depth = 0; c && depth < 8; depth++) {
    const session = (c as { stream?: { session?: unknown } }).stream?.session;
    if (session && typeof session === 'object') return session;
    c = (c as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/**
 * Verified identities per connection. A TLS connection's peer certificate
 * cannot change (HTTP/2 forbids renegotiation; Node's http2 disables it), so
 * the certificate is read and parsed once per connection instead of on
 * every heartbeat and report: `getPeerCertificate()` builds a JS object of
 * the whole certificate each time, and those checks were about a fifth of
 * the control plane's CPU at 1,000 agents. What can change is re-checked:
 * the validity window and the metadata claim on every call, the instance
 * (deregistered, other cluster) whenever any instance was deregistered since
 * the entry was made (`InstancesRepo.deregistrations`, bumped in the same
 * synchronous write), so a deregistered agent is refused on its very next call.
 */
export class PeerCache {
  private readonly byConnection = new WeakMap<object, { cert: VerifiedCertificate; deregistrations: number }>();
  readonly stats = { hits: 0, misses: 0 };

  authenticate(call: WithAuth, store: Store, now: number): Peer {
    const conn = connectionOf(call);
    const entry = conn ? this.byConnection.get(conn) : undefined;
    const generation = store.instances.deregistrations;
    if (entry) {
      checkValidity(entry.cert, now);
      if (entry.deregistrations !== generation) {
        checkInstance(store, entry.cert);
        entry.deregistrations = generation;
      }
      this.stats.hits++;
      return checkClaim(call, entry.cert);
    }
    this.stats.misses++;
    const cert = checkInstance(store, verifyCertificate(call, now));
    if (conn) this.byConnection.set(conn, { cert, deregistrations: generation });
    return checkClaim(call, cert);
  }
}

export function metadataValue(md: grpc.Metadata, key: string): string {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : v ? v.toString('utf8') : '';
}
