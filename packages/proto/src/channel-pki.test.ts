import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { caCertHash, generateKeyAndCsr, identityFromSubjectAltName, identityUri, normalizeCaCertHash, parseJoinToken, renewalTime } from './channel-pki';

test('caCertHash is sha256 over the DER SubjectPublicKeyInfo, as kubeadm computes it', async () => {
  const { csrPem } = await generateKeyAndCsr();
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  assert.ok(await csr.verify());
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=t', notBefore: new Date(), notAfter: new Date(Date.now() + 60_000), signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, keys });
  const pem = cert.toString('pem');
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  assert.equal(caCertHash(pem), `sha256:${createHash('sha256').update(spki).digest('hex')}`);
  try {
    // The operator's way to check a pin by hand (docs): openssl, when present.
    const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: pem });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
    assert.equal(caCertHash(pem), `sha256:${createHash('sha256').update(der).digest('hex')}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
});

test('pins are normalised and checked', () => {
  const h = `sha256:${'AB'.repeat(32)}`;
  assert.equal(normalizeCaCertHash(` ${h} `), h.toLowerCase());
  assert.equal(normalizeCaCertHash('sha256:abc'), undefined);
  assert.equal(normalizeCaCertHash(`md5:${'a'.repeat(64)}`), undefined);
  assert.equal(normalizeCaCertHash('a'.repeat(64)), undefined);
});

test('identity URIs round-trip; anything ambiguous or foreign names nobody', () => {
  const id = { cluster: 'prod-1', instanceId: '0123456789abcdef0123456789abcdef' };
  assert.deepEqual(identityFromSubjectAltName(`URI:${identityUri(id)}`), id);
  assert.deepEqual(identityFromSubjectAltName(`DNS:x, URI:${identityUri(id)}, IP Address:1.2.3.4`), id);
  assert.equal(identityFromSubjectAltName(undefined), undefined);
  assert.equal(identityFromSubjectAltName('DNS:stevedore://cluster/a/instance/b'), undefined);
  assert.equal(identityFromSubjectAltName(`URI:${identityUri(id)}, URI:${identityUri({ cluster: 'x', instanceId: 'y' })}`), undefined);
  assert.equal(identityFromSubjectAltName('URI:stevedore://cluster/a/instance/b/extra'), undefined);
  assert.equal(identityFromSubjectAltName('URI:https://cluster/a/instance/b'), undefined);
});

test('join tokens parse; renewal is due at two thirds of the lifetime', () => {
  assert.deepEqual(parseJoinToken(`SVDR-abcd1234.${'x'.repeat(43)}`), { id: 'abcd1234', secret: 'x'.repeat(43) });
  assert.equal(parseJoinToken(`svdr-abcd1234.${'x'.repeat(43)}`), undefined);
  assert.equal(parseJoinToken(`SVDR-ABCD1234.${'x'.repeat(43)}`), undefined);
  assert.equal(parseJoinToken('SVDR-abcd1234.'), undefined);
  assert.equal(renewalTime({ notBefore: 1000, notAfter: 4000 }), 3000);
});
