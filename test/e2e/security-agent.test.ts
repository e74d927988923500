import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createJoinToken, startCluster, type JoinSettings, type TestCluster } from '../helpers/cluster';
import { ApiCallError } from '../helpers/api';
import { docker, inspectContainer, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// The agent side of the security issue on real processes and the real
// dockerd: joining with tokens over mutual TLS, certificate rotation under a
// running task, secrets that reach the container and nowhere else, and host
// access refused unless the cluster allows it.

const log = (c: TestCluster, i: number) => (existsSync(c.logs.agents[i]!) ? readFileSync(c.logs.agents[i]!, 'utf8') : '');
const cpLog = (c: TestCluster) => readFileSync(c.logs.controlPlane, 'utf8');

async function waitExited(c: TestCluster, i: number): Promise<void> {
  await waitFor(() => !c.isAgentRunning(i) || undefined, { description: `agent ${i} to exit`, timeoutMs: 30_000, intervalMs: 100 });
}

async function waitStatus(c: TestCluster, taskArn: string, status: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const t = (await c.call('DescribeTasks', { tasks: [taskArn] })).tasks[0];
      return t.lastStatus === status ? t : undefined;
    },
    { description: `task ${taskArn} ${status}`, timeoutMs, intervalMs: 200 },
  );
}

function serialOf(file: string): string {
  return new X509Certificate(readFileSync(file)).serialNumber;
}

/** Every file under dir, recursively, as raw bytes. */
function filesUnder(dir: string): { file: string; data: Buffer }[] {
  const out: { file: string; data: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push({ file: p, data: readFileSync(p) });
  }
  return out;
}

test('joining: no token, a wrong or expired token, or a wrong CA pin cannot connect; a valid token joins and runs tasks; a deregistered instance is refused', async (t) => {
  const args = new Map<number, (join: JoinSettings) => string[]>();
  const c = await startCluster({
    agents: 5,
    test: t,
    startAgents: false,
    joinArgs: (i, join) => (args.get(i) ?? ((j) => ['--token', j.token, '--ca-cert-hash', j.caCertHash]))(join),
  });
  const expired = await createJoinToken(c, { ttlSeconds: 1 });
  args.set(0, () => []);
  args.set(1, (j) => ['--token', `${j.token.split('.')[0]}.${'x'.repeat(43)}`, '--ca-cert-hash', j.caCertHash]);
  args.set(2, () => ['--token', expired.token, '--ca-cert-hash', expired.caCertHash]);
  args.set(3, (j) => ['--token', j.token, '--ca-cert-hash', `sha256:${'0'.repeat(64)}`]);
  await new Promise((r) => setTimeout(r, 1200));
  for (let i = 0; i < 5; i++) await c.startAgent(i);
  await c.waitForAgents([4]);
  for (const i of [0, 1, 2, 3]) await waitExited(c, i);

  const refusal = (i: number, why: RegExp) => {
    const line = log(c, i).split('\n').find((l) => l.includes('cannot join the control plane'));
    assert.ok(line, `agent ${i} says it cannot join`);
    assert.match(line, why, `agent ${i}`);
  };
  refusal(0, /no agent credentials.*join-token create/);
  refusal(1, /invalid join token/);
  refusal(2, /join token expired/);
  refusal(3, /offers no CA with hash sha256:0{64}/);
  const refusedJoins = cpLog(c).split('\n').filter((l) => l.includes('"msg":"join refused"'));
  assert.ok(refusedJoins.some((l) => l.includes('invalid join token')), 'the control plane logs the wrong token');
  assert.ok(refusedJoins.some((l) => l.includes('join token expired')), 'the control plane logs the expired token');
  for (const i of [0, 1, 2, 3]) assert.equal(existsSync(path.join(c.dataDir, `agent-${i}`, 'pki', 'agent.key')), false, `agent ${i} got no credentials`);
  const instances = await c.instances();
  assert.equal(instances.length, 1, 'only the agent with a valid token is an instance');
  assert.equal(instances[0].status, 'ACTIVE');

  // The joined agent runs tasks; its key is its own and never left the host.
  const keyFile = path.join(c.dataDir, 'agent-4', 'pki', 'agent.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(keyFile)).mode & 0o777, 0o700);
  assert.ok(!cpLog(c).includes(readFileSync(keyFile, 'utf8').split('\n')[1]!), 'the private key never reached the control plane');
  assert.ok(!log(c, 4).includes(c.join!.token.split('.')[1]!), 'the token secret is not logged');
  await c.call('RegisterTaskDefinition', { family: 'joined', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '300'], memory: 32 }] });
  const run = await c.call('RunTask', { taskDefinition: 'joined' });
  await waitStatus(c, run.tasks[0].taskArn, 'RUNNING');

  // Deregistered: its certificate is refused from then on, restart or not.
  await c.call('DeregisterContainerInstance', { containerInstance: instances[0].containerInstanceArn, force: true });
  await c.stopAgent(4);
  await c.startAgent(4);
  await waitFor(() => /InactiveInstanceException/.test(log(c, 4)) || undefined, { description: 'agent 4 refused as INACTIVE', timeoutMs: 30_000, intervalMs: 200 });
  const after = (await c.call('DescribeContainerInstances', { containerInstances: [instances[0].containerInstanceArn] })).containerInstances[0];
  assert.equal(after.status, 'INACTIVE');
  assert.equal(after.agentConnected, false);
  await c.stopAgent(4);
});

test('certificate rotation under a running task: renewed before expiry, the same container runs on, the agent stays connected', async (t) => {
  const c = await startCluster({ agents: 1, test: t, controlPlaneArgs: ['--agent-cert-validity', '12s'] });
  const certFile = path.join(c.dataDir, 'agent-0', 'pki', 'agent.crt');
  const first = serialOf(certFile);
  const firstNotAfter = Date.parse(new X509Certificate(readFileSync(certFile)).validTo);
  await c.call('RegisterTaskDefinition', { family: 'steady', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32 }] });
  const taskArn = (await c.call('RunTask', { taskDefinition: 'steady' })).tasks[0].taskArn as string;
  await waitStatus(c, taskArn, 'RUNNING');
  const [container] = await listContainers({ 'stevedore.task': taskArn });
  const before = await inspectContainer(container!.id);

  // Past the first certificate's expiry: at least two renewals, each a new certificate.
  await waitFor(() => (Date.now() > firstNotAfter + 2000 && (log(c, 0).match(/agent certificate renewed/g) ?? []).length >= 2) || undefined, {
    description: 'two renewals and the first certificate expired',
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  assert.notEqual(serialOf(certFile), first);
  assert.ok(Date.parse(new X509Certificate(readFileSync(certFile)).validTo) > firstNotAfter);
  assert.match(cpLog(c), /agent certificate renewed/);
  await c.waitForAgents([0], 15_000);
  const inst = await c.instanceOf(0);
  assert.equal(inst.agentConnected, true);

  const now = await inspectContainer(container!.id);
  assert.equal(now.State.Running, true);
  assert.equal(now.State.StartedAt, before.State.StartedAt, 'never restarted');
  assert.equal(now.RestartCount, 0);
  assert.equal((await c.call('DescribeTasks', { tasks: [taskArn] })).tasks[0].lastStatus, 'RUNNING');
  // And the channel still carries work both ways.
  await c.call('StopTask', { task: taskArn });
  await waitStatus(c, taskArn, 'STOPPED');
});

test('a secret reaches the container environment and nowhere else: logs, API responses, labels, the agent data dir, the database files', async (t) => {
  const c = await startCluster({ agents: 1, test: t });
  const VALUE = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;
  const put = await c.cli(['secrets', 'put', 'app-token'], { stdin: `${VALUE}\n` });
  assert.equal(put.code, 0, put.stderr);
  // The execution role the agent reads the secret as (checked at each read, like ECS's agent).
  await c.callStevedore('CreateRole', { roleName: 'app-exec', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['*'] }] }) });
  await c.call('RegisterTaskDefinition', {
    family: 'with-secret',
    executionRoleArn: 'app-exec',
    containerDefinitions: [
      {
        name: 'app',
        image: TEST_IMAGE,
        command: ['sh', '-c', 'echo "token-sha256=$(printf %s "$APP_TOKEN" | sha256sum | cut -c1-64)"; exec sleep 600'],
        memory: 32,
        secrets: [{ name: 'APP_TOKEN', valueFrom: 'app-token' }],
      },
    ],
  });
  const run = await c.call('RunTask', { taskDefinition: 'with-secret' });
  const taskArn = run.tasks[0].taskArn as string;
  await waitStatus(c, taskArn, 'RUNNING');
  const [container] = await listContainers({ 'stevedore.task': taskArn });
  const env = (await docker(['exec', container!.id, 'env'])).stdout;
  assert.ok(env.split('\n').includes(`APP_TOKEN=${VALUE}`), 'the value is in the container environment');
  const expectedHash = (await import('node:crypto')).createHash('sha256').update(VALUE).digest('hex');
  await waitFor(async () => (await docker(['logs', container!.id])).stdout.includes(`token-sha256=${expectedHash}`) || undefined, { description: 'the task saw the value', timeoutMs: 10_000, intervalMs: 200 });

  // A missing secret: the task fails to start, in ECS's words.
  await c.call('RegisterTaskDefinition', { family: 'missing-secret', executionRoleArn: 'app-exec', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '60'], memory: 32, secrets: [{ name: 'X', valueFrom: 'no-such-secret' }] }] });
  const miss = await c.call('RunTask', { taskDefinition: 'missing-secret' });
  const stopped = await waitStatus(c, miss.tasks[0].taskArn, 'STOPPED');
  assert.equal(stopped.stopCode, 'TaskFailedToStart');
  assert.match(stopped.stoppedReason, /^ResourceInitializationError: unable to pull secrets or registry auth: .*no-such-secret/);

  const responses = JSON.stringify([
    run,
    await c.call('DescribeTasks', { tasks: [taskArn] }),
    await c.call('DescribeTaskDefinition', { taskDefinition: 'with-secret' }),
    await c.call('ListSecrets', {}, 'secretsmanager'),
    await c.call('DescribeSecret', { SecretId: 'app-token' }, 'secretsmanager'),
  ]);
  assert.ok(!responses.includes(VALUE), 'not in API responses');
  const inspect = await inspectContainer(container!.id);
  assert.ok(!JSON.stringify(inspect.Config.Labels).includes(VALUE), 'not in docker labels');

  await c.stopAgent(0);
  const needle = Buffer.from(VALUE);
  for (const f of [c.logs.controlPlane, c.logs.agents[0]!]) assert.equal(readFileSync(f).indexOf(needle), -1, `not in ${f}`);
  for (const { file, data } of filesUnder(path.join(c.dataDir, 'agent-0'))) assert.equal(data.indexOf(needle), -1, `not in ${file}`);
  const dbFiles = ['stevedore.db', 'stevedore.db-wal', 'stevedore.db-shm'].map((f) => path.join(c.dataDir, 'control-plane', f)).filter(existsSync);
  assert.ok(dbFiles.length >= 1);
  for (const f of dbFiles) assert.equal(readFileSync(f).indexOf(needle), -1, `not in ${f}`);
  // The one place it is readable: the API, for a caller allowed to read it.
  assert.equal((await c.call('GetSecretValue', { SecretId: 'app-token' }, 'secretsmanager')).SecretString, VALUE);
});

test('privileged and the Docker socket: refused unless the cluster allows privileged; the socket never', async (t) => {
  const c = await startCluster({ agents: 1, test: t });
  await c.call('RegisterTaskDefinition', { family: 'priv', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '300'], memory: 32, privileged: true }] });
  await assert.rejects(c.call('RunTask', { taskDefinition: 'priv' }), (e: ApiCallError) => e.type === 'ClientException' && /containerDefinitions\[0\]\.privileged.*stevedore:allowPrivilegedContainers/.test(e.message));
  assert.equal((await c.containers()).length, 0);
  await c.call('UpdateClusterSettings', { settings: [{ name: 'stevedore:allowPrivilegedContainers', value: 'enabled' }, { name: 'stevedore:allowHostPathVolumes', value: 'enabled' }], cluster: c.name });
  const run = await c.call('RunTask', { taskDefinition: 'priv' });
  const taskArn = run.tasks[0].taskArn as string;
  // Some sandboxes cannot start privileged containers at all (runc: "unable to apply caps"); what Stevedore
  // decides is the container Docker gets, so the assertion is on that.
  const settled = await waitFor(
    async () => {
      const task = (await c.call('DescribeTasks', { tasks: [taskArn] })).tasks[0];
      return task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED' ? task : undefined;
    },
    { description: 'privileged task settled', timeoutMs: 60_000, intervalMs: 200 },
  );
  if (settled.lastStatus === 'STOPPED') {
    assert.match(settled.stoppedReason, /CannotStartContainerError: .*(apply caps|operation not permitted)/, 'only the sandbox may stop it');
    t.diagnostic(`this host cannot run privileged containers: ${settled.stoppedReason}`);
  }
  const [container] = await listContainers({ 'stevedore.task': taskArn });
  assert.equal((await inspectContainer(container!.id)).HostConfig.Privileged, true);
  // No setting allows the runtime socket, so it is refused as early as registration.
  const sock = {
    family: 'sock',
    volumes: [{ name: 'd', host: { sourcePath: '/var/run/docker.sock' } }],
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '300'], memory: 32, mountPoints: [{ sourceVolume: 'd', containerPath: '/var/run/docker.sock' }] }],
  };
  await assert.rejects(c.call('RegisterTaskDefinition', sock), (e: ApiCallError) => e.type === 'ClientException' && /volumes\[0\]\.host\.sourcePath.*never mounted/.test(e.message));
});
