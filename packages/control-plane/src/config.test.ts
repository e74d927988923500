import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './config';

const argv = (...a: string[]) => ['node', 'stevedore-control-plane', ...a];

test('the API is HTTPS off loopback: cluster-CA certificate by default, operator files when given, plain HTTP only with --insecure-http', () => {
  assert.deepEqual(parseConfig(argv(), {}).apiTls, { mode: 'http' }, 'default 127.0.0.1: plain HTTP');
  assert.deepEqual(parseConfig(argv('--api-listen', '[::1]:8080'), {}).apiTls, { mode: 'http' });
  assert.deepEqual(parseConfig(argv('--api-listen', '0.0.0.0:8080'), {}).apiTls, { mode: 'cluster-ca' });
  assert.deepEqual(parseConfig(argv('--api-listen', '10.0.0.10:8080'), {}).apiTls, { mode: 'cluster-ca' });
  assert.deepEqual(parseConfig(argv('--api-listen', '10.0.0.10:8080', '--insecure-http'), {}).apiTls, { mode: 'http', insecure: true });
  assert.deepEqual(parseConfig(argv('--api-listen', '10.0.0.10:8080'), { STEVEDORE_API_INSECURE_HTTP: '1' }).apiTls, { mode: 'http', insecure: true });
  assert.deepEqual(parseConfig(argv('--api-listen', '10.0.0.10:8080', '--api-tls-cert', 'c.pem', '--api-tls-key', 'k.pem'), {}).apiTls, { mode: 'files', certFile: 'c.pem', keyFile: 'k.pem' });
  assert.deepEqual(parseConfig(argv(), { STEVEDORE_API_TLS_CERT: 'c.pem', STEVEDORE_API_TLS_KEY: 'k.pem' }).apiTls, { mode: 'files', certFile: 'c.pem', keyFile: 'k.pem' }, 'files serve HTTPS on loopback too');
  assert.throws(() => parseConfig(argv('--api-tls-cert', 'c.pem'), {}), /--api-tls-cert and --api-tls-key go together/);
  assert.throws(() => parseConfig(argv('--api-listen', '10.0.0.10:8080', '--insecure-http', '--api-tls-cert', 'c', '--api-tls-key', 'k'), {}), /contradicts/);
  assert.deepEqual(parseConfig(argv('--api-listen', '0.0.0.0:8080', '--api-cert-san', 'cp.example.internal', '--api-cert-san', '203.0.113.10'), {}).apiCertSans, ['cp.example.internal', '203.0.113.10']);
  assert.deepEqual(parseConfig(argv(), { STEVEDORE_API_CERT_SANS: 'a.example, b.example' }).apiCertSans, ['a.example', 'b.example']);
});

test('--store: a postgres:// URL or sqlite:PATH (flag or STEVEDORE_STORE), default none (the data-dir SQLite file); anything else is refused', () => {
  assert.equal(parseConfig(argv(), {}).store, undefined);
  assert.equal(parseConfig(argv('--store', 'postgres://sv:pw@db.internal:5432/stevedore'), {}).store, 'postgres://sv:pw@db.internal:5432/stevedore');
  assert.equal(parseConfig(argv('--store', 'postgresql://db/stevedore'), {}).store, 'postgresql://db/stevedore');
  assert.equal(parseConfig(argv(), { STEVEDORE_STORE: 'sqlite:/var/lib/x.db' }).store, 'sqlite:/var/lib/x.db');
  assert.throws(() => parseConfig(argv('--store', 'mysql://db/x'), {}), /--store must be postgres:\/\/USER@HOST\/DATABASE/);
  assert.throws(() => parseConfig(argv('--store', '/var/lib/x.db'), {}), /--store must be/);
});

test('--api-advertise: HOST:PORT other replicas reach this API at (flag or STEVEDORE_API_ADVERTISE); a wildcard, no port or a bad one is refused, naming the option', () => {
  assert.equal(parseConfig(argv(), {}).apiAdvertise, undefined);
  assert.deepEqual(parseConfig(argv('--api-listen', '0.0.0.0:8080', '--api-advertise', 'cp1.example.internal:8080'), {}).apiAdvertise, { host: 'cp1.example.internal', port: 8080 });
  assert.deepEqual(parseConfig(argv('--api-advertise', '[fd00::11]:9000'), {}).apiAdvertise, { host: 'fd00::11', port: 9000 });
  assert.deepEqual(parseConfig(argv(), { STEVEDORE_API_ADVERTISE: '10.0.0.11:8080' }).apiAdvertise, { host: '10.0.0.11', port: 8080 });
  for (const bad of ['cp1.example.internal', '10.0.0.11:0', '10.0.0.11:70000', ':8080', 'a b:80', 'http://cp1:8080']) {
    assert.throws(() => parseConfig(argv('--api-advertise', bad), {}), /--api-advertise must be HOST:PORT/, bad);
  }
  assert.throws(() => parseConfig(argv('--api-advertise', '0.0.0.0:8080'), {}), /--api-advertise must name an address other replicas can reach, not a wildcard/);
  assert.throws(() => parseConfig(argv('--api-advertise', '[::]:8080'), {}), /not a wildcard/);
});
