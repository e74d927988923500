import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { defaultHealthCheck, GATEWAY_RETURN_HEADER, GATEWAY_TOKEN_HEADER, type HostGateway, type LoadBalancerHostSet } from '@stevedore/core';
import { LoadBalancerHost, type HealthReport } from './lb-host';
import { findHaproxy, HaproxyProcess, haproxyPaths } from './haproxy-process';

// A gateway listener on the real haproxy binary, loopback only: HAProxy on
// 127.0.26.10, an appliance (a Node proxy that adds a header) on .12, the
// target (echoes the headers it got) on .11.
const LB_IP = '127.0.26.10';
const TARGET_IP = '127.0.26.11';
const APPLIANCE_IP = '127.0.26.12';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:0:targetgroup';
const TOKEN = '0123456789abcdef0123456789abcdef';

let dir: string;
let host: LoadBalancerHost;
let haproxy: string;
let listenPort: number;
let returnPort: number;
let target: http.Server;
let appliance: http.Server;
const reports: HealthReport[] = [];

function listen(server: http.Server, ip: string, port = 0): Promise<number> {
  return new Promise((resolve) => server.listen(port, ip, () => resolve((server.address() as { port: number }).port)));
}

async function freePort(ip: string): Promise<number> {
  const s = http.createServer();
  const p = await listen(s, ip);
  await new Promise((r) => s.close(r));
  return p;
}

/** What an inspection appliance does: pass the request on to the gateway's return address, with a header added. */
function applianceServer(label = 'appliance-1'): http.Server {
  return http.createServer((req, res) => {
    const back = String(req.headers[GATEWAY_RETURN_HEADER.toLowerCase()] ?? '');
    const [h, p] = back.split(':');
    const out = http.request({ host: h, port: Number(p), path: req.url, method: req.method, headers: { ...req.headers, 'x-inspected-by': label }, agent: false }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end('appliance could not reach the gateway'));
    req.pipe(out);
  });
}

function get(port: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: LB_IP, port, path: '/x?y=1', agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hc = { ...defaultHealthCheck('TCP'), intervalSeconds: 1, timeoutSeconds: 1, healthyThresholdCount: 2, unhealthyThresholdCount: 2 };

interface SetOptions {
  failOpen?: boolean;
  flow?: 'source' | 'connection';
  /** TCP chain: the destination group's protocol, hence the appliances'. */
  protocol?: 'HTTP' | 'TCP';
  destinationPort?: number;
}

function gatewaySet(version: string, appliancePorts: number[], o: SetOptions = {}): LoadBalancerHostSet {
  const gateway: HostGateway = { destinationTargetGroupArn: `${TG}/web/1`, returnPort, returnToken: TOKEN, failOpen: o.failOpen ?? false };
  const protocol = o.protocol ?? 'HTTP';
  return {
    version,
    loadBalancers: [
      {
        arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/gwy/gw/1',
        name: 'gw',
        type: 'gateway',
        listeners: [{ arn: 'l1', protocol: 'GENEVE', port: listenPort, rules: [], defaultTargetGroupArn: `${TG}/ids/2`, gateway }],
        targetGroups: [
          { arn: `${TG}/ids/2`, name: 'ids', protocol, healthCheck: hc, slowStartSeconds: 0, flow: o.flow ?? 'connection', targets: appliancePorts.map((port) => ({ registrationId: `a${port}`, id: `a${port}`, address: APPLIANCE_IP, port, draining: false })) },
          { arn: `${TG}/web/1`, name: 'web', protocol, healthCheck: hc, slowStartSeconds: 0, targets: [{ registrationId: `w${o.destinationPort ?? targetPort}`, id: 'w1', address: TARGET_IP, port: o.destinationPort ?? targetPort, draining: false }] },
        ],
        errors: [],
      },
    ],
  };
}

function lastHealth(registrationId: string) {
  for (let i = reports.length - 1; i >= 0; i--) {
    const t = reports[i]!.targets.find((x) => x.registrationId === registrationId);
    if (t) return t;
  }
  return undefined;
}

let targetPort: number;
let appliancePort: number;

before(async () => {
  const found = await findHaproxy();
  assert.ok(found, 'haproxy is installed (apt-get install haproxy)');
  haproxy = found;
  dir = mkdtempSync(path.join(tmpdir(), 'sv-gw-'));
  target = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers)));
  targetPort = await listen(target, TARGET_IP);
  appliance = applianceServer();
  appliancePort = await listen(appliance, APPLIANCE_IP);
  listenPort = await freePort(LB_IP);
  returnPort = await freePort(LB_IP);
  host = new LoadBalancerHost({ dir, hostIp: LB_IP, instanceId: () => 'lb-host', log: pino({ level: 'silent' }), send: async (r) => void reports.push(r), pollMs: 200, haproxyBinary: haproxy });
  host.sessionUp();
});

after(async () => {
  host.stop();
  await new HaproxyProcess(haproxy, haproxyPaths(dir), pino({ level: 'silent' })).stop();
  target.close();
  appliance.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a gateway listener sends requests through the appliance: the target sees its header, the client address, no gateway headers', async () => {
  host.setDesired(gatewaySet('v1', [appliancePort]));
  await host.idle();
  assert.equal(reports.at(-1)!.loadBalancers[0]!.state, 'active', JSON.stringify(reports.at(-1)));
  await waitFor(() => lastHealth(`a${appliancePort}`)?.state === 'healthy' && lastHealth(`w${targetPort}`)?.state === 'healthy', 'appliance and target healthy');
  const r = await get(listenPort);
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-inspected-by'], 'appliance-1');
  // One address: the client's. The appliance hop adds none (its own would be APPLIANCE_IP).
  assert.match(seen['x-forwarded-for'] ?? '', /^127\.\d+\.\d+\.\d+$/);
  assert.notEqual(seen['x-forwarded-for'], APPLIANCE_IP);
  assert.equal(seen[GATEWAY_TOKEN_HEADER.toLowerCase()], undefined);
  assert.equal(seen[GATEWAY_RETURN_HEADER.toLowerCase()], undefined);
});

test('the return port refuses a client that skips the appliances, also with a forged token header', async () => {
  assert.equal((await get(returnPort)).status, 403);
  assert.equal((await get(returnPort, { [GATEWAY_TOKEN_HEADER]: 'f'.repeat(32) })).status, 403);
  // A client cannot plant the token or a return address through the listener either: both are replaced.
  const r = await get(listenPort, { [GATEWAY_RETURN_HEADER]: `${TARGET_IP}:${targetPort}` });
  assert.equal(JSON.parse(r.body)['x-inspected-by'], 'appliance-1');
});

test('with the appliance down the gateway fails closed (503); fail-open sends requests straight to the target', async () => {
  await new Promise((r) => appliance.close(r));
  await waitFor(() => lastHealth(`a${appliancePort}`)?.state === 'unhealthy', 'appliance unhealthy');
  assert.equal((await get(listenPort)).status, 503);
  host.setDesired(gatewaySet('v2', [appliancePort], { failOpen: true }));
  await host.idle();
  const r = await get(listenPort);
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-inspected-by'], undefined, 'not inspected: the appliances were bypassed');
  assert.equal(seen[GATEWAY_TOKEN_HEADER.toLowerCase()], undefined, 'the token never reaches a target');
});

async function inspectedBy(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(listenPort);
    assert.equal(r.status, 200, r.body);
    out.push(JSON.parse(r.body)['x-inspected-by']);
  }
  return out;
}

test('flows: each connection stays on one appliance (5-tuple) and spreads over them; with stickiness every flow of a client meets the same one', async () => {
  const two = [applianceServer('ids-a'), applianceServer('ids-b')];
  const ports = [await listen(two[0]!, APPLIANCE_IP), await listen(two[1]!, APPLIANCE_IP)];
  try {
    host.setDesired(gatewaySet('v3', ports));
    await host.idle();
    await waitFor(() => ports.every((p) => lastHealth(`a${p}`)?.state === 'healthy'), 'both appliances healthy');
    // 20 fresh connections (new source ports): both appliances see some.
    assert.deepEqual([...new Set(await inspectedBy(20))].sort(), ['ids-a', 'ids-b']);
    // Several requests on one keep-alive connection: one appliance for the whole flow.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const onOne: string[] = [];
    for (let i = 0; i < 6; i++) {
      onOne.push(await new Promise<string>((resolve, reject) => {
        http.get({ host: LB_IP, port: listenPort, path: '/', agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(JSON.parse(body)['x-inspected-by']));
        }).on('error', reject);
      }));
    }
    agent.destroy();
    assert.equal(new Set(onOne).size, 1, `one keep-alive connection, one appliance: ${onOne.join()}`);
    host.setDesired(gatewaySet('v4', ports, { flow: 'source' }));
    await host.idle();
    await waitFor(() => ports.every((p) => lastHealth(`a${p}`)?.state === 'healthy'), 'both appliances healthy after the reload');
    assert.equal(new Set(await inspectedBy(20)).size, 1, 'stickiness source_ip_dest_ip: one appliance for every connection of this client');
  } finally {
    for (const s of two) s.close();
  }
});

test('a TCP chain: the appliance gets the byte stream, is configured with the return address, and its bytes reach the target', async () => {
  // The target echoes what reached it; the appliance prefixes each stream with a mark.
  const echo = net.createServer((sock) => {
    let got = '';
    sock.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('hello')) sock.end(`target got: ${got}`);
    });
  });
  const destinationPort = await new Promise<number>((resolve) => echo.listen(0, TARGET_IP, () => resolve((echo.address() as net.AddressInfo).port)));
  const tcpAppliance = net.createServer((client) => {
    const back = net.connect(returnPort, LB_IP);
    back.write('[inspected] ');
    client.pipe(back).pipe(client);
    back.on('error', () => client.destroy());
    client.on('error', () => back.destroy());
  });
  const port = await new Promise<number>((resolve) => tcpAppliance.listen(0, APPLIANCE_IP, () => resolve((tcpAppliance.address() as net.AddressInfo).port)));
  try {
    host.setDesired(gatewaySet('v5', [port], { protocol: 'TCP', destinationPort }));
    await host.idle();
    assert.equal(reports.at(-1)!.loadBalancers[0]!.state, 'active', JSON.stringify(reports.at(-1)));
    await waitFor(() => lastHealth(`a${port}`)?.state === 'healthy' && lastHealth(`w${destinationPort}`)?.state === 'healthy', 'TCP appliance and target healthy');
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(listenPort, LB_IP, () => s.write('hello'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
      s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    });
    assert.equal(answer, 'target got: [inspected] hello');
  } finally {
    tcpAppliance.close();
    echo.close();
  }
});
