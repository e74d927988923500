import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from './api-client';
import { parseProfile, requestSignerFrom, resolveCredentials } from './signing';
import { startFakeEcs } from './testing/fake-ecs-server';
import { run } from './cli';
import { captureIo } from './testing/capture-io';

const FILE = '# written by the control plane\n[default]\naws_access_key_id = AKIADEFAULTDEFAULT12\naws_secret_access_key = default-secret\n\n[deployer]\naws_access_key_id = AKIADEPLOYERDEPLOYER\naws_secret_access_key = deployer-secret\n';
const files = (m: Record<string, string>) => (f: string) => (m[f] !== undefined ? Promise.resolve(m[f]!) : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' })));

test('credentials are found as the AWS CLI finds them', async () => {
  const read = files({ '/creds': FILE, '/home/u/.aws/credentials': FILE.replace('DEFAULTDEFAULT12', 'HOMEHOMEHOMEHOME') });
  const env = { AWS_SHARED_CREDENTIALS_FILE: '/creds', HOME: '/home/u' };
  assert.equal((await resolveCredentials({}, env, read)).accessKeyId, 'AKIADEFAULTDEFAULT12');
  assert.equal((await resolveCredentials({}, { ...env, AWS_PROFILE: 'deployer' }, read)).accessKeyId, 'AKIADEPLOYERDEPLOYER');
  // Environment keys beat AWS_PROFILE, an explicit --profile beats them.
  const withKeys = { ...env, AWS_PROFILE: 'deployer', AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV1', AWS_SECRET_ACCESS_KEY: 's' };
  assert.equal((await resolveCredentials({}, withKeys, read)).accessKeyId, 'AKIAENVENVENVENVENV1');
  assert.equal((await resolveCredentials({ profile: 'deployer' }, withKeys, read)).accessKeyId, 'AKIADEPLOYERDEPLOYER');
  // STEVEDORE_CREDENTIALS_FILE beats AWS_SHARED_CREDENTIALS_FILE; ~/.aws/credentials is the last resort.
  assert.equal((await resolveCredentials({}, { HOME: '/home/u', AWS_SHARED_CREDENTIALS_FILE: '/nope', STEVEDORE_CREDENTIALS_FILE: '/creds' }, read)).accessKeyId, 'AKIADEFAULTDEFAULT12');
  assert.equal((await resolveCredentials({}, { HOME: '/home/u' }, read)).accessKeyId, 'AKIAHOMEHOMEHOMEHOME');
  await assert.rejects(resolveCredentials({}, { HOME: '/empty' }, read), /no credentials: cannot read \/empty\/\.aws\/credentials.*AWS_SHARED_CREDENTIALS_FILE/);
  await assert.rejects(resolveCredentials({ profile: 'ops' }, env, read), /has no profile \[ops\]/);
  assert.deepEqual(parseProfile('[profile x]\nAWS_ACCESS_KEY_ID=a\n', 'x'), { aws_access_key_id: 'a' });
});

test('every request carries a SigV4 Authorization for service ecs in the chosen region, and a unique invocation id', async (t) => {
  const fake = await startFakeEcs({ ListClusters: () => ({ clusterArns: [] }) });
  t.after(() => fake.close());
  const env = { AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV1', AWS_SECRET_ACCESS_KEY: 's' };
  const client = new ApiClient({ endpoint: fake.endpoint, signer: requestSignerFrom(env, { region: 'eu-west-3' }) });
  await client.call('ListClusters', {});
  await client.call('ListClusters', {});
  const [a, b] = fake.calls.map((c) => c.headers);
  assert.match(
    String(a!['authorization']),
    /^AWS4-HMAC-SHA256 Credential=AKIAENVENVENVENVENV1\/\d{8}\/eu-west-3\/ecs\/aws4_request, SignedHeaders=[^,]*host;[^,]*x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
  );
  assert.match(String(a!['x-amz-date']), /^\d{8}T\d{6}Z$/);
  assert.notEqual(a!['amz-sdk-invocation-id'], b!['amz-sdk-invocation-id']);
  assert.notEqual(a!['authorization'], b!['authorization']);
});

test('without credentials the CLI says where to find them and exits 1; --help needs none', async () => {
  const io = captureIo({ env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', HOME: '/nonexistent', STEVEDORE_ENDPOINT: 'http://127.0.0.1:1' } });
  assert.equal(await run(['cluster', 'list'], io), 1);
  assert.match(io.err(), /no credentials: .*admin-credentials file/);
  assert.equal(await run(['iam', '--help'], captureIo({ env: { AWS_ACCESS_KEY_ID: '' } })), 0);
});
