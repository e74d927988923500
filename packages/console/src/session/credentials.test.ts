import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSession, loadSession, saveSession, signinTokenOf, validateKeyPair, type KeyValueStorage } from './credentials';

function memoryStorage(): KeyValueStorage & { m: Map<string, string> } {
  const m = new Map<string, string>();
  return { m, getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

test('a session is kept until signed out or expired', () => {
  const s = memoryStorage();
  const session = { credentials: { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x', sessionToken: 't' }, region: 'us-east-1', expiresAt: 2000, label: 'admin' };
  saveSession(s, session);
  assert.deepEqual(loadSession(s, 1000), session);
  assert.equal(loadSession(s, 2000), undefined);
  assert.equal(s.m.size, 0, 'an expired session is removed');
  saveSession(s, { ...session, expiresAt: undefined as unknown as number });
  clearSession(s);
  assert.equal(loadSession(s, 0), undefined);
});

test('malformed stored sessions are ignored', () => {
  const s = memoryStorage();
  for (const junk of ['{', 'null', '{"credentials":{"accessKeyId":"lower","secretAccessKey":"x"},"region":"r"}', '{"credentials":{"accessKeyId":"AKIAAAAAAAAAAAAAAAAA","secretAccessKey":"x"}}']) {
    s.m.set('stevedore.console.session', junk);
    assert.equal(loadSession(s, 0), undefined, junk);
  }
});

test('typed-in keys are checked before any request', () => {
  assert.match(validateKeyPair('', 'x')!, /access key id/);
  assert.match(validateKeyPair('akia', 'x')!, /capital letters/);
  assert.match(validateKeyPair('AKIAAAAAAAAAAAAAAAAA', '')!, /secret/);
  assert.equal(validateKeyPair(' AKIAAAAAAAAAAAAAAAAA ', 's'), undefined);
});

test('the sign-in token is read from the URL fragment only in its exact shape', () => {
  const token = `svs1.0123456789abcdef.${'A'.repeat(43)}`;
  assert.equal(signinTokenOf(`#token=${token}`), token);
  assert.equal(signinTokenOf(`#token=${encodeURIComponent(token)}`), token);
  assert.equal(signinTokenOf('#token=svs1.nothex.x'), undefined);
  assert.equal(signinTokenOf(''), undefined);
});
