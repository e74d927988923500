import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import { container, task, webTaskDefinition } from './testing/fixtures';
import type { EcsTask } from './ecs-types';

const binding = { bindIP: '127.0.0.1', hostPort: 32768, containerPort: 8080, protocol: 'tcp' };

/** A fake whose DescribeTasks walks through the given snapshots, then repeats the last. */
async function fakeRun(t: { after(fn: () => Promise<void>): void }, snapshots: EcsTask[][], runReply?: object) {
  let polls = 0;
  const fake = await startFakeEcs({
    RunTask: () => runReply ?? { tasks: snapshots[0], failures: [] },
    StartTask: () => runReply ?? { tasks: snapshots[0], failures: [] },
    StopTask: () => ({ task: snapshots[0]![0] }),
    DescribeTasks: () => ({ tasks: snapshots[Math.min(++polls, snapshots.length - 1)], failures: [] }),
    DescribeTaskDefinition: () => ({ taskDefinition: webTaskDefinition }),
  });
  t.after(() => fake.close());
  return fake;
}

test('run-task sends the ECS request and prints PENDING tasks without --wait', async (t) => {
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PROVISIONING' })]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  const argv = ['run-task', 'web:1', '--count', '1', '--started-by', 'ci', '--group', 'g', '--overrides', '{"containerOverrides":[{"name":"web","command":["true"]}]}', '--cluster', 'c1'];
  assert.equal(await run(argv, io), 0);
  assert.deepEqual(fake.callsTo('RunTask')[0]!.body, {
    cluster: 'c1',
    taskDefinition: 'web:1',
    startedBy: 'ci',
    group: 'g',
    overrides: { containerOverrides: [{ name: 'web', command: ['true'] }] },
    count: 1,
  });
  assert.equal(fake.callsTo('DescribeTasks').length, 0);
  assert.match(io.out(), /t1\s+web:1\s+PROVISIONING/);
});

test('run-task --wait polls with backoff until RUNNING and prints the URL', async (t) => {
  const pending = task('t1', { lastStatus: 'PENDING', containers: [container({ lastStatus: 'PENDING' })] });
  const running = task('t1', { containers: [container({ networkBindings: [binding] })] });
  const fake = await fakeRun(t, [[pending], [pending], [pending], [running]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 0);
  assert.equal(fake.callsTo('DescribeTasks').length, 3);
  assert.equal(io.slept(), 250 + 375, 'two backoff sleeps between three polls');
  assert.match(io.out(), /t1\s+web:1\s+RUNNING\s+-\s+127\.0\.0\.1:32768->8080\s/);
  assert.equal(io.err(), '', 'no progress line when stderr is not a terminal');
});

test('run-task --wait shows a progress line on a terminal and clears it', async (t) => {
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })], [task('t1', { lastStatus: 'PENDING' })], [task('t1')]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint }, tty: true });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 0);
  assert.match(io.err(), /\r\x1b\[2Kwaiting for 1 task\(s\) to reach RUNNING: 1 PENDING \(0s\)/);
  assert.ok(io.err().endsWith('\r\x1b[2K'));
});

test('run-task --wait exits with the essential container\'s exit code when the task stopped', async (t) => {
  const stopped = task('t1', {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [container({ name: 'sidecar', lastStatus: 'STOPPED', exitCode: 0 }), container({ name: 'web', lastStatus: 'STOPPED', exitCode: 3 })],
  });
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })], [stopped]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 3);
  assert.equal(fake.callsTo('DescribeTaskDefinition')[0]!.body.taskDefinition, stopped.taskDefinitionArn);
  assert.match(io.err(), /task t1 stopped \(EssentialContainerExited\): Essential container in task exited/);
});

test('run-task --wait-stopped waits past RUNNING; exit 0 for a clean batch task', async (t) => {
  const done = task('t1', { lastStatus: 'STOPPED', containers: [container({ lastStatus: 'STOPPED', exitCode: 0 })] });
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })], [task('t1')], [task('t1')], [done]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait-stopped', '--output', 'json'], io), 0);
  assert.equal(fake.callsTo('DescribeTasks').length, 3);
  const out = JSON.parse(io.out()) as { tasks: EcsTask[]; failures: unknown[] };
  assert.equal(out.tasks[0]!.lastStatus, 'STOPPED');
  assert.deepEqual(out.failures, []);
  assert.equal(io.err(), '', 'a clean batch run needs no stop explanation');
});

test('a task that failed to start has no exit code: exit 1', async (t) => {
  const failed = task('t1', {
    lastStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    stoppedReason: 'CannotPullContainerError: image not found',
    containers: [container({ lastStatus: 'STOPPED', reason: 'CannotPullContainerError: image not found' })],
  });
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })], [failed]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 1);
  assert.match(io.err(), /TaskFailedToStart\): CannotPullContainerError/);
});

test('placement failures go to stderr; none placed means exit 1', async (t) => {
  const fake = await fakeRun(t, [[]], {
    tasks: [],
    failures: [{ arn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1', reason: 'RESOURCE:MEMORY' }],
  });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 1);
  assert.equal(io.err(), 'failure: i1: RESOURCE:MEMORY\n');
  assert.equal(fake.callsTo('DescribeTasks').length, 0);
});

test('--timeout ends the wait with exit 124 and shows the last state', async (t) => {
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait', '--timeout', '2'], io), 124);
  assert.match(io.err(), /error: timed out after 2s waiting for RUNNING: t1 is PENDING/);
  assert.match(io.out(), /t1\s+web:1\s+PENDING/);
  assert.ok(io.slept() <= 2000, `slept ${io.slept()} ms, past the deadline`);
});

test('a task not yet visible to DescribeTasks is waited for, not failed', async (t) => {
  let polls = 0;
  const fake = await startFakeEcs({
    RunTask: () => ({ tasks: [task('t1', { lastStatus: 'PROVISIONING' })], failures: [] }),
    DescribeTasks: () => (++polls === 1 ? { tasks: [], failures: [{ arn: task('t1').taskArn, reason: 'MISSING' }] } : { tasks: [task('t1')], failures: [] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 0);
  assert.equal(polls, 2);
});

test('Ctrl-C during a wait exits 130', async (t) => {
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PENDING' })]]);
  const ac = new AbortController();
  ac.abort();
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint }, signal: ac.signal });
  assert.equal(await run(['run-task', 'web', '--wait'], io), 130);
});

test('start-task passes the instances; task stop --wait waits for STOPPED', async (t) => {
  const stopped = task('t1', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'bye' });
  const fake = await fakeRun(t, [[task('t1')], [task('t1', { lastStatus: 'STOPPING' })], [stopped]]);
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  assert.equal(await run(['start-task', 'web', '--instance', 'i1,i2', '--instance', 'i3'], captureIo({ env })), 0);
  assert.deepEqual(fake.callsTo('StartTask')[0]!.body, { cluster: 'default', taskDefinition: 'web', containerInstances: ['i1', 'i2', 'i3'] });
  const io = captureIo({ env });
  assert.equal(await run(['task', 'stop', 't1', '--reason', 'bye', '--wait'], io), 0);
  assert.deepEqual(fake.callsTo('StopTask')[0]!.body, { cluster: 'default', task: 't1', reason: 'bye' });
  assert.match(io.out(), /t1\s+web:1\s+STOPPED/);
});

test('run-task FARGATE members: launch type or capacity providers, platform version and awsvpc network configuration', async (t) => {
  const fake = await fakeRun(t, [[task('t1', { lastStatus: 'PROVISIONING' })]]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  const argv = ['run-task', 'web', '--launch-type', 'FARGATE', '--platform-version', 'LATEST', '--subnets', 'subnet-1,subnet-2', '--security-groups', 'sg-1', '--assign-public-ip', '--cluster', 'c1'];
  assert.equal(await run(argv, io), 0);
  assert.deepEqual(fake.callsTo('RunTask')[0]!.body, {
    cluster: 'c1',
    taskDefinition: 'web',
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
    count: 1,
  });
  assert.equal(await run(['run-task', 'web', '--capacity-provider', 'FARGATE:1:1', '--capacity-provider', 'FARGATE_SPOT:3', '--subnets', 's', '--cluster', 'c1'], io), 0);
  assert.deepEqual(fake.callsTo('RunTask')[1]!.body['capacityProviderStrategy'], [
    { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    { capacityProvider: 'FARGATE_SPOT', weight: 3 },
  ]);
  assert.notEqual(await run(['run-task', 'web', '--launch-type', 'EXTERNAL'], io), 0);
});

test('interrupt-spot sends InterruptSpotTasks for the cluster', async (t) => {
  const fake = await startFakeEcs({ InterruptSpotTasks: () => ({ interruptedTasks: ['arn:aws:ecs:us-east-1:1:task/c1/abc'] }) });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['interrupt-spot', '--count', '2', '--cluster', 'c1'], io), 0);
  assert.deepEqual(fake.callsTo('InterruptSpotTasks')[0]!.body, { cluster: 'c1', count: 2 });
  assert.match(io.out(), /interrupted arn:aws:ecs:us-east-1:1:task\/c1\/abc/);
});
