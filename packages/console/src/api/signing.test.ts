import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { signRequest } from './signing';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** SigV4 computed independently, from the specification's steps, for the request signRequest signed. */
function expectedSignature(headers: Record<string, string>, body: string, secret: string, date: string, region: string, service: string, signedHeaderNames: string[]): string {
  const canonicalHeaders = signedHeaderNames.map((h) => `${h}:${headers[h]!.trim()}\n`).join('');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaderNames.join(';'), hex(body)].join('\n');
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

test('signRequest signs a JSON API call as SigV4 specifies, host included but not returned', async () => {
  const body = '{"cluster":"default"}';
  const headers = await signRequest(
    { host: '127.0.0.1:8080', protocol: 'http:', method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListServices', 'amz-sdk-invocation-id': 'id-1' }, body },
    { accessKeyId: 'AKIDEXAMPLE1234567890', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    'us-east-1',
    'ecs',
    new Date('2026-12-03T08:00:00Z'),
  );
  assert.equal(headers['host'], undefined, 'the browser sets Host itself');
  assert.equal(headers['x-amz-date'], '20261203T080000Z');
  const auth = headers['authorization']!;
  const m = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE1234567890\/20261203\/us-east-1\/ecs\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  assert.ok(m, auth);
  const signed = m[1]!.split(';');
  assert.ok(signed.includes('host') && signed.includes('x-amz-target') && signed.includes('amz-sdk-invocation-id') && signed.includes('content-type'), m[1]);
  const all: Record<string, string> = { ...headers, host: '127.0.0.1:8080' };
  assert.equal(m[2], expectedSignature(all, body, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20261203T080000Z', 'us-east-1', 'ecs', signed));
});

test('temporary credentials send their session token, and a different body gives a different signature', async () => {
  const req = { host: 'cp.example:8443', protocol: 'https:' as const, method: 'POST' as const, path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'X.Y' }, body: '{}' };
  const creds = { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 's3cret', sessionToken: 'SVDCtoken' };
  const now = new Date('2026-12-03T08:00:00Z');
  const a = await signRequest(req, creds, 'eu-west-1', 'logs', now);
  assert.equal(a['x-amz-security-token'], 'SVDCtoken');
  assert.match(a['authorization']!, /x-amz-security-token/);
  assert.match(a['authorization']!, /\/eu-west-1\/logs\/aws4_request/);
  const b = await signRequest({ ...req, body: '{"a":1}' }, creds, 'eu-west-1', 'logs', now);
  assert.notEqual(a['authorization'], b['authorization']);
});
