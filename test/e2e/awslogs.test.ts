import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import * as path from 'node:path';
import { CLI_BIN, startCluster, type TestCluster } from '../helpers/cluster';
import { docker, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// awslogs end to end (docs/design/logs.md): one control plane whose
// retention "day" lasts 3 s, one agent (127.0.13.2); containers log through
// awslogs and Debian's AWS CLI reads the store at the same endpoint.

const AWS_CLI = '/usr/bin/aws';
const DAY_SECONDS = 3;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let group = '';
/** FARGATE tasks get a cgroup each; one left by an agent stopped before its cleanup is removed at the end. */
const fargateTaskIds: string[] = [];

before(async () => {
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: apt-get install awscli`);
  c = await startCluster({
    agents: 1,
    test: hooks,
    hostIp: () => '127.0.13.2',
    controlPlaneArgs: ['--log-retention-day-seconds', String(DAY_SECONDS)],
    // FARGATE tasks share a pause container's namespaces; the test image serves as one.
    agentArgs: () => ['--pause-image', TEST_IMAGE],
    readyTimeoutMs: 60_000,
  });
  group = `/ecs/${c.name}`;
});
after(async () => {
  for (const fn of hooks.fns) await fn();
  for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    for (const id of fargateTaskIds) {
      const dir = path.join('/sys/fs/cgroup', h, 'stevedore', id);
      if (existsSync(dir)) rmdirSync(dir);
    }
  }
});

function awsEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
}

/** `aws logs ...` against the cluster's endpoint; JSON output parsed. */
function aws(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(AWS_CLI, ['--endpoint-url', c.endpoint, '--output', 'json', 'logs', ...args], { env: awsEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`aws logs ${args.join(' ')} exited ${code}: ${err}`));
      else resolve(out.trim() ? JSON.parse(out) : {});
    });
  });
}

const awslogs = (extra: Record<string, string> = {}) => ({ logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app', 'awslogs-create-group': 'true', ...extra } });

async function runTask(family: string, command: string, log: Record<string, unknown> = awslogs()): Promise<{ arn: string; id: string }> {
  const r = await c.call('RegisterTaskDefinition', { family, containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['sh', '-c', command], memory: 16, essential: true, logConfiguration: log }] });
  const run = await c.call('RunTask', { taskDefinition: `${r.taskDefinition.family}:${r.taskDefinition.revision}` });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  const arn: string = run.tasks[0].taskArn;
  return { arn, id: arn.split('/').pop()! };
}

/** Messages of a stream through the API directly (polling with the AWS CLI would cost a Python start each time). */
async function stored(stream: string): Promise<string[]> {
  const r = await c.call('GetLogEvents', { logGroupName: group, logStreamName: stream, startFromHead: true }, 'Logs_20140328').catch(() => ({ events: [] }));
  return (r.events as { message: string }[]).map((e) => e.message);
}

async function streamMessages(stream: string): Promise<string[]> {
  const r = await aws(['get-log-events', '--log-group-name', group, '--log-stream-name', stream, '--start-from-head']);
  return (r.events as { message: string }[]).map((e) => e.message);
}

test('a task logging through awslogs: get-log-events returns its lines in order under ECS stream name; filter-log-events with a pattern', async () => {
  const { id } = await runTask('awslogs-lines', 'for i in 1 2 3 4 5; do echo line-$i; done; echo ERROR boom >&2; echo "WARN slow"; exec sleep 600');
  const stream = `app/web/${id}`;
  const lines = await waitFor(
    async () => {
      const m = await stored(stream);
      return m.length >= 7 ? m : undefined;
    },
    { description: `7 lines in ${group} ${stream}`, timeoutMs: 40_000, intervalMs: 500 },
  );
  assert.deepEqual(await streamMessages(stream), lines, 'the AWS CLI reads the same');
  // In time order; Docker stamps stdout and stderr lines on separate pipes, so only each stream's own order is certain.
  assert.deepEqual(lines.filter((l) => l !== 'ERROR boom'), ['line-1', 'line-2', 'line-3', 'line-4', 'line-5', 'WARN slow']);
  assert.ok(lines.includes('ERROR boom'), 'the stderr line too');
  const streams = await aws(['describe-log-streams', '--log-group-name', group]);
  assert.ok(streams.logStreams.some((s: { logStreamName: string }) => s.logStreamName === stream));
  const filtered = await aws(['filter-log-events', '--log-group-name', group, '--filter-pattern', '?ERROR ?WARN']);
  assert.deepEqual(filtered.events.map((e: { message: string }) => e.message).sort(), ['ERROR boom', 'WARN slow']);
  const excluded = await aws(['filter-log-events', '--log-group-name', group, '--log-stream-names', stream, '--filter-pattern', 'line -line-3']);
  assert.deepEqual(excluded.events.map((e: { message: string }) => e.message), ['line-1', 'line-2', 'line-4', 'line-5']);
});

test('aws logs tail --follow sees a line written after it started', async (t) => {
  const { id } = await runTask('awslogs-tail', 'echo tail-ready; exec sleep 600');
  await waitFor(async () => ((await stored(`app/web/${id}`)).includes('tail-ready') ? true : undefined), { description: 'tail-ready stored', timeoutMs: 40_000, intervalMs: 500 });
  const tail: ChildProcess = spawn(AWS_CLI, ['--endpoint-url', c.endpoint, 'logs', 'tail', group, '--follow', '--format', 'short', '--log-stream-names', `app/web/${id}`], {
    // The CLI writes without flushing: through a pipe (not a terminal) Python would hold the lines in its buffer.
    env: { ...awsEnv(), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => tail.kill('SIGKILL'));
  let out = '';
  tail.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  tail.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor(() => (out.includes('tail-ready') ? true : undefined), { description: `tail printed the existing line (output: ${out})`, timeoutMs: 20_000, intervalMs: 100 });
  const [ctr] = await c.containers({ 'stevedore.task-id': id });
  assert.ok(ctr, 'the task container');
  // Written to the container's stdout (tini, PID 1) after the tail started.
  await docker(['exec', ctr.id, 'sh', '-c', 'echo followed-line > /proc/1/fd/1']);
  await waitFor(() => (out.includes('followed-line') ? true : undefined), { description: 'tail --follow printed the new line', timeoutMs: 25_000, intervalMs: 100 });
  tail.kill('SIGKILL');
});

test('the agent killed mid-stream and restarted: every line arrives (at-least-once); stevedore logs --follow tails the store meanwhile', async (t) => {
  const N = 60;
  const { id } = await runTask('awslogs-restart', `i=0; while [ $i -lt ${N} ]; do i=$((i+1)); echo seq-$i; usleep 100000; done; exec sleep 600`);
  const stream = `app/web/${id}`;
  await waitFor(async () => ((await stored(stream)).length >= 5 ? true : undefined), { description: 'the first lines stored', timeoutMs: 40_000, intervalMs: 200 });
  await c.stopAgent(0, 'SIGKILL');
  // With its agent away, `stevedore logs --follow` still answers: it tails the log store, not the agent.
  const follow = spawn(process.execPath, [CLI_BIN, '--endpoint', c.endpoint, '--cluster', c.name, 'logs', id, '--follow', '--tail', '0'], {
    env: { ...process.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, STEVEDORE_CREDENTIALS_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => follow.kill('SIGKILL'));
  let followed = '';
  follow.stdout.on('data', (b: Buffer) => (followed += b.toString()));
  follow.stderr.on('data', (b: Buffer) => (followed += b.toString()));
  await waitFor(() => (followed.includes('seq-1\n') ? true : undefined), { description: `stevedore logs --follow printed stored lines with the agent down (output: ${followed})`, timeoutMs: 15_000, intervalMs: 100 });
  await c.startAgent(0);
  const lines = await waitFor(
    async () => {
      const m = await stored(stream);
      return new Set(m).size >= N ? m : undefined;
    },
    { description: `all ${N} lines after the restart`, timeoutMs: 60_000, intervalMs: 500 },
  );
  const firsts = [...new Set(lines)];
  assert.deepEqual(firsts, Array.from({ length: N }, (_, i) => `seq-${i + 1}`), 'every line, first occurrences in order');
  await waitFor(() => (followed.includes(`seq-${N}\n`) ? true : undefined), { description: 'the follow printed the lines shipped after the restart', timeoutMs: 15_000, intervalMs: 100 });
  follow.kill('SIGKILL');
});

test('the control plane killed for a while: the lines written meanwhile arrive once it is back', async () => {
  const N = 40;
  const { id } = await runTask('awslogs-cp-away', `i=0; while [ $i -lt ${N} ]; do i=$((i+1)); echo away-$i; usleep 150000; done; exec sleep 600`);
  const stream = `app/web/${id}`;
  await waitFor(async () => ((await stored(stream)).length >= 3 ? true : undefined), { description: 'the first lines stored', timeoutMs: 40_000, intervalMs: 200 });
  await c.stopControlPlane('SIGKILL');
  // An outage long enough for the container to write most of its lines.
  await new Promise((r) => setTimeout(r, 3000));
  await c.startControlPlane();
  const lines = await waitFor(
    async () => {
      const m = await stored(stream);
      return new Set(m).size >= N ? m : undefined;
    },
    { description: `all ${N} lines after the control plane came back`, timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.deepEqual([...new Set(lines)], Array.from({ length: N }, (_, i) => `away-${i + 1}`));
});

test('mode: blocking delivers every line of a burst; non-blocking drops what does not fit max-buffer-size and the agent log counts every drop; max-buffer-size without non-blocking is refused', async () => {
  const refused = await c
    .call('RegisterTaskDefinition', { family: 'awslogs-bad-buffer', containerDefinitions: [{ name: 'web', image: TEST_IMAGE, memory: 16, logConfiguration: awslogs({ mode: 'blocking', 'max-buffer-size': '2k' }) }] })
    .then(() => assert.fail('accepted'), (e: any) => e);
  assert.match(refused.message, /max-buffer-size.*only supported with 'mode=non-blocking'/);

  // 2,000 lines in a few milliseconds, faster than one delivery a second can take them.
  const N = 2000;
  const burst = `i=0; while [ $i -lt ${N} ]; do i=$((i+1)); echo burst-$i; done`;
  const blocking = await runTask('awslogs-blocking', burst, awslogs({ mode: 'blocking' }));
  const nonBlocking = await runTask('awslogs-non-blocking', burst, awslogs({ mode: 'non-blocking', 'max-buffer-size': '2k' }));
  const all = await waitFor(async () => ((await stored(`app/web/${blocking.id}`)).length >= N ? await stored(`app/web/${blocking.id}`) : undefined), {
    description: `all ${N} lines of the blocking container`,
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  assert.deepEqual(all, Array.from({ length: N }, (_, i) => `burst-${i + 1}`), 'blocking: every line, in order, none twice');

  // Non-blocking: every line is either stored or counted as dropped in the agent's log, never silently lost.
  const droppedTotal = () =>
    readFileSync(c.logs.agents[0]!, 'utf8')
      .split('\n')
      .filter((l) => l.includes(nonBlocking.id) && l.includes('droppedEventsTotal'))
      .reduce((max, l) => Math.max(max, Number((JSON.parse(l) as { droppedEventsTotal: number }).droppedEventsTotal)), 0);
  const { kept, dropped } = await waitFor(
    async () => {
      const kept = await stored(`app/web/${nonBlocking.id}`);
      const dropped = droppedTotal();
      return dropped > 0 && kept.length + dropped === N ? { kept, dropped } : undefined;
    },
    { description: 'non-blocking: stored + dropped = written', timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.ok(kept.length >= 1 && dropped >= N / 2, `kept ${kept.length}, dropped ${dropped}`);
  assert.equal(kept[0], 'burst-1', 'what fitted is kept, in order; the newer lines were dropped, as Docker\'s ring buffer drops');
  assert.deepEqual(kept, [...kept].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6))));
});

test('a missing group without awslogs-create-group fails the task as ECS does', async () => {
  const { arn } = await runTask('awslogs-missing', 'echo never', { logDriver: 'awslogs', options: { 'awslogs-group': `/missing/${c.name}`, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' } });
  const task = await waitFor(
    async () => {
      const r = await c.call('DescribeTasks', { tasks: [arn] });
      return r.tasks[0]?.lastStatus === 'STOPPED' ? r.tasks[0] : undefined;
    },
    { description: 'the task STOPPED', timeoutMs: 40_000, intervalMs: 250 },
  );
  assert.equal(task.stopCode, 'TaskFailedToStart');
  assert.match(task.containers[0].reason, /^CannotStartContainerError: .*failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist\./);
});

test('PutLogEvents from an application, then retention prunes what is older than the group retention', async () => {
  const g = `/retention/${c.name}`;
  await aws(['create-log-group', '--log-group-name', g]);
  await aws(['create-log-stream', '--log-group-name', g, '--log-stream-name', 's']);
  const now = Date.now();
  await aws(['put-log-events', '--log-group-name', g, '--log-stream-name', 's', '--log-events', `timestamp=${now - 1000},message=old`, `timestamp=${now + 60_000},message=future`]);
  const before = await aws(['get-log-events', '--log-group-name', g, '--log-stream-name', 's', '--start-from-head']);
  assert.deepEqual(before.events.map((e: { message: string }) => e.message), ['old', 'future']);
  await aws(['put-retention-policy', '--log-group-name', g, '--retention-in-days', '1']);
  const after = await waitFor(
    async () => {
      const r = await c.call('GetLogEvents', { logGroupName: g, logStreamName: 's', startFromHead: true }, 'Logs_20140328');
      return r.events.length === 1 ? r : undefined;
    },
    { description: `events older than one (${DAY_SECONDS} s) day deleted`, timeoutMs: 30_000, intervalMs: 250 },
  );
  assert.equal(after.events[0].message, 'future');
  const described = await aws(['describe-log-groups', '--log-group-name-prefix', g]);
  assert.equal(described.logGroups[0].retentionInDays, 1);
  assert.equal(described.logGroups[0].storedBytes, Buffer.byteLength('future'));
});

test("ECS's documented Fargate task definition with its awslogs configuration: both containers' lines in the pre-created group", async () => {
  const fargateGroup = '/ecs/fargate-task-definition';
  await aws(['create-log-group', '--log-group-name', fargateGroup]);
  // The execution role writes the lines (the logs part of ECS's AmazonECSTaskExecutionRolePolicy).
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['*'] }] };
  await c.callStevedore('CreateRole', { roleName: 'ecsTaskExecutionRole', policyDocument: JSON.stringify(policy) });
  const logConfiguration = { logDriver: 'awslogs', options: { 'awslogs-group': fargateGroup, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } };
  const reg = await c.call('RegisterTaskDefinition', {
    family: 'fargate-task-definition',
    // Required with awslogs on Fargate: the execution role writes the logs.
    executionRoleArn: 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'sample-fargate-app',
        image: TEST_IMAGE,
        essential: true,
        entryPoint: ['sh', '-c'],
        command: ["mkdir -p /www && echo '<h1>Amazon ECS Sample App</h1>' > /www/index.html && echo httpd-starting && exec httpd -f -p 80 -h /www"],
        portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
        logConfiguration,
      },
      { name: 'sidecar', image: TEST_IMAGE, essential: false, command: ['sh', '-c', 'until wget -q -O - http://localhost/; do usleep 200000; done; exec sleep 3600'], logConfiguration },
    ],
  });
  const run = await c.call('RunTask', {
    taskDefinition: `${reg.taskDefinition.family}:${reg.taskDefinition.revision}`,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-12345678'], securityGroups: ['sg-12345678'], assignPublicIp: 'ENABLED' } },
  });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  const id = (run.tasks[0].taskArn as string).split('/').pop()!;
  fargateTaskIds.push(id);
  const get = async (container: string) => {
    const r = await c.call('GetLogEvents', { logGroupName: fargateGroup, logStreamName: `ecs/${container}/${id}`, startFromHead: true }, 'Logs_20140328').catch(() => ({ events: [] }));
    return (r.events as { message: string }[]).map((e) => e.message);
  };
  await waitFor(async () => ((await get('sample-fargate-app')).includes('httpd-starting') ? true : undefined), { description: 'the app line', timeoutMs: 60_000, intervalMs: 250 });
  // The sidecar fetched the page over the task's localhost and printed it.
  await waitFor(async () => ((await get('sidecar')).some((m) => m.includes('Amazon ECS Sample App')) ? true : undefined), { description: 'the sidecar line', timeoutMs: 30_000, intervalMs: 250 });
  await c.call('StopTask', { task: run.tasks[0].taskArn });
});
