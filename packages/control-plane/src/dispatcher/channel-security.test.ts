import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { certificateTimes, dispatcherClientCtor, generateKeyAndCsr, identityOfCertificate, type JoinResponse } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';

type Harness = Awaited<ReturnType<typeof startTestControlPlane>>;
const STEVEDORE = 'Stevedore_20261125';

let h: Harness;
let other: Harness;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300, agentCertValidityMs: 60_000 });
  other = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'sec' });
  await h.call('CreateCluster', { clusterName: 'elsewhere' });
  await other.call('CreateCluster', { clusterName: 'sec' });
});
after(async () => {
  await h.cp.stop();
  await other.cp.stop();
});

async function token(body: Record<string, unknown> = {}): Promise<{ token: string; caCertHash: string; joinToken: { joinTokenId: string } }> {
  const r = await h.call('CreateJoinToken', { cluster: 'sec', ...body }, `${STEVEDORE}.CreateJoinToken`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as never;
}

const code = (c: grpc.status, pattern?: RegExp) => (e: grpc.ServiceError) => e.code === c && (!pattern || pattern.test(e.details));

test('a valid token joins: the certificate names the new instance and its cluster, chains to the pinned CA, and Register uses it', async () => {
  const t = await token();
  assert.match(t.token, /^SVDR-[a-z0-9]{8}\.[A-Za-z0-9_-]{43}$/);
  assert.equal(t.caCertHash, h.cp.caCertHash);
  const a = new FakeAgent(h.agentAddress);
  const joined: JoinResponse = await a.join({ cluster: 'sec', token: t.token, caCertHash: t.caCertHash });
  assert.match(joined.instance_id, /^[0-9a-f]{32}$/);
  assert.deepEqual(identityOfCertificate(joined.certificate_pem), { cluster: 'sec', instanceId: joined.instance_id });
  const cert = new X509Certificate(joined.certificate_pem);
  assert.ok(cert.checkIssued(new X509Certificate(joined.ca_pem)) && cert.verify(new X509Certificate(joined.ca_pem).publicKey));
  assert.match(cert.subject, new RegExp(`CN=${joined.instance_id}`));
  const times = certificateTimes(joined.certificate_pem);
  assert.ok(times.notAfter - Date.now() <= 60_000 && times.notAfter - Date.now() > 50_000, 'validity from --agent-cert-validity');
  const reg = await a.register({ cluster: 'sec' });
  assert.equal(reg.instance_id, joined.instance_id);
  // The request cannot choose another identity.
  await assert.rejects(a.register({ cluster: 'sec', instance_id: 'f'.repeat(32) }), code(grpc.status.PERMISSION_DENIED));
  const listed = await h.call('ListJoinTokens', { cluster: 'sec' }, `${STEVEDORE}.ListJoinTokens`);
  const row = listed.body['joinTokens'].find((x: { joinTokenId: string }) => x.joinTokenId === t.joinToken.joinTokenId);
  assert.equal(row.uses, 1);
  assert.equal(row.maxUses, 1, 'one use unless asked');
  assert.equal(row.status, 'EXHAUSTED');
  assert.ok(!JSON.stringify(listed.body).includes(t.token.split('.')[1]!), 'the secret is never listed');
  a.close();
});

test('join refusals: no token, malformed, wrong secret, unknown id, expired, revoked, used up, other cluster', async () => {
  const a = new FakeAgent(h.agentAddress);
  const good = await token();
  const [prefix] = good.token.split('.');
  const cases: [string, string, grpc.status, RegExp][] = [
    ['empty', '', grpc.status.UNAUTHENTICATED, /invalid join token/],
    ['malformed', 'not-a-token', grpc.status.UNAUTHENTICATED, /invalid join token/],
    ['wrong secret', `${prefix}.${'x'.repeat(43)}`, grpc.status.UNAUTHENTICATED, /invalid join token/],
    ['unknown id', `SVDR-zzzzzzzz.${good.token.split('.')[1]}`, grpc.status.UNAUTHENTICATED, /invalid join token/],
  ];
  for (const [what, tok, c, re] of cases) await assert.rejects(a.join({ cluster: 'sec', token: tok }), code(c, re), what);

  const expiring = await token({ ttlSeconds: 1 });
  await new Promise((r) => setTimeout(r, 1100));
  await assert.rejects(a.join({ cluster: 'sec', token: expiring.token }), code(grpc.status.UNAUTHENTICATED, /expired/));

  const revoked = await token();
  const rv = await h.call('RevokeJoinToken', { joinTokenId: revoked.joinToken.joinTokenId }, `${STEVEDORE}.RevokeJoinToken`);
  assert.equal(rv.body['joinToken'].status, 'REVOKED');
  await assert.rejects(a.join({ cluster: 'sec', token: revoked.token }), code(grpc.status.UNAUTHENTICATED, /revoked/));

  const once = await token({ uses: 1 });
  await new FakeAgent(h.agentAddress).join({ cluster: 'sec', token: once.token });
  await assert.rejects(a.join({ cluster: 'sec', token: once.token }), code(grpc.status.UNAUTHENTICATED, /no uses left/));

  await assert.rejects(a.join({ cluster: 'elsewhere', token: good.token }), code(grpc.status.PERMISSION_DENIED, /for cluster sec/));
  assert.equal(a.credentials, undefined, 'nothing was issued');
  const instances = await h.call('ListContainerInstances', { cluster: 'sec' });
  assert.equal(instances.body['containerInstanceArns'].length, 1, 'only the agent of the first test registered');
  a.close();
});

test('a join with a CSR not signed by its own key is refused without using the token', async () => {
  const t = await token({ uses: 1 });
  const { csrPem } = await generateKeyAndCsr();
  const tampered = csrPem.replace(/(.{60})(.)/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
  const client = new (dispatcherClientCtor())(h.agentAddress, grpc.credentials.createSsl(Buffer.from(h.cp.store.agentPki.caCertificate()!))) as grpc.Client & Record<string, Function>;
  const join = (csr: string) => new Promise((resolve, reject) => client['Join']!({ token: t.token, cluster: 'sec', csr_pem: csr }, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
  await assert.rejects(join('garbage'), code(grpc.status.INVALID_ARGUMENT));
  await assert.rejects(join(tampered), code(grpc.status.INVALID_ARGUMENT));
  await join(csrPem);
  client.close();
});

test('every call but Join needs a client certificate of this cluster CA', async () => {
  const ca = Buffer.from(h.cp.store.agentPki.caCertificate()!);
  const Ctor = dispatcherClientCtor();
  const noCert = new Ctor(h.agentAddress, grpc.credentials.createSsl(ca)) as grpc.Client & Record<string, Function>;
  const call = (c: typeof noCert, m: string, req: unknown) => new Promise((resolve, reject) => c[m]!(req, new grpc.Metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
  for (const m of ['Register', 'Heartbeat', 'UpdateTaskStatus', 'RenewCertificate']) {
    await assert.rejects(call(noCert, m, { cluster: 'sec', host_ip: '127.0.0.2' }), code(grpc.status.UNAUTHENTICATED, /client certificate/), m);
  }
  const stream = noCert['Session']!({ instance_id: '' }) as grpc.ClientReadableStream<unknown>;
  const err = await new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
  assert.equal(err.code, grpc.status.UNAUTHENTICATED);
  noCert.close();

  // Plaintext: there is no such channel any more.
  const plain = new Ctor(h.agentAddress, grpc.credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 100 }) as typeof noCert;
  await assert.rejects(
    new Promise((resolve, reject) => plain['Register']!({ cluster: 'sec' }, new grpc.Metadata(), { deadline: Date.now() + 2000 }, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)))),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED,
  );
  plain.close();

  // A certificate from another cluster CA, for an identity that looks right, is not this cluster's.
  const foreign = new FakeAgent(other.agentAddress);
  await foreign.join({ cluster: 'sec' });
  const impostor = new FakeAgent(h.agentAddress, { credentials: { ...foreign.credentials!, caPem: ca.toString() } });
  await assert.rejects(impostor.register({ cluster: 'sec' }), code(grpc.status.UNAUTHENTICATED));
  foreign.close();
  impostor.close();
});

test("a deregistered instance's certificate is refused on every call, renewal included", async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'sec', ec2_instance_id: 'gone' });
  await h.call('DeregisterContainerInstance', { cluster: 'sec', containerInstance: a.instanceId, force: true });
  await eventually(() => a.streamError, 'the open session is closed');
  assert.equal(a.streamError!.code, grpc.status.FAILED_PRECONDITION);
  const inactive = code(grpc.status.FAILED_PRECONDITION, /InactiveInstanceException/);
  await assert.rejects(a.register({ cluster: 'sec' }), inactive);
  await assert.rejects(a.heartbeat(), inactive);
  await assert.rejects(a.update([]), inactive);
  await assert.rejects(a.renewCertificate(), inactive);
  a.messages.length = 0;
  a.streamError = undefined;
  a.openSession();
  await eventually(() => a.streamError, 'a new session is refused');
  assert.equal(a.streamError!.code, grpc.status.FAILED_PRECONDITION);
  a.close();
});

test('rotation: a renewed certificate keeps the identity, and the session carries on over the new connection', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'sec', ec2_instance_id: 'rot' });
  const before = a.credentials!;
  const res = await a.renewCertificate();
  assert.notEqual(res.certificate_pem, before.certPem);
  assert.notEqual(a.credentials!.keyPem, before.keyPem, 'a new key each time');
  assert.deepEqual(identityOfCertificate(res.certificate_pem), { cluster: 'sec', instanceId: a.instanceId });
  assert.ok(certificateTimes(res.certificate_pem).notAfter >= certificateTimes(before.certPem).notAfter);
  // New connection, new certificate, same session: heartbeats and reports go on.
  await a.heartbeat();
  assert.deepEqual((await a.update([])).applied, []);
  const d = await h.call('DescribeContainerInstances', { cluster: 'sec', containerInstances: [a.instanceId] });
  assert.equal(d.body['containerInstances'][0].agentConnected, true);
  assert.equal(h.cp.store.agentPki.certificatesOf(a.instanceId).length, 2, 'both issuances are on record');
  a.close();
});

test('an expired client certificate is refused', async () => {
  const short = await startTestControlPlane({ agentCertValidityMs: 1500 });
  try {
    await short.call('CreateCluster', { clusterName: 'x' });
    const a = new FakeAgent(short.agentAddress);
    await a.register({ cluster: 'x' });
    await new Promise((r) => setTimeout(r, 1700));
    await assert.rejects(a.heartbeat(), code(grpc.status.UNAUTHENTICATED, /expired|client certificate/));
    // A new connection with it fails the TLS verification: the same refusal.
    a.close();
    await assert.rejects(a.register({ cluster: 'x' }), code(grpc.status.UNAUTHENTICATED));
    a.close();
  } finally {
    await short.cp.stop();
  }
});
