/**
 * Compatibility: Debian's AWS CLI (/usr/bin/aws, v2.9) drives a full ECS
 * lifecycle against a real control plane and one agent on real Docker:
 * cluster, task definition, service create / update / scale / delete,
 * run-task and stop-task, deregister. Each answer is also checked against
 * the model's response shape. The CLI's 2.9 model predates
 * DeleteTaskDefinitions and the deployment history operations: those are
 * covered by ecs-examples.test.ts through the protocol directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CLI_BIN } from '../helpers/cluster';
import { compatCluster } from './compat-cluster';
import { awsCli } from '../helpers/aws-cli';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';
import { ecsShapes } from './smithy-shape';

const shapes = ecsShapes();

const shared = compatCluster();

/** `aws ecs <command>`, its answer checked against `<Operation>Response`. */
async function ecs(operation: string, command: string, args: string[]): Promise<any> {
  const answer = await awsCli(shared.c, ['ecs', command, ...args]);
  assert.deepEqual(shapes.validate(`${operation}Response`, answer, { cliOutput: true }), [], `aws ecs ${command}: the answer follows the model`);
  return answer;
}

async function runningCount(service: string): Promise<number> {
  const s = (await ecs('DescribeServices', 'describe-services', ['--cluster', shared.c.name, '--services', service])).services[0];
  return s.runningCount === s.desiredCount && s.pendingCount === 0 ? s.runningCount : -1;
}

test('aws ecs: cluster, task definition, service create/update/scale/delete, run-task, stop-task, deregister', async () => {
  const cluster = (await ecs('CreateCluster', 'create-cluster', ['--cluster-name', 'awscli-extra', '--settings', 'name=containerInsights,value=enabled'])).cluster;
  assert.equal(cluster.status, 'ACTIVE');
  assert.ok((await ecs('ListClusters', 'list-clusters', [])).clusterArns.includes(cluster.clusterArn));
  const containers = JSON.stringify([{ name: 'app', image: TEST_IMAGE, memory: 32, command: ['sleep', '3600'], essential: true }]);
  const td = (await ecs('RegisterTaskDefinition', 'register-task-definition', ['--family', 'awscli-app', '--container-definitions', containers])).taskDefinition;
  assert.equal(td.revision, 1);
  const td2 = (await ecs('RegisterTaskDefinition', 'register-task-definition', ['--family', 'awscli-app', '--container-definitions', containers.replace('3600', '3601')])).taskDefinition;
  assert.equal(td2.revision, 2);
  assert.deepEqual((await ecs('ListTaskDefinitions', 'list-task-definitions', ['--family-prefix', 'awscli-app'])).taskDefinitionArns, [td.taskDefinitionArn, td2.taskDefinitionArn]);

  const svc = (await ecs('CreateService', 'create-service', ['--cluster', shared.c.name, '--service-name', 'awscli-svc', '--task-definition', 'awscli-app:1', '--desired-count', '1'])).service;
  assert.equal(svc.status, 'ACTIVE');
  await waitFor(async () => ((await runningCount('awscli-svc')) === 1 ? true : undefined), { description: 'service at 1 running', timeoutMs: 90_000, intervalMs: 500 });
  const updated = (await ecs('UpdateService', 'update-service', ['--cluster', shared.c.name, '--service', 'awscli-svc', '--task-definition', 'awscli-app:2'])).service;
  assert.equal(updated.taskDefinition, td2.taskDefinitionArn);
  const scaled = (await ecs('UpdateService', 'update-service', ['--cluster', shared.c.name, '--service', 'awscli-svc', '--desired-count', '2'])).service;
  assert.equal(scaled.desiredCount, 2);
  await waitFor(
    async () => {
      const s = (await ecs('DescribeServices', 'describe-services', ['--cluster', shared.c.name, '--services', 'awscli-svc'])).services[0];
      return s.runningCount === 2 && s.deployments.length === 1 && s.deployments[0].rolloutState === 'COMPLETED' ? true : undefined;
    },
    { description: 'service at 2 running on revision 2', timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.deepEqual((await ecs('DescribeTaskSets', 'describe-task-sets', ['--cluster', shared.c.name, '--service', 'awscli-svc'])).taskSets, []);

  const run = await ecs('RunTask', 'run-task', ['--cluster', shared.c.name, '--task-definition', 'awscli-app:1', '--started-by', 'awscli']);
  assert.deepEqual(run.failures, []);
  const taskArn = run.tasks[0].taskArn as string;
  assert.deepEqual((await ecs('ListTasks', 'list-tasks', ['--cluster', shared.c.name, '--started-by', 'awscli'])).taskArns, [taskArn]);
  const stopped = (await ecs('StopTask', 'stop-task', ['--cluster', shared.c.name, '--task', taskArn, '--reason', 'done'])).task;
  assert.equal(stopped.desiredStatus, 'STOPPED');
  await waitFor(async () => ((await ecs('DescribeTasks', 'describe-tasks', ['--cluster', shared.c.name, '--tasks', taskArn])).tasks[0].lastStatus === 'STOPPED' ? true : undefined), {
    description: 'run-task task STOPPED',
    timeoutMs: 60_000,
    intervalMs: 300,
  });

  await ecs('UpdateService', 'update-service', ['--cluster', shared.c.name, '--service', 'awscli-svc', '--desired-count', '0']);
  const deleted = (await ecs('DeleteService', 'delete-service', ['--cluster', shared.c.name, '--service', 'awscli-svc'])).service;
  assert.equal(deleted.status, 'DRAINING');
  const dereg = (await ecs('DeregisterTaskDefinition', 'deregister-task-definition', ['--task-definition', 'awscli-app:1'])).taskDefinition;
  assert.equal(dereg.status, 'INACTIVE');
  assert.deepEqual((await ecs('ListTaskDefinitions', 'list-task-definitions', ['--family-prefix', 'awscli-app', '--status', 'INACTIVE'])).taskDefinitionArns, [td.taskDefinitionArn]);
  await ecs('UpdateCluster', 'update-cluster', ['--cluster', 'awscli-extra', '--settings', 'name=containerInsights,value=disabled']);
  await ecs('PutAccountSetting', 'put-account-setting', ['--name', 'containerInsights', '--value', 'enabled']);
  const listed = await ecs('ListAccountSettings', 'list-account-settings', ['--name', 'containerInsights']);
  assert.deepEqual(listed.settings.map((s: { value: string }) => s.value), ['enabled']);
  assert.equal((await ecs('DeleteCluster', 'delete-cluster', ['--cluster', 'awscli-extra'])).cluster.status, 'INACTIVE');
});

test('aws ecs: tags round-trip (tag-resource, list-tags-for-resource, untag-resource)', async () => {
  const arn = (await ecs('CreateCluster', 'create-cluster', ['--cluster-name', 'awscli-tags'])).cluster.clusterArn as string;
  await awsCli(shared.c, ['ecs', 'tag-resource', '--resource-arn', arn, '--tags', 'key=team,value=dev']);
  assert.deepEqual((await ecs('ListTagsForResource', 'list-tags-for-resource', ['--resource-arn', arn])).tags, [{ key: 'team', value: 'dev' }]);
  await awsCli(shared.c, ['ecs', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'team']);
  assert.deepEqual((await ecs('ListTagsForResource', 'list-tags-for-resource', ['--resource-arn', arn])).tags, []);
});

/** The real `stevedore` process with only the environment given (no --endpoint): what a shell set up for the AWS CLI has. */
function stevedore(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_SHARED_CREDENTIALS_FILE: shared.c.adminCredentialsFile, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('one environment drives the AWS CLI and stevedore: AWS_ENDPOINT_URL_ECS, -o yaml, --query, -q, exit codes', async () => {
  const env = { AWS_ENDPOINT_URL_ECS: shared.c.endpoint, AWS_ENDPOINT_URL: 'http://127.0.0.1:1', STEVEDORE_CLUSTER: shared.c.name };
  const arns = (await awsCli(shared.c, ['ecs', 'list-clusters'])).clusterArns as string[];
  const ids = await stevedore(['cluster', 'ls', '-q'], env);
  assert.equal(ids.code, 0, ids.stderr);
  assert.deepEqual(ids.stdout.trim().split('\n').sort(), [...arns].sort());
  const yaml = await stevedore(['task-definition', 'get', 'awscli-app:2', '-o', 'yaml'], env);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^taskDefinition:\n {2}family: awscli-app\n/);
  assert.match(yaml.stdout, /\n {2}taskDefinitionArn: arn:aws:ecs:[^\n]*task-definition\/awscli-app:2\n/);
  const query = await stevedore(['instance', 'ls', '--query', 'containerInstances[].status'], env);
  assert.equal(query.code, 0, query.stderr);
  assert.deepEqual(JSON.parse(query.stdout), ['ACTIVE']);
  const apiError = await stevedore(['service', 'get', 'no-such-service', '--cluster', 'no-such-cluster'], env);
  assert.equal(apiError.code, 254, apiError.stderr);
  assert.match(apiError.stderr, /^error: ClusterNotFoundException: /);
  const transport = await stevedore(['cluster', 'ls'], { ...env, AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:1' });
  assert.equal(transport.code, 255, transport.stderr);
  assert.match(transport.stderr, /cannot reach the Stevedore API at http:\/\/127\.0\.0\.1:1/);
});
