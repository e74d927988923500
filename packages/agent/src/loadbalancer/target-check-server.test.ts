import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import pino from 'pino';
import { TargetCheckServer, targetVerdict, type PublishedPort } from './target-check-server';

// Real sockets on loopback (127.0.27.x): the check server on .10, "containers" on .11.
const HOST_IP = '127.0.27.10';
const CONTAINER_IP = '127.0.27.11';
const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

function listen(ip: string): Promise<number> {
  const s = net.createServer((c) => c.end());
  servers.push(s);
  return new Promise((resolve) => s.listen(0, ip, () => resolve((s.address() as net.AddressInfo).port)));
}

/** What HAProxy's agent check does: connect, send the agent-send string, read the answer. */
function ask(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = net.connect(port, HOST_IP, () => s.write(send));
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

test('verdicts: up when the container accepts on its own address, down when not, up (no objection) for ports no container of ours publishes', async () => {
  const ports: PublishedPort[] = [{ hostIp: HOST_IP, hostPort: 32768, containerIp: '172.17.0.5', containerPort: 9000 }];
  const probed: string[] = [];
  const probe = async (ip: string, port: number) => (probed.push(`${ip}:${port}`), ip === '172.17.0.5');
  assert.equal(await targetVerdict(32768, HOST_IP, ports, probe), 'up');
  assert.equal(await targetVerdict(32768, HOST_IP, ports, async () => false), 'down');
  assert.equal(await targetVerdict(32769, HOST_IP, ports, probe), 'up');
  assert.equal(await targetVerdict(32768, '127.0.27.99', ports, probe), 'up', 'published on another address: not this target');
  assert.deepEqual(probed, ['172.17.0.5:9000'], 'only the published port of our container is ever probed');
});

test('the server answers HAProxy agent checks over TCP on the host IP', async () => {
  const listening = await listen(CONTAINER_IP);
  const closed = await listen(CONTAINER_IP);
  servers.at(-1)!.close();
  const checkPort = await listen(HOST_IP);
  servers.at(-1)!.close();
  const ports: PublishedPort[] = [
    { hostIp: HOST_IP, hostPort: 40001, containerIp: CONTAINER_IP, containerPort: listening },
    { hostIp: HOST_IP, hostPort: 40002, containerIp: CONTAINER_IP, containerPort: closed },
  ];
  const server = new TargetCheckServer({ hostIp: HOST_IP, port: checkPort, ports: async () => ports, log: pino({ level: 'silent' }), probeTimeoutMs: 500 });
  assert.equal(await server.start(), checkPort);
  try {
    assert.equal(await ask(checkPort, '40001'), 'up\n');
    assert.equal(await ask(checkPort, '40002'), 'down\n', 'docker-proxy would have accepted; the container does not');
    assert.equal(await ask(checkPort, '"40002\\n"'), 'down\n', 'the port is read from whatever HAProxy sends');
    assert.equal(await ask(checkPort, '40003'), 'up\n');
    const taken = new TargetCheckServer({ hostIp: HOST_IP, port: checkPort, ports: async () => ports, log: pino({ level: 'silent' }) });
    assert.equal(await taken.start(), undefined, 'a port in use: no server, and the instance does not advertise one');
    assert.equal(await new TargetCheckServer({ hostIp: HOST_IP, port: 0, ports: async () => ports, log: pino({ level: 'silent' }) }).start(), undefined, '0 = off');
  } finally {
    server.stop();
  }
});
