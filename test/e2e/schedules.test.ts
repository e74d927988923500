import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { awsCli, AWS_CLI } from '../helpers/aws-cli';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Scheduled tasks end to end (docs/design/scheduled-tasks.md): EventBridge
// Scheduler's API through Debian's AWS CLI, and schedules made with
// `stevedore schedule create` running batch tasks on a real agent. Two
// rate(1 minute) schedules run side by side on one cluster, so the whole
// file takes a bit over one period: each fires at creation and a minute
// later (EventBridge runs a rate schedule without StartDate at once), and
// the AWS CLI test runs meanwhile.

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let clusterArn: string;
/** The AWS CLI test is done: the schedules test restarts the control plane only then. */
let awsDone!: () => void;
const awsFinished = new Promise<void>((resolve) => (awsDone = resolve));

before(async () => {
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
  clusterArn = (await c.call('DescribeClusters', { clusters: [c.name] })).clusters[0].clusterArn;
  const batch = (family: string, script: string) => ({ family, containerDefinitions: [{ name: 'job', image: TEST_IMAGE, command: ['sh', '-c', script], memory: 16, essential: true }] });
  await c.call('RegisterTaskDefinition', batch('sched-exit3', 'echo scheduled; exit 3'));
  await c.call('RegisterTaskDefinition', batch('sched-long', 'sleep 80'));
  // The runs launch as this role, which may only run tasks in this cluster.
  await c.callStevedore('CreateRole', {
    roleName: 'scheduler-e2e',
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:RunTask'], Resource: [clusterArn] }] },
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

function aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
  return new Promise((resolve) => {
    execFile(AWS_CLI, ['--endpoint-url', c.endpoint, '--output', 'json', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function runs(name: string): Promise<any[]> {
  const r = await c.callStevedore('ListScheduleRuns', { name });
  return (r.runs as any[]).slice().reverse();
}

// The two tests run side by side: the AWS CLI's calls (seconds each) fit inside the schedules' minute.
describe('scheduled tasks', { concurrency: true }, () => {
  test('aws scheduler create-schedule, get-schedule, list-schedules, delete-schedule (REST-JSON, signed for scheduler)', async (t) => {
    t.after(() => awsDone());
    const target = { Arn: clusterArn, RoleArn: 'arn:aws:iam::000000000000:role/scheduler-e2e', EcsParameters: { TaskDefinitionArn: 'sched-exit3', TaskCount: 1 } };
    const created = await awsCli(c, [
      'scheduler', 'create-schedule', '--name', 'nightly-backup', '--schedule-expression', 'cron(0 3 * * ? *)', '--schedule-expression-timezone', 'Europe/Paris',
      '--flexible-time-window', 'Mode=FLEXIBLE,MaximumWindowInMinutes=15', '--target', JSON.stringify(target),
    ]);
    assert.equal(created.ScheduleArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly-backup');
    const got = await awsCli(c, ['scheduler', 'get-schedule', '--name', 'nightly-backup']);
    assert.equal(got.ScheduleExpression, 'cron(0 3 * * ? *)');
    assert.equal(got.ScheduleExpressionTimezone, 'Europe/Paris');
    assert.deepEqual(got.FlexibleTimeWindow, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 });
    assert.deepEqual(got.Target.EcsParameters, { TaskDefinitionArn: 'sched-exit3', TaskCount: 1 });
    assert.equal(got.State, 'ENABLED');
    const listed = await awsCli(c, ['scheduler', 'list-schedules', '--name-prefix', 'nightly']);
    assert.deepEqual(listed.Schedules.map((s: any) => [s.Name, s.GroupName, s.Target.Arn]), [['nightly-backup', 'default', clusterArn]]);
    // A bad field is a ValidationException naming it, as the CLI shows AWS's.
    const bad = await aws(['scheduler', 'create-schedule', '--name', 'bad', '--schedule-expression', 'rate(5 minutes)', '--flexible-time-window', 'Mode=OFF', '--target', JSON.stringify({ ...target, EcsParameters: { TaskDefinitionArn: 'x', TaskCount: 11 } })]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ValidationException.*Target\.EcsParameters\.TaskCount/);
    const conflict = await aws(['scheduler', 'create-schedule', '--name', 'nightly-backup', '--schedule-expression', 'rate(5 minutes)', '--flexible-time-window', 'Mode=OFF', '--target', JSON.stringify(target)]);
    assert.match(conflict.stderr, /ConflictException/);
    await awsCli(c, ['scheduler', 'delete-schedule', '--name', 'nightly-backup']);
    assert.deepEqual((await awsCli(c, ['scheduler', 'list-schedules', '--name-prefix', 'nightly'])).Schedules, []);
    const gone = await aws(['scheduler', 'get-schedule', '--name', 'nightly-backup']);
    assert.match(gone.stderr, /ResourceNotFoundException/);
  });

  test('rate(1 minute): a batch task runs twice with its exit code recorded; a run overlapping a long task is skipped', async () => {
    const create = (args: string[]) => c.cli(['schedule', 'create', ...args, '--role', 'scheduler-e2e']);
    for (const r of [await create(['every-minute', '--rate', '1 minute', '--task-definition', 'sched-exit3']), await create(['long-job', '--rate', '1 minute', '--task-definition', 'sched-long', '--no-overlap'])]) {
      assert.equal(r.code, 0, r.stderr);
    }
    // Killed between the fire times (after both first runs launched): the runs and cursors are in the store,
    // so nothing runs twice and the next fire times still come.
    await waitFor(async () => ((await runs('every-minute')).length >= 1 && (await runs('long-job'))[0]?.status === 'RUNNING' ? true : undefined), {
      description: 'the first runs launched',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    await awsFinished;
    await c.restartControlPlane('SIGKILL');
    const twice = await waitFor(
      async () => {
        const r = await runs('every-minute');
        return r.length >= 2 && r.slice(0, 2).every((x) => x.status === 'STOPPED') ? r : undefined;
      },
      { description: 'two stopped runs of every-minute', timeoutMs: 180_000, intervalMs: 1000 },
    );
    assert.deepEqual(twice.slice(0, 2).map((r) => r.tasks.map((t: any) => t.exitCode)), [[3], [3]]);
    assert.equal(twice[1].scheduledTime - twice[0].scheduledTime, 60, 'one minute apart');
    assert.equal(new Set(twice.map((r) => r.scheduledTime)).size, twice.length, 'each fire time once, across the restart');
    // Every task the schedule started belongs to one recorded run: none launched twice.
    const started: string[] = (await c.call('ListTasks', { cluster: c.name, startedBy: 'schedule/default/every-minute', desiredStatus: 'STOPPED' })).taskArns;
    const recorded = (await runs('every-minute')).flatMap((r) => r.tasks.map((x: any) => x.taskArn as string));
    assert.equal(new Set(recorded).size, recorded.length);
    for (const arn of started) assert.ok(recorded.includes(arn), `${arn} is a recorded run's task`);
    assert.ok(started.length >= 2);
    const task = (await c.call('DescribeTasks', { tasks: [twice[0].tasks[0].taskArn] })).tasks[0];
    assert.equal(task.startedBy, 'schedule/default/every-minute');
    assert.equal(task.containers[0].exitCode, 3);

    const long = await waitFor(
      async () => {
        const r = await runs('long-job');
        return r.length >= 2 ? r : undefined;
      },
      { description: 'the second fire time of long-job decided', timeoutMs: 60_000, intervalMs: 1000 },
    );
    assert.equal(long[0].status, 'RUNNING', 'the 80 s task still runs a minute later (followed across the restart)');
    assert.equal(long[1].status, 'SKIPPED');
    assert.match(long[1].reason, /overlap: the previous run of this schedule is still running/);

    // The CLI's view: a table by default, the API's answer with -o json.
    const table = await c.cli(['schedule', 'runs', 'every-minute']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /SCHEDULED\s+STATUS\s+TASK\s+EXIT/);
    assert.match(table.stdout, /STOPPED\s+\S+\s+3\s/);
    const skipped = await c.cli(['schedule', 'runs', 'long-job']);
    assert.match(skipped.stdout, /SKIPPED\s+-\s+-\s+overlap/);
    const json = JSON.parse((await c.cli(['schedule', 'runs', 'long-job', '-o', 'json'])).stdout);
    assert.equal(json.scheduleArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/long-job');
    assert.deepEqual(json.runs.slice(-2).map((r: any) => r.status), ['SKIPPED', 'RUNNING']);

    for (const name of ['every-minute', 'long-job']) assert.equal((await c.cli(['schedule', 'delete', name])).code, 0);
  });
});
