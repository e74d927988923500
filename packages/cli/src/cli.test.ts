import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { ecsError, startFakeEcs, type FakeEcs } from './testing/fake-ecs-server';
import { instance, task, webTaskDefinition } from './testing/fixtures';

async function fakeWith(t: { after(fn: () => Promise<void>): void }, handlers: Parameters<typeof startFakeEcs>[0]): Promise<FakeEcs> {
  const fake = await startFakeEcs(handlers);
  t.after(() => fake.close());
  return fake;
}

test('endpoint comes from --endpoint, else STEVEDORE_ENDPOINT', async (t) => {
  const fake = await fakeWith(t, { ListClusters: () => ({ clusterArns: [] }) });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: 'http://127.0.0.1:1' } });
  assert.equal(await run(['--endpoint', fake.endpoint, 'cluster', 'list'], io), 0);
  assert.equal(fake.calls.length, 1);
  const io2 = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'list'], io2), 0);
  assert.equal(fake.calls.length, 2);
  assert.match(io2.err(), /no clusters/);
});

test('global options work before and after the subcommand', async (t) => {
  const fake = await fakeWith(t, {
    ListTasks: () => ({ taskArns: [task('t1').taskArn] }),
    DescribeTasks: () => ({ tasks: [task('t1')], failures: [] }),
  });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['task', 'list', '--cluster', 'prod', '--output', 'json', '--family', 'web'], io), 0);
  assert.deepEqual(fake.callsTo('ListTasks')[0]!.body, { cluster: 'prod', family: 'web' });
  assert.deepEqual(fake.callsTo('DescribeTasks')[0]!.body, { cluster: 'prod', tasks: [task('t1').taskArn] });
  const parsed = JSON.parse(io.out()) as { tasks: unknown[] };
  assert.equal(parsed.tasks.length, 1);

  const io2 = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['--cluster', 'other', 'task', 'list', '--desired-status', 'STOPPED'], io2), 0);
  assert.deepEqual(fake.callsTo('ListTasks')[1]!.body, { cluster: 'other', desiredStatus: 'STOPPED' });
  assert.match(io2.out(), /^TASK\s+DEFINITION/);
});

test('usage errors exit 2 with commander\'s message, before any API call', async (t) => {
  const fake = await fakeWith(t, {});
  for (const argv of [
    ['cluster', 'create'],
    ['--output', 'xml', 'cluster', 'list'],
    ['-o', 'json', '--query', 'clusters[?', 'cluster', 'list'],
    ['completion', 'fish'],
    ['run-task', 'web', '--count', '11'],
    ['run-task', 'web', '--count', 'two'],
    ['run-task', 'web', '--overrides', '{not json'],
    ['task-definition', 'deregister', 'web'],
    ['start-task', 'web'],
    ['no-such-command'],
  ]) {
    const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
    assert.equal(await run(argv, io), 2, argv.join(' '));
    assert.match(io.err(), /error/, argv.join(' '));
  }
  assert.equal(fake.calls.length, 0);
});

test('--help and --version exit 0', async () => {
  const io = captureIo();
  assert.equal(await run(['--help'], io), 0);
  assert.match(io.out(), /run-task/);
  const io2 = captureIo();
  assert.equal(await run(['--version'], io2), 0);
  // The same line as the control plane's and the agent's: program, version, commit.
  assert.match(io2.out(), /^stevedore \d+\.\d+\.\d+\S* \(commit \S+\)\n$/);
});

test('API errors print "error: <__type>: <message>" and exit 254 (the AWS CLI\'s code for a service error)', async (t) => {
  const fake = await fakeWith(t, { DeleteCluster: () => ecsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.') });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'delete', 'busy'], io), 254);
  assert.equal(io.err(), 'error: ClusterContainsTasksException: The Cluster cannot be deleted while Tasks are active.\n');
  assert.equal(io.out(), '');
});

test('an unreachable endpoint exits 255 (transport error) with a readable message', async () => {
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: 'http://127.0.0.1:1' } });
  assert.equal(await run(['cluster', 'list'], io), 255);
  assert.match(io.err(), /^error: cannot reach the Stevedore API at http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
});

test('list commands follow nextToken and describe in batches', async (t) => {
  const arn = (n: number) => `arn:aws:ecs:us-east-1:000000000000:cluster/c${n}`;
  const fake = await fakeWith(t, {
    ListClusters: (b) =>
      b.nextToken === undefined ? { clusterArns: [arn(1), arn(2)], nextToken: 'p2' } : { clusterArns: [arn(3)] },
    DescribeClusters: (b) => ({
      clusters: (b.clusters as string[]).map((a) => ({ clusterArn: a, clusterName: a.split('/')[1], status: 'ACTIVE', registeredContainerInstancesCount: 1, runningTasksCount: 2, pendingTasksCount: 0, activeServicesCount: 0 })),
      failures: [],
    }),
  });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['cluster', 'list'], io), 0);
  assert.deepEqual(fake.callsTo('ListClusters').map((c) => c.body), [{}, { nextToken: 'p2' }]);
  assert.deepEqual(fake.callsTo('DescribeClusters')[0]!.body, { clusters: [arn(1), arn(2), arn(3)] });
  assert.equal(io.out().trimEnd().split('\n').length, 4);
  assert.match(io.out(), /c3\s+ACTIVE\s+1\s+2\s+0\s+0/);
});

test('a server repeating its nextToken does not loop forever', async (t) => {
  const fake = await fakeWith(t, { ListTaskDefinitions: () => ({ taskDefinitionArns: ['x:1'], nextToken: 'same' }) });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['task-definition', 'list'], io), 1);
  assert.match(io.err(), /same nextToken twice/);
});

test('task-definition register reads a file, stdin, or a describe output', async (t) => {
  const fake = await fakeWith(t, { RegisterTaskDefinition: (b) => ({ taskDefinition: { ...webTaskDefinition, family: b.family } }) });
  const plain = JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web', image: 'x', memory: 64 }] });
  const described = JSON.stringify({ taskDefinition: { ...webTaskDefinition, family: 'again' }, tags: [{ key: 'k', value: 'v' }] });
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };

  const io = captureIo({ env, files: { 'td.json': plain } });
  assert.equal(await run(['task-definition', 'register', 'td.json'], io), 0);
  assert.deepEqual(fake.calls[0]!.body, JSON.parse(plain));
  assert.match(io.out(), /^registered web:1\n/);
  assert.match(io.out(), /web\s+stevedore-test\/busybox:latest\s+yes\s+-\s+64\s+dynamic->8080\/tcp/);

  assert.equal(await run(['task-definition', 'register', '-'], captureIo({ env, stdin: described })), 0);
  const body = fake.calls[1]!.body;
  assert.equal(body.family, 'again');
  for (const k of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt']) assert.ok(!(k in body), k);
  assert.deepEqual(body.tags, [{ key: 'k', value: 'v' }]);

  const bad = captureIo({ env, files: { 'bad.json': '{"family":' } });
  assert.equal(await run(['task-definition', 'register', 'bad.json'], bad), 2);
  assert.match(bad.err(), /bad\.json is not valid JSON/);
  const missing = captureIo({ env });
  assert.equal(await run(['task-definition', 'register', 'nope.json'], missing), 2);
  assert.match(missing.err(), /cannot read nope\.json: ENOENT/);
  assert.equal(fake.calls.length, 2);
});

test('task-definition describe and list', async (t) => {
  const fake = await fakeWith(t, {
    DescribeTaskDefinition: () => ({ taskDefinition: webTaskDefinition, tags: [] }),
    ListTaskDefinitions: () => ({ taskDefinitionArns: [webTaskDefinition.taskDefinitionArn] }),
  });
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['task-definition', 'describe', 'web'], io), 0);
  assert.match(io.out(), /Family:\s+web\nRevision:\s+1\n/);
  assert.match(io.out(), /sidecar\s+\S+\s+no\s+/);
  const io2 = captureIo({ env });
  assert.equal(await run(['task-definition', 'list', '--family-prefix', 'we', '--status', 'ACTIVE'], io2), 0);
  assert.deepEqual(fake.callsTo('ListTaskDefinitions')[0]!.body, { familyPrefix: 'we', status: 'ACTIVE' });
  assert.match(io2.out(), /web:1\s+web\s+1\s+arn:aws:ecs:/);
});

test('instance list and describe show used and free resources', async (t) => {
  const fake = await fakeWith(t, {
    ListContainerInstances: () => ({ containerInstanceArns: [instance('i1').containerInstanceArn] }),
    DescribeContainerInstances: (b) => {
      const ids = b.containerInstances as string[];
      return ids.includes('missing')
        ? { containerInstances: [], failures: [{ arn: 'missing', reason: 'MISSING' }] }
        : { containerInstances: [instance('i1')], failures: [] };
    },
  });
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['instance', 'list'], io), 0);
  assert.match(io.out(), /INSTANCE\s+HOST\s+STATUS\s+AGENT\s+CPU USED\/TOTAL\s+CPU FREE\s+MEM USED\/TOTAL\s+MEM FREE\s+RUNNING\s+PENDING/);
  assert.match(io.out(), /i1\s+host-i1\s+ACTIVE\s+connected\s+256\/2048\s+1792\s+64\/3900\s+3836\s+1\s+0/);
  const io2 = captureIo({ env });
  assert.equal(await run(['instance', 'describe', 'i1'], io2), 0);
  assert.match(io2.out(), /Agent connected:\s+true/);
  const io3 = captureIo({ env });
  assert.equal(await run(['instance', 'describe', 'missing'], io3), 1);
  assert.equal(io3.err(), 'failure: missing: MISSING\n');
});

test('task describe prints failures for unknown tasks and exits 1', async (t) => {
  const fake = await fakeWith(t, {
    DescribeTasks: () => ({ tasks: [task('t1')], failures: [{ arn: 'nope', reason: 'MISSING' }] }),
  });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['task', 'describe', 't1', 'nope'], io), 1);
  assert.deepEqual(fake.calls[0]!.body, { cluster: 'default', tasks: ['t1', 'nope'], include: ['TAGS'] });
  assert.match(io.out(), /Task:\s+t1\n/);
  assert.equal(io.err(), 'failure: nope: MISSING\n');
});

test('the CA bundle for an https endpoint comes from --ca-bundle, else AWS_CA_BUNDLE, and is read only for https', async (t) => {
  const env = { STEVEDORE_ENDPOINT: 'https://127.0.0.1:1', AWS_CA_BUNDLE: '/from-env.pem' };
  const byFlag = captureIo({ env });
  assert.equal(await run(['--ca-bundle', '/from-flag.pem', 'cluster', 'list'], byFlag), 255);
  assert.equal(byFlag.err(), 'error: cannot read the CA bundle: ENOENT: /from-flag.pem\n');
  const byEnv = captureIo({ env });
  assert.equal(await run(['cluster', 'list'], byEnv), 255);
  assert.equal(byEnv.err(), 'error: cannot read the CA bundle: ENOENT: /from-env.pem\n');
  // Plain HTTP needs no bundle: a missing one is not even opened.
  const fake = await fakeWith(t, { ListClusters: () => ({ clusterArns: [] }) });
  const plain = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint, AWS_CA_BUNDLE: '/from-env.pem' } });
  assert.equal(await run(['cluster', 'list'], plain), 0);
});
