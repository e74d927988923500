import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ACMClient,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-acm';
import {
  ElasticLoadBalancingV2Client,
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenerCertificatesCommand,
  CertificateNotFoundException,
  SSLPolicyNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startTestControlPlane, FakeAgent } from '../../testing/harness';
import { hostSetOf } from '../../store/load-balancing-view';

// The certificate store in ACM's own protocol (JSON 1.1, CertificateManager.*, signed for
// acm) through the AWS SDK, and HTTPS listeners naming its certificates: keys sealed at
// rest, delivered only in the host sets of the load balancer's hosts.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let acm: ACMClient;
let elb: ElasticLoadBalancingV2Client;
let lbHost: FakeAgent;
let otherHost: FakeAgent;

function selfSigned(name: string): { cert: string; key: string } {
  const d = mkdtempSync(path.join(tmpdir(), 'sv-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${d}/k`, '-out', `${d}/c`, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name},DNS:www.${name}`], { stdio: 'ignore' });
  const out = { cert: readFileSync(`${d}/c`, 'utf8'), key: readFileSync(`${d}/k`, 'utf8') };
  rmSync(d, { recursive: true, force: true });
  return out;
}
const bytes = (s: string) => Buffer.from(s);

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'tls' });
  lbHost = new FakeAgent(h.agentAddress);
  await lbHost.register({ cluster: 'tls', host_ip: '127.0.15.11', attributes: [{ name: 'role', value: 'lb' }] });
  otherHost = new FakeAgent(h.agentAddress);
  await otherHost.register({ cluster: 'tls', host_ip: '127.0.15.12', attributes: [{ name: 'role', value: 'web' }] });
  acm = new ACMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
  elb = new ElasticLoadBalancingV2Client({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
});
after(async () => {
  acm.destroy();
  elb.destroy();
  lbHost.close();
  otherHost.close();
  await h.cp.stop();
});

test('ACM: import, describe, list, get, re-import, refuse a mismatched key; the key is sealed at rest and never returned', async () => {
  const a = selfSigned('a.example');
  const imported = await acm.send(new ImportCertificateCommand({ Certificate: bytes(a.cert), PrivateKey: bytes(a.key), Tags: [{ Key: 'team', Value: 'web' }] }));
  const arn = imported.CertificateArn!;
  assert.match(arn, /^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/);
  const d = (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!;
  assert.equal(d.DomainName, 'a.example');
  assert.deepEqual(d.SubjectAlternativeNames, ['a.example', 'www.a.example']);
  assert.equal(d.Type, 'IMPORTED');
  assert.equal(d.Status, 'ISSUED');
  assert.equal(d.KeyAlgorithm, 'EC_prime256v1');
  assert.ok(d.NotAfter instanceof Date && d.NotAfter.getTime() > Date.now());
  const listed = await acm.send(new ListCertificatesCommand({}));
  assert.ok(listed.CertificateSummaryList!.some((c) => c.CertificateArn === arn && c.DomainName === 'a.example'));
  const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
  assert.equal(got.Certificate!.trim(), a.cert.trim());
  const row = h.cp.store.db.prepare('SELECT spec_json, key_sealed FROM certificates WHERE arn = ?').get(arn) as { spec_json: string; key_sealed: string };
  const keyBody = a.key.split('\n')[1]!;
  assert.ok(!row.spec_json.includes(keyBody) && !row.key_sealed.includes(keyBody), 'the private key is not stored in the clear');
  const b = selfSigned('b.example');
  await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: bytes(a.cert), PrivateKey: bytes(b.key) })), (e: Error) => e instanceof ValidationException && /does not match/.test(e.message));
  await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: bytes('not a pem'), PrivateKey: bytes(b.key) })), (e) => e instanceof ValidationException);
  const again = await acm.send(new ImportCertificateCommand({ CertificateArn: arn, Certificate: bytes(b.cert), PrivateKey: bytes(b.key) }));
  assert.equal(again.CertificateArn, arn, 're-import keeps the ARN');
  assert.equal((await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!.DomainName, 'b.example');
  await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
  await assert.rejects(acm.send(new DescribeCertificateCommand({ CertificateArn: arn })), (e) => e instanceof ResourceNotFoundException);
});

test('HTTPS listeners: certificates from the store, SNI certificates, the policy; keys delivered only to the load balancer\'s hosts; a certificate in use is not deleted', async () => {
  const a = selfSigned('a.example');
  const b = selfSigned('b.example');
  const certA = (await acm.send(new ImportCertificateCommand({ Certificate: bytes(a.cert), PrivateKey: bytes(a.key) }))).CertificateArn!;
  const certB = (await acm.send(new ImportCertificateCommand({ Certificate: bytes(b.cert), PrivateKey: bytes(b.key) }))).CertificateArn!;
  const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'tls-web', Protocol: 'HTTP', Port: 80 }))).TargetGroups![0]!.TargetGroupArn!;
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'tls-front', Tags: [{ Key: 'stevedore:cluster', Value: 'tls' }, { Key: 'stevedore:placement', Value: 'attribute:role == lb' }] }))).LoadBalancers![0]!.LoadBalancerArn!;
  const create = (over: Record<string, unknown>) => elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }], ...over }));
  await assert.rejects(create({}), (e: Error) => e.name === 'ValidationError' && /certificate must be specified/.test(e.message));
  await assert.rejects(create({ Certificates: [{ CertificateArn: certA.replace(/.{12}$/, '000000000000') }] }), (e) => e instanceof CertificateNotFoundException);
  await assert.rejects(create({ Certificates: [{ CertificateArn: certA }], SslPolicy: 'nope' }), (e) => e instanceof SSLPolicyNotFoundException);
  const listener = (await create({ Certificates: [{ CertificateArn: certA }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' })).Listeners![0]!;
  assert.equal(listener.Protocol, 'HTTPS');
  assert.equal(listener.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
  assert.deepEqual(listener.Certificates, [{ CertificateArn: certA }]);
  await elb.send(new AddListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: certB }] }));
  const certs = await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listener.ListenerArn }));
  assert.deepEqual(certs.Certificates, [{ CertificateArn: certA, IsDefault: true }, { CertificateArn: certB, IsDefault: false }]);

  const mine = hostSetOf(h.cp.store, h.cp.store.instances.get(lbHost.instanceId)!);
  const l = mine.loadBalancers[0]!.listeners.find((x) => x.port === 443)!;
  assert.equal(l.tls!.sslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
  assert.equal(l.tls!.http2, true);
  assert.deepEqual(l.tls!.certificates.map((c) => c.arn), [certA, certB]);
  assert.ok(l.tls!.certificates[0]!.pem.includes(a.key.split('\n')[1]!), 'the load balancer host gets the key');
  const others = hostSetOf(h.cp.store, h.cp.store.instances.get(otherHost.instanceId)!);
  assert.deepEqual(others.loadBalancers, [], 'a host outside the placement gets nothing');
  assert.ok(!JSON.stringify(others).includes('PRIVATE KEY'));
  await assert.rejects(acm.send(new DeleteCertificateCommand({ CertificateArn: certB })), (e) => e instanceof ResourceInUseException);
});
