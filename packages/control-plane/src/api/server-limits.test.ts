import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type * as http from 'node:http';
import pino from 'pino';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from '../store/store';
import { LogBroker } from '../logs/log-broker';
import { createApiServer, type ApiServerOptions } from './server';
import { ApiAuth } from './auth/api-auth';

// Input hardening that needs raw sockets: a body trickled byte by byte is cut
// at the request deadline, and one client address cannot hold more than its
// share of in-flight requests.
async function withServer(opts: Omit<ApiServerOptions, 'auth'>, fn: (port: number) => Promise<void>): Promise<void> {
  const log = pino({ level: 'silent' });
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  const auth = new ApiAuth(store, defaultArnContext, systemClock, log, { enabled: false });
  const server: http.Server = createApiServer({ store, clock: systemClock, arn: defaultArnContext, log, logs: new LogBroker(), random: Math.random }, { auth, ...opts });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as net.AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    store.close();
  }
}

/** Opens a request that declares a body and then sends it one byte at a time. */
function trickle(port: number, everyMs: number): { socket: net.Socket; reply: Promise<{ text: string; closedAfterMs: number }> } {
  const started = Date.now();
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Length: 1000\r\n\r\n');
  const timer = setInterval(() => socket.writable && socket.write('{'), everyMs);
  const reply = new Promise<{ text: string; closedAfterMs: number }>((resolve) => {
    socket.on('data', (c) => (text += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
  return { socket, reply };
}

test('a slow-loris body is cut at the request deadline', async () => {
  await withServer({ headersTimeoutMs: 300, requestTimeoutMs: 800 }, async (port) => {
    const { reply } = trickle(port, 100);
    const r = await reply;
    assert.ok(r.closedAfterMs < 5000, `closed after ${r.closedAfterMs} ms`);
    assert.match(r.text, /^HTTP\/1\.1 408/);
  });
});

test('one client address is throttled past its in-flight cap, others are not affected', async () => {
  await withServer({ maxInFlightPerClient: 2, requestTimeoutMs: 5000 }, async (port) => {
    const slow = [trickle(port, 200), trickle(port, 200)];
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' }, body: '{}' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { __type: string }).__type, 'ThrottlingException');
    for (const s of slow) s.socket.destroy();
    await Promise.all(slow.map((s) => s.reply));
    await new Promise((r) => setTimeout(r, 50));
    const after = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' }, body: '{}' });
    assert.equal(after.status, 200);
  });
});
