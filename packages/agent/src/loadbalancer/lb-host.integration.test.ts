import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import pino from 'pino';
import { defaultHealthCheck, type HostLoadBalancer, type HostTarget, type LoadBalancerHostSet } from '@stevedore/core';
import { LoadBalancerHost, type HealthReport } from './lb-host';
import { findHaproxy, HaproxyProcess, haproxyPaths } from './haproxy-process';
import { freePort, httpGet, httpsGet as httpsGet2, keepAliveLoad as keepAliveLoad2, selfSigned, startBackend, waitUntil, type Backend } from '../testing/lb-fixture';

// The HAProxy supervisor against the real haproxy binary, on loopback only:
// HAProxy on 127.0.0.70, targets are small Node servers on 127.0.0.71.
const LB_IP = '127.0.0.70';
const TARGET_IP = '127.0.0.71';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:0:targetgroup';

const backends: Backend[] = [];
let dir: string;
let host: LoadBalancerHost;
let listenPort: number;
const reports: HealthReport[] = [];
let haproxyBinary: string | undefined;

const get = async (urlPath: string, hostHeader?: string) => {
  const r = await httpGet(LB_IP, listenPort, urlPath, hostHeader ? { host: hostHeader } : {});
  return { status: r.status, body: r.body };
};
const waitFor = <T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs?: number) => waitUntil(fn, what, timeoutMs);
const keepAliveLoad = () => keepAliveLoad2(LB_IP, listenPort);

const target = (b: Backend, draining = false): HostTarget => ({ registrationId: `reg-${b.name}`, id: b.name, address: TARGET_IP, port: b.port, draining });
const hc = { ...defaultHealthCheck('HTTP'), path: '/health', intervalSeconds: 1, timeoutSeconds: 1, healthyThresholdCount: 2, unhealthyThresholdCount: 2 };

function lbSet(version: string, web: HostTarget[], api: HostTarget[] = [], address?: string): LoadBalancerHostSet {
  const lb: HostLoadBalancer = {
    arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/app/itest/1',
    name: 'itest',
    type: 'application',
    listeners: [
      {
        arn: 'l1',
        protocol: 'HTTP',
        port: listenPort,
        rules: api.length ? [{ arn: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/api/*'] }], targetGroupArn: `${TG}/api/2` }] : [],
        defaultTargetGroupArn: `${TG}/web/1`,
      },
    ],
    targetGroups: [
      { arn: `${TG}/web/1`, name: 'web', protocol: 'HTTP', healthCheck: hc, slowStartSeconds: 0, targets: address ? web.map((t) => ({ ...t, address })) : web },
      ...(api.length ? [{ arn: `${TG}/api/2`, name: 'api', protocol: 'HTTP' as const, healthCheck: hc, slowStartSeconds: 0, targets: api }] : []),
    ],
    errors: [],
  };
  return { version, loadBalancers: [lb] };
}

function lastHealth(registrationId: string) {
  for (let i = reports.length - 1; i >= 0; i--) {
    const t = reports[i]!.targets.find((x) => x.registrationId === registrationId);
    if (t) return t;
  }
  return undefined;
}

async function bodies(n: number, urlPath = '/'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(urlPath)).body);
  return out;
}

before(async () => {
  haproxyBinary = await findHaproxy();
  if (!haproxyBinary) return;
  dir = mkdtempSync(path.join(tmpdir(), 'sv-lb-'));
  for (const n of ['b1', 'b2', 'b3']) backends.push(await startBackend(n, TARGET_IP));
  listenPort = await freePort(LB_IP);
  host = new LoadBalancerHost({ dir, hostIp: LB_IP, instanceId: () => 'lb-host', log: pino({ level: 'silent' }), send: async (r) => void reports.push(r), pollMs: 200, haproxyBinary });
  host.sessionUp();
});

after(async () => {
  if (!haproxyBinary) return;
  host.stop();
  await new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' })).stop();
  for (const b of backends) b.server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('HAProxy serves the targets once healthy, spreading requests', { skip: !process.env['PATH'] ? 'no PATH' : false }, async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [b1, b2] = backends as [Backend, Backend];
  host.setDesired(lbSet('v1', [target(b1), target(b2)]));
  await host.idle();
  assert.equal(reports.at(-1)!.loadBalancers[0]!.state, 'active');
  await waitFor(() => lastHealth('reg-b1')?.state === 'healthy' && lastHealth('reg-b2')?.state === 'healthy', 'both targets healthy');
  const seen = new Set(await bodies(10));
  assert.deepEqual([...seen].sort(), ['b1', 'b2']);
});

test('a new target starts out of rotation and joins after its checks pass, without a reload; keep-alive clients see no error', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [b1, b2, b3] = backends as [Backend, Backend, Backend];
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  const reloads = (await proc.proc())!.reloads;
  let failures = 0;
  let done = false;
  const load = (async () => {
    while (!done) {
      const r = await get('/').catch(() => ({ status: 0, body: '' }));
      if (r.status !== 200) failures++;
    }
  })();
  const kept = keepAliveLoad();
  host.setDesired(lbSet('v2', [target(b1), target(b2), target(b3)]));
  await host.idle();
  assert.equal((await proc.proc())!.reloads, reloads, 'a new target is added through the runtime API, not a reload');
  const first = lastHealth('reg-b3');
  assert.notEqual(first?.state, 'healthy', 'new targets are not assumed healthy');
  await waitFor(() => lastHealth('reg-b3')?.state === 'healthy', 'b3 healthy');
  await waitFor(async () => (await bodies(6)).includes('b3'), 'b3 in rotation');
  host.setDesired(lbSet('v3', [target(b1), target(b2), target(b3)], [target(b3)]));
  await host.idle();
  assert.equal((await proc.proc())!.reloads, reloads + 1, 'a new rule reloads');
  done = true;
  await load;
  const k = await kept.stop();
  assert.equal(failures, 0, 'no failed request across the change and the reload');
  assert.deepEqual(k.failures, [], 'no failed keep-alive request');
  assert.ok(k.ok > 10, `keep-alive load ran (${k.ok} requests on ${k.sockets} connections)`);
  await waitFor(() => lastHealth('reg-b3')?.state === 'healthy', 'b3 healthy in api as well');
  const api = await bodies(4, '/api/x');
  assert.deepEqual([...new Set(api)], ['b3'], 'the path rule routes to the api target group');
});

test('a failing health endpoint makes the target unhealthy and takes it out of rotation', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b1 = backends[0]!;
  b1.status = 500;
  const bad = await waitFor(() => (lastHealth('reg-b1')?.state === 'unhealthy' ? lastHealth('reg-b1') : undefined), 'b1 unhealthy');
  assert.equal(bad.reason, 'Target.ResponseCodeMismatch');
  assert.equal(bad.description, 'Health checks failed with these codes: [500]');
  assert.ok(!(await bodies(8)).includes('b1'));
  b1.status = 200;
  await waitFor(() => lastHealth('reg-b1')?.state === 'healthy', 'b1 healthy again');
});

test('draining goes through the runtime API: in-flight requests finish, new ones go elsewhere', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [b1, b2, b3] = backends as [Backend, Backend, Backend];
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  host.setDesired(lbSet('v4', [target(b2)]));
  await host.idle();
  await waitFor(async () => (await bodies(3)).every((b) => b === 'b2'), 'only b2 serves');
  const reloads = (await proc.proc())!.reloads;
  const slow = get('/slow');
  await new Promise((r) => setTimeout(r, 200));
  host.setDesired(lbSet('v5', [target(b2, true)]));
  await host.idle();
  assert.equal((await proc.proc())!.reloads, reloads, 'a drain is a runtime change, not a reload');
  assert.deepEqual(await slow, { status: 200, body: 'b2 slow' }, 'the in-flight request finished');
  assert.equal(lastHealth('reg-b2')?.state, 'draining');
  host.setDesired(lbSet('v6', [target(b2, true), target(b3)]));
  await host.idle();
  await waitFor(async () => (await bodies(4)).every((b) => b === 'b3'), 'new requests avoid the draining target');
  assert.equal((await proc.proc())!.reloads, reloads, 'adding a target beside a draining one: no reload');
  void b1;
});

test('a deregistered target is deleted through the runtime API: keep-alive clients keep their connections and see no error', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [b1, b2, b3] = backends as [Backend, Backend, Backend];
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  host.setDesired(lbSet('v6b', [target(b1), target(b3)]));
  await host.idle();
  await waitFor(() => lastHealth('reg-b1')?.state === 'healthy', 'b1 healthy');
  const before = (await proc.proc())!;
  const kept = keepAliveLoad();
  await waitFor(async () => (await bodies(4)).includes('b1'), 'b1 serving');
  host.setDesired(lbSet('v6c', [target(b1, true), target(b3)]));
  await host.idle();
  host.setDesired(lbSet('v6d', [target(b3)]));
  await host.idle();
  const state = await proc.runtime('show servers state');
  assert.ok(!state.includes('t-reg-b1'), 'the server is gone from the running worker');
  assert.ok(state.includes('t-reg-b3'));
  await waitFor(async () => (await bodies(4)).every((b) => b === 'b3'), 'only b3 serves');
  const k = await kept.stop();
  const after = (await proc.proc())!;
  assert.deepEqual([after.reloads, after.workers], [before.reloads, before.workers], 'the same worker, no reload');
  assert.deepEqual(k.failures, [], 'no failed keep-alive request');
  assert.ok(k.sockets <= 2, `the keep-alive connections were kept (${k.sockets} used for ${k.ok} requests)`);
  void b2;
});

const httpsGet = (port: number, servername: string, ca: string[], anyName = false) => httpsGet2(LB_IP, port, servername, ca, anyName);

test('an HTTPS listener terminates TLS with the certificate SNI names; certificates are rotated, added and removed through the runtime API: no reload, a TLS keep-alive connection survives', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b3 = backends[2]!;
  const a = selfSigned('a.example');
  const b = selfSigned('b.example');
  const tlsPort = await freePort(LB_IP);
  const withTls = (version: string, certs: { arn: string; id: string; pem: string }[]) => {
    const set = lbSet(version, [target(b3)]);
    set.loadBalancers[0]!.listeners.push({ arn: 'l-tls', protocol: 'HTTPS', port: tlsPort, tls: { sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', certificates: certs, http2: true }, rules: [], defaultTargetGroupArn: `${TG}/web/1` });
    return set;
  };
  host.setDesired(withTls('tls-1', [{ arn: 'cert-a', id: 'aaaa1', pem: a.pem }, { arn: 'cert-b', id: 'bbbb1', pem: b.pem }]));
  await host.idle();
  assert.equal(reports.at(-1)!.loadBalancers[0]!.state, 'active', JSON.stringify(reports.at(-1)!.loadBalancers[0]));
  await waitFor(() => lastHealth('reg-b3')?.state === 'healthy', 'b3 healthy');
  const certDir = path.join(dir, 'certs');
  const { statSync, readdirSync } = await import('node:fs');
  assert.equal(statSync(certDir).mode & 0o777, 0o700);
  for (const f of readdirSync(certDir)) assert.equal(statSync(path.join(certDir, f)).mode & 0o777, 0o600, f);
  const viaA = await httpsGet(tlsPort, 'a.example', [a.cert]);
  assert.deepEqual([viaA.cn, viaA.body], ['a.example', 'b3']);
  assert.equal((await httpsGet(tlsPort, 'b.example', [b.cert])).cn, 'b.example', 'SNI picks the second certificate');
  assert.equal((await httpsGet(tlsPort, 'other.example', [a.cert], true)).cn, 'a.example', 'an unknown name gets the default certificate');
  assert.match(readFileSync(haproxyPaths(dir).config, 'utf8'), /bind 127\.0\.0\.70:\d+ ssl crt-list \S+ alpn h2,http\/1\.1 ssl-min-ver TLSv1\.2 ssl-max-ver TLSv1\.3 ciphers \S+ ciphersuites TLS_AES_128_GCM_SHA256/);
  // Rotation: the same ARN with a new certificate, through the runtime API. A TLS keep-alive connection
  // opened before it keeps working (on the certificate it began with); new connections get the new one.
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  const reloads = (await proc.proc())!.reloads;
  const kept = keepAliveLoad();
  const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const before = await httpsGet2(LB_IP, tlsPort, 'a.example', [a.cert], false, tlsAgent);
  const a2 = selfSigned('a.example');
  const c = selfSigned('c.example');
  host.setDesired(withTls('tls-2', [{ arn: 'cert-a', id: 'aaaa2', pem: a2.pem }, { arn: 'cert-b', id: 'bbbb1', pem: b.pem }]));
  await host.idle();
  const fresh = await httpsGet(tlsPort, 'a.example', [a2.cert]);
  assert.notEqual(fresh.fingerprint, before.fingerprint, 'a new connection gets the rotated certificate');
  await assert.rejects(httpsGet(tlsPort, 'a.example', [a.cert]), 'the old certificate is no longer served to new connections');
  const same = await httpsGet2(LB_IP, tlsPort, 'a.example', [a.cert], false, tlsAgent);
  assert.equal(same.socket, before.socket, 'the keep-alive TLS connection from before the rotation is still open');
  assert.deepEqual([same.fingerprint, same.body], [before.fingerprint, 'b3'], 'and serves requests on the certificate it began with');
  // SNI certificates added and removed (AddListenerCertificates / RemoveListenerCertificates): no reload either.
  host.setDesired(withTls('tls-3', [{ arn: 'cert-a', id: 'aaaa2', pem: a2.pem }, { arn: 'cert-c', id: 'cccc1', pem: c.pem }]));
  await host.idle();
  assert.equal((await httpsGet(tlsPort, 'c.example', [c.cert])).cn, 'c.example', 'an added SNI certificate is served');
  assert.equal((await httpsGet(tlsPort, 'b.example', [a2.cert], true)).cn, 'a.example', 'a removed one is not: the default answers');
  assert.equal((await httpsGet2(LB_IP, tlsPort, 'a.example', [a.cert], false, tlsAgent)).socket, before.socket, 'still the same connection');
  tlsAgent.destroy();
  const k = await kept.stop();
  assert.deepEqual(k.failures, [], 'no request failed across the rotation');
  assert.equal((await proc.proc())!.reloads, reloads, 'certificates rotated, added and removed without a reload');
  assert.equal(readdirSync(certDir).filter((f) => f.endsWith('.pem')).length, 2, 'the removed certificate file is gone');
  assert.match(readFileSync(haproxyPaths(dir).config, 'utf8'), /ssl crt-list/, 'a reload would read the same files');
  const listFile = /ssl crt-list (\S+)/.exec(readFileSync(haproxyPaths(dir).config, 'utf8'))![1]!;
  assert.equal(readFileSync(listFile, 'utf8').split('\n').filter(Boolean).length, 2, 'the crt-list file says what serves');
});

test('a configuration HAProxy rejects is never loaded: the previous one keeps serving, the failure is reported', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b3 = backends[2]!;
  // Well-formed values HAProxy still refuses (two servers of one name): `haproxy -c` catches it.
  host.setDesired(lbSet('bad', [target(b3), target(b3)]));
  await host.idle();
  const status = reports.at(-1)!.loadBalancers[0]!;
  assert.equal(status.state, 'failed');
  assert.match(status.reason!, /HAProxy rejected the configuration/);
  assert.deepEqual([...new Set(await bodies(4))], ['b3'], 'still serving the previous configuration');
});

test('a value not of its expected form is refused by the renderer: nothing is written or reloaded, the failure names the field', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b3 = backends[2]!;
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  const before = (await proc.proc())!;
  const file = readFileSync(haproxyPaths(dir).config, 'utf8');
  const hostile: [string, LoadBalancerHostSet, RegExp][] = [
    ['address with a directive', lbSet('inject-1', [target(b3)], [], `${TARGET_IP}:1\n  bind 0.0.0.0:2222`), /targets\[0\]\.address: .* is not an IPv4 or IPv6 address/],
    ['host name as address', lbSet('inject-2', [target(b3)], [], 'example.com'), /targets\[0\]\.address/],
  ];
  const badPath = lbSet('inject-3', [target(b3)]);
  badPath.loadBalancers[0]!.targetGroups[0]!.healthCheck = { ...hc, path: '/health\n  lua-load /tmp/x.lua' };
  hostile.push(['health check path with a directive', badPath, /healthCheck\.path/]);
  for (const [what, set, re] of hostile) {
    host.setDesired(set);
    await host.idle();
    const status = reports.at(-1)!.loadBalancers[0]!;
    assert.equal(status.state, 'failed', what);
    assert.equal(status.configVersion, set.version, what);
    assert.match(status.reason!, re, what);
  }
  assert.equal(readFileSync(haproxyPaths(dir).config, 'utf8'), file, 'the running configuration file is untouched');
  const after = (await proc.proc())!;
  assert.deepEqual([after.masterPid, after.reloads], [before.masterPid, before.reloads], 'no reload was attempted');
  assert.deepEqual([...new Set(await bodies(4))], ['b3'], 'still serving the previous configuration');
});

test('HAProxy workers run as the unprivileged haproxy user in a chroot; the master stays root; sockets and state file still work', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  if (process.getuid?.() !== 0) return t.skip('only root can drop privileges');
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  const p = (await proc.proc())!;
  const uid = (pid: number) => /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))!.slice(1).map(Number);
  const haproxyUid = Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('haproxy:'))!.split(':')[2]);
  for (const w of p.workers) {
    assert.deepEqual(uid(w), [haproxyUid, haproxyUid, haproxyUid, haproxyUid], `worker ${w}: real, effective, saved and fs uid`);
    assert.equal(readlinkSync(`/proc/${w}/root`), '/var/lib/haproxy', `worker ${w} is chrooted`);
  }
  assert.equal(uid(p.masterPid)[1], 0, 'the master keeps root to bind and reload');
  // The runtime API (opened by the master before the chroot) answers, and the state file is written and read across reloads.
  assert.match(await proc.runtime('show servers state'), /^1\n# be_id/);
  assert.match(readFileSync(haproxyPaths(dir).config, 'utf8'), /^  user haproxy\n  group haproxy\n  chroot \/var\/lib\/haproxy$/m);
});

test('a reload HAProxy cannot complete (a listener port already taken) keeps the old worker serving', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b3 = backends[2]!;
  const squatter = http.createServer((_q, r) => r.end('squatter'));
  const taken = await new Promise<number>((resolve) => squatter.listen(0, LB_IP, () => resolve((squatter.address() as { port: number }).port)));
  const next = lbSet('taken', [target(b3)]);
  const lb = next.loadBalancers[0]!;
  lb.listeners.push({ ...lb.listeners[0]!, arn: 'l2', port: taken });
  host.setDesired(next);
  await host.idle();
  squatter.close();
  const status = reports.at(-1)!.loadBalancers[0]!;
  assert.equal(status.state, 'failed');
  assert.deepEqual([...new Set(await bodies(4))], ['b3'], 'the previous worker still serves');
});

test('a new agent adopts the running HAProxy without reloading it, and HAProxy that dies is started again', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const b3 = backends[2]!;
  const proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
  const set = lbSet('adopt', [target(b3)]);
  host.setDesired(set);
  await host.idle();
  host.stop();
  const before = (await proc.proc())!;
  const mine: HealthReport[] = [];
  const next = new LoadBalancerHost({ dir, hostIp: LB_IP, instanceId: () => 'lb-host', log: pino({ level: process.env['LB_DEBUG'] ? 'debug' : 'silent' }), send: async (r) => void mine.push(r), pollMs: 200, haproxyBinary });
  next.sessionUp();
  next.setDesired(set);
  await next.idle();
  const after = (await proc.proc())!;
  assert.deepEqual([after.masterPid, after.reloads], [before.masterPid, before.reloads], 'adopted as it was: no restart, no reload');
  await waitFor(() => mine.some((r) => r.targets.some((x) => x.registrationId === 'reg-b3' && x.state === 'healthy')), 'health reported by the new agent');
  process.kill(after.masterPid, 'SIGKILL');
  for (const w of after.allWorkers) process.kill(w, 'SIGKILL');
  await waitFor(async () => (await proc.proc()) !== undefined && (await proc.proc())!.masterPid !== after.masterPid, 'HAProxy started again');
  await waitFor(async () => (await bodies(2).catch((): string[] => [])).includes('b3'), 'serving again');
  host = next;
});

test('an empty set stops HAProxy', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  host.setDesired({ version: 'empty', loadBalancers: [] });
  await host.idle();
  await assert.rejects(get('/'));
  assert.equal(await new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' })).isRunning(), false);
});
