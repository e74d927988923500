import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { StoredJoinToken } from '../store/agent-pki-repo';
import { joinSecretSha256 } from '@stevedore/proto';
import { checkJoinToken } from './enrollment';

const SECRET = 'a'.repeat(43);
const TOKEN = `SVDR-abcd1234.${SECRET}`;
const NOW = 1_800_000_000_000;
const row = (o: Partial<StoredJoinToken> = {}): StoredJoinToken => ({
  id: 'abcd1234',
  cluster: 'prod',
  secretSha256: joinSecretSha256(SECRET),
  createdAt: NOW - 1000,
  expiresAt: NOW + 1000,
  uses: 0,
  ...o,
});

test('join token verdicts: only the holder of the secret learns why a real token is refused', () => {
  const cases: [string, string, StoredJoinToken | undefined, string, number | 'ok', RegExp?][] = [
    ['valid', TOKEN, row(), 'prod', 'ok'],
    ['valid with uses left', TOKEN, row({ maxUses: 2, uses: 1 }), 'prod', 'ok'],
    ['unknown id', TOKEN, undefined, 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['wrong secret', `SVDR-abcd1234.${'b'.repeat(43)}`, row(), 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['wrong secret of an expired token says nothing more', `SVDR-abcd1234.${'b'.repeat(43)}`, row({ expiresAt: NOW - 1 }), 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['malformed', 'SVDR-abcd1234', row(), 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['short secret', 'SVDR-abcd1234.abc', row(), 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['row of another id', TOKEN, row({ id: 'zzzz9999' }), 'prod', status.UNAUTHENTICATED, /^invalid join token$/],
    ['expired at the instant', TOKEN, row({ expiresAt: NOW }), 'prod', status.UNAUTHENTICATED, /expired/],
    ['revoked', TOKEN, row({ revokedAt: NOW - 5 }), 'prod', status.UNAUTHENTICATED, /revoked/],
    ['used up', TOKEN, row({ maxUses: 1, uses: 1 }), 'prod', status.UNAUTHENTICATED, /no uses left/],
    ['other cluster', TOKEN, row(), 'staging', status.PERMISSION_DENIED, /for cluster prod, not staging/],
  ];
  for (const [what, token, stored, cluster, want, reason] of cases) {
    const v = checkJoinToken(token, stored, cluster, NOW);
    if (want === 'ok') assert.ok(v.ok, what);
    else {
      assert.ok(!v.ok, what);
      assert.equal(v.code, want, what);
      assert.match(v.reason, reason!, what);
    }
  }
});

test('tokens are stored as SHA-256 of the secret only', () => {
  assert.equal(joinSecretSha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
