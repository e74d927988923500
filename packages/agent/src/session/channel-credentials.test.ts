import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certificateTimes, generateKeyAndCsr, grpc, identityOfCertificate } from '@stevedore/proto';
import { silentLogger } from '../logger';
import { FakeDispatcher } from '../testing/fake-dispatcher';
import { TestCa } from '../testing/test-pki';
import { waitFor } from '../testing/wait-for';
import { CertificateRotator } from './certificate-rotator';
import { ChannelSetupError, channelCredentials, establishCredentials } from './channel-credentials';
import { loadCredentials, pkiDir, saveCredentials } from './credential-files';
import { DispatcherClient } from './dispatcher-client';
import { discoverPinnedCa } from './ca-discovery';

const TOKEN = `SVDR-abcd1234.${'s'.repeat(43)}`;
const noSleep = async () => undefined;

describe('joining and keeping the channel identity', () => {
  let ca: TestCa;
  let cp: FakeDispatcher;
  const dirs: string[] = [];
  const dataDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-pki-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    ca = await TestCa.create();
    cp = new FakeDispatcher();
    cp.joinTokens.add(TOKEN);
    cp.newInstanceId = 'a'.repeat(32);
    await cp.start({ tls: ca });
  });
  after(async () => {
    await cp.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('pins the CA by its hash, joins with the token, keeps the key 0600 in a 0700 dir, and needs no token afterwards', async () => {
    const dir = dataDir();
    const settings = { controlPlane: cp.target, cluster: 'prod', dataDir: dir, join: { token: TOKEN, caCertHash: ca.caCertHash } };
    const c = await establishCredentials(settings, silentLogger(), noSleep);
    assert.deepEqual(c.identity, { cluster: 'prod', instanceId: cp.newInstanceId });
    assert.equal(c.caPem, ca.caPem);
    assert.equal(fs.statSync(pkiDir(dir)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(pkiDir(dir), 'agent.key')).mode & 0o777, 0o600);
    const joins = cp.calls.filter((x) => x.method === 'Join').length;
    const again = await establishCredentials({ ...settings, join: undefined }, silentLogger(), noSleep);
    assert.equal(again.certPem, c.certPem);
    assert.equal(cp.calls.filter((x) => x.method === 'Join').length, joins, 'stored credentials: no second join');

    // Every later call carries the client certificate.
    const client = new DispatcherClient(cp.target, channelCredentials({ kind: 'mtls', ...c }));
    await client.register({ cluster: 'prod', instance_id: c.identity.instanceId, ec2_instance_id: 'h', host_ip: '127.0.0.2', resources: { cpu: 1, memory: 1, ports: [], ports_udp: [] }, attributes: [], agent_version: 't', docker_version: 't', agent_hash: '', tags: [] });
    assert.equal(cp.calls.at(-1)!.peer, cp.newInstanceId);
    client.close();
  });

  it('refuses to run with neither stored credentials nor a token, and says how to get one', async () => {
    await assert.rejects(establishCredentials({ controlPlane: cp.target, cluster: 'prod', dataDir: dataDir() }, silentLogger(), noSleep), (e: Error) => e instanceof ChannelSetupError && /join-token create --cluster prod/.test(e.message));
  });

  it('refuses a control plane whose CA does not match the pin, before sending the token', async () => {
    const before = cp.calls.length;
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(
      establishCredentials({ controlPlane: cp.target, cluster: 'prod', dataDir: dataDir(), join: { token: TOKEN, caCertHash: wrong } }, silentLogger(), noSleep),
      (e: Error) => e instanceof ChannelSetupError && /offers no CA with hash/.test(e.message),
    );
    assert.equal(cp.calls.length, before, 'no call was made');
    await assert.rejects(discoverPinnedCa(cp.target.replace('127.0.0.1', 'localhost'), wrong), /offers no CA/);
    assert.equal(await discoverPinnedCa(cp.target.replace('127.0.0.1', 'localhost'), ca.caCertHash), ca.caPem);
  });

  it('a refused token is final: the reason is reported, the secret is not', async () => {
    const bad = `SVDR-abcd1234.${'w'.repeat(43)}`;
    const dir = dataDir();
    await assert.rejects(establishCredentials({ controlPlane: cp.target, cluster: 'prod', dataDir: dir, join: { token: bad, caCertHash: ca.caCertHash } }, silentLogger(), noSleep), (e: Error) => {
      assert.ok(e instanceof ChannelSetupError);
      assert.match(e.message, /invalid join token/);
      assert.ok(!e.message.includes('w'.repeat(43)));
      return true;
    });
    assert.equal(fs.existsSync(path.join(pkiDir(dir), 'agent.key')), false);
  });

  it('stored credentials of another cluster, or expired ones, need a new token', async () => {
    const dir = dataDir();
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const certPem = await ca.signCsr(csrPem, { cluster: 'other', instanceId: 'b'.repeat(32) }, 3600_000);
    await saveCredentials(dir, { keyPem, certPem, caPem: ca.caPem });
    await assert.rejects(establishCredentials({ controlPlane: cp.target, cluster: 'prod', dataDir: dir }, silentLogger(), noSleep), /for cluster other, not prod/);
    const later = () => certificateTimes(certPem).notAfter + 1;
    await assert.rejects(establishCredentials({ controlPlane: cp.target, cluster: 'other', dataDir: dir }, silentLogger(), noSleep, later), /expired/);
    const rejoined = await establishCredentials({ controlPlane: cp.target, cluster: 'prod', dataDir: dir, join: { token: TOKEN, caCertHash: ca.caCertHash } }, silentLogger(), noSleep);
    assert.equal(rejoined.identity.cluster, 'prod');
  });

  it('a crash between writing the new key and the new certificate is recovered from agent.crt.new', async () => {
    const dir = dataDir();
    const first = await generateKeyAndCsr();
    await saveCredentials(dir, { keyPem: first.keyPem, certPem: await ca.signCsr(first.csrPem, { cluster: 'c', instanceId: 'i' }, 60_000), caPem: ca.caPem });
    const next = await generateKeyAndCsr();
    const nextCert = await ca.signCsr(next.csrPem, { cluster: 'c', instanceId: 'i' }, 60_000);
    fs.writeFileSync(path.join(pkiDir(dir), 'agent.crt.new'), nextCert);
    fs.writeFileSync(path.join(pkiDir(dir), 'agent.key'), next.keyPem, { mode: 0o600 });
    assert.equal((await loadCredentials(dir))!.certPem, nextCert);
    fs.chmodSync(path.join(pkiDir(dir), 'agent.key'), 0o644);
    await assert.rejects(loadCredentials(dir), /accessible by group or others/);
  });

  it('rotation: renews before expiry with a new key over mTLS, saves it, and hands it over', async () => {
    const dir = dataDir();
    const settings = { controlPlane: cp.target, cluster: 'prod', dataDir: dir, join: { token: TOKEN, caCertHash: ca.caCertHash } };
    cp.certValidityMs = 1500;
    const c = await establishCredentials(settings, silentLogger(), noSleep);
    const client = new DispatcherClient(cp.target, channelCredentials({ kind: 'mtls', ...c }));
    const handed: string[] = [];
    const rotator = new CertificateRotator({
      dataDir: dir,
      client,
      current: c,
      log: silentLogger(),
      retryMs: 50,
      onRenewed: (n) => {
        handed.push(n.certPem);
        client.useCredentials(channelCredentials({ kind: 'mtls', ...n }));
      },
    });
    cp.renewError = { code: grpc.status.UNAVAILABLE, details: 'try later' };
    rotator.start();
    await waitFor('a failed attempt', () => cp.calls.some((x) => x.method === 'RenewCertificate') || undefined, 5000, 20);
    cp.renewError = undefined;
    await waitFor('two renewals', () => (handed.length >= 2 ? true : undefined), 10_000, 20);
    rotator.stop();
    cp.certValidityMs = 3600_000;
    const renewCalls = cp.calls.filter((x) => x.method === 'RenewCertificate');
    assert.ok(renewCalls.every((x) => x.peer === cp.newInstanceId), 'renewals are authenticated by the current certificate');
    const stored = (await loadCredentials(dir))!;
    assert.equal(stored.certPem, handed.at(-1));
    assert.notEqual(stored.keyPem, c.keyPem);
    assert.deepEqual(identityOfCertificate(stored.certPem), c.identity);
    assert.ok(certificateTimes(handed[0]!).notBefore < c.notAfter, 'renewed before the old one expired');
    client.close();
  });
});
