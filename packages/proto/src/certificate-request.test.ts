import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
// @peculiar/x509 is the control plane's parser: a dev dependency here, never loaded by the agent.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createCertificateRequest } from './certificate-request';
import { generateKeyAndCsr } from './channel-pki';

test('the CSR parses and verifies with @peculiar/x509: subject, key, ecdsa-with-SHA256, no attributes', async () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = createCertificateRequest('stevedore-agent', keys);
  assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE REQUEST-----\n$/);
  const csr = new x509.Pkcs10CertificateRequest(pem);
  assert.equal(csr.subject, 'CN=stevedore-agent');
  assert.deepEqual(JSON.parse(JSON.stringify(csr.signatureAlgorithm)), { name: 'ECDSA', hash: { name: 'SHA-256' } });
  assert.equal(csr.attributes.length, 0);
  assert.ok(await csr.verify(), 'signature verifies with the embedded key');
  const spki = Buffer.from(csr.publicKey.rawData);
  assert.deepEqual(spki, keys.publicKey.export({ type: 'spki', format: 'der' }));
});

test('a CSR signed by another key does not verify (proof of possession is real)', async () => {
  const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = new x509.Pkcs10CertificateRequest(createCertificateRequest('x', { publicKey: a.publicKey, privateKey: b.privateKey }));
  assert.equal(await csr.verify(), false);
});

test('names outside ASCII and long names (multi-byte lengths) encode correctly', async () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const cn of ['hôte-é', 'h'.repeat(300)]) {
    const csr = new x509.Pkcs10CertificateRequest(createCertificateRequest(cn, keys));
    assert.equal(csr.subject, `CN=${cn}`);
    assert.ok(await csr.verify());
  }
});

test('non-EC keys are refused', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.throws(() => createCertificateRequest('x', rsa), /only EC keys/);
});

test("generateKeyAndCsr: the CSR's key is the returned private key's", async () => {
  const { keyPem, csrPem } = await generateKeyAndCsr();
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  assert.ok(await csr.verify());
  const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  assert.deepEqual(Buffer.from(csr.publicKey.rawData), fromKey);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});
