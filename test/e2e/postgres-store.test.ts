import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { waitFor } from '../helpers/wait-for';

// The control plane on the PostgreSQL store (`--store postgres://...`), with
// two agents on the real dockerd: a task runs, a service reaches its count,
// and after a restart of the control plane everything is as it was, read back
// from PostgreSQL. The database is a throwaway server's (test/helpers/postgres.ts).

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let pg: PostgresServer;

before(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('stevedore');
  c = await startCluster({ agents: 2, test: hooks, readyTimeoutMs: 60_000, hostIp: (i) => `127.0.7.${2 + i}`, controlPlaneArgs: ['--store', url] });
  await c.call('RegisterTaskDefinition', {
    family: 'sleeper',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
  await pg?.stop();
});

async function task(arn: string): Promise<any> {
  return (await c.call('DescribeTasks', { tasks: [arn] })).tasks[0];
}

function serviceSteady(desired: number): Promise<any> {
  return waitFor(
    async () => {
      const s = (await c.call('DescribeServices', { services: ['web'] })).services[0];
      return s.runningCount === desired && s.pendingCount === 0 ? s : undefined;
    },
    { description: `service web steady with ${desired} RUNNING`, timeoutMs: 90_000, intervalMs: 250 },
  );
}

test('on PostgreSQL: a task runs and a service reaches its count; after a control-plane restart the same state is read back and the same containers run on', async () => {
  const run = await c.call('RunTask', { taskDefinition: 'sleeper', startedBy: 'pg-e2e' });
  assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
  const solo = run.tasks[0].taskArn as string;
  await waitFor(async () => ((await task(solo)).lastStatus === 'RUNNING' ? true : undefined), { description: 'the task RUNNING', timeoutMs: 60_000, intervalMs: 200 });

  await c.call('CreateService', { serviceName: 'web', taskDefinition: 'sleeper', desiredCount: 2 });
  await serviceSteady(2);
  const containersBefore = (await c.containers()).filter((x) => x.state === 'running').map((x) => x.id).sort();
  assert.equal(containersBefore.length, 3, 'the task and two service tasks run in Docker');
  const tasksBefore = ((await c.call('ListTasks', {})).taskArns as string[]).sort();
  const instancesBefore = (await c.instances()).map((i) => i.containerInstanceArn as string).sort();

  await c.restartControlPlane();
  await c.waitForAgents([0, 1], 60_000);

  // State intact: every row comes back from PostgreSQL, and nothing was restarted or replaced.
  assert.deepEqual(((await c.call('ListTasks', {})).taskArns as string[]).sort(), tasksBefore);
  assert.deepEqual((await c.instances()).map((i) => i.containerInstanceArn as string).sort(), instancesBefore);
  const t = await task(solo);
  assert.equal(t.lastStatus, 'RUNNING');
  assert.equal(t.startedBy, 'pg-e2e');
  const s = await serviceSteady(2);
  assert.equal(s.taskDefinition.endsWith('sleeper:1'), true);
  const containersAfter = (await c.containers()).filter((x) => x.state === 'running').map((x) => x.id).sort();
  assert.deepEqual(containersAfter, containersBefore, 'the same containers run on');

  // And it keeps working: a scale-out placed and started after the restart.
  await c.call('UpdateService', { service: 'web', desiredCount: 3 });
  await serviceSteady(3);
  await c.call('StopTask', { task: solo, reason: 'done' });
  await waitFor(async () => ((await task(solo)).lastStatus === 'STOPPED' ? true : undefined), { description: 'the task STOPPED', timeoutMs: 60_000, intervalMs: 200 });
});
