import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import * as path from 'node:path';
import { freePort, startCluster, type TestCluster } from '../helpers/cluster';
import { docker, inspectContainer, listContainers, TEST_IMAGE } from '../helpers/docker';
import { httpGet } from '../helpers/api';
import { getInside, METADATA_V4 } from '../helpers/task-endpoint';
import { waitFor } from '../helpers/wait-for';

// FARGATE on real Docker (docs/design/fargate.md). Agent 0 (127.0.12.2) runs
// the load balancer, agent 1 (127.0.12.3) is the cluster's FARGATE pool
// (stevedore:fargatePool). Traffic goes to 127.0.0.0/8 only: a task through
// its ports published on its host's address, localhost inside the task via
// docker exec.

const LB_IP = '127.0.12.2';
const POOL_IP = '127.0.12.3';
const MIB = 1024 * 1024;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
const taskIds = new Set<string>();
let c: TestCluster;

const AWSVPC = { awsvpcConfiguration: { subnets: ['subnet-12345678'], securityGroups: ['sg-12345678'], assignPublicIp: 'ENABLED' } };

/**
 * ECS's documented Fargate example (a web server logging with awslogs, plus
 * a sidecar), with busybox for httpd. The documented definition has no
 * awslogs-create-group: the group is created first, as a user would. Its
 * execution role is what writes the logs on Fargate (required with awslogs).
 */
const LOG_GROUP = '/ecs/fargate-task-definition';
const EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole';
/** The logs part of ECS's managed AmazonECSTaskExecutionRolePolicy: the agent writes the lines as this role. */
const EXECUTION_ROLE_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['*'] }] };
const FIXTURE = {
  family: 'fargate-task-definition',
  executionRoleArn: EXECUTION_ROLE,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  runtimePlatform: { operatingSystemFamily: 'LINUX' },
  containerDefinitions: [
    {
      name: 'sample-fargate-app',
      image: TEST_IMAGE,
      essential: true,
      entryPoint: ['sh', '-c'],
      command: ["mkdir -p /www && echo '<html><head><title>Amazon ECS Sample App</title></head><body><h1>Amazon ECS Sample App</h1></body></html>' > /www/index.html && echo 'sample app serving' && exec httpd -f -p 80 -h /www"],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } },
      portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
    },
    { name: 'sidecar', image: TEST_IMAGE, essential: false, command: ['sh', '-c', 'exec sleep 3600'] },
  ],
};

before(async () => {
  c = await startCluster({
    agents: 2,
    test: hooks,
    readyTimeoutMs: 60_000,
    hostIp: (i) => `127.0.12.${2 + i}`,
    attributes: (i) => ({ 'stevedore.pool': i === 0 ? 'lb' : 'fargate' }),
    // restartAttemptPeriod x 0.05: ECS's 60 s minimum is 3 s here (an operator setting for tests and demos).
    agentArgs: () => ['--pause-image', TEST_IMAGE, '--restart-attempt-period-scale', '0.05'],
  });
  await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:fargatePool', value: 'attribute:stevedore.pool == fargate' }] });
  await c.call('CreateLogGroup', { logGroupName: LOG_GROUP }, 'Logs_20140328');
  await c.callStevedore('CreateRole', { roleName: 'ecsTaskExecutionRole', policyDocument: JSON.stringify(EXECUTION_ROLE_POLICY) });
  const reg = await c.call('RegisterTaskDefinition', FIXTURE);
  assert.ok(reg.taskDefinition.compatibilities.includes('FARGATE'));
});
after(async () => {
  // Every task of the cluster, whatever test started it (services too).
  for (const desiredStatus of ['RUNNING', 'STOPPED']) {
    const r = await c.call('ListTasks', { desiredStatus, maxResults: 100 }).catch(() => ({ taskArns: [] }));
    for (const arn of r.taskArns as string[]) taskIds.add(arn.split('/').pop()!);
  }
  for (const fn of hooks.fns) await fn();
  // The agents were killed before their cleanup: leave no empty task cgroups behind.
  for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    for (const id of taskIds) {
      const dir = path.join('/sys/fs/cgroup', h, 'stevedore', id);
      if (existsSync(dir)) rmdirSync(dir);
    }
  }
});

async function describe(arn: string): Promise<any> {
  return (await c.call('DescribeTasks', { tasks: [arn] })).tasks[0];
}

function waitStatus(arn: string, status: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(async () => {
    const t = await describe(arn);
    return t.lastStatus === status ? t : undefined;
  }, { description: `task ${arn} ${status}`, timeoutMs, intervalMs: 200 });
}

async function runFargate(body: Record<string, unknown>): Promise<string> {
  const r = await c.call('RunTask', { launchType: 'FARGATE', networkConfiguration: AWSVPC, ...body });
  assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
  const arn = r.tasks[0].taskArn as string;
  taskIds.add(arn.split('/').pop()!);
  return arn;
}

async function containerOf(taskArn: string, name: string): Promise<string> {
  const list = await listContainers({ 'stevedore.task': taskArn, 'stevedore.container': name });
  assert.equal(list.length, 1, `one ${name} container`);
  return list[0]!.id;
}

test('the documented Fargate task definition runs unchanged: its own namespace, the pool, no instance shown, the task size in a task cgroup', async () => {
  const arn = await runFargate({ taskDefinition: 'fargate-task-definition' });
  const t = await waitStatus(arn, 'RUNNING');
  assert.equal(t.launchType, 'FARGATE');
  assert.equal(t.platformVersion, '1.4.0');
  assert.equal(t.containerInstanceArn, undefined, 'FARGATE tasks show no container instance');
  assert.deepEqual([t.cpu, t.memory], ['256', '512']);
  assert.deepEqual(t.ephemeralStorage, { sizeInGiB: 20 });
  const eni = t.attachments[0];
  assert.equal(eni.type, 'ElasticNetworkInterface');
  assert.equal(eni.status, 'ATTACHED');
  const detail = Object.fromEntries(eni.details.map((d: any) => [d.name, d.value]));
  assert.equal(detail.privateIPv4Address, POOL_IP, 'placed on the pool host, whose address the task has');
  assert.equal(detail.subnetId, 'subnet-12345678');
  const web = t.containers.find((x: any) => x.name === 'sample-fargate-app');
  assert.deepEqual(web.networkInterfaces, [{ attachmentId: eni.id, privateIpv4Address: POOL_IP }]);
  const binding = web.networkBindings.find((b: any) => b.containerPort === 80);
  assert.ok(binding && binding.bindIP === POOL_IP && binding.hostPort !== 80, JSON.stringify(web.networkBindings));

  // From outside: the port the pause container publishes on the host's address.
  const page = await waitFor(async () => httpGet(`http://${POOL_IP}:${binding.hostPort}/`), { description: 'the web page on the published port', timeoutMs: 10_000 });
  assert.match(page.body, /Amazon ECS Sample App/);
  // Inside: the sidecar reaches the web server on localhost.
  const sidecar = await containerOf(arn, 'sidecar');
  const local = await docker(['exec', sidecar, 'wget', '-q', '-O', '-', 'http://localhost:80/']);
  assert.match(local.stdout, /Amazon ECS Sample App/);

  // Its output, under ECS's stream name (prefix/container/task id).
  const taskId = arn.split('/').pop()!;
  const events = await waitFor(
    async () => {
      const r = await c.call('GetLogEvents', { logGroupName: LOG_GROUP, logStreamName: `ecs/sample-fargate-app/${taskId}`, startFromHead: true }, 'Logs_20140328').catch(() => ({ events: [] }));
      return r.events.length > 0 ? r.events : undefined;
    },
    { description: 'the web container log in CloudWatch Logs', timeoutMs: 20_000, intervalMs: 250 },
  );
  assert.equal(events[0].message, 'sample app serving');

  // One cgroup for the task, with its size: every container is under it.
  const info = await inspectContainer(await containerOf(arn, 'sample-fargate-app'));
  assert.equal(info.HostConfig.CgroupParent, `/stevedore/${taskId}`);
  // ephemeralStorage (20 GiB by default): enforced by Docker where its storage driver can, and the label says which.
  const storage = info.Config.Labels['stevedore.ephemeral-storage'] as string;
  if (storage.startsWith('20 GiB, enforced')) assert.deepEqual(info.HostConfig.StorageOpt, { size: '20G' });
  else {
    assert.match(storage, /^20 GiB, not enforced on this host: .*xfs mounted with pquota/);
    assert.ok(!info.HostConfig.StorageOpt?.size, 'no size passed where Docker would refuse it');
  }
  assert.equal(info.HostConfig.NetworkMode.startsWith('container:'), true);
  const v1 = `/sys/fs/cgroup/memory/stevedore/${taskId}/memory.limit_in_bytes`;
  const v2 = `/sys/fs/cgroup/stevedore/${taskId}/memory.max`;
  assert.equal(Number(readFileSync(existsSync(v1) ? v1 : v2, 'utf8')), 512 * MIB);
  // 256 CPU units: a quarter of a CPU per 100 ms period.
  const cpu1 = `/sys/fs/cgroup/cpu/stevedore/${taskId}/cpu.cfs_quota_us`;
  if (existsSync(cpu1)) assert.equal(Number(readFileSync(cpu1, 'utf8')), 25_000);
  else assert.equal(readFileSync(`/sys/fs/cgroup/stevedore/${taskId}/cpu.max`, 'utf8').trim(), '25000 100000');

  await c.call('StopTask', { task: arn, reason: 'done' });
  await waitStatus(arn, 'STOPPED');
  await waitFor(() => !existsSync(path.dirname(existsSync(v1) ? v1 : v2)) || undefined, { description: 'the task cgroup removed once the task stopped', timeoutMs: 15_000 });
});

test('FARGATE refusals say what to use instead', async () => {
  const refused = async (body: Record<string, unknown>, type: string, message: RegExp) => {
    const err = await c.call('RunTask', { launchType: 'FARGATE', networkConfiguration: AWSVPC, taskDefinition: 'fargate-task-definition', ...body }).then(
      () => assert.fail('accepted'),
      (e: any) => e,
    );
    assert.equal(err.type, type, err.message);
    assert.match(err.message, message);
  };
  await refused({ placementStrategy: [{ type: 'binpack', field: 'memory' }] }, 'InvalidParameterException', /Placement strategies are not supported with FARGATE launch type/);
  await refused({ placementConstraints: [{ type: 'distinctInstance' }] }, 'InvalidParameterException', /stevedore:fargatePool/);
  await refused({ overrides: { memory: '700' } }, 'ClientException', /No Fargate configuration exists for given values.*512 \(MiB\)|No Fargate configuration exists/);
  await refused({ networkConfiguration: undefined }, 'InvalidParameterException', /Network Configuration must be provided/);
  await refused({ platformVersion: '1.3.0' }, 'InvalidParameterException', /LATEST or 1\.4\.0/);
  // The documented definition without its execution role: nobody could write its logs on Fargate.
  const { executionRoleArn: _role, ...noRole } = FIXTURE;
  const reg = await c.call('RegisterTaskDefinition', { ...noRole, family: 'fargate-no-role' }).then(() => assert.fail('accepted'), (e: any) => e);
  assert.equal(reg.type, 'ClientException');
  assert.match(reg.message, /ClientException: Fargate requires task definition to have execution role ARN to support log driver awslogs\. \(executionRoleArn/);
  const start = await c.call('StartTask', { launchType: 'FARGATE', taskDefinition: 'fargate-task-definition', containerInstances: ['x'] }).then(() => assert.fail('accepted'), (e: any) => e);
  assert.match(start.message, /launch FARGATE tasks with RunTask/);
  // Host access is never given to FARGATE tasks, even where the cluster allows it to EC2 tasks.
  await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:allowPrivilegedContainers', value: 'enabled' }] });
  await c.call('RegisterTaskDefinition', {
    family: 'fargate-privileged',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['EC2'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'p', image: TEST_IMAGE, privileged: true, command: ['sleep', '60'] }],
  });
  const err = await c.call('RunTask', { launchType: 'FARGATE', networkConfiguration: AWSVPC, taskDefinition: 'fargate-privileged' }).then(() => assert.fail('accepted'), (e: any) => e);
  assert.match(err.message, /does not support launch_type FARGATE/);
});

test('a FARGATE task over its memory is OOM-killed and stops with OutOfMemoryError', async () => {
  await c.call('RegisterTaskDefinition', {
    family: 'fargate-oom',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    // No container memory limit: only the task's cgroup bounds it.
    containerDefinitions: [{ name: 'hog', image: TEST_IMAGE, command: ['sh', '-c', 'head -c 900000000 /dev/zero | tail'] }],
  });
  const arn = await runFargate({ taskDefinition: 'fargate-oom' });
  const t = await waitStatus(arn, 'STOPPED', 60_000);
  assert.equal(t.stopCode, 'EssentialContainerExited');
  assert.equal(t.containers[0].reason, 'OutOfMemoryError: Container killed due to memory usage');
});

test('a FARGATE_SPOT service behind an ip target group serves through the load balancer, and a spot interruption replaces its task', async () => {
  const port = await freePort(LB_IP);
  const health = { HealthCheckPath: '/', HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 };
  const tg = (await c.callStevedore('CreateTargetGroup', { Name: `${c.name}-ip`.slice(-32).replace(/^-+/, ''), Protocol: 'HTTP', Port: 80, TargetType: 'ip', ...health })).TargetGroups[0].TargetGroupArn;
  await c.callStevedore('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] });
  const lb = (await c.callStevedore('CreateLoadBalancer', { Name: `${c.name}-alb`.slice(-32).replace(/^-+/, ''), Type: 'application', Cluster: c.name, Placement: { Expression: 'attribute:stevedore.pool == lb' } })).LoadBalancers[0].LoadBalancerArn;
  await c.callStevedore('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });

  const created = await c.call('CreateService', {
    serviceName: 'spot-web',
    taskDefinition: 'fargate-task-definition',
    desiredCount: 1,
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    networkConfiguration: AWSVPC,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'sample-fargate-app', containerPort: 80 }],
  });
  assert.deepEqual(created.service.capacityProviderStrategy.map((s: any) => [s.capacityProvider, s.weight]), [['FARGATE_SPOT', 1]]);
  assert.deepEqual(created.service.networkConfiguration, AWSVPC);

  const healthyTarget = () =>
    waitFor(
      async () => {
        const d = (await c.callStevedore('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions;
        return d.length === 1 && d[0].TargetHealth.State === 'healthy' ? d[0].Target : undefined;
      },
      { description: 'one healthy ip target', timeoutMs: 60_000, intervalMs: 250 },
    );
  const first = await healthyTarget();
  assert.equal(first.Id, POOL_IP, 'an ip target: the task address');
  // "healthy" in DescribeTargetHealth can precede the listener's first 200 by a moment (as with
  // ELB's propagation): wait for the app's answer, not for any answer.
  const served = async () => {
    const r = await httpGet(`http://${LB_IP}:${port}/`);
    return r?.status === 200 ? r : undefined;
  };
  const viaLb = await waitFor(served, { description: 'the app through the load balancer (200)', timeoutMs: 15_000 });
  assert.match(viaLb.body, /Amazon ECS Sample App/);

  const [spotTask] = (await c.call('ListTasks', { serviceName: 'spot-web' })).taskArns;
  taskIds.add(spotTask.split('/').pop()!);
  assert.equal((await describe(spotTask)).capacityProviderName, 'FARGATE_SPOT');
  const r = await c.callStevedore('InterruptSpotTasks', { cluster: c.name, count: 1 });
  assert.deepEqual(r.interruptedTasks, [spotTask]);
  const stopped = await waitStatus(spotTask, 'STOPPED');
  assert.equal(stopped.stopCode, 'SpotInterruption');
  assert.equal(stopped.stoppedReason, 'Your Spot Task was interrupted.');

  const replacement = await waitFor(
    async () => {
      const arns: string[] = (await c.call('ListTasks', { serviceName: 'spot-web' })).taskArns;
      const other = arns.find((a) => a !== spotTask);
      return other ? await waitStatus(other, 'RUNNING') : undefined;
    },
    { description: 'the service replaced the interrupted task', timeoutMs: 60_000, intervalMs: 250 },
  );
  taskIds.add(replacement.taskArn.split('/').pop()!);
  assert.equal(replacement.capacityProviderName, 'FARGATE_SPOT');
  const second = await healthyTarget();
  assert.notEqual(second.Port, first.Port, 'the replacement registered with its own published port');
  assert.match((await waitFor(served, { description: 'served again (200)', timeoutMs: 15_000 })).body, /Amazon ECS Sample App/);
});

test('environmentFiles from the secrets store: lowest precedence; an S3 file is refused saying what to use', async () => {
  const arn = (await c.call('CreateSecret', { Name: 'fargate/app-env', SecretString: '# app settings\nGREETING=from-file\nNAME=file\n' }, 'secretsmanager')).ARN as string;
  const td = (files: { value: string; type: string }[]) => ({
    family: 'fargate-envfile',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sh', '-c', 'echo "$GREETING $NAME"'], environment: [{ name: 'NAME', value: 'env' }], environmentFiles: files }],
  });
  await c.call('RegisterTaskDefinition', td([{ value: 'arn:aws:s3:::bucket/app.env', type: 's3' }]));
  const s3 = await runFargate({ taskDefinition: 'fargate-envfile' }).then(() => assert.fail('accepted'), (e: any) => e);
  assert.match(s3.message, /environmentFiles from Amazon S3.*stevedore secrets put.*arn:aws:secretsmanager/);

  await c.call('RegisterTaskDefinition', td([{ value: arn, type: 's3' }]));
  const task = await runFargate({ taskDefinition: 'fargate-envfile' });
  const t = await waitStatus(task, 'STOPPED');
  assert.equal(t.containers[0].exitCode, 0, t.containers[0].reason);
  const out = await docker(['logs', t.containers[0].runtimeId]);
  assert.equal(out.stdout.trim(), 'from-file env');
});

test('restartPolicy on real Docker: a container that ran its restartAttemptPeriod is restarted in place (TMDS RestartCount); one that exits sooner, or with an ignored code, is not', async () => {
  // 60 s (ECS's minimum) x 0.05 on these agents: 3 s.
  const restartPolicy = { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 };
  await c.call('RegisterTaskDefinition', {
    family: 'fargate-restarts',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      // Runs 4 s, then fails: restarted. The restarted run finds its own marker (same container, same file system) and stays up.
      { name: 'flaky', image: TEST_IMAGE, essential: true, restartPolicy, command: ['sh', '-c', 'if [ -e /ran ]; then exec sleep 3600; fi; touch /ran; sleep 4; exit 3'] },
      { name: 'early', image: TEST_IMAGE, essential: false, restartPolicy, command: ['sh', '-c', 'exit 3'] },
      { name: 'ignored', image: TEST_IMAGE, essential: false, restartPolicy, command: ['sh', '-c', 'sleep 4; exit 0'] },
    ],
  });
  const arn = await runFargate({ taskDefinition: 'fargate-restarts' });
  await waitStatus(arn, 'RUNNING');
  const flaky = await containerOf(arn, 'flaky');
  const firstStart = (await inspectContainer(flaky)).State.StartedAt as string;

  const metadata = await waitFor(
    async () => {
      const r = await getInside(flaky, METADATA_V4).catch(() => undefined);
      return r?.status === 200 && r.body.RestartCount === 1 ? r.body : undefined;
    },
    { description: 'flaky restarted once (TMDS RestartCount)', timeoutMs: 30_000, intervalMs: 250 },
  );
  assert.equal(metadata.KnownStatus, 'RUNNING');
  assert.equal(await containerOf(arn, 'flaky'), flaky, 'started again in place: the same Docker container');
  assert.notEqual((await inspectContainer(flaky)).State.StartedAt, firstStart);

  const t = await waitFor(
    async () => {
      const d = await describe(arn);
      return d.containers.filter((x: any) => x.lastStatus === 'STOPPED').length === 2 ? d : undefined;
    },
    { description: 'early and ignored stopped', timeoutMs: 30_000, intervalMs: 250 },
  );
  const byName = Object.fromEntries(t.containers.map((x: any) => [x.name, x]));
  assert.equal(t.lastStatus, 'RUNNING', 'a restart is not a task status change');
  assert.equal(byName.flaky.lastStatus, 'RUNNING');
  assert.deepEqual([byName.early.lastStatus, byName.early.exitCode], ['STOPPED', 3], 'ran less than the period: not restarted');
  assert.deepEqual([byName.ignored.lastStatus, byName.ignored.exitCode], ['STOPPED', 0], 'an ignored exit code: not restarted');
  for (const name of ['early', 'ignored']) assert.equal((await inspectContainer(await containerOf(arn, name))).State.Running, false);
  assert.equal((await getInside(flaky, METADATA_V4)).body.RestartCount, 1, 'restarted once, then it stayed up');

  await c.call('StopTask', { task: arn, reason: 'done' });
  await waitStatus(arn, 'STOPPED');
});
