import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';

const TOKEN = `svs1.0123456789abcdef.${'A'.repeat(43)}`;

test('stevedore console asks for a one-time sign-in token and prints the URL with it in the fragment', async (t) => {
  const fake = await startFakeEcs({ GetConsoleSigninToken: () => ({ signinToken: TOKEN, expiresAt: 1_800_000_300, sessionDurationSeconds: 1800 }) });
  t.after(() => fake.close());
  // No DISPLAY: nothing to open, the URL is printed.
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['console', '--session-duration', '1800'], io), 0);
  const call = fake.callsTo('GetConsoleSigninToken')[0]!;
  assert.equal(call.target, 'Stevedore_20261125.GetConsoleSigninToken');
  assert.deepEqual(call.body, { sessionDurationSeconds: 1800 });
  assert.equal(io.out(), `${fake.endpoint}/console/signin#token=${TOKEN}\n`);
  assert.match(io.err(), /valid for 5 minutes and for one sign-in \(a console session of 30 minutes\)/);
  const json = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint, STEVEDORE_OUTPUT: 'json' } });
  assert.equal(await run(['console'], json), 0);
  assert.deepEqual(JSON.parse(json.out()), { url: `${fake.endpoint}/console/signin#token=${TOKEN}`, expiresAt: 1_800_000_300, sessionDurationSeconds: 1800 });
  assert.deepEqual(fake.callsTo('GetConsoleSigninToken')[1]!.body, {});
  assert.notEqual(await run(['console', '--session-duration', '60'], captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } })), 0);
});
