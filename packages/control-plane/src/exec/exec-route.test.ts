import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execTokenRoute, mintExecToken } from './exec-route';

const key = Buffer.alloc(32, 9);
const S1 = 'ecs-execute-command-0123456789abcdef01234567';
const S2 = 'ecs-execute-command-fedcba9876543210fedcba98';
const replicas = ['cp-a-1-aaaaaa', 'cp-b-2-bbbbbb', 'cp-c-3-cccccc'];

test('a token names the replica that minted it, among the live ones, and nothing else', () => {
  const token = mintExecToken(S1, { replicaId: 'cp-b-2-bbbbbb', key });
  assert.match(token, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  // The replica is not readable in the token: only a key holder can find it.
  assert.equal(token.includes('cp-b'), false);
  assert.equal(Buffer.from(token.split('.')[0]!, 'base64url').toString('latin1').includes('cp-b'), false);
  assert.equal(execTokenRoute(key, S1, token, replicas), 'cp-b-2-bbbbbb');
  // Another key, another session id, a replica that is gone: no route.
  assert.equal(execTokenRoute(Buffer.alloc(32, 8), S1, token, replicas), undefined);
  assert.equal(execTokenRoute(key, S2, token, replicas), undefined);
  assert.equal(execTokenRoute(key, S1, token, ['cp-a-1-aaaaaa', 'cp-c-3-cccccc']), undefined);
  // An altered route, a token without one, garbage: no route.
  const [route, secret] = token.split('.') as [string, string];
  const flipped = `${route.slice(0, 5)}${route[5] === 'A' ? 'B' : 'A'}${route.slice(6)}.${secret}`;
  assert.equal(execTokenRoute(key, S1, flipped, replicas), undefined);
  assert.equal(execTokenRoute(key, S1, secret, replicas), undefined);
  assert.equal(execTokenRoute(key, S1, '.', replicas), undefined);
  assert.equal(execTokenRoute(key, S1, 'abc.def', replicas), undefined);
  // Two tokens of one session differ (the secret is random) but route alike.
  const again = mintExecToken(S1, { replicaId: 'cp-b-2-bbbbbb', key });
  assert.notEqual(again, token);
  assert.equal(execTokenRoute(key, S1, again, replicas), 'cp-b-2-bbbbbb');
});

test('without routing the token is the secret alone', () => {
  const token = mintExecToken(S1, undefined);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(execTokenRoute(key, S1, token, replicas), undefined);
});
