import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, ApiError, apiErrorOf, errorCodeOf, NdjsonSplitter, queryString, redeemSigninToken, type Transport } from './api-client';

type Sent = { headers: Record<string, string>; body: string; url: string; method: string };

function fakeTransport(reply: (headers: Record<string, string>, body: string) => { status: number; body: string; headers?: Record<string, string> }): Transport & { sent: Sent[] } {
  const sent: Sent[] = [];
  let n = 0;
  return {
    sent,
    host: '127.0.0.1:8080',
    protocol: 'http:',
    now: () => new Date('2026-12-03T08:00:00Z'),
    requestId: () => `req-${++n}`,
    fetch: async (_url, init) => {
      sent.push({ headers: init.headers, body: init.body, url: _url, method: init.method });
      const r = reply(init.headers, init.body);
      const h = new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return { status: r.status, text: async () => r.body, headers: { get: (name: string) => h.get(name.toLowerCase()) ?? null } };
    },
  };
}

test('each call goes to its service with its target, content type and signing name, and a fresh invocation id', async () => {
  const t = fakeTransport(() => ({ status: 200, body: '{"ok":true}' }));
  const c = new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', t);
  assert.deepEqual(await c.call('cloudwatch', 'GetMetricData', { a: 1 }), { ok: true });
  await c.call('ecs', 'ListClusters');
  assert.equal(t.sent[0]!.headers['x-amz-target'], 'GraniteServiceVersion20100801.GetMetricData');
  assert.equal(t.sent[0]!.headers['content-type'], 'application/x-amz-json-1.0');
  assert.match(t.sent[0]!.headers['authorization']!, /\/monitoring\/aws4_request/);
  assert.equal(t.sent[0]!.body, '{"a":1}');
  assert.equal(t.sent[1]!.headers['x-amz-target'], 'AmazonEC2ContainerServiceV20141113.ListClusters');
  assert.notEqual(t.sent[0]!.headers['amz-sdk-invocation-id'], t.sent[1]!.headers['amz-sdk-invocation-id']);
});

test('API errors carry the bare code and message; signature failures count as sign-out', async () => {
  const t = fakeTransport(() => ({ status: 400, body: '{"__type":"com.amazonaws#UnrecognizedClientException","message":"The security token included in the request is invalid."}' }));
  const c = new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', t);
  await assert.rejects(c.call('ecs', 'ListClusters'), (e: unknown) => e instanceof ApiError && e.code === 'UnrecognizedClientException' && e.isAuthFailure && e.status === 400);
  const denied = new ApiError('AccessDeniedException', 'no', 400);
  assert.equal(denied.isAuthFailure, false);
  assert.equal(errorCodeOf('ClientException:extra', 400), 'ClientException');
  assert.equal(errorCodeOf(undefined, 503), 'ServerException');
});

test('redeeming a sign-in token is the one unsigned call', async () => {
  const t = fakeTransport(() => ({ status: 200, body: '{"credentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t","expiration":1},"roleName":"admin","sourceAccessKeyId":"AKIA"}' }));
  const r = await redeemSigninToken(t, 'svs1.x.y');
  assert.equal(r.roleName, 'admin');
  assert.equal(t.sent[0]!.headers['authorization'], undefined);
  assert.equal(t.sent[0]!.headers['x-amz-target'], 'Stevedore_20261125.RedeemConsoleSigninToken');
  assert.deepEqual(JSON.parse(t.sent[0]!.body), { signinToken: 'svs1.x.y' });
});

test('NDJSON lines split across chunks are joined; junk lines are skipped', () => {
  const s = new NdjsonSplitter();
  assert.deepEqual(s.push('{"data":"a"}\n{"da'), [{ data: 'a' }]);
  assert.deepEqual(s.push('ta":"b"}\nnot json\n\n'), [{ data: 'b' }]);
  assert.deepEqual(s.push('{"x":1}'), []);
  assert.deepEqual(s.push('\n'), [{ x: 1 }]);
});

test('a REST-JSON read is a signed GET whose query is in the URL as it was signed', async () => {
  const t = fakeTransport(() => ({ status: 200, body: '{"Schedules":[]}' }));
  const c = new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', t);
  assert.deepEqual(await c.restGet('scheduler', '/schedules/a%20b', { groupName: 'g 1', MaxResults: '5' }), { Schedules: [] });
  assert.equal(t.sent[0]!.method, 'GET');
  assert.equal(t.sent[0]!.url, '/schedules/a%20b?MaxResults=5&groupName=g%201');
  assert.equal(t.sent[0]!.headers['x-amz-target'], undefined);
  assert.match(t.sent[0]!.headers['authorization']!, /\/scheduler\/aws4_request/);
  assert.equal(queryString({}), '');
  assert.equal(queryString({ b: "it's", a: '*' }), "?a=%2A&b=it%27s");
});

test('REST-JSON errors (EventBridge Scheduler): the code from X-Amzn-ErrorType without what follows ":", the message from Message', async () => {
  const t = fakeTransport(() => ({
    status: 404,
    headers: { 'X-Amzn-ErrorType': 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.scheduler/' },
    body: '{"Message":"Schedule nightly does not exist."}',
  }));
  const c = new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', t);
  await assert.rejects(c.restGet('scheduler', '/schedules/nightly'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'ResourceNotFoundException');
    assert.equal(e.message, 'Schedule nightly does not exist.');
    assert.equal(e.status, 404);
    return true;
  });
  // A lower-case message, and a body that is not JSON still gets the header's code.
  const v = fakeTransport(() => ({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: '{"message":"1 validation error detected"}' }));
  await assert.rejects(new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', v).restGet('scheduler', '/schedules'), /1 validation error detected/);
  const h = fakeTransport(() => ({ status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException:' }, body: '<html>denied</html>' }));
  await assert.rejects(new ApiClient({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, 'us-east-1', h).restGet('scheduler', '/schedules'), (e: unknown) => e instanceof ApiError && e.code === 'AccessDeniedException' && e.message === 'HTTP 403');
});

test('apiErrorOf: the header wins over __type, __type still serves the JSON protocols, nothing is UnknownError or ServerException', () => {
  assert.equal(apiErrorOf(400, 'ValidationException', { __type: 'com.amazonaws#Other', message: 'm' }).code, 'ValidationException');
  assert.equal(apiErrorOf(400, null, { __type: 'com.amazonaws.ecs#ClientException', message: 'm' }).code, 'ClientException');
  assert.equal(apiErrorOf(400, '', {}).code, 'UnknownError');
  assert.equal(apiErrorOf(502, undefined, null).code, 'ServerException');
  assert.equal(apiErrorOf(400, undefined, { Message: 'Cap' }).message, 'Cap');
});
