import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { minRemaining, rotationDelay, TaskCredentialsCache, type RoleCredentials } from './task-credentials';
import { containerMac } from './endpoint-rules';
import { probeAddress } from './endpoint-probe';

const log = pino({ level: 'silent' });
const key = (n: number, expiration: number): RoleCredentials => ({ roleArn: 'arn:aws:iam::0:role/app', accessKeyId: `ASIA${n}`, secretAccessKey: 's', sessionToken: 't', expiration });

test('one fetch however many callers wait; served while valid; rotated at half the remaining life; released tasks stop rotating', async () => {
  let now = 1_000_000;
  let fetches = 0;
  const cache = new TaskCredentialsCache(async () => key(++fetches, now + 3_600_000), () => now, log);
  const [a, b] = await Promise.all([cache.get('t1'), cache.get('t1')]);
  assert.equal(fetches, 1);
  assert.equal(a, b);
  now += 1_000_000;
  assert.equal((await cache.get('t1')).accessKeyId, 'ASIA1', 'still valid: no fetch');
  now += 2_550_000; // 50 s left: below the minimum a client is given
  assert.equal((await cache.get('t1')).accessKeyId, 'ASIA2');
  cache.release('t1');
  assert.equal(cache.has('t1'), false);
  cache.close();
  assert.equal(rotationDelay(3_600_000, 0), 1_800_000);
  assert.equal(rotationDelay(100, 0), 1000, 'never a busy loop');
});

test('short-lived keys (a test TTL) are served for three quarters of their life, not replaced at every request', async () => {
  let now = 0;
  let fetches = 0;
  const cache = new TaskCredentialsCache(async () => key(++fetches, now + 20_000), () => now, log);
  await cache.get('t');
  now += 14_000;
  assert.equal((await cache.get('t')).accessKeyId, 'ASIA1');
  now += 2_000; // 4 s left, under a quarter of 20 s
  assert.equal((await cache.get('t')).accessKeyId, 'ASIA2');
  assert.equal(minRemaining(3_600_000), 60_000);
  assert.equal(minRemaining(20_000), 5_000);
  cache.close();
});

test('the rotation timer fetches the next key before expiry, and a failed rotation retries while the key is valid', async () => {
  let fetches = 0;
  let fail = false;
  const cache = new TaskCredentialsCache(
    async () => {
      fetches++;
      if (fail) throw new Error('control plane unreachable');
      return key(fetches, Date.now() + 2400);
    },
    Date.now,
    log,
  );
  await cache.get('t');
  await new Promise((r) => setTimeout(r, 1500)); // rotation due at about 1.2 s
  assert.equal(fetches, 2);
  fail = true;
  await new Promise((r) => setTimeout(r, 1300));
  assert.ok(fetches >= 3, 'tried again');
  cache.close();
});

test('container MACs are locally administered unicast; probe addresses sit at the top of the bridge subnet', () => {
  const mac = containerMac(Buffer.from([0xff, 1, 2, 3, 4]));
  assert.equal(mac, '02:ff:01:02:03:04');
  assert.equal(probeAddress('172.17.0.1', 16, 0), '172.17.255.254');
  assert.equal(probeAddress('172.17.0.1', 16, 5), '172.17.255.249');
  assert.equal(probeAddress('10.9.8.1', 24, 0), '10.9.8.254');
});
