import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../logger';
import { HealthServer, type AgentHealth } from './health-server';
import { healthListenOf } from '../config';

function get(socketPath: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: url }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('the agent health endpoint on a unix socket: /ping always, /ready only with a session', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-health-'));
  const socket = path.join(dir, 'health.sock');
  // A socket left by a killed agent is replaced.
  fs.writeFileSync(socket, '');
  const health: AgentHealth = { controlPlane: undefined, instanceId: 'i-1', connectedSince: undefined };
  const server = new HealthServer({ kind: 'unix', path: socket }, () => health, silentLogger());
  assert.equal(await server.start(), socket);
  try {
    assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
    assert.deepEqual(await get(socket, '/ping'), { status: 200, body: 'ok\n' });
    const down = await get(socket, '/ready');
    assert.equal(down.status, 503);
    assert.deepEqual(JSON.parse(down.body), { ready: false, connected: false, controlPlane: null, instanceId: 'i-1', connectedSince: null });
    health.controlPlane = '127.0.0.1:8443';
    health.connectedSince = 1234;
    const up = await get(socket, '/ready');
    assert.equal(up.status, 200);
    assert.deepEqual(JSON.parse(up.body), { ready: true, connected: true, controlPlane: '127.0.0.1:8443', instanceId: 'i-1', connectedSince: 1234 });
    assert.equal((await get(socket, '/other')).status, 404);
  } finally {
    server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.existsSync(socket), false);
});

test('--health-listen: a socket in the data dir by default, loopback addresses only, or off', () => {
  assert.deepEqual(healthListenOf(undefined, '/var/lib/stevedore/agent/'), { kind: 'unix', path: '/var/lib/stevedore/agent/health.sock' });
  assert.deepEqual(healthListenOf('off', '/d'), { kind: 'off' });
  assert.deepEqual(healthListenOf('unix:/run/sv.sock', '/d'), { kind: 'unix', path: '/run/sv.sock' });
  // Unix socket paths are limited (107 bytes): a deep data dir turns the default off with the reason; an explicit one is refused.
  const deep = `/tmp/${'d'.repeat(100)}`;
  const off = healthListenOf(undefined, deep);
  assert.equal(off.kind, 'off');
  assert.match((off as { reason?: string }).reason ?? '', /longer than a unix socket path may be \(107 bytes\): set --health-listen/);
  assert.throws(() => healthListenOf(`unix:${deep}/h.sock`, '/d'), /at most 107 bytes/);
  assert.deepEqual(healthListenOf('127.0.0.1:51680', '/d'), { kind: 'tcp', host: '127.0.0.1', port: 51680 });
  assert.deepEqual(healthListenOf('[::1]:51680', '/d'), { kind: 'tcp', host: '::1', port: 51680 });
  assert.throws(() => healthListenOf('0.0.0.0:51680', '/d'), /not a loopback address/);
  assert.throws(() => healthListenOf('10.0.0.5:51680', '/d'), /not a loopback address/);
  assert.throws(() => healthListenOf('unix:relative.sock', '/d'), /absolute path/);
  assert.throws(() => healthListenOf('nonsense', '/d'), /expected unix:PATH/);
});
