import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { ecsError, startFakeEcs } from './testing/fake-ecs-server';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf';

test('secrets put creates, or updates an existing secret; the value comes from --value, a file or stdin', async (t) => {
  let exists = false;
  const fake = await startFakeEcs({
    CreateSecret: () => (exists ? ecsError('ResourceExistsException', 'The operation failed because the secret db already exists.') : ((exists = true), { ARN, Name: 'db', VersionId: 'v1' })),
    PutSecretValue: () => ({ ARN, Name: 'db', VersionId: 'v2', VersionStages: ['AWSCURRENT'] }),
    GetSecretValue: () => ({ ARN, Name: 'db', SecretString: 's3cret' }),
    ListSecrets: () => ({ SecretList: [{ ARN, Name: 'db', LastChangedDate: 1_800_000_000 }] }),
    DeleteSecret: (b) => ({ ARN, Name: 'db', DeletionDate: b['ForceDeleteWithoutRecovery'] ? 1_800_000_000 : 1_800_600_000 }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint }, stdin: 's3cret\n' });
  assert.equal(await run(['secrets', 'put', 'db'], io), 0);
  assert.equal(fake.callsTo('CreateSecret')[0]!.target, 'secretsmanager.CreateSecret');
  assert.deepEqual(fake.callsTo('CreateSecret')[0]!.body, { Name: 'db', SecretString: 's3cret' });
  assert.match(io.out(), /created secret db/);
  const again = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['secrets', 'put', 'db', '--value', 'other'], again), 0);
  assert.deepEqual(fake.callsTo('PutSecretValue')[0]!.body, { SecretId: 'db', SecretString: 'other' });
  assert.match(again.out(), /updated secret db/);

  const get = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['secrets', 'get', 'db'], get), 0);
  assert.equal(get.out(), 's3cret\n');
  const list = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['secrets', 'list'], list), 0);
  assert.match(list.out(), /^NAME\s+LAST CHANGED\s+ARN\ndb\s+2027/);
  const del = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['secrets', 'delete', 'db'], del), 0);
  assert.deepEqual(fake.callsTo('DeleteSecret')[0]!.body, { SecretId: 'db', ForceDeleteWithoutRecovery: true });
  const both = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['secrets', 'put', 'db', '--value', 'a', '--from-file', '/x'], both), 2);
});
