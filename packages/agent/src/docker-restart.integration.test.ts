import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { WireTaskStatus } from '@stevedore/proto';
import { assignment, containerDef } from './testing/builders';
import { FakeDispatcher } from './testing/fake-dispatcher';
import { TestCa } from './testing/test-pki';
import { DOCKER_SOCKET, dockerSkipReason, ensureTestImage } from './testing/real-docker';
import { SecondDockerd } from './testing/second-dockerd';
import { waitFor } from './testing/wait-for';
import { AGENT_NODE_FLAGS } from './node-flags';

/**
 * dockerd restarts under a running agent: the event stream breaks, the
 * containers die without any event the agent could see, and the agent must
 * notice on reconnect and report the truth. Uses a private second dockerd so
 * the shared one (and everyone's containers on it) is never restarted.
 */
const why = dockerSkipReason() ?? SecondDockerd.unavailable();
if (why && !dockerSkipReason()) process.stderr.write(`SKIPPED dockerd-restart test: ${why}\n`);

describe('agent across a dockerd restart', { skip: why }, () => {
  const daemon = new SecondDockerd();
  const cp = new FakeDispatcher();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stevedore-agent-restart-'));
  let agent: ChildProcess | undefined;
  let output = '';
  let ca: TestCa;
  const token = `SVDR-restarts.${randomBytes(32).toString('base64url')}`;

  const latest = (arn: string): WireTaskStatus | undefined => {
    for (let i = cp.statusUpdates.length - 1; i >= 0; i--) {
      const u = cp.statusUpdates[i]!.find((x) => x.task_arn === arn);
      if (u) return u;
    }
    return undefined;
  };

  before(async () => {
    const shared = new Docker({ socketPath: DOCKER_SOCKET });
    await ensureTestImage(shared);
    await daemon.start();
    await daemon.loadTestImage(shared);
    cp.newInstanceId = `restart-${randomBytes(6).toString('hex')}`;
    cp.heartbeatPeriodMs = 500;
    ca = await TestCa.create();
    cp.joinTokens.add(token);
    await cp.start({ tls: ca });
  });
  after(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await cp.stop();
    await daemon.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports the containers dockerd killed while restarting', async () => {
    const a = assignment({ family: 'restart', containers: [containerDef({ name: 'app', command: ['sleep', '300'] })] });
    cp.assignments = [a];
    agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, path.resolve(__dirname, 'main.js'), '--control-plane', cp.target, '--cluster', 'restart', '--host-ip', '127.0.0.7', '--data-dir', dataDir, '--docker-host', `unix://${daemon.socket}`, '--log-level', 'debug', '--token', token, '--ca-cert-hash', ca.caCertHash], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor('RUNNING', () => latest(a.taskArn)?.last_status === 'RUNNING', 20_000, 20);
      await daemon.stop();
      await daemon.start();
      const r = await waitFor('STOPPED after the restart', () => (latest(a.taskArn)?.last_status === 'STOPPED' ? latest(a.taskArn) : undefined), 40_000, 50);
      assert.equal(r.stop_code, 'EssentialContainerExited');
      assert.equal(r.containers[0]!.status, 'STOPPED');
      assert.equal(typeof r.containers[0]!.exit_code, 'number', 'the exit code Docker recorded');
      const info = await daemon.client.getContainer(r.containers[0]!.runtime_id).inspect();
      assert.equal(info.State.Running, false, 'not restarted by the agent');
    } catch (err) {
      process.stderr.write(`agent output:\n${output.slice(-6000)}\n`);
      throw err;
    }
  });
});
