/** The CLI-wide options: output formats, --query, -q, aliases, endpoints from the environment, completion, help width. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { run } from './cli';
import { resolveEndpoints } from './context';
import { captureIo } from './testing/capture-io';
import { startFakeEcs, type FakeEcs } from './testing/fake-ecs-server';
import { task } from './testing/fixtures';
import { idsOf } from './output/structured';

async function fakeWith(t: { after(fn: () => Promise<void>): void }, handlers: Parameters<typeof startFakeEcs>[0]): Promise<FakeEcs> {
  const fake = await startFakeEcs(handlers);
  t.after(() => fake.close());
  return fake;
}

const tasksApi = {
  ListTasks: () => ({ taskArns: [task('t1').taskArn, task('t2').taskArn] }),
  DescribeTasks: () => ({ tasks: [task('t1'), task('t2', { lastStatus: 'PENDING' })], failures: [] }),
};

test('-o json, -o yaml and --output print the same document', async (t) => {
  const fake = await fakeWith(t, tasksApi);
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const json = captureIo({ env });
  assert.equal(await run(['task', 'list', '-o', 'json'], json), 0);
  const yaml = captureIo({ env });
  assert.equal(await run(['-o', 'yaml', 'task', 'list'], yaml), 0);
  const long = captureIo({ env });
  assert.equal(await run(['task', 'list', '--output=json'], long), 0);
  const doc = JSON.parse(json.out()) as { tasks: { taskArn: string }[] };
  assert.deepEqual(doc.tasks.map((x) => x.taskArn), [task('t1').taskArn, task('t2').taskArn]);
  assert.deepEqual(parseYaml(yaml.out()), doc);
  assert.equal(long.out(), json.out());
  const byEnv = captureIo({ env: { ...env, STEVEDORE_OUTPUT: 'yaml' } });
  assert.equal(await run(['task', 'list'], byEnv), 0);
  assert.equal(byEnv.out(), yaml.out());
});

test('--query applies JMESPath to the JSON answer, as the AWS CLI does', async (t) => {
  const fake = await fakeWith(t, tasksApi);
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['task', 'list', '--query', 'tasks[?lastStatus==`PENDING`].taskArn'], io), 0);
  assert.deepEqual(JSON.parse(io.out()), [task('t2').taskArn]);
  const y = captureIo({ env });
  assert.equal(await run(['task', 'list', '-o', 'yaml', '--query', 'length(tasks)'], y), 0);
  assert.equal(y.out(), '2\n');
  const bad = captureIo({ env });
  assert.equal(await run(['task', 'list', '--query', 'tasks[?'], bad), 2);
  assert.match(bad.err(), /--query is not a valid JMESPath expression/);
  assert.equal(fake.callsTo('ListTasks').length, 2, 'a bad query makes no API call');
});

test('-q prints identifiers only, one a line; with --query, the identifiers of what it selects', async (t) => {
  const fake = await fakeWith(t, tasksApi);
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  assert.equal(await run(['task', 'ls', '-q'], io), 0);
  assert.equal(io.out(), `${task('t1').taskArn}\n${task('t2').taskArn}\n`);
  const sel = captureIo({ env });
  assert.equal(await run(['task', 'ls', '-q', '--query', 'tasks[?lastStatus==`RUNNING`]'], sel), 0);
  assert.equal(sel.out(), `${task('t1').taskArn}\n`);
});

test('idsOf picks each result\'s ARN, else its id or name, and skips failures', () => {
  assert.deepEqual(idsOf({ clusters: [{ clusterName: 'a', clusterArn: 'arn:c/a', status: 'ACTIVE' }], failures: [{ arn: 'x', reason: 'MISSING' }] }), ['arn:c/a']);
  assert.deepEqual(idsOf({ taskDefinitionArns: ['arn:td/web:1', 'arn:td/web:2'], nextToken: 'n' }), ['arn:td/web:1', 'arn:td/web:2']);
  assert.deepEqual(idsOf({ service: { serviceName: 's', clusterArn: 'arn:cluster', serviceArn: 'arn:service/s' } }), ['arn:service/s']);
  assert.deepEqual(idsOf({ LoadBalancers: [{ LoadBalancerName: 'lb', DNSName: 'x', LoadBalancerArn: 'arn:lb' }] }), ['arn:lb']);
  assert.deepEqual(idsOf({ fileSystems: [{ name: 'data', fileSystemId: 'fs-1' }] }), ['fs-1']);
  assert.deepEqual(idsOf(['a', 'b']), ['a', 'b']);
  assert.deepEqual(idsOf(null), []);
});

test('ls, rm and get are aliases of list, delete and describe throughout the tree', async (t) => {
  const fake = await fakeWith(t, {
    ListClusters: () => ({ clusterArns: [] }),
    DeleteCluster: () => ({ cluster: { clusterName: 'x', clusterArn: 'arn:x', status: 'INACTIVE' } }),
    DescribeTasks: () => ({ tasks: [task('t1')], failures: [] }),
  });
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  assert.equal(await run(['cluster', 'ls'], captureIo({ env })), 0);
  assert.equal(await run(['cluster', 'rm', 'x'], captureIo({ env })), 0);
  const get = captureIo({ env });
  assert.equal(await run(['task', 'get', 't1'], get), 0);
  assert.match(get.out(), /Task:\s+t1/);
  assert.deepEqual(fake.calls.map((c) => c.operation), ['ListClusters', 'DeleteCluster', 'DescribeTasks']);
  const help = captureIo();
  assert.equal(await run(['service', '--help'], help), 0);
  assert.match(help.out(), /list\|ls/);
  assert.match(help.out(), /delete\|rm/);
});

test('endpoint precedence: --endpoint > STEVEDORE_ENDPOINT > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > default', () => {
  const ecs = 'AmazonEC2ContainerServiceV20141113';
  const aas = 'AnyScaleFrontendService';
  const env = { STEVEDORE_ENDPOINT: 'http://s:1', AWS_ENDPOINT_URL_ECS: 'http://e:2', AWS_ENDPOINT_URL: 'http://a:3', AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: 'http://aas:4' };
  assert.deepEqual(resolveEndpoints('http://flag:0', env), { endpoint: 'http://flag:0', serviceEndpoints: {} });
  assert.deepEqual(resolveEndpoints(undefined, env), { endpoint: 'http://s:1', serviceEndpoints: {} });
  const { STEVEDORE_ENDPOINT: _, ...noStevedore } = env;
  const r = resolveEndpoints(undefined, noStevedore);
  assert.equal(r.endpoint, 'http://e:2');
  assert.equal(r.serviceEndpoints[ecs], 'http://e:2');
  assert.equal(r.serviceEndpoints[aas], 'http://aas:4');
  assert.equal(r.serviceEndpoints.GraniteServiceVersion20100801, 'http://a:3');
  assert.equal(resolveEndpoints(undefined, { AWS_ENDPOINT_URL: 'http://a:3' }).endpoint, 'http://a:3');
  assert.equal(resolveEndpoints(undefined, {}).endpoint, 'http://127.0.0.1:8080');
});

test('AWS_ENDPOINT_URL_ECS drives stevedore as it drives the AWS CLI', async (t) => {
  const fake = await fakeWith(t, { ListClusters: () => ({ clusterArns: [] }) });
  const io = captureIo({ env: { AWS_ENDPOINT_URL_ECS: fake.endpoint, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' } });
  assert.equal(await run(['cluster', 'list'], io), 0, io.err());
  assert.equal(fake.calls.length, 1);
  const all = captureIo({ env: { AWS_ENDPOINT_URL: fake.endpoint } });
  assert.equal(await run(['cluster', 'list'], all), 0, all.err());
  assert.equal(fake.calls.length, 2);
});

test('completion bash is generated from the command tree', async () => {
  const io = captureIo();
  assert.equal(await run(['completion', 'bash'], io), 0);
  const script = io.out();
  assert.match(script, /complete -F _stevedore stevedore/);
  assert.match(script, /"service"\) echo [^\n]*\bcreate\b[^\n]*\bls\b/);
  assert.match(script, /"task-definition"\) echo [^\n]*\bregister\b/);
  assert.match(script, /"service ls"\) echo/);
  assert.match(script, /--cluster/);
});

test('help is wrapped at the terminal width', async () => {
  // Commander wraps descriptions when their column keeps at least 40 characters: 80 columns and up.
  const narrow = captureIo();
  (narrow.stdout as { isTTY?: boolean; columns?: number }).isTTY = true;
  (narrow.stdout as { isTTY?: boolean; columns?: number }).columns = 90;
  assert.equal(await run(['--help'], narrow), 0);
  const lines = narrow.out().split('\n');
  assert.ok(lines.every((l) => l.length <= 90), lines.find((l) => l.length > 90));
  const byEnv = captureIo({ env: { COLUMNS: '200' } });
  assert.equal(await run(['--help'], byEnv), 0);
  assert.ok(byEnv.out().split('\n').some((l) => l.length > 100), 'COLUMNS widens the help when not on a terminal');
});

test('task commands take the short ids tables show: a unique prefix resolves, an ambiguous one is usage', async (t) => {
  const fake = await fakeWith(t, {
    ListTasks: (b) => ({ taskArns: b.desiredStatus === 'RUNNING' ? [task('0123456789abcdef0123456789abcdef').taskArn, task('0123ffff89abcdef0123456789abcdef').taskArn] : [] }),
    StopTask: (b) => ({ task: task(String(b.task).split('/').pop()!, { desiredStatus: 'STOPPED' }) }),
  });
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  assert.equal(await run(['task', 'stop', '0123456789ab'], captureIo({ env })), 0);
  assert.equal(fake.callsTo('StopTask')[0]!.body['task'], task('0123456789abcdef0123456789abcdef').taskArn);
  const ambiguous = captureIo({ env });
  assert.equal(await run(['task', 'stop', '0123'], ambiguous), 2);
  assert.match(ambiguous.err(), /task id 0123 is ambiguous/);
  assert.equal(fake.callsTo('StopTask').length, 1);
});

test('service list passes --launch-type and --scheduling-strategy to ListServices', async (t) => {
  const fake = await fakeWith(t, { ListServices: () => ({ serviceArns: [] }) });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['service', 'ls', '--launch-type', 'EXTERNAL', '--scheduling-strategy', 'DAEMON'], io), 0);
  assert.deepEqual(fake.callsTo('ListServices')[0]!.body, { cluster: 'default', launchType: 'EXTERNAL', schedulingStrategy: 'DAEMON' });
});
