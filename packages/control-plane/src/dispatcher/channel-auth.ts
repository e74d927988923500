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
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert) throw grpcError(status.UNAUTHENTICATED, 'a client certificate issued by the cluster CA is required; join with a token first');
  const id = identityFromSubjectAltName(cert.subjectaltname);
  if (!id) throw grpcError(status.UNAUTHENTICATED, 'the client certificate names no Stevedore container instance');
  const notAfter = Date.parse(cert.valid_to ?? '');
  const notBefore = Date.parse(cert.valid_from ?? '');
  if (!(now < notAfter) || !(now >= notBefore)) throw grpcError(status.UNAUTHENTICATED, 'the client certificate has expired or is not valid yet; renew it, or join again with a token');
  const claimed = metadataValue(call.metadata, METADATA_INSTANCE_ID);
  if (claimed && claimed !== id.instanceId) throw grpcError(status.PERMISSION_DENIED, `the certificate is for instance ${id.instanceId}, not ${claimed}`);
  const instance = store.instances.get(id.instanceId);
  if (instance?.status === 'INACTIVE') throw grpcError(status.FAILED_PRECONDITION, INACTIVE_DETAILS);
  if (instance && instance.clusterName !== id.cluster) throw grpcError(status.PERMISSION_DENIED, `instance ${id.instanceId} belongs to cluster ${instance.clusterName}`);
  return { ...id, notAfter, serial: (cert.serialNumber ?? '').toLowerCase() };
}

export function metadataValue(md: grpc.Metadata, key: string): string {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : v ? v.toString('utf8') : '';
}
