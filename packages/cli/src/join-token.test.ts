import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import { parseTtl } from './commands/join-token';

const TOKEN = `SVDR-abcd1234.${'x'.repeat(43)}`;
const HASH = `sha256:${'ab'.repeat(32)}`;
const row = { joinTokenId: 'abcd1234', cluster: 'prod', status: 'ACTIVE', createdAt: 1_800_000_000, expiresAt: 1_800_003_600, uses: 0, maxUses: 2 };

test('cluster join-token create/list/revoke call the Stevedore operations and print the token and the CA hash', async (t) => {
  const fake = await startFakeEcs({
    CreateJoinToken: () => ({ token: TOKEN, caCertHash: HASH, expiresAt: row.expiresAt, joinToken: row }),
    ListJoinTokens: () => ({ joinTokens: [row], caCertHash: HASH }),
    RevokeJoinToken: () => ({ joinToken: { ...row, status: 'REVOKED' } }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'join-token', 'create', '--cluster', 'prod', '--ttl', '2h', '--uses', '2'], io), 0);
  const call = fake.callsTo('CreateJoinToken')[0]!;
  assert.equal(call.target, 'Stevedore_20261125.CreateJoinToken');
  assert.deepEqual(call.body, { cluster: 'prod', ttlSeconds: 7200, uses: 2 });
  assert.match(io.out(), new RegExp(`token:\\s+${TOKEN}`));
  assert.match(io.out(), new RegExp(`ca-cert-hash:\\s+${HASH}`));
  assert.match(io.out(), new RegExp(`--token ${TOKEN} --ca-cert-hash ${HASH}`));
  // Without --uses a token joins one host.
  assert.equal(await run(['cluster', 'join-token', 'create', '--cluster', 'prod'], captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } })), 0);
  assert.deepEqual(fake.callsTo('CreateJoinToken')[1]!.body, { cluster: 'prod', uses: 1 });

  const list = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['--cluster', 'prod', 'cluster', 'join-token', 'list'], list), 0);
  assert.deepEqual(fake.callsTo('ListJoinTokens')[0]!.body, { cluster: 'prod' });
  assert.match(list.out(), /abcd1234\s+ACTIVE\s+0\/2/);
  assert.ok(!list.out().includes(TOKEN));

  const revoke = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'join-token', 'revoke', 'abcd1234'], revoke), 0);
  assert.deepEqual(fake.callsTo('RevokeJoinToken')[0]!.body, { joinTokenId: 'abcd1234' });
  assert.match(revoke.out(), /revoked join token abcd1234/);

  const bad = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'join-token', 'create', '--ttl', 'soon'], bad), 2);
});

test('--ttl durations', () => {
  assert.equal(parseTtl('90'), 90);
  assert.equal(parseTtl('90s'), 90);
  assert.equal(parseTtl('30m'), 1800);
  assert.equal(parseTtl('1h'), 3600);
  assert.equal(parseTtl('2d'), 172_800);
  assert.throws(() => parseTtl('0'));
  assert.throws(() => parseTtl('1w'));
});
