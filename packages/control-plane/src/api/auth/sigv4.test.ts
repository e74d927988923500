import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestHeaders, type AccessKey } from '../../testing/signed-client';
import { verifySigV4, type ReceivedRequest, type VerifyOptions } from './sigv4';
import { ReplayCache } from './replay-cache';
import { RateLimiter, parseRateLimit } from './rate-limiter';

const KEY: AccessKey = { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ENDPOINT = 'http://127.0.0.1:8080';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const TARGET = 'AmazonEC2ContainerServiceV20141113.ListClusters';

async function signed(overrides: { body?: string; key?: AccessKey; region?: string; service?: string; at?: number; headers?: Record<string, string> } = {}): Promise<ReceivedRequest> {
  const body = overrides.body ?? '{}';
  const headers = await requestHeaders(ENDPOINT, {
    target: TARGET,
    body,
    credentials: overrides.key ?? KEY,
    region: overrides.region ?? 'us-east-1',
    service: overrides.service ?? 'ecs',
    signingDate: new Date(overrides.at ?? NOW),
    ...(overrides.headers ? { headers: overrides.headers } : {}),
  });
  return received(headers, body);
}

function received(headers: Record<string, string>, body: string): ReceivedRequest {
  const h: Record<string, string[]> = { host: ['127.0.0.1:8080'] };
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = [v];
  return { method: 'POST', url: '/', headers: h, body: Buffer.from(body) };
}

const opts = (o: Partial<VerifyOptions> = {}): VerifyOptions => ({
  nowMs: NOW,
  region: 'us-east-1',
  services: ['ecs'],
  secretFor: (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined),
  ...o,
});

async function refusal(req: ReceivedRequest | Promise<ReceivedRequest>, o: Partial<VerifyOptions> = {}): Promise<{ code: string; message: string }> {
  try {
    await verifySigV4(await req, opts(o));
  } catch (e) {
    const err = e as { code: string; message: string };
    return { code: err.code, message: err.message };
  }
  assert.fail('the request was accepted');
}

test('a request signed by the SDKs\' signer is accepted and names its key', async () => {
  const v = await verifySigV4(await signed(), opts());
  assert.equal(v.accessKeyId, KEY.accessKeyId);
  assert.equal(v.service, 'ecs');
  assert.equal(v.signedAtMs, NOW);
  assert.match(v.signature, /^[0-9a-f]{64}$/);
});

test('signature refusals: the AWS error type and message for each way to get it wrong', async () => {
  const cases: [string, Promise<{ code: string; message: string }>, string, RegExp][] = [
    ['unsigned', refusal(received({ 'x-amz-target': TARGET }, '{}')), 'UnrecognizedClientException', /Missing Authentication Token/],
    ['unknown key', refusal(signed({ key: { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x' } })), 'UnrecognizedClientException', /security token included in the request is invalid/],
    ['wrong secret', refusal(signed({ key: { ...KEY, secretAccessKey: 'not-the-secret' } })), 'InvalidSignatureException', /signature we calculated does not match/],
    ['expired', refusal(signed({ at: NOW - 6 * 60_000 })), 'InvalidSignatureException', /^Signature expired: 20261125T115400Z is now earlier than 20261125T115500Z \(20261125T120000Z - 5 min\.\)$/],
    ['from the future', refusal(signed({ at: NOW + 6 * 60_000 })), 'InvalidSignatureException', /^Signature not yet current/],
    ['wrong region', refusal(signed({ region: 'eu-west-1' })), 'InvalidSignatureException', /scoped to a valid region, not 'eu-west-1'/],
    ['wrong service', refusal(signed({ service: 's3' })), 'InvalidSignatureException', /scoped to correct service: 'ecs'/],
    ['other algorithm', refusal(received({ authorization: 'AWS AKIAABCDEFGHIJKLMNOP:abc', 'x-amz-target': TARGET }, '{}')), 'InvalidSignatureException', /only AWS4-HMAC-SHA256/],
    ['incomplete header', refusal(received({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIAABCDEFGHIJKLMNOP/20261125/us-east-1/ecs/aws4_request', 'x-amz-target': TARGET }, '{}')), 'InvalidSignatureException', /requires 'SignedHeaders' parameter.*requires 'Signature' parameter/],
    ['presigned', refusal({ method: 'POST', url: '/?X-Amz-Signature=abc', headers: {}, body: Buffer.alloc(0) }), 'InvalidSignatureException', /Presigned/],
  ];
  for (const [name, p, code, message] of cases) {
    const r = await p;
    assert.equal(r.code, code, name);
    assert.match(r.message, message, name);
  }
});

test('anything changed after signing breaks the signature: body, target, a signed header', async () => {
  const good = await signed({ body: '{"clusters":["a"]}' });
  const body = { ...good, body: Buffer.from('{"clusters":["b"]}') };
  assert.equal((await refusal(body)).code, 'InvalidSignatureException');
  const target = { ...good, headers: { ...good.headers, 'x-amz-target': ['AmazonEC2ContainerServiceV20141113.DeleteCluster'] } };
  assert.match((await refusal(target)).message, /does not match/);
  const dropped = { ...good, headers: { ...good.headers, 'content-type': undefined } };
  assert.match((await refusal(dropped)).message, /does not match/);
  // Unsigned headers may change freely: proxies and clients add them.
  const extra = { ...good, headers: { ...good.headers, 'user-agent': ['curl/8'], 'x-forwarded-for': ['10.0.0.1'] } };
  assert.equal((await verifySigV4(extra, opts())).accessKeyId, KEY.accessKeyId);
});

test('the payload hash is computed by the server: a false x-amz-content-sha256 or UNSIGNED-PAYLOAD is refused', async () => {
  const lie = await signed({ body: '{"a":1}', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  assert.match((await refusal(lie)).message, /x-amz-content-sha256/);
  const truthful = await signed({ body: '{"a":1}', headers: { 'x-amz-content-sha256': '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862' } });
  assert.equal((await verifySigV4(truthful, opts())).accessKeyId, KEY.accessKeyId);
});

test('host, x-amz-date and x-amz-target must be among the signed headers', async () => {
  const good = await signed();
  const auth = good.headers['authorization']![0]!.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;host;x-amz-date');
  const r = await refusal({ ...good, headers: { ...good.headers, authorization: [auth] } });
  assert.match(r.message, /'x-amz-target' must be a signed header/);
});

test('non-ECS scopes are accepted where the API allows them (Secrets Manager, SSM, Application Auto Scaling)', async () => {
  const v = await verifySigV4(await signed({ service: 'secretsmanager' }), opts({ services: ['secretsmanager'] }));
  assert.equal(v.service, 'secretsmanager');
});

test('replay cache: a signature is accepted once within its window, and a full cache refuses what it forgot', () => {
  const c = new ReplayCache(300_000, 3);
  assert.equal(c.checkAndRecord('a', NOW, NOW), true);
  assert.equal(c.checkAndRecord('a', NOW, NOW + 1000), false);
  assert.equal(c.checkAndRecord('b', NOW + 1, NOW), true);
  assert.equal(c.checkAndRecord('c', NOW + 2, NOW), true);
  assert.equal(c.checkAndRecord('d', NOW + 3, NOW), true); // evicts a: its date becomes the floor
  assert.equal(c.size, 3);
  assert.equal(c.checkAndRecord('a', NOW, NOW + 2000), false);
  assert.equal(c.checkAndRecord('e', NOW + 10, NOW + 10), true);
  // Past its window the entry is swept and the cache shrinks back.
  const d = new ReplayCache(1000, 100);
  d.checkAndRecord('x', NOW, NOW);
  d.checkAndRecord('y', NOW + 20_000, NOW + 20_000);
  assert.equal(d.size, 1);
});

test('rate limiter: burst, then the steady rate, per key', () => {
  const r = new RateLimiter(parseRateLimit('10,5'));
  const taken = Array.from({ length: 8 }, () => r.tryTake('k', NOW)).filter(Boolean).length;
  assert.equal(taken, 5);
  assert.equal(r.tryTake('other', NOW), true);
  assert.equal(r.tryTake('k', NOW + 100), true); // 100 ms at 10/s = one token
  assert.equal(r.tryTake('k', NOW + 100), false);
  assert.throws(() => parseRateLimit('fast'), /STEADY,BURST/);
});
