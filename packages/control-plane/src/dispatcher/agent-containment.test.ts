import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { METADATA_INSTANCE_ID, METADATA_SESSION_ID } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';

/** What a compromised agent can reach over its own, valid, certificate. */
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'ct' });
});
after(async () => {
  await h.cp.stop();
});

const code = (c: grpc.status, pattern?: RegExp) => (e: grpc.ServiceError) => e.code === c && (!pattern || pattern.test(e.details));

function unary<T>(a: FakeAgent, method: string, req: unknown, md: grpc.Metadata): Promise<T> {
  return new Promise((resolve, reject) => (a.client as unknown as Record<string, Function>)[method]!(req, md, (e: unknown, r: T) => (e ? reject(e) : resolve(r))));
}

test('registration with an invalid report is refused with INVALID_ARGUMENT naming the field, and nothing is stored', async () => {
  const a = new FakeAgent(h.agentAddress);
  await a.join({ cluster: 'ct' });
  const cases: [Parameters<FakeAgent['register']>[0], RegExp][] = [
    [{ cluster: 'ct', host_ip: 'not-an-ip' }, /^host_ip: /],
    [{ cluster: 'ct', host_ip: '127.0.0.1\n  bind 0.0.0.0:22' }, /^host_ip: /],
    [{ cluster: 'ct', resources: { cpu: 2_000_000_000, memory: 1024, ports: [], ports_udp: [] } }, /^resources\.cpu: /],
    [{ cluster: 'ct', resources: { cpu: 1024, memory: -5, ports: [], ports_udp: [] } }, /^resources\.memory: /],
    [{ cluster: 'ct', resources: { cpu: 1024, memory: 1024, ports: [99999], ports_udp: [] } }, /^resources\.ports\[0\]: /],
    [{ cluster: 'ct', attributes: [{ name: 'stack', value: "x'\n" }] }, /^attributes\[0\]\.value: /],
    [{ cluster: 'ct', ec2_instance_id: 'h'.repeat(1000) }, /^ec2_instance_id: /],
  ];
  for (const [req, re] of cases) await assert.rejects(a.register(req), code(grpc.status.INVALID_ARGUMENT, re), re.source);
  assert.equal(h.cp.store.instances.get(a.instanceId), undefined);
  await a.register({ cluster: 'ct', host_ip: '::1' });
  assert.equal(h.cp.store.instances.get(a.instanceId)?.hostIp, '::1');
  a.close();
});

test('an operator attribute (PutAttributes) wins over the agent and survives its re-registration; the agent cannot delete it', async () => {
  const a = new FakeAgent(h.agentAddress);
  await a.register({ cluster: 'ct', attributes: [{ name: 'stack', value: 'blue' }, { name: 'agent-only', value: 'x' }] });
  const put = await h.call('PutAttributes', { cluster: 'ct', attributes: [{ name: 'stack', value: 'prod', targetId: a.instanceId }, { name: 'tier', value: 'gold', targetId: a.instanceId }] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  // Restart with a conflicting value and without `tier` or `agent-only`.
  await a.register({ cluster: 'ct', attributes: [{ name: 'stack', value: 'evil' }] });
  const listed = await h.call('ListAttributes', { cluster: 'ct', targetType: 'container-instance' });
  const mine = (listed.body['attributes'] as { name: string; value?: string; targetId: string }[]).filter((x) => x.targetId.endsWith(a.instanceId));
  const byName = new Map(mine.map((x) => [x.name, x.value]));
  assert.equal(byName.get('stack'), 'prod', 'the operator value wins');
  assert.equal(byName.get('tier'), 'gold', 'an agent cannot delete an operator attribute');
  assert.equal(byName.has('agent-only'), false, 'what the agent no longer reports is gone');
  assert.ok(!JSON.stringify(listed.body).includes('"source"'), 'the source is internal');
  // Deleted by the operator, the agent's own value comes back at its next registration.
  await h.call('DeleteAttributes', { cluster: 'ct', attributes: [{ name: 'stack', targetId: a.instanceId }] });
  await a.register({ cluster: 'ct', attributes: [{ name: 'stack', value: 'blue' }] });
  assert.equal(h.cp.store.instances.get(a.instanceId)!.attributes.find((x) => x.name === 'stack')?.value, 'blue');
  a.close();
});

test('the certificate is the identity on every rpc: another instance id, session or task is refused', async () => {
  const victim = new FakeAgent(h.agentAddress);
  await victim.register({ cluster: 'ct', ec2_instance_id: 'victim' });
  victim.openSession();
  await eventually(() => victim.sessionId, 'victim session');
  const evil = new FakeAgent(h.agentAddress);
  await evil.register({ cluster: 'ct', ec2_instance_id: 'evil' });

  // Register: the request's instance id, and the metadata's, must be the certificate's.
  await assert.rejects(evil.register({ cluster: 'ct', instance_id: victim.instanceId, host_ip: '10.9.9.9' }), code(grpc.status.PERMISSION_DENIED));
  const claim = new grpc.Metadata();
  claim.set(METADATA_INSTANCE_ID, victim.instanceId);
  await assert.rejects(unary(evil, 'Heartbeat', { session_id: victim.sessionId }, claim), code(grpc.status.PERMISSION_DENIED));
  await assert.rejects(unary(evil, 'UpdateTaskStatus', { session_id: victim.sessionId, updates: [] }, claim), code(grpc.status.PERMISSION_DENIED));
  await assert.rejects(unary(evil, 'UpdateTargetHealth', { session_id: victim.sessionId, targets: [], load_balancers: [] }, claim), code(grpc.status.PERMISSION_DENIED));
  await assert.rejects(unary(evil, 'RenewCertificate', { csr_pem: 'x' }, claim), code(grpc.status.PERMISSION_DENIED));

  // The victim's session id, without claiming its identity, finds no session of the caller.
  const sess = new grpc.Metadata();
  sess.set(METADATA_SESSION_ID, victim.sessionId);
  await assert.rejects(unary(evil, 'Heartbeat', { session_id: victim.sessionId }, sess), code(grpc.status.NOT_FOUND));
  await assert.rejects(unary(evil, 'UpdateTargetHealth', { session_id: victim.sessionId, targets: [], load_balancers: [] }, sess), code(grpc.status.NOT_FOUND));

  // Session: asking for the victim's stream is refused, and the victim's session stays.
  const stream = (evil.client as unknown as Record<string, Function>)['Session']!({ instance_id: victim.instanceId }, new grpc.Metadata()) as grpc.ClientReadableStream<unknown>;
  const err = await new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
  assert.equal(err.code, grpc.status.PERMISSION_DENIED);
  await victim.heartbeat();
  assert.equal(h.cp.store.instances.get(victim.instanceId)!.ec2InstanceId, 'victim');
  assert.equal(h.cp.store.instances.get(victim.instanceId)!.hostIp, '127.0.0.2');
  victim.close();
  evil.close();
});
