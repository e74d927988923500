import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import pino from 'pino';
import { ClusterCa } from './cluster-ca';
import { ApiCertificate } from './api-certificate';
import { eventually, startTestControlPlane } from '../testing/harness';
import { ControlPlane } from '../control-plane';

const silent = pino({ level: 'silent' });

/** A TLS server with no identity yet, as the API's is before start(). */
async function listen(): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer({}, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** The serial of the certificate the server presents, verified against `ca` for `servername`. */
function presentedSerial(port: number, ca: string, servername = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

test('a cluster-CA API certificate is renewed before it expires, without a restart', async (t) => {
  const { ca } = await ClusterCa.loadOrCreate(undefined);
  const { server, port } = await listen();
  t.after(() => server.close());
  const cert = new ApiCertificate({ kind: 'cluster-ca', ca, sans: { dns: ['localhost'], ip: ['127.0.0.1'] }, validityMs: 1500 }, (id) => server.setSecureContext(id), silent, 50);
  await cert.start();
  t.after(() => cert.stop());
  const first = await presentedSerial(port, ca.caPem);
  // Renewal is due at 2/3 of the lifetime: about a second from now.
  await eventually(async () => (await presentedSerial(port, ca.caPem)) !== first, 'a renewed certificate', 10_000);
});

test('operator certificate files: a key that does not match is refused at start; changed files are reloaded', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-api-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { ca } = await ClusterCa.loadOrCreate(undefined);
  const certFile = path.join(dir, 'api.crt');
  const keyFile = path.join(dir, 'api.key');
  const issue = () => ca.issueServerCertificate({ dns: ['localhost'], ip: [] }, 3600_000, Date.now());
  const a = await issue();
  const b = await issue();
  fs.writeFileSync(certFile, a.chainPem);
  fs.writeFileSync(keyFile, b.keyPem);
  const { server, port } = await listen();
  t.after(() => server.close());
  const mismatched = new ApiCertificate({ kind: 'files', certFile, keyFile }, (id) => server.setSecureContext(id), silent, 50);
  await assert.rejects(mismatched.start(), /key values mismatch|KEY_VALUES_MISMATCH/i);

  fs.writeFileSync(keyFile, a.keyPem);
  const cert = new ApiCertificate({ kind: 'files', certFile, keyFile }, (id) => server.setSecureContext(id), silent, 50);
  await cert.start();
  t.after(() => cert.stop());
  assert.equal(await presentedSerial(port, ca.caPem), a.serial.toUpperCase());
  // As an ACME client renews: new files in place.
  fs.writeFileSync(keyFile, b.keyPem);
  fs.writeFileSync(certFile, b.chainPem);
  await eventually(async () => (await presentedSerial(port, ca.caPem)) === b.serial.toUpperCase(), 'the reloaded certificate', 5000);
});

test('off loopback the API serves HTTPS with a cluster-CA certificate for 127.0.0.1, localhost and the host name, and writes api-ca.pem', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-api-https-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const cp = new ControlPlane(
    {
      dataDir,
      adminCredentialsFile: path.join(dataDir, 'admin-credentials'),
      apiListen: { host: '0.0.0.0', port: 0 },
      apiTls: { mode: 'cluster-ca' },
      agentListen: '127.0.0.1:0',
      region: 'us-east-1',
      account: '000000000000',
      logLevel: 'silent',
      heartbeatPeriodMs: 3000,
    },
    silent,
  );
  await cp.start();
  t.after(() => cp.stop());
  assert.equal(cp.apiProtocol, 'https');
  const bundle = fs.readFileSync(path.join(dataDir, 'api-ca.pem'), 'utf8');
  assert.equal(bundle, cp.apiCaBundle);
  assert.equal(bundle, fs.readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8'), 'the bundle is the cluster CA certificate');
  const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: cp.apiPort, ca: bundle }, () => {
      resolve(s.getPeerCertificate());
      s.end();
    });
    s.on('error', reject);
  });
  for (const name of ['IP Address:127.0.0.1', 'DNS:localhost', `DNS:${os.hostname().toLowerCase()}`]) assert.ok((peer.subjectaltname ?? '').includes(name), `${name} in ${peer.subjectaltname}`);
  // Verified by name too (Node checks the SAN against the host it dialled).
  assert.equal(tls.checkServerIdentity('localhost', peer), undefined);
  assert.equal(tls.checkServerIdentity('127.0.0.1', peer), undefined);
  // Plain HTTP gets no API reply.
  const plain = await fetch(`http://127.0.0.1:${cp.apiPort}/ping`).then(
    (r) => r.status,
    () => 'refused',
  );
  assert.equal(plain, 'refused');
  const ping = await new Promise<number>((resolve, reject) => https.get({ host: '127.0.0.1', port: cp.apiPort, path: '/ping', ca: bundle }, (res) => resolve(res.statusCode ?? 0)).on('error', reject));
  assert.equal(ping, 200);
});

test('loopback APIs stay plain HTTP (the default test harness)', async (t) => {
  const h = await startTestControlPlane();
  t.after(() => h.cp.stop());
  assert.equal(h.cp.apiProtocol, 'http');
  assert.equal((await h.call('ListClusters')).status, 200);
});
