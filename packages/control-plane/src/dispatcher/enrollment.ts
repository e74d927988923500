import { timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { newId } from '@stevedore/core';
import { joinSecretSha256, parseJoinToken, type JoinRequest, type JoinResponse, type RenewCertificateRequest, type RenewCertificateResponse } from '@stevedore/proto';
import type { Store } from '../store/store';
import type { StoredJoinToken } from '../store/agent-pki-repo';
import { CertificateRequestError, verifiedCsrKey, type ClusterCa } from '../pki/cluster-ca';
import { authenticatePeer } from './channel-auth';
import { grpcError, status } from './grpc-errors';
import { DEFAULT_JOIN_RATE_LIMIT, JOIN_LIMITS, JoinRateLimiter, joinRequestProblem, peerAddress, type JoinRateLimit } from './join-limits';
import { RefusalLog } from './refusal-log';


export type TokenVerdict = { ok: true; token: StoredJoinToken } | { ok: false; code: status; reason: string };

/**
 * Whether a presented join token may join `cluster` now. Pure over the stored
 * row. Only a caller who knows the secret learns why a real token is refused
 * (expired, revoked, used up); anyone else gets "invalid join token".
 */
export function checkJoinToken(presented: string, stored: StoredJoinToken | undefined, cluster: string, now: number): TokenVerdict {
  const invalid: TokenVerdict = { ok: false, code: status.UNAUTHENTICATED, reason: 'invalid join token' };
  const parsed = parseJoinToken(presented);
  if (!parsed || !stored || stored.id !== parsed.id) return invalid;
  const a = Buffer.from(joinSecretSha256(parsed.secret), 'hex');
  const b = Buffer.from(stored.secretSha256, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return invalid;
  if (stored.revokedAt !== undefined) return { ok: false, code: status.UNAUTHENTICATED, reason: 'join token revoked' };
  if (now >= stored.expiresAt) return { ok: false, code: status.UNAUTHENTICATED, reason: 'join token expired' };
  if (stored.maxUses !== undefined && stored.uses >= stored.maxUses) return { ok: false, code: status.UNAUTHENTICATED, reason: 'join token has no uses left' };
  if (stored.cluster !== cluster) return { ok: false, code: status.PERMISSION_DENIED, reason: `the join token is for cluster ${stored.cluster}, not ${cluster}` };
  return { ok: true, token: stored };
}

/**
 * Join and RenewCertificate: how an agent gets, and keeps, its identity.
 * The token is checked and its use counted in one transaction, so two agents
 * racing for a token's last use cannot both win.
 */
export class Enrollment {
  private readonly limiter: JoinRateLimiter;
  private readonly refusals: RefusalLog;

  constructor(
    private readonly store: Store,
    private readonly ca: ClusterCa,
    private readonly certValidityMs: number,
    private readonly log: Logger,
    joinRateLimit: JoinRateLimit = DEFAULT_JOIN_RATE_LIMIT,
  ) {
    this.limiter = new JoinRateLimiter(joinRateLimit);
    this.refusals = new RefusalLog(log, () => store.clock.now());
  }

  join(call: grpc.ServerUnaryCall<JoinRequest, JoinResponse>, cb: grpc.sendUnaryData<JoinResponse>): void {
    const r = call.request;
    const peer = call.getPeer();
    // Cheapest first, nothing parsed yet: the address's rate, then the request's size and shape.
    if (!this.limiter.take(peerAddress(peer), this.store.clock.now())) {
      this.refusals.warn({ peer, reason: 'rate limited' }, 'join refused');
      return cb(grpcError(status.RESOURCE_EXHAUSTED, 'too many join attempts from this address; retry in a minute'));
    }
    const problem = joinRequestProblem(r);
    if (problem) {
      this.refusals.warn({ peer, reason: problem.reason }, 'join refused');
      return cb(grpcError(problem.code, problem.reason));
    }
    const context = { peer, tokenId: parseJoinToken(r.token)?.id, cluster: r.cluster };
    this.doJoin(r).then(
      (res) => {
        this.log.info({ ...context, instance: res.instance_id }, 'agent joined');
        cb(null, res);
      },
      (e: unknown) => {
        if (e instanceof CertificateRequestError || !isGrpcError(e)) return cb(this.certificateError(e, context));
        this.refusals.warn({ ...context, reason: e.details }, 'join refused');
        cb(e);
      },
    );
  }

  private async doJoin(r: JoinRequest): Promise<JoinResponse> {
    const tokenId = parseJoinToken(r.token)?.id;
    // Only a caller holding a usable token gets its CSR parsed; the check is repeated,
    // with the use counted, once the CSR is known good (a malformed CSR costs no use).
    const precheck = checkJoinToken(r.token, tokenId ? this.store.agentPki.token(tokenId) : undefined, r.cluster, this.store.clock.now());
    if (!precheck.ok) throw grpcError(precheck.code, precheck.reason);
    await verifiedCsrKey(r.csr_pem);
    const now = this.store.clock.now();
    const instanceId = this.store.tx(() => {
      const verdict = checkJoinToken(r.token, tokenId ? this.store.agentPki.token(tokenId) : undefined, r.cluster, now);
      if (!verdict.ok) throw grpcError(verdict.code, verdict.reason);
      const cluster = this.store.clusters.get(r.cluster);
      if (!cluster || cluster.status !== 'ACTIVE') throw grpcError(status.NOT_FOUND, 'Cluster not found.');
      this.store.agentPki.useToken(verdict.token.id);
      return newId();
    });
    const cert = await this.ca.issueAgentCertificate(r.csr_pem, { cluster: r.cluster, instanceId }, this.certValidityMs, now);
    this.store.tx(() =>
      this.store.agentPki.recordCertificate({ serial: cert.serial, instanceId, cluster: r.cluster, ...(tokenId ? { joinTokenId: tokenId } : {}), issuedAt: now, notAfter: cert.notAfter }),
    );
    return { instance_id: instanceId, certificate_pem: cert.certificatePem, ca_pem: this.ca.caPem, cluster: r.cluster };
  }

  renew(call: grpc.ServerUnaryCall<RenewCertificateRequest, RenewCertificateResponse>, cb: grpc.sendUnaryData<RenewCertificateResponse>): void {
    const now = this.store.clock.now();
    let id: { cluster: string; instanceId: string };
    try {
      const peer = authenticatePeer(call, this.store, now);
      id = { cluster: peer.cluster, instanceId: peer.instanceId };
    } catch (e) {
      this.refusals.warn({ peer: call.getPeer(), reason: (e as { details?: string }).details }, 'certificate renewal refused');
      return cb(e as grpc.ServiceError);
    }
    if (Buffer.byteLength(call.request.csr_pem ?? '') > JOIN_LIMITS.maxRequestBytes) {
      return cb(grpcError(status.INVALID_ARGUMENT, `csr_pem: at most ${JOIN_LIMITS.maxRequestBytes} bytes`));
    }
    this.ca.issueAgentCertificate(call.request.csr_pem, id, this.certValidityMs, now).then(
      (cert) => {
        this.store.tx(() => this.store.agentPki.recordCertificate({ serial: cert.serial, instanceId: id.instanceId, cluster: id.cluster, issuedAt: now, notAfter: cert.notAfter }));
        this.log.info({ cluster: id.cluster, instance: id.instanceId, notAfter: new Date(cert.notAfter).toISOString() }, 'agent certificate renewed');
        cb(null, { certificate_pem: cert.certificatePem, ca_pem: this.ca.caPem });
      },
      (e: unknown) => cb(this.certificateError(e, id)),
    );
  }

  private certificateError(e: unknown, context: Record<string, unknown>): Partial<grpc.ServiceError> {
    if (e instanceof CertificateRequestError) {
      this.refusals.warn({ ...context, reason: e.message }, 'certificate request refused');
      return grpcError(status.INVALID_ARGUMENT, e.message);
    }
    this.log.error({ ...context, err: e }, 'certificate issuance failed');
    return grpcError(status.INTERNAL, 'internal error');
  }
}

function isGrpcError(e: unknown): e is grpc.ServiceError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && typeof (e as { details?: unknown }).details === 'string';
}
