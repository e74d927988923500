import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startTestControlPlane, FakeAgent } from '../testing/harness';

type Harness = Awaited<ReturnType<typeof startTestControlPlane>>;

let h: Harness;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'ids' });
});
after(async () => {
  await h.cp.stop();
});

const inactive = (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && /InactiveInstanceException/.test(e.details);

test('the peer certificate is verified once per connection; later calls on it reuse the identity', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'ids', ec2_instance_id: 'cached' });
  const stats = h.cp.dispatcher.identities.stats;
  const misses = stats.misses;
  const hits = stats.hits;
  for (let n = 0; n < 5; n++) await a.heartbeat();
  // If a grpc-js upgrade hides the connection, every call is a miss: safe, but this test says so.
  assert.equal(stats.misses, misses, 'no certificate re-verified on a known connection');
  assert.ok(stats.hits >= hits + 5);
  // The metadata claim is still checked per call, against the cached identity.
  const other = new grpc.Metadata();
  other.set('stevedore-instance-id', 'f'.repeat(32));
  await assert.rejects(
    new Promise((resolve, reject) => (a.client as unknown as Record<string, Function>)['Heartbeat']!({ session_id: '' }, other, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)))),
    (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
  );
  a.close();
});

test('a deregistered agent is refused on its very next call over a connection whose identity is cached; other agents stay accepted', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'ids', ec2_instance_id: 'leaving' });
  const b = await new FakeAgent(h.agentAddress).connect({ cluster: 'ids', ec2_instance_id: 'staying' });
  await a.heartbeat();
  await b.heartbeat();
  const hits = h.cp.dispatcher.identities.stats.hits;
  await a.heartbeat();
  assert.ok(h.cp.dispatcher.identities.stats.hits > hits, "a's identity is cached");
  const r = await h.call('DeregisterContainerInstance', { cluster: 'ids', containerInstance: a.instanceId, force: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // No wait, no retry: the first call after the deregistration is refused.
  await assert.rejects(a.heartbeat(), inactive);
  await assert.rejects(a.update([]), inactive);
  // b's cached identity is re-checked once (an instance was deregistered) and stays accepted.
  assert.ok((await b.heartbeat()).period_ms > 0);
  a.close();
  b.close();
});
