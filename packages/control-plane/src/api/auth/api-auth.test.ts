import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane } from '../../testing/harness';
import { rawCall, requestHeaders, type AccessKey } from '../../testing/signed-client';
import { deployerPolicy } from './policy';

// The API's authentication and authorization end to end over HTTP, with keys
// and roles created through the API itself by the first-start admin key.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const SV = 'Stevedore_20261125.';
let deployer: AccessKey;
let reader: AccessKey;

before(async () => {
  h = await startTestControlPlane();
  for (const c of ['prod', 'staging']) assert.equal((await h.call('CreateCluster', { clusterName: c })).status, 200);
  const role = await h.call('CreateRole', { roleName: 'deployer-prod', policyDocument: JSON.stringify(deployerPolicy(['prod'])) }, `${SV}CreateRole`);
  assert.equal(role.status, 200, JSON.stringify(role.body));
  deployer = (await h.call('CreateAccessKey', { roleName: 'deployer-prod' }, `${SV}CreateAccessKey`)).body['accessKey'];
  reader = (await h.call('CreateAccessKey', { roleName: 'read-only' }, `${SV}CreateAccessKey`)).body['accessKey'];
});
after(async () => {
  await h.cp.stop();
});

test('unsigned and wrongly signed requests are refused with the AWS error; /ping needs no signature', async () => {
  const unsigned = await h.callAs(undefined, 'ListClusters');
  assert.equal(unsigned.status, 400);
  assert.equal(unsigned.body['__type'], 'UnrecognizedClientException');
  const wrong = await h.callAs({ ...h.admin!, secretAccessKey: 'x'.repeat(40) }, 'ListClusters');
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body['__type'], 'InvalidSignatureException');
  assert.match(wrong.body['message'], /does not match the signature you provided/);
  const unknown = await h.callAs({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'ListClusters');
  assert.equal(unknown.body['__type'], 'UnrecognizedClientException');
  const expired = await rawCall(h.endpoint, { target: 'AmazonEC2ContainerServiceV20141113.ListClusters', body: '{}', credentials: h.admin!, signingDate: new Date(Date.now() - 10 * 60_000) });
  assert.match(expired.body['message'], /^Signature expired/);
  const otherRegion = await rawCall(h.endpoint, { target: 'AmazonEC2ContainerServiceV20141113.ListClusters', body: '{}', credentials: h.admin!, region: 'eu-west-1' });
  assert.equal(otherRegion.body['__type'], 'InvalidSignatureException');
  const ping = await fetch(`${h.endpoint}/ping`);
  assert.equal(ping.status, 200);
});

test('a replayed request is refused; the same call signed anew is not', async () => {
  const req = { target: 'AmazonEC2ContainerServiceV20141113.ListClusters', body: '{}', credentials: h.admin! };
  const headers = await requestHeaders(h.endpoint, req);
  const first = await fetch(h.endpoint, { method: 'POST', headers, body: '{}' });
  assert.equal(first.status, 200);
  const replay = await fetch(h.endpoint, { method: 'POST', headers, body: '{}' });
  assert.equal(replay.status, 400);
  assert.match(((await replay.json()) as { message: string }).message, /Request replay detected/);
  assert.equal((await rawCall(h.endpoint, req)).status, 200);
});

/** POST with exactly these headers (Host included), so a request signed for one port can be replayed to another. */
function postRaw(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, any>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a request captured before a control-plane restart cannot be replayed after it (the replay cache is in the store)', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-replay-restart-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let cp = await startTestControlPlane({ dataDir });
  const req = { target: 'AmazonEC2ContainerServiceV20141113.ListClusters', body: '{}', credentials: cp.admin! };
  const host = new URL(cp.endpoint).host;
  const headers = { ...(await requestHeaders(cp.endpoint, req)), host };
  assert.equal((await postRaw(cp.endpoint, headers, '{}')).status, 200);
  await cp.cp.stop();

  cp = await startTestControlPlane({ dataDir });
  try {
    // The same bytes, Host as signed, to the restarted control plane (on a new port).
    const replay = await postRaw(cp.endpoint, headers, '{}');
    assert.equal(replay.status, 400);
    assert.equal(replay.body['__type'], 'InvalidSignatureException');
    assert.match(replay.body['message'], /Request replay detected/);
    // A fresh signature of the same call is accepted.
    assert.equal((await cp.call('ListClusters')).status, 200);
  } finally {
    await cp.cp.stop();
  }
});

test('a deployer role cannot touch another cluster: AccessDeniedException names the action and the resource', async () => {
  const td = await h.callAs(deployer, 'RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32 }] });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  // Allowed in prod: the call reaches placement (no instances there) and listing works.
  const inProd = await h.callAs(deployer, 'RunTask', { cluster: 'prod', taskDefinition: 'web' });
  assert.notEqual(inProd.body['__type'], 'AccessDeniedException', JSON.stringify(inProd.body));
  assert.equal((await h.callAs(deployer, 'ListTasks', { cluster: 'prod' })).status, 200);
  const denied = await h.callAs(deployer, 'RunTask', { cluster: 'staging', taskDefinition: 'web' });
  assert.equal(denied.status, 400);
  assert.equal(denied.body['__type'], 'AccessDeniedException');
  assert.equal(
    denied.body['message'],
    `User: arn:aws:sts::000000000000:assumed-role/deployer-prod/${deployer.accessKeyId} is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-east-1:000000000000:cluster/staging because no identity-based policy allows the ecs:RunTask action`,
  );
  const stop = await h.callAs(deployer, 'StopTask', { cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/staging', task: 'x' });
  assert.equal(stop.body['__type'], 'AccessDeniedException');
  const del = await h.callAs(deployer, 'DeleteCluster', { cluster: 'prod' });
  assert.match(del.body['message'], /ecs:DeleteCluster on resource: arn:aws:ecs:us-east-1:000000000000:cluster\/prod/);
  // Denied calls change nothing.
  assert.equal((await h.call('DescribeClusters', { clusters: ['prod', 'staging'] })).body['clusters'].length, 2);
});

test('read-only describes and lists but cannot RunTask or manage keys', async () => {
  assert.equal((await h.callAs(reader, 'DescribeClusters', { clusters: ['prod'] })).status, 200);
  assert.equal((await h.callAs(reader, 'ListTaskDefinitions', {})).status, 200);
  const run = await h.callAs(reader, 'RunTask', { cluster: 'prod', taskDefinition: 'web' });
  assert.equal(run.body['__type'], 'AccessDeniedException');
  assert.match(run.body['message'], /assumed-role\/read-only\/.* is not authorized to perform: ecs:RunTask/);
  const mint = await h.callAs(reader, 'CreateAccessKey', { roleName: 'admin' }, `${SV}CreateAccessKey`);
  assert.equal(mint.body['__type'], 'AccessDeniedException');
});

test('access keys and roles: secrets shown once, deleted keys stop working, guards against lock-out', async () => {
  const created = await h.call('CreateAccessKey', { roleName: 'read-only', description: 'ci' }, `${SV}CreateAccessKey`);
  const key = created.body['accessKey'];
  assert.match(key.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(key.secretAccessKey.length, 40);
  assert.equal(typeof key.createDate, 'number');
  const listed = await h.call('ListAccessKeys', { roleName: 'read-only' }, `${SV}ListAccessKeys`);
  assert.ok(listed.body['accessKeys'].some((k: { accessKeyId: string }) => k.accessKeyId === key.accessKeyId));
  assert.ok(!JSON.stringify(listed.body).includes(key.secretAccessKey), 'ListAccessKeys never returns secrets');
  assert.equal((await h.callAs(key, 'ListClusters')).status, 200);
  assert.equal((await h.call('DeleteAccessKey', { accessKeyId: key.accessKeyId }, `${SV}DeleteAccessKey`)).status, 200);
  assert.equal((await h.callAs(key, 'ListClusters')).body['__type'], 'UnrecognizedClientException');

  const lastAdmin = await h.call('DeleteAccessKey', { accessKeyId: h.admin!.accessKeyId }, `${SV}DeleteAccessKey`);
  assert.match(lastAdmin.body['message'], /last access key with the admin role/);
  const inUse = await h.call('DeleteRole', { roleName: 'deployer-prod' }, `${SV}DeleteRole`);
  assert.equal(inUse.body['__type'], 'ResourceInUseException');
  assert.equal((await h.call('DeleteRole', { roleName: 'admin' }, `${SV}DeleteRole`)).body['__type'], 'ClientException');
  assert.equal((await h.call('CreateRole', { roleName: 'read-only', policyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }, `${SV}CreateRole`)).body['__type'], 'ResourceInUseException');
  assert.equal((await h.call('CreateAccessKey', { roleName: 'nobody' }, `${SV}CreateAccessKey`)).body['__type'], 'ResourceNotFoundException');
  const badPolicy = await h.call('CreateRole', { roleName: 'x', policyDocument: { Statement: [{ Effect: 'Allow', Action: 'ecs:*', Resource: '*', Condition: {} }] } }, `${SV}CreateRole`);
  assert.equal(badPolicy.body['__type'], 'InvalidParameterException');
  const roles = await h.call('ListRoles', {}, `${SV}ListRoles`);
  assert.deepEqual(
    roles.body['roles'].map((r: { roleName: string; builtIn: boolean }) => [r.roleName, r.builtIn]),
    [['admin', true], ['read-only', true], ['AWSServiceRoleForApplicationAutoScaling_ECSService', true], ['AWSServiceRoleForECS', true], ['deployer-prod', false]],
  );
});

test('throttling per access key: ThrottlingException "Rate exceeded" past the burst', async () => {
  const t = await startTestControlPlane({ auth: { apiRateLimit: { steady: 1, burst: 3 } } });
  try {
    const results = await Promise.all(Array.from({ length: 6 }, () => t.call('ListClusters')));
    const throttled = results.filter((r) => r.body['__type'] === 'ThrottlingException');
    assert.equal(throttled.length, 3);
    assert.equal(throttled[0]!.status, 400);
    assert.equal(throttled[0]!.body['message'], 'Rate exceeded');
  } finally {
    await t.cp.stop();
  }
});

test('refused signatures are rationed per (address, key id): a guesser gets ThrottlingException, other keys behind the same address do not', async () => {
  const t = await startTestControlPlane({ auth: { apiFailedAuthRateLimit: { steady: 1, burst: 3 } } });
  try {
    const keyA = t.admin!;
    const keyB = (await t.call('CreateAccessKey', { roleName: 'read-only' }, `${SV}CreateAccessKey`)).body['accessKey'] as AccessKey;
    const forgedA = { ...keyA, secretAccessKey: 'x'.repeat(40) };
    const types = [];
    // A flood from 127.0.0.1 with key A's id and a wrong secret: three refusals, then throttled.
    for (let i = 0; i < 20; i++) types.push((await t.callAs(forgedA, 'ListClusters')).body['__type']);
    assert.deepEqual(types.slice(0, 5), ['InvalidSignatureException', 'InvalidSignatureException', 'InvalidSignatureException', 'ThrottlingException', 'ThrottlingException']);
    assert.ok(types.slice(3).every((x) => x === 'ThrottlingException'));
    // Key B from the same address is untouched, and so is a correctly signed call with key A: failures are rationed, not callers.
    for (let i = 0; i < 5; i++) assert.equal((await t.callAs(keyB, 'ListClusters')).status, 200);
    assert.equal((await t.callAs(keyA, 'ListClusters')).status, 200);
    // Key B's own failures have their own ration.
    assert.equal((await t.callAs({ ...keyB, secretAccessKey: 'y'.repeat(40) }, 'ListClusters')).body['__type'], 'InvalidSignatureException');
    // Requests naming no key (unsigned) share one bucket per address, apart from every key's.
    const unsigned = [];
    for (let i = 0; i < 4; i++) unsigned.push((await t.callAs(undefined, 'ListClusters')).body['__type']);
    assert.deepEqual(unsigned, ['UnrecognizedClientException', 'UnrecognizedClientException', 'UnrecognizedClientException', 'ThrottlingException']);
    assert.equal((await t.callAs(keyB, 'ListClusters')).status, 200);
  } finally {
    await t.cp.stop();
  }
});
