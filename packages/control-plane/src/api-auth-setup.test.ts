import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { parseConfig } from './config';
import { Store } from './store/store';
import { isLoopbackHost } from './api/auth/loopback';
import { adminCredentialsFileOf, createApiAuth } from './api-auth-setup';

const argv = (...a: string[]) => ['node', 'stevedore-control-plane', ...a];

test('--insecure-disable-auth is refused unless the API listens on a loopback address', () => {
  assert.throws(() => parseConfig(argv('--insecure-disable-auth', '--api-listen', '0.0.0.0:8080'), {}), /refused unless --api-listen is a loopback address/);
  assert.throws(() => parseConfig(argv('--insecure-disable-auth', '--api-listen', '10.0.0.10:8080'), {}), /loopback/);
  assert.equal(parseConfig(argv('--insecure-disable-auth', '--api-listen', '127.0.0.1:8080'), {}).insecureDisableAuth, true);
  assert.equal(parseConfig(argv(), {}).insecureDisableAuth, undefined, 'auth is on by default');
  for (const [host, loopback] of [['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['localhost', true], ['0.0.0.0', false], ['::', false], ['example.com', false]] as const) {
    assert.equal(isLoopbackHost(host), loopback, host);
  }
  // The same rule holds for a config built in code.
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  const config = { ...parseConfig(argv(), {}), dataDir: ':memory:', apiListen: { host: '0.0.0.0', port: 0 }, insecureDisableAuth: true };
  assert.throws(() => createApiAuth(store, config, pino({ level: 'silent' })), /refused/);
  store.close();
});

test('admin credentials file and rate limit: flags, environment, defaults', () => {
  const c = parseConfig(argv('--data-dir', '/var/lib/x', '--api-rate-limit', '5,10'), {});
  assert.deepEqual(c.apiRateLimit, { steady: 5, burst: 10 });
  assert.equal(adminCredentialsFileOf(c), '/var/lib/x/admin-credentials');
  const e = parseConfig(argv(), { STEVEDORE_ADMIN_CREDENTIALS_FILE: '/etc/stevedore/admin', STEVEDORE_API_RATE_LIMIT: '1,1' });
  assert.equal(adminCredentialsFileOf(e), '/etc/stevedore/admin');
  assert.deepEqual(parseConfig(argv(), {}).apiRateLimit, { steady: 50, burst: 100 });
  assert.throws(() => parseConfig(argv('--api-rate-limit', 'lots'), {}), /--api-rate-limit/);
  assert.equal(adminCredentialsFileOf({ dataDir: ':memory:' }), undefined);
});
