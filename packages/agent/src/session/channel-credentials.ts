import { grpc } from '@stevedore/proto';

/**
 * The one place the agent channel's security is decided. Insecure for now;
 * the join-token issue replaces this with mTLS (per-instance certificate,
 * CA pinned by hash) without touching any caller.
 */
export interface ChannelSecurity {
  kind: 'insecure';
}

export function channelCredentials(_security: ChannelSecurity = { kind: 'insecure' }): grpc.ChannelCredentials {
  return grpc.credentials.createInsecure();
}
