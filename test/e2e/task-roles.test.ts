/**
 * Task roles, the task metadata endpoint and shared file systems, end to end
 * on a real control plane, agent, iptables and Docker (one cluster):
 * - a container of a task with a task role fetches its credentials from
 *   http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI with no
 *   configuration (the agent's DNAT rule brings it to the agent); requests
 *   signed with them are allowed or denied by the role's policy; another
 *   task's container cannot fetch them; after the task stops they are refused;
 * - ${ECS_CONTAINER_METADATA_URI_V4}/task answers with the task's ARN and limits;
 * - an efsVolumeConfiguration task gets the Docker volume of its registered
 *   NFS export; two tasks share a shared-scope volume across a replacement.
 * The API is called from the test process (tests reach the host only on
 * 127.0.0.0/8; the containers reach only 169.254.170.2, which never leaves
 * the host).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, listContainers, TEST_IMAGE } from '../helpers/docker';
import { getInside } from '../helpers/task-endpoint';
import { waitFor } from '../helpers/wait-for';

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
const secretArns: Record<string, string> = {};
const CREDENTIALS_TTL_S = 30;

before(async () => {
  // awsvpc tasks need a pause image that exists here (no registry).
  // Task credentials live 30 s here (default 1 h), so rotation and expiry are seen within the test.
  c = await startCluster({ agents: 1, test: hooks, hostIp: () => '127.0.14.2', readyTimeoutMs: 60_000, agentArgs: () => ['--pause-image', TEST_IMAGE, '--container-instance-tags', '{"rack":"r1"}'], controlPlaneArgs: ['--task-credentials-ttl', String(CREDENTIALS_TTL_S)] });
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:ListClusters', 'ecs:DescribeClusters'], Resource: ['*'] }] };
  await c.callStevedore('CreateRole', { roleName: 'e2e-app', policyDocument: JSON.stringify(policy) });
  const sleeper = { name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32 };
  await c.call('RegisterTaskDefinition', { family: 'with-role', taskRoleArn: 'arn:aws:iam::000000000000:role/e2e-app', cpu: '256', memory: '512', containerDefinitions: [sleeper] });
  await c.call('RegisterTaskDefinition', { family: 'no-role', containerDefinitions: [sleeper] });
  await c.call('RegisterTaskDefinition', { family: 'awsvpc-role', networkMode: 'awsvpc', taskRoleArn: 'e2e-app', containerDefinitions: [sleeper] });
  // The execution role may read secret A, not B.
  for (const name of ['e2e/a', 'e2e/b']) secretArns[name] = (await c.call('CreateSecret', { Name: name, SecretString: `value-of-${name}` }, 'secretsmanager')).ARN;
  const execPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:*:*:secret:e2e/a-??????'] }] };
  await c.callStevedore('CreateRole', { roleName: 'e2e-exec', policyDocument: JSON.stringify(execPolicy) });
  for (const [family, secret] of [['exec-a', 'e2e/a'], ['exec-b', 'e2e/b']] as const) {
    await c.call('RegisterTaskDefinition', { family, executionRoleArn: 'e2e-exec', containerDefinitions: [{ ...sleeper, secrets: [{ name: 'SECRET', valueFrom: secret }] }] });
  }
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

async function waitStatus(taskArn: string, status: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const t = (await c.call('DescribeTasks', { tasks: [taskArn] })).tasks[0];
      return t.lastStatus === status ? t : undefined;
    },
    { description: `task ${taskArn} ${status}`, timeoutMs, intervalMs: 200 },
  );
}

const AWSVPC = { awsvpcConfiguration: { subnets: ['subnet-12345678'], securityGroups: ['sg-12345678'] } };

async function runTask(family: string, extra: Record<string, unknown> = {}): Promise<{ taskArn: string; containerId: string }> {
  const run = await c.call('RunTask', { taskDefinition: family, ...extra });
  assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
  const taskArn = run.tasks[0].taskArn as string;
  await waitStatus(taskArn, 'RUNNING');
  const [container] = await listContainers({ 'stevedore.task': taskArn, 'stevedore.container': 'app' });
  return { taskArn, containerId: container!.id };
}

const envOf = async (containerId: string, name: string) => (await docker(['exec', containerId, 'sh', '-c', `echo "$${name}"`])).stdout.trim();

/** Debian's AWS CLI v2 with these credentials and nothing else. */
function aws(creds: { AccessKeyId: string; SecretAccessKey: string; Token: string }, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/aws',
      [...args, '--endpoint-url', c.endpoint, '--region', 'us-east-1', '--output', 'json'],
      {
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey, AWS_SESSION_TOKEN: creds.Token, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '' },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

describe('task roles and the task metadata endpoint', () => {
  let app: { taskArn: string; containerId: string };
  let creds: { AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string; RoleArn: string };

  test('a container fetches its task role credentials from 169.254.170.2 with no configuration; the role policy decides what they may do', async () => {
    app = await runTask('with-role', { tags: [{ key: 'team', value: 'web' }] });
    const uri = await envOf(app.containerId, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    assert.match(uri, /^\/v2\/credentials\/[0-9a-f-]{36}$/);
    const r = await getInside(app.containerId, '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    creds = r.body;
    assert.deepEqual(Object.keys(creds).sort(), ['AccessKeyId', 'Expiration', 'RoleArn', 'SecretAccessKey', 'Token']);
    assert.match(creds.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(creds.RoleArn, 'arn:aws:iam::000000000000:role/e2e-app');
    const left = Date.parse(creds.Expiration) - Date.now();
    assert.ok(left > 0 && left <= 6 * 3600_000, `expires within 6 hours: ${creds.Expiration}`);

    const allowed = await aws(creds, ['ecs', 'list-clusters']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok((JSON.parse(allowed.stdout) as { clusterArns: string[] }).clusterArns.some((a) => a.endsWith(`/${c.name}`)));
    const denied = await aws(creds, ['ecs', 'run-task', '--cluster', c.name, '--task-definition', 'no-role']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /AccessDeniedException.*assumed-role\/e2e-app\/.*is not authorized to perform: ecs:RunTask/s);
  });

  test('another task\'s container cannot fetch them (the id is bound to the task\'s containers), and gets no credentials of its own', async () => {
    const other = await runTask('no-role');
    const uri = await envOf(app.containerId, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    const stolen = await getInside(other.containerId, uri);
    assert.equal(stolen.status, 404, JSON.stringify(stolen.body));
    assert.equal(await envOf(other.containerId, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'), '');
    // Nor another task's metadata.
    const appMetadata = (await envOf(app.containerId, 'ECS_CONTAINER_METADATA_URI_V4')).replace('http://169.254.170.2', '');
    assert.equal((await getInside(other.containerId, `${appMetadata}/task`)).status, 404);
    await c.call('StopTask', { task: other.taskArn });
  });

  test('the metadata endpoint v4 (and v3) answers for this container and its task, with ECS field names, ARN and limits', async () => {
    const v4 = await envOf(app.containerId, 'ECS_CONTAINER_METADATA_URI_V4');
    assert.match(v4, /^http:\/\/169\.254\.170\.2\/v4\/[0-9a-f-]{36}$/);
    const self = await getInside(app.containerId, '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}');
    assert.equal(self.status, 200, JSON.stringify(self.body));
    assert.equal(self.body.DockerId, app.containerId.length === 64 ? app.containerId : self.body.DockerId);
    assert.ok(self.body.DockerId.startsWith(app.containerId));
    assert.equal(self.body.Name, 'app');
    assert.equal(self.body.Image, TEST_IMAGE);
    assert.equal(self.body.KnownStatus, 'RUNNING');
    assert.equal(self.body.Type, 'NORMAL');
    assert.deepEqual(self.body.Limits, { CPU: 0, Memory: 32 });
    assert.equal(self.body.Networks[0].NetworkMode, 'bridge');
    assert.match(self.body.Networks[0].IPv4Addresses[0], /^\d+\.\d+\.\d+\.\d+$/);
    for (const k of ['DockerName', 'ImageID', 'Labels', 'DesiredStatus', 'CreatedAt', 'StartedAt', 'ContainerARN']) assert.ok(k in self.body, `container has ${k}`);

    const task = await getInside(app.containerId, '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}/task');
    assert.equal(task.status, 200, JSON.stringify(task.body));
    assert.equal(task.body.TaskARN, app.taskArn);
    assert.equal(task.body.Cluster, c.name);
    assert.equal(task.body.Family, 'with-role');
    assert.equal(task.body.Revision, '1');
    assert.equal(task.body.DesiredStatus, 'RUNNING');
    assert.equal(task.body.KnownStatus, 'RUNNING');
    assert.deepEqual(task.body.Limits, { CPU: 0.25, Memory: 512 });
    assert.equal(task.body.LaunchType, 'EC2');
    assert.equal(typeof task.body.AvailabilityZone, 'string');
    assert.ok(task.body.PullStartedAt);
    assert.deepEqual(task.body.Containers.map((x: any) => x.Name), ['app']);

    const stats = await getInside(app.containerId, '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}/task/stats');
    assert.equal(stats.status, 200);
    assert.ok(stats.body[self.body.DockerId].memory_stats, 'Docker stats shape, keyed by Docker id');
    const v3 = await getInside(app.containerId, '${ECS_CONTAINER_METADATA_URI#http://169.254.170.2}/task');
    assert.equal(v3.body.TaskARN, app.taskArn);
  });

  test('TMDS v4: taskWithTags (task and container instance tags), ClockDrift, and network rates in /stats and /task/stats', async () => {
    const base = '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}';
    const tagged = await getInside(app.containerId, `${base}/taskWithTags`);
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    assert.equal(tagged.body.TaskARN, app.taskArn);
    assert.deepEqual(tagged.body.TaskTags, { team: 'web' });
    assert.deepEqual(tagged.body.ContainerInstanceTags, { rack: 'r1' });
    // The same tags are the container instance's in the API (the agent registered them).
    const instanceArn = (await c.call('ListContainerInstances', {})).containerInstanceArns[0];
    const described = await c.call('DescribeContainerInstances', { containerInstances: [instanceArn], include: ['TAGS'] });
    assert.deepEqual(described.containerInstances[0].tags, [{ key: 'rack', value: 'r1' }]);
    // The host's clock, read from its time daemon or the kernel (busybox adjtimex here).
    const drift = (await getInside(app.containerId, `${base}/task`)).body.ClockDrift;
    assert.ok(drift, 'ClockDrift in /task');
    assert.equal(typeof drift.ClockErrorBound, 'number');
    assert.ok(!Number.isNaN(Date.parse(drift.ReferenceTimestamp)), drift.ReferenceTimestamp);
    assert.ok(['SYNCHRONIZED', 'NOT_SYNCHRONIZED'].includes(drift.ClockSynchronizationStatus), drift.ClockSynchronizationStatus);

    // Traffic during the sample: the container fetches its metadata in a loop for a few seconds.
    const id = (await envOf(app.containerId, 'ECS_CONTAINER_METADATA_URI_V4')).split('/').pop();
    const loop = `end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do printf 'GET /v4/${id}/task HTTP/1.0\\r\\n\\r\\n' | nc -w 2 169.254.170.2 80 >/dev/null; done`;
    await docker(['exec', '-d', app.containerId, 'sh', '-c', loop]);
    const stats = await getInside(app.containerId, `${base}/stats`);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(typeof stats.body.networks.eth0.rx_bytes, 'number', 'Docker\'s cumulative counters');
    assert.deepEqual(Object.keys(stats.body.network_rate_stats).sort(), ['rx_bytes_per_sec', 'tx_bytes_per_sec']);
    assert.ok(stats.body.network_rate_stats.rx_bytes_per_sec > 0 && stats.body.network_rate_stats.tx_bytes_per_sec > 0, JSON.stringify(stats.body.network_rate_stats));
    const taskStats = await getInside(app.containerId, `${base}/task/stats`);
    const mine = taskStats.body[stats.body.id];
    assert.ok(mine?.network_rate_stats, 'keyed by Docker id, with rates');
    assert.ok(mine.networks.eth0.rx_bytes >= stats.body.networks.eth0.rx_bytes);
  });

  test('awsvpc: the containers share the pause container\'s network, and its rule: credentials and metadata work the same', async () => {
    const t = await runTask('awsvpc-role', { networkConfiguration: AWSVPC });
    const r = await getInside(t.containerId, '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.RoleArn, 'arn:aws:iam::000000000000:role/e2e-app');
    const self = await getInside(t.containerId, '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}');
    assert.equal(self.body.Networks[0].NetworkMode, 'awsvpc');
    assert.match(self.body.Networks[0].IPv4Addresses[0], /^\d+\.\d+\.\d+\.\d+$/);
    // Its interfaces are the pause container's: /stats shows them, with rates.
    const stats = await getInside(t.containerId, '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}/stats');
    assert.equal(typeof stats.body.networks?.eth0?.rx_bytes, 'number', JSON.stringify(stats.body).slice(0, 300));
    assert.equal(typeof stats.body.network_rate_stats?.rx_bytes_per_sec, 'number');
    await c.call('StopTask', { task: t.taskArn });
  });

  test('secrets are read as the execution role: a secret it may read reaches the container, one it may not stops the task with ECS\'s reason', async () => {
    const a = await runTask('exec-a');
    assert.equal(await envOf(a.containerId, 'SECRET'), 'value-of-e2e/a');
    await c.call('StopTask', { task: a.taskArn });
    const b = (await c.call('RunTask', { taskDefinition: 'exec-b' })).tasks[0].taskArn as string;
    const t = await waitStatus(b, 'STOPPED');
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.match(
      t.stoppedReason,
      new RegExp(`^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: .*AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/e2e-exec/[0-9a-f]+ is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretArns['e2e/b']}`),
    );
    // An audit line names the refusal, never a value.
    const cpLog = readFileSync(c.logs.controlPlane, 'utf8');
    const line = cpLog.split('\n').find((l) => l.includes('secret read refused to the task execution role') && l.includes(b));
    assert.ok(line && JSON.parse(line).audit === true, 'audit line');
    assert.ok(!cpLog.includes('value-of-e2e/'), 'no secret value in the control plane log');
  });

  test('after the task stops, its credentials are refused', async () => {
    // Fresh ones (the first may be near its 30 s expiry on a slow machine): refused for the stop, not the clock.
    creds = (await getInside(app.containerId, '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')).body;
    assert.equal((await aws(creds, ['ecs', 'list-clusters'])).code, 0);
    await c.call('StopTask', { task: app.taskArn });
    await waitStatus(app.taskArn, 'STOPPED');
    const refused = await aws(creds, ['ecs', 'list-clusters']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /UnrecognizedClientException/);
  });

  test('rotation: the agent serves a new key before the old one expires; both work while valid; the old one stops working at its expiry', async () => {
    const t = await runTask('with-role');
    const fetch = async () => {
      const r = await getInside(t.containerId, '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as typeof creds;
    };
    const first = await fetch();
    const ttl = Date.parse(first.Expiration) - Date.now();
    assert.ok(ttl > 0 && ttl <= CREDENTIALS_TTL_S * 1000, `the configured lifetime: ${first.Expiration}`);
    // Rotated at half its life: a different key id, expiring later, served while the first is still valid.
    const second = await waitFor(async () => {
      const r = await fetch();
      return r.AccessKeyId !== first.AccessKeyId ? r : undefined;
    }, { description: 'a rotated key', timeoutMs: CREDENTIALS_TTL_S * 1000, intervalMs: 1000 });
    assert.ok(Date.parse(first.Expiration) > Date.now(), 'served before the first expired');
    assert.ok(Date.parse(second.Expiration) > Date.parse(first.Expiration));
    for (const k of [first, second]) assert.equal((await aws(k, ['ecs', 'list-clusters'])).code, 0, `${k.AccessKeyId} works`);
    // The first stops working at its expiry; the second still works.
    const expired = await waitFor(async () => {
      const r = await aws(first, ['ecs', 'list-clusters']);
      return r.code !== 0 ? r : undefined;
    }, { description: 'the first key refused', timeoutMs: CREDENTIALS_TTL_S * 1000, intervalMs: 1000 });
    assert.match(expired.stderr, /ExpiredToken/);
    assert.ok(Date.now() >= Date.parse(first.Expiration) - 1000, 'refused for its expiry, not before');
    assert.equal((await aws(second, ['ecs', 'list-clusters'])).code, 0);
    await c.call('StopTask', { task: t.taskArn });
  });
});

describe('shared file systems (efsVolumeConfiguration) and shared volumes', () => {
  // A stand-in NFS server for the agent's reachability check: this kernel cannot mount NFS,
  // so the mount itself fails at container start; what is checked is the volume Docker is given.
  const NFS_HOST = '127.0.14.50';
  let nfs: Server;
  before(async () => {
    nfs = createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => nfs.once('error', reject).listen(2049, NFS_HOST, () => resolve()));
  });
  after(() => new Promise<void>((resolve) => nfs.close(() => resolve())));

  async function stopped(taskArn: string): Promise<any> {
    return waitStatus(taskArn, 'STOPPED');
  }

  test('the agent gives Docker a task-scoped local volume with the NFS options of the registered export and access point', async () => {
    const created = await c.cli(['fs', 'create', '--server', NFS_HOST, '--path', '/exports/data', '--mount-options', 'noatime', '--name', 'data']);
    assert.equal(created.code, 0, created.stderr);
    const fsId = created.stdout.trim();
    assert.match(fsId, /^fs-[0-9a-f]{17}$/);
    const ap = await c.cli(['fs', 'create-access-point', fsId, '--root', '/app', '--uid', '1000']);
    assert.equal(ap.code, 0, ap.stderr);
    const apId = ap.stdout.trim();
    const listed = await c.cli(['fs', 'list']);
    assert.match(listed.stdout, new RegExp(`${fsId}\\s+data\\s+${NFS_HOST.replace(/\./g, '\\.')}:/exports/data`));

    await c.call('RegisterTaskDefinition', {
      family: 'efs-task',
      volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: fsId, transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: apId } } }],
      containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }],
    });
    const run = await c.call('RunTask', { taskDefinition: 'efs-task' });
    assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
    const taskArn = run.tasks[0].taskArn as string;
    const taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
    const volume = `ecs-efs-task-1-data-${taskId}`;
    const inspected = await waitFor(async () => {
      const r = await docker(['volume', 'inspect', volume]).catch(() => undefined);
      return r ? (JSON.parse(r.stdout) as any[])[0] : undefined;
    }, { description: `docker volume ${volume}`, timeoutMs: 60_000, intervalMs: 250 });
    assert.equal(inspected.Driver, 'local');
    assert.deepEqual(inspected.Options, {
      type: 'nfs',
      o: `addr=${NFS_HOST},nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,xprtsec=tls,noatime`,
      device: ':/exports/data/app',
    });
    assert.equal(inspected.Labels['stevedore.task'], taskArn);
    assert.equal(inspected.Labels['stevedore.file-system-id'], fsId);
    // No NFS client in this kernel: the mount fails at start, and the task says so.
    const t = await stopped(taskArn);
    assert.match(t.stoppedReason ?? t.containers[0].reason, /mount|nfs/i);
  });

  test('authorizationConfig.iam ENABLED with an access point: the task role needs ClientMount (else ECS\'s mount failure), and ClientWrite or the volume is read-only', async () => {
    const fsId = (await c.callStevedore('CreateFileSystem', { server: NFS_HOST, path: '/exports/iam' })).fileSystemId as string;
    const apId = (await c.callStevedore('CreateAccessPoint', { fileSystemId: fsId, rootDirectory: { path: '/team' }, posixUser: { uid: 1001, gid: 1001 } })).accessPointId as string;
    const fsArn = `arn:aws:elasticfilesystem:*:*:file-system/${fsId}`;
    await c.callStevedore('CreateRole', { roleName: 'e2e-efs-ro', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['elasticfilesystem:ClientMount'], Resource: [fsArn] }] }) });
    const register = (family: string, taskRoleArn: string) =>
      c.call('RegisterTaskDefinition', {
        family,
        taskRoleArn,
        volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: fsId, transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: apId, iam: 'ENABLED' } } }],
        containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }],
      });
    await register('efs-iam-ro', 'e2e-efs-ro');
    await register('efs-iam-denied', 'e2e-app');
    const ro = (await c.call('RunTask', { taskDefinition: 'efs-iam-ro' })).tasks[0].taskArn as string;
    const volume = `ecs-efs-iam-ro-1-data-${ro.slice(ro.lastIndexOf('/') + 1)}`;
    const inspected = await waitFor(async () => {
      const r = await docker(['volume', 'inspect', volume]).catch(() => undefined);
      return r ? (JSON.parse(r.stdout) as any[])[0] : undefined;
    }, { description: `docker volume ${volume}`, timeoutMs: 60_000, intervalMs: 250 });
    assert.deepEqual(inspected.Options, {
      type: 'nfs',
      o: `addr=${NFS_HOST},nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,xprtsec=tls,ro`,
      device: ':/exports/iam/team',
    });
    await stopped(ro);
    const denied = await stopped((await c.call('RunTask', { taskDefinition: 'efs-iam-denied' })).tasks[0].taskArn);
    assert.equal(denied.stopCode, 'TaskFailedToStart');
    assert.match(
      denied.stoppedReason,
      new RegExp(`^ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount\\.nfs4: access denied by server while mounting ${NFS_HOST.replace(/\./g, '\\.')}:/exports/iam/team \\(volume data: the task role e2e-app is not authorized to perform: elasticfilesystem:ClientMount on resource: arn:aws:elasticfilesystem:[^:]+:000000000000:file-system/${fsId}\\)`),
    );
  });

  test('an unreachable NFS server or an unregistered file system stops the task promptly with a clear reason', async () => {
    const created = await c.callStevedore('CreateFileSystem', { server: '127.0.14.51', path: '/nowhere' });
    await c.call('RegisterTaskDefinition', {
      family: 'efs-unreachable',
      volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: created.fileSystemId } }],
      containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }],
    });
    const run = await c.call('RunTask', { taskDefinition: 'efs-unreachable' });
    const t = await stopped(run.tasks[0].taskArn);
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.match(t.stoppedReason, new RegExp(`^ResourceInitializationError: failed to mount the file system ${created.fileSystemId}: NFS server 127\\.0\\.14\\.51:2049 is unreachable`));

    await c.call('RegisterTaskDefinition', {
      family: 'efs-unregistered',
      volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-00000000000000000' } }],
      containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '600'], memory: 32, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }],
    });
    const miss = await stopped((await c.call('RunTask', { taskDefinition: 'efs-unregistered' })).tasks[0].taskArn);
    assert.match(miss.stoppedReason, /^ResourceInitializationError: volume data: file system fs-00000000000000000 is not registered/);
  });

  test('two tasks share a shared-scope volume, and its data outlives them for the task that replaces them', async () => {
    // Shared volumes outlive tasks on the host: an admin allows them for the cluster (host access, issue 9).
    await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:allowHostDockerVolumes', value: 'enabled' }] });
    const volume = `shared-${c.name}`;
    hooks.after(() => docker(['volume', 'rm', '-f', volume]).catch(() => undefined));
    const withVolume = (family: string, script: string) =>
      c.call('RegisterTaskDefinition', {
        family,
        volumes: [{ name: volume, dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local', labels: { 'stevedore.cluster': c.name } } }],
        containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sh', '-c', script], memory: 32, mountPoints: [{ sourceVolume: volume, containerPath: '/data' }] }],
      });
    await withVolume('shared-writer', 'echo carried-across > /data/marker; exec sleep 600');
    await withVolume('shared-reader', 'while [ ! -f /data/marker ]; do sleep 0.2; done; cat /data/marker; exec sleep 600');
    const writer = await runTask('shared-writer');
    const reader = await runTask('shared-reader');
    const logsOf = (id: string) => waitFor(async () => ((await docker(['logs', id])).stdout.includes('carried-across') ? true : undefined), { description: 'the marker read', timeoutMs: 20_000, intervalMs: 200 });
    await logsOf(reader.containerId);
    await c.call('StopTask', { task: writer.taskArn });
    await c.call('StopTask', { task: reader.taskArn });
    await stopped(writer.taskArn);
    await stopped(reader.taskArn);
    const replacement = await runTask('shared-reader');
    await logsOf(replacement.containerId);
    await c.call('StopTask', { task: replacement.taskArn });
  });
});
