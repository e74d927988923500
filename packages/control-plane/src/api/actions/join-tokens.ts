import { NotFoundError, ServerError, toEcsTimestamp } from '@stevedore/core';
import { caCertHash, newJoinToken, parseJoinToken } from '@stevedore/proto';
import type { ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import { requireCluster } from '../lookups';
import type { StoredJoinToken } from '../../store/agent-pki-repo';

/** kubeadm's default token lifetime is a day; an hour is enough to join a host by hand. */
export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 3600;
/** CreateJoinToken without `uses` makes a one-time token: joining many hosts with one token is asked for explicitly. */
export const DEFAULT_JOIN_TOKEN_USES = 1;
const MAX_JOIN_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export type JoinTokenStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED' | 'EXHAUSTED';

export function joinTokenStatus(t: StoredJoinToken, now: number): JoinTokenStatus {
  if (t.revokedAt !== undefined) return 'REVOKED';
  if (now >= t.expiresAt) return 'EXPIRED';
  if (t.maxUses !== undefined && t.uses >= t.maxUses) return 'EXHAUSTED';
  return 'ACTIVE';
}

/** Never the secret: it exists only in CreateJoinToken's response. */
function joinTokenJson(t: StoredJoinToken, now: number) {
  return {
    joinTokenId: t.id,
    cluster: t.cluster,
    status: joinTokenStatus(t, now),
    createdAt: toEcsTimestamp(t.createdAt),
    expiresAt: toEcsTimestamp(t.expiresAt),
    uses: t.uses,
    ...(t.maxUses !== undefined ? { maxUses: t.maxUses } : {}),
    ...(t.revokedAt !== undefined ? { revokedAt: toEcsTimestamp(t.revokedAt) } : {}),
  };
}

function currentCaCertHash(ctx: ApiContext): string {
  const pem = ctx.store.agentPki.caCertificate();
  if (!pem) throw new ServerError('The agent channel CA is not ready yet.');
  return caCertHash(pem);
}

/** Stevedore_20261125.CreateJoinToken: the token is shown once; only its SHA-256 is stored. */
export function createJoinToken(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  p.requiredString('cluster', { max: 2048 });
  const ttl = p.integer('ttlSeconds', { min: 1, max: MAX_JOIN_TOKEN_TTL_SECONDS }) ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS;
  // One host per token unless asked: a leaked token used once is already spent.
  const uses = p.integer('uses', { min: 1, max: 100_000 }) ?? DEFAULT_JOIN_TOKEN_USES;
  const hash = currentCaCertHash(ctx);
  return ctx.store.tx(() => {
    const cluster = requireCluster(ctx, p);
    const now = ctx.clock.now();
    const minted = newJoinToken();
    const t: StoredJoinToken = { id: minted.id, cluster: cluster.name, secretSha256: minted.secretSha256, createdAt: now, expiresAt: now + ttl * 1000, uses: 0, maxUses: uses };
    ctx.store.agentPki.insertToken(t);
    ctx.log.info({ cluster: cluster.name, joinTokenId: t.id, ttlSeconds: ttl, uses }, 'join token created');
    return { token: minted.token, caCertHash: hash, expiresAt: toEcsTimestamp(t.expiresAt), joinToken: joinTokenJson(t, now) };
  });
}

export function listJoinTokens(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const cluster = p.has('cluster') ? requireCluster(ctx, p).name : undefined;
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const now = ctx.clock.now();
  const { items, nextToken } = page(ctx.store.agentPki.listTokens(cluster, after, limit + 1), limit, (t) => t.id);
  return { joinTokens: items.map((t) => joinTokenJson(t, now)), caCertHash: currentCaCertHash(ctx), ...(nextToken ? { nextToken } : {}) };
}

/** Takes the id, or the whole token (only its id part is read). Revoking twice is harmless. */
export function revokeJoinToken(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const ref = p.requiredString('joinTokenId', { max: 128 });
  const id = parseJoinToken(ref)?.id ?? ref;
  return ctx.store.tx(() => {
    if (!ctx.store.agentPki.token(id)) throw new NotFoundError('ResourceNotFoundException', `Join token ${id} not found.`);
    ctx.store.agentPki.revokeToken(id, ctx.clock.now());
    const t = ctx.store.agentPki.token(id)!;
    ctx.log.info({ cluster: t.cluster, joinTokenId: id }, 'join token revoked');
    return { joinToken: joinTokenJson(t, ctx.clock.now()) };
  });
}
