import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ControlPlane } from '../control-plane';
import { replicaTestConfig } from '../testing/replica-config';
import { until } from '../testing/until';
import { startPostgres } from '../testing/postgres-server';
import { SimAgent } from '../testing/sim-agent';
import { registerJoinSource } from '../testing/fake-agent';
import { rawCall, readCredentialsFile } from '../testing/signed-client';
import { openExecStream } from '../testing/exec-stream-client';

const SV = 'Stevedore_20261125.';
const ECS = 'AmazonEC2ContainerServiceV20141113.';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'warn' }, sink), lines };
}

test('replicas listening on a wildcard address: with --api-advertise logs and exec are relayed to them; without, a warning at start and relays answer a clear error', async () => {
  const server = await startPostgres();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-wildcard-'));
  const store = await server.createDatabase();
  const port = await freePort();
  const common = { store, agentJoinRateLimit: { perMinute: 60_000, burst: 1000 }, apiTls: { mode: 'http' as const } };
  const advertisedLog = capturedLog();
  const silentLog = capturedLog();
  // A: every interface, advertised as loopback; C: every interface, nothing advertised; B: loopback, where clients call.
  const a = new ControlPlane(replicaTestConfig(dataDir, 'replica-a', { ...common, apiListen: { host: '0.0.0.0', port }, apiAdvertise: { host: '127.0.0.1', port } }), advertisedLog.log);
  await a.start();
  const c = new ControlPlane(replicaTestConfig(dataDir, 'replica-c', { ...common, apiListen: { host: '0.0.0.0', port: 0 } }), silentLog.log);
  await c.start();
  const b = new ControlPlane(replicaTestConfig(dataDir, 'replica-b', common), pino({ level: 'silent' }));
  await b.start();
  const admin = readCredentialsFile(path.join(dataDir, 'admin-credentials'));
  const onB = `http://127.0.0.1:${b.apiPort}`;
  const call = async (target: string, body: unknown) => rawCall(onB, { target, body: JSON.stringify(body), credentials: admin });
  const agents: SimAgent[] = [];
  try {
    // The warning names the option, once, on the replica without it only.
    assert.deepEqual(silentLog.lines.filter((l) => /--api-advertise/.test(l.msg)).map((l) => l.level), [40]);
    assert.equal(advertisedLog.lines.some((l) => /--api-advertise/.test(l.msg)), false);
    const rows = new Map(b.store.leadership.replicas().map((r) => [r.id, r.apiEndpoint]));
    assert.equal(rows.get('replica-a'), `http://127.0.0.1:${port}`);
    assert.equal(rows.get('replica-c'), `http://0.0.0.0:${c.apiPort}`);

    assert.equal((await call(`${ECS}CreateCluster`, { clusterName: 'wild' })).status, 200);
    assert.equal((await call(`${ECS}RegisterTaskDefinition`, { family: 'sh', containerDefinitions: [{ name: 'app', image: 'img', memory: 64 }] })).status, 200);
    // One agent on A, one on C, each with a task (placed by attribute).
    const tasks: string[] = [];
    for (const [i, cp] of [a, c].entries()) {
      registerJoinSource(`127.0.0.1:${cp.agentPort}`, { caPem: cp.store.agentPki.caCertificate()!, token: async (cluster) => (await call(`${SV}CreateJoinToken`, { cluster })).body['token'] as string });
      const agent = new SimAgent(`127.0.0.1:${cp.agentPort}`, { cluster: 'wild', ec2InstanceId: `wild-${i}`, attributes: { host: `h${i}` }, execExitCode: 4, logLines: () => ['from the agent'] });
      agents.push(agent);
      await agent.start();
      await until(`agent ${i}'s session recorded`, () => (b.store.instances.sessionReplica(agent.instanceId) === cp.replicaId ? true : undefined));
      const arn = await until('a task placed', async () => (await call(`${ECS}RunTask`, { cluster: 'wild', taskDefinition: 'sh', enableExecuteCommand: true, placementConstraints: [{ type: 'memberOf', expression: `attribute:host == h${i}` }] })).body['tasks']?.[0]?.taskArn as string | undefined);
      await until('the task RUNNING', async () => ((await call(`${ECS}DescribeTasks`, { cluster: 'wild', tasks: [arn] })).body['tasks']?.[0]?.lastStatus === 'RUNNING' ? true : undefined));
      tasks.push(arn);
    }
    const [onA, onC] = tasks as [string, string];

    // Advertised: both relays reach A.
    const logs = await call(`${SV}GetTaskLogs`, { cluster: 'wild', task: onA });
    assert.equal(logs.status, 200, logs.text);
    assert.match(logs.text, /from the agent/);
    const granted = await call(`${ECS}ExecuteCommand`, { cluster: 'wild', task: onA, command: 'sh', interactive: true });
    assert.equal(granted.status, 200, granted.text);
    const st = await openExecStream(granted.body['session'].streamUrl);
    st.text({ type: 'open', token: granted.body['session'].tokenValue, tty: false });
    st.bytes('ping\n');
    await until('the echo through B and A', () => (st.stdout() === 'echo:ping\n' ? true : undefined));
    st.text({ type: 'eof' });
    await st.closed;
    assert.deepEqual(st.texts().at(-1), { type: 'exit', exitCode: 4 });

    // Not advertised: each relay answers an error that names the replica and the option.
    const exec = await call(`${ECS}ExecuteCommand`, { cluster: 'wild', task: onC, command: 'sh', interactive: true });
    assert.equal(exec.body['__type'], 'TargetNotConnectedException');
    assert.match(exec.body['message'], /replica-c, whose API listens on a wildcard address and advertises none \(start it with --api-advertise HOST:PORT\)/);
    const read = await call(`${SV}GetTaskLogs`, { cluster: 'wild', task: onC });
    assert.equal(read.body['__type'], 'ClientException');
    assert.match(read.body['message'], /replica-c, whose API listens on a wildcard address.*--api-advertise/);
  } finally {
    for (const ag of agents) ag.close();
    await b.stop();
    await c.stop();
    await a.stop();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
