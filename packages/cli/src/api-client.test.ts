import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, ApiError, parseErrorBody, TransportError } from './api-client';
import { ecsError, Reply, startFakeEcs } from './testing/fake-ecs-server';

test('sends the AWS JSON 1.1 headers and body', async (t) => {
  const fake = await startFakeEcs({ ListClusters: () => ({ clusterArns: [] }) });
  t.after(() => fake.close());
  const client = new ApiClient({ endpoint: fake.endpoint });
  const r = await client.call('ListClusters', { maxResults: 5 });
  assert.deepEqual(r, { clusterArns: [] });
  const call = fake.calls[0]!;
  assert.equal(call.target, 'AmazonEC2ContainerServiceV20141113.ListClusters');
  assert.equal(call.headers['content-type'], 'application/x-amz-json-1.1');
  assert.deepEqual(call.body, { maxResults: 5 });
});

test('error replies become ApiError with __type and message', async (t) => {
  const fake = await startFakeEcs({
    DescribeClusters: () => ecsError('ClusterNotFoundException', 'Cluster not found.'),
    DeleteCluster: () => new Reply(400, { __type: 'com.amazonaws.ecs#ClientException', Message: 'nope' }),
    ListTasks: () => new Reply(502, '<html>bad gateway</html>', 'text/html'),
  });
  t.after(() => fake.close());
  const client = new ApiClient({ endpoint: fake.endpoint });
  await assert.rejects(client.call('DescribeClusters', {}), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.type, 'ClusterNotFoundException');
    assert.equal(e.message, 'Cluster not found.');
    assert.equal(e.status, 400);
    return true;
  });
  await assert.rejects(client.call('DeleteCluster', {}), { type: 'ClientException', message: 'nope' });
  await assert.rejects(client.call('ListTasks', {}), { type: 'ServerException', status: 502, message: '<html>bad gateway</html>' });
});

test('parseErrorBody falls back to the header type and the status', () => {
  assert.equal(parseErrorBody(400, '{}', 'InvalidParameterException:http://internal').type, 'InvalidParameterException');
  assert.equal(parseErrorBody(400, '').type, 'ClientException');
  assert.equal(parseErrorBody(503, '').message, 'HTTP 503');
});

test('an unreachable endpoint is a TransportError naming the endpoint', async () => {
  const fake = await startFakeEcs({});
  const endpoint = fake.endpoint;
  await fake.close();
  const client = new ApiClient({ endpoint });
  await assert.rejects(client.call('ListClusters', {}), (e: unknown) => {
    assert.ok(e instanceof TransportError);
    assert.match(e.message, /cannot reach the Stevedore API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    return true;
  });
});

test('a bad endpoint URL is rejected up front', () => {
  assert.throws(() => new ApiClient({ endpoint: 'localhost:8080' }), TransportError);
  assert.throws(() => new ApiClient({ endpoint: 'not a url' }), TransportError);
});

test('the signer sees the exact bytes and can add headers', async (t) => {
  const fake = await startFakeEcs({ ListClusters: () => ({}) });
  t.after(() => fake.close());
  let signedBody = '';
  const client = new ApiClient({
    endpoint: fake.endpoint,
    signer: {
      sign(req) {
        signedBody = req.body.toString('utf8');
        req.headers.authorization = 'AWS4-HMAC-SHA256 Credential=test';
      },
    },
  });
  await client.call('ListClusters', { a: 'é' });
  assert.equal(signedBody, '{"a":"é"}');
  assert.equal(fake.calls[0]!.headers.authorization, 'AWS4-HMAC-SHA256 Credential=test');
});
