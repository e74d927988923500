import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Which replica granted an ECS Exec session, carried in the session's token
 * (docs/design/ecs-exec.md, "Across replicas"). A client's WebSocket may land
 * on any replica (a round-robin balancer in front of them); the session lives
 * in the one that granted it. The token is `<route>.<secret>`:
 *
 * - `route` is HMAC-SHA256(relay key, "exec-route/v1", session id, granting
 *   replica id), 16 bytes in base64url. A replica that does not hold the
 *   session finds the granting one by computing it for each live replica:
 *   nothing about the replica is readable in the token (no host name, no
 *   id), and without the relay key nobody can make a token that routes
 *   anywhere, nor reuse one for another session id.
 * - `secret` is 32 random bytes: what the granting replica checks (it keeps
 *   the SHA-256 of the whole token), single use, within its TTL.
 *
 * Without a relay key (an in-memory control plane, one replica) the token is
 * the secret alone, as before.
 */

export interface ExecRouting {
  replicaId: string;
  key: Buffer;
}

const ROUTE_BYTES = 16;

function routeTag(key: Buffer, sessionId: string, replicaId: string): Buffer {
  return createHmac('sha256', key).update(`exec-route/v1\n${sessionId}\n${replicaId}`).digest().subarray(0, ROUTE_BYTES);
}

/** A new session token: routed when `routing` is given. */
export function mintExecToken(sessionId: string, routing: ExecRouting | undefined): string {
  const secret = randomBytes(32).toString('base64url');
  return routing ? `${routeTag(routing.key, sessionId, routing.replicaId).toString('base64url')}.${secret}` : secret;
}

/**
 * The replica among `replicaIds` whose route `token` carries for
 * `sessionId`; undefined for a token without a route, a forged or altered
 * one, one of another session, or one of a replica that is gone.
 */
export function execTokenRoute(key: Buffer, sessionId: string, token: string, replicaIds: readonly string[]): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const presented = Buffer.from(token.slice(0, dot), 'base64url');
  if (presented.length !== ROUTE_BYTES) return undefined;
  let found: string | undefined;
  // Every candidate is compared (constant time each): how long this takes says nothing about which one matched.
  for (const id of replicaIds) if (timingSafeEqual(presented, routeTag(key, sessionId, id)) && found === undefined) found = id;
  return found;
}
