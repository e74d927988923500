import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate, type webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { caCertHash, generateKeyAndCsr, identityOfCertificate, KEY_ALGORITHM } from '@stevedore/proto';
import { x509 } from './x509';
import { ClusterCa, CertificateRequestError } from './cluster-ca';
import { serverSubjectAltNames } from './server-credentials';

test('the CA is created once under <data-dir>/pki with a 0600 key in a 0700 directory, and reloaded as the same CA', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pki = path.join(dir, 'pki');
  const first = await ClusterCa.loadOrCreate(pki);
  assert.equal(first.created, true);
  assert.equal(fs.statSync(pki).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(pki, 'ca.key')).mode & 0o777, 0o600);
  const again = await ClusterCa.loadOrCreate(pki);
  assert.equal(again.created, false);
  assert.equal(again.ca.caCertHash, first.ca.caCertHash);
  assert.match(first.ca.caCertHash, /^sha256:[0-9a-f]{64}$/);
  const ca = new X509Certificate(first.ca.caPem);
  assert.equal(ca.ca, true);
  assert.ok(!fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8').includes('PRIVATE KEY'));
  // A reloaded CA still signs certificates that chain to the original certificate.
  const { csrPem } = await generateKeyAndCsr();
  const leaf = new X509Certificate((await again.ca.issueAgentCertificate(csrPem, { cluster: 'c', instanceId: 'i1' }, 60_000, Date.now())).certificatePem);
  assert.ok(leaf.verify(ca.publicKey));

  fs.chmodSync(path.join(pki, 'ca.key'), 0o644);
  await assert.rejects(ClusterCa.loadOrCreate(pki), /accessible by group or others/);
});

test('an agent certificate: identity from the control plane, key from the CSR, client auth only, requested lifetime', async () => {
  const { ca } = await ClusterCa.loadOrCreate(undefined);
  const { csrPem, keyPem } = await generateKeyAndCsr('i-want-to-be-admin');
  const now = Date.now();
  const issued = await ca.issueAgentCertificate(csrPem, { cluster: 'prod', instanceId: 'abc123' }, 3600_000, now);
  const cert = new X509Certificate(issued.certificatePem);
  assert.deepEqual(identityOfCertificate(issued.certificatePem), { cluster: 'prod', instanceId: 'abc123' });
  assert.match(cert.subject, /CN=abc123/);
  assert.doesNotMatch(cert.subject, /admin/);
  assert.ok(cert.checkPrivateKey(require('node:crypto').createPrivateKey(keyPem)));
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.ok(Math.abs(issued.notAfter - (now + 3600_000)) < 1000);
  assert.ok(issued.notBefore <= now && now - issued.notBefore <= 61_000, 'backdated for clock skew, at most a minute (X.509 times are whole seconds)');
  const short = await ca.issueAgentCertificate(csrPem, { cluster: 'prod', instanceId: 'abc123' }, 20_000, now);
  assert.ok(now - short.notBefore <= 3_000, 'short lifetimes are backdated a tenth at most');
  assert.notEqual(short.serial, issued.serial);
});

test('CSRs that do not prove possession of their key, or use another key type, are refused', async () => {
  const { ca } = await ClusterCa.loadOrCreate(undefined);
  const id = { cluster: 'c', instanceId: 'i' };
  await assert.rejects(ca.issueAgentCertificate('not a csr', id, 60_000, Date.now()), CertificateRequestError);
  // A CSR whose signature was made by another key.
  const a = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const b = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const forged = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys: { publicKey: a.publicKey, privateKey: b.privateKey }, signingAlgorithm: KEY_ALGORITHM });
  await assert.rejects(ca.issueAgentCertificate(forged.toString('pem'), id, 60_000, Date.now()), /not signed by its own key/);
  const rsaAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const rsa = (await crypto.subtle.generateKey(rsaAlg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys: rsa, signingAlgorithm: rsaAlg });
  await assert.rejects(ca.issueAgentCertificate(rsaCsr.toString('pem'), id, 60_000, Date.now()), /ECDSA/);
});

test('the server certificate chain ends with the CA (what agents pin), names the SANs and is for server auth', async () => {
  const { ca } = await ClusterCa.loadOrCreate(undefined);
  const s = await ca.issueServerCertificate({ dns: ['cp.example', 'localhost'], ip: ['127.0.0.1', '10.1.2.3'] }, 86_400_000, Date.now());
  const pems = s.chainPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
  assert.equal(pems.length, 2);
  assert.equal(caCertHash(pems[1]!), ca.caCertHash);
  const leaf = new X509Certificate(pems[0]!);
  assert.equal(leaf.checkHost('cp.example'), 'cp.example');
  assert.equal(leaf.checkIP('10.1.2.3'), '10.1.2.3');
  assert.equal(leaf.checkIP('10.9.9.9'), undefined);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('server SANs: a specific listen address is itself; a wildcard is every interface, the host name and localhost; extras are added', () => {
  const ifaces = { lo: [{ address: '127.0.0.1' }], eth0: [{ address: '10.0.0.5' }, { address: 'fe80::1%eth0' }] } as never;
  assert.deepEqual(serverSubjectAltNames('10.0.0.5', [], 'h', ifaces), { dns: [], ip: ['10.0.0.5'] });
  assert.deepEqual(serverSubjectAltNames('cp.internal', ['203.0.113.7', 'LB.example'], 'h', ifaces), { dns: ['cp.internal', 'lb.example'], ip: ['203.0.113.7'] });
  assert.deepEqual(serverSubjectAltNames('0.0.0.0', [], 'node1', ifaces), { dns: ['localhost', 'node1'], ip: ['127.0.0.1', '10.0.0.5', 'fe80::1'] });
  assert.deepEqual(serverSubjectAltNames('[::]', [], 'node1', { lo: [{ address: '::1' }] } as never), { dns: ['localhost', 'node1'], ip: ['::1'] });
});
