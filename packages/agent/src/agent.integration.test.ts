import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { LogChunk, WireTaskStatus } from '@stevedore/proto';
import { assignment, containerDef } from './testing/builders';
import { FakeDispatcher } from './testing/fake-dispatcher';
import { TestCa } from './testing/test-pki';
import { DOCKER_SOCKET, dockerSkipReason, ensureTestImage, removeLabelled } from './testing/real-docker';
import { waitFor } from './testing/wait-for';
import { AGENT_NODE_FLAGS } from './node-flags';

/**
 * The stevedore-agent binary end to end: a real process, the real dockerd,
 * and a fake control plane speaking the real proto on loopback.
 */
const skip = dockerSkipReason();
const BIN = path.resolve(__dirname, 'main.js');
const INSTANCE = `e2e-agent-${randomBytes(6).toString('hex')}`;
const docker = new Docker({ socketPath: DOCKER_SOCKET });
const TOKEN = `SVDR-e2eagent.${randomBytes(32).toString('base64url')}`;

describe('stevedore-agent process', { skip }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stevedore-agent-e2e-'));
  const cp = new FakeDispatcher();
  let agent: ChildProcess | undefined;
  let output = '';
  let ca: TestCa;

  const latest = (arn: string): WireTaskStatus | undefined => {
    for (let i = cp.statusUpdates.length - 1; i >= 0; i--) {
      const u = cp.statusUpdates[i]!.find((x) => x.task_arn === arn);
      if (u) return u;
    }
    return undefined;
  };
  const until = (arn: string, status: string, timeoutMs = 20_000) =>
    waitFor(`${arn} ${status}`, () => (latest(arn)?.last_status === status ? latest(arn) : undefined), timeoutMs, 20);

  function startAgent(): ChildProcess {
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, BIN, '--control-plane', cp.target, '--cluster', 'e2e', '--host-ip', '127.0.0.6', '--data-dir', dataDir, '--stop-timeout', '5', '--log-level', 'debug'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The join settings from the environment, as a systemd env file gives them.
      env: { ...process.env, STEVEDORE_ATTRIBUTES: 'stack=e2e', STEVEDORE_TOKEN: TOKEN, STEVEDORE_CA_CERT_HASH: ca.caCertHash },
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return child;
  }

  async function stopAgent(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  }

  before(async () => {
    await ensureTestImage(docker);
    cp.newInstanceId = INSTANCE;
    cp.heartbeatPeriodMs = 200;
    ca = await TestCa.create();
    cp.joinTokens.add(TOKEN);
    await cp.start({ tls: ca });
  });
  after(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await cp.stop();
    await removeLabelled(docker, INSTANCE);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers, runs its assignment, streams logs, survives its own restart without touching the containers', async () => {
    try {
      await scenario();
    } catch (err) {
      process.stderr.write(`agent output:\n${output.slice(-8000)}\n`);
      throw err;
    }
  });

  async function scenario(): Promise<void> {
    const a = assignment({ family: 'e2e', containers: [containerDef({ name: 'web', command: ['sh', '-c', 'echo hello from web; exec httpd -f -p 8080 -h /www'], portMappings: [{ containerPort: 8080 }] })] });
    cp.assignments = [a];
    agent = startAgent();
    const running = await until(a.taskArn, 'RUNNING');
    const reg = cp.registrations[0]!;
    // Joined first: the identity is the certificate's, and every call after Join carries it.
    assert.equal(cp.calls[0]!.method, 'Join');
    assert.equal(reg.instance_id, INSTANCE);
    assert.ok(cp.calls.slice(1).every((c) => c.peer === INSTANCE), 'mutual TLS on every call after Join');
    assert.ok(!output.includes(TOKEN.split('.')[1]!), 'the token secret is never logged');
    assert.equal(reg.host_ip, '127.0.0.6');
    assert.ok(reg.resources && reg.resources.cpu >= 1024 && reg.resources.memory > 0);
    assert.deepEqual(reg.resources.ports, [22, 2375, 2376, 51678, 51679]);
    assert.ok(reg.attributes.some((x) => x.name === 'stack' && x.value === 'e2e'));
    assert.equal(JSON.parse(readFileSync(path.join(dataDir, 'instance.json'), 'utf8')).instanceId, INSTANCE);
    const web = running.containers[0]!;
    assert.equal(web.network_bindings[0]!.bind_ip, '127.0.0.6');
    const update = cp.calls.find((c) => c.method === 'UpdateTaskStatus')!;
    assert.equal(update.instanceId, INSTANCE);

    // Logs on request. RUNNING means Docker started the process, not that
    // its first line is written yet (a loaded machine can take a while), so
    // ask again until the line is there, each answer a complete read.
    let logText = '';
    for (let attempt = 1, deadline = Date.now() + 15_000; !/hello from web/.test(logText) && Date.now() < deadline; attempt++) {
      const logsDone = cp.next('logs', 10_000) as Promise<LogChunk[]>;
      cp.incremental({ log_requests: [{ request_id: `log-${attempt}`, task_arn: a.taskArn, container_name: 'web', follow: false, tail: 0, since_ms: 0, max_bytes: 0, timestamps: false }] });
      const chunks = await logsDone;
      assert.equal(chunks[0]!.request_id, `log-${attempt}`);
      assert.ok(chunks.every((c) => !c.error), `log read failed: ${chunks.map((c) => c.error).join(' ')}`);
      logText = Buffer.concat(chunks.map((c) => c.data)).toString();
      if (!/hello from web/.test(logText)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(logText, /hello from web/);

    // SIGTERM: the agent goes, the container stays.
    const started = (await docker.getContainer(web.runtime_id).inspect()).State.StartedAt;
    assert.equal(await stopAgent(agent), 0);
    assert.equal((await docker.getContainer(web.runtime_id).inspect()).State.Running, true);

    // Restart: same identity (stored certificate, no second Join), adoption, no restart.
    const registrations = cp.registrations.length;
    const joins = cp.calls.filter((c) => c.method === 'Join').length;
    const updates = cp.statusUpdates.length;
    agent = startAgent();
    await waitFor('re-registered', () => cp.registrations.length > registrations, 15_000);
    assert.equal(cp.registrations[registrations]!.instance_id, INSTANCE);
    await waitFor('reported again after restart', () => cp.statusUpdates.slice(updates).some((u) => u.some((x) => x.task_arn === a.taskArn && x.last_status === 'RUNNING')), 15_000);
    assert.equal((await docker.getContainer(web.runtime_id).inspect()).State.StartedAt, started, 'never restarted');
    assert.equal(cp.calls.filter((c) => c.method === 'Join').length, joins);

    // The control plane drops the stream: the agent reconnects and takes the new COMPLETE as authoritative.
    const sessions = cp.calls.filter((c) => c.method === 'Session').length;
    cp.assignments = [];
    cp.endStream();
    await waitFor('new session', () => cp.calls.filter((c) => c.method === 'Session').length > sessions, 15_000);
    let runningNow = true;
    for (const deadline = Date.now() + 15_000; runningNow && Date.now() < deadline; ) {
      runningNow = (await docker.getContainer(web.runtime_id).inspect()).State.Running;
      if (runningNow) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(runningNow, false, 'a task missing from COMPLETE is stopped');
    assert.equal(await stopAgent(agent), 0);
  }
});
