import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_BIN, startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';
import { awsCli } from '../helpers/aws-cli';
import { waitFor } from '../helpers/wait-for';

// ECS Exec and resource tags end to end: one control plane and one agent on
// the real dockerd. `stevedore exec` talks to the session ExecuteCommand
// returns (a WebSocket relayed over the agent channel to `docker exec`);
// tags go through Debian's AWS CLI.

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let execTask: string;
let plainTask: string;

const app = { name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 32 };

async function runRunning(extra: Record<string, unknown>): Promise<string> {
  const r = await c.call('RunTask', { taskDefinition: 'exec-app', ...extra });
  assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
  const arn = r.tasks[0].taskArn as string;
  await waitFor(
    async () => {
      const t = (await c.call('DescribeTasks', { tasks: [arn] })).tasks[0];
      return t.lastStatus === 'RUNNING' && t;
    },
    { description: `task ${arn} RUNNING`, timeoutMs: 60_000, intervalMs: 200 },
  );
  return arn;
}

before(async () => {
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
  await c.call('RegisterTaskDefinition', { family: 'exec-app', containerDefinitions: [app], tags: [{ key: 'source', value: 'task-definition' }] });
  [execTask, plainTask] = await Promise.all([runRunning({ enableExecuteCommand: true }), runRunning({})]);
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

/** The real CLI inside util-linux's `script`, so it has a pseudo-terminal; `send` types into it. */
function underPty(args: string[]) {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const line = [process.execPath, CLI_BIN, '--endpoint', c.endpoint, '--cluster', c.name, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfc', line, '/dev/null'], {
    env: { ...process.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  exited.finally(() => clearTimeout(timer)).catch(() => undefined);
  const expect = async (re: RegExp, what: string) => {
    try {
      await waitFor(() => re.test(output) || undefined, { description: what, timeoutMs: 30_000, intervalMs: 100 });
    } catch (e) {
      throw new Error(`${(e as Error).message}; the terminal showed ${JSON.stringify(output.slice(-2000))}`);
    }
  };
  return { child, exited, expect, output: () => output, send: (s: string) => child.stdin.write(s) };
}

describe('ECS Exec', () => {
  test('a task run with enableExecuteCommand shows it, and its container the ExecuteCommandAgent', async () => {
    const [withExec, without] = (await c.call('DescribeTasks', { tasks: [execTask, plainTask] })).tasks.sort((a: any) => (a.taskArn === execTask ? -1 : 1));
    assert.equal(withExec.enableExecuteCommand, true);
    assert.deepEqual(withExec.containers[0].managedAgents.map((m: any) => [m.name, m.lastStatus]), [['ExecuteCommandAgent', 'RUNNING']]);
    assert.equal(without.enableExecuteCommand, false);
    assert.equal(without.containers[0].managedAgents, undefined);
  });

  test('stevedore exec runs a command: its output, and its exit code as the CLI\'s', async () => {
    const r = await c.cli(['exec', execTask, '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'oops\n');
    // The session is in the control plane's audit log: who, which task and container, how it ended.
    const audit = await waitFor(
      () =>
        readFileSync(c.logs.controlPlane, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"exec session ended"'))
          .map((l) => JSON.parse(l))
          .find((l) => l.exitCode === 3),
      { description: 'the session\'s audit line', timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.equal(audit.audit, true);
    assert.equal(audit.accessKeyId, c.adminCredentials().accessKeyId);
    assert.equal(audit.task, execTask);
    assert.equal(audit.container, 'app');
    // stdin reaches the command when it is not a terminal.
    const cat = await c.cli(['exec', execTask, '--container', 'app', '--', 'sh', '-c', 'tr a-z A-Z'], { stdin: 'piped in\n' });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'PIPED IN\n');
  });

  test('an interactive session through a pseudo-terminal', async () => {
    const s = underPty(['exec', execTask, '--', 'sh']);
    // The shell's prompt says it reads the terminal.
    await s.expect(/[#$] (\u001b\[6n)?$/, 'a shell prompt');
    s.send('echo $((6*7))\r');
    await s.expect(/^42\r?$/m, '42 from the remote shell');
    // Its stdin and stdout are a terminal (a TTY on the far side too).
    s.send('[ -t 0 ] && [ -t 1 ] && echo "tty""-ok"; exit\r');
    assert.equal(await s.exited, 0, s.output());
    assert.match(s.output(), /^tty-ok\r?$/m);
  });

  test('refused: a task without enableExecuteCommand, a key without ecs:ExecuteCommand', async () => {
    const r = await c.cli(['exec', plainTask, '--', 'true']);
    assert.equal(r.code, 254, r.stderr);
    assert.match(r.stderr, /InvalidParameterException: The execute command failed because execute command was not enabled/);

    const policy = { Statement: [{ Effect: 'Allow', Action: ['ecs:Describe*', 'ecs:List*'], Resource: ['*'] }] };
    await c.callStevedore('CreateRole', { roleName: 'no-exec', policyDocument: JSON.stringify(policy) });
    const k = (await c.callStevedore('CreateAccessKey', { roleName: 'no-exec' })).accessKey;
    const denied = await c.cli(['exec', execTask, '--', 'true'], { env: { AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_ACCESS_KEY_ID: k.accessKeyId, AWS_SECRET_ACCESS_KEY: k.secretAccessKey } });
    assert.equal(denied.code, 254, denied.stderr);
    assert.match(denied.stderr, /AccessDeniedException.*ecs:ExecuteCommand/);
  });

  test('a session ends when its task is stopped', async () => {
    const victim = await runRunning({ enableExecuteCommand: true });
    const child = spawn(process.execPath, [CLI_BIN, '--endpoint', c.endpoint, '--cluster', c.name, 'exec', victim, '--', 'sh', '-c', 'echo ready; sleep 600'], {
      env: { ...process.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => out.includes('ready') || undefined, { description: 'the session running', timeoutMs: 30_000, intervalMs: 100 });
    await c.call('StopTask', { task: victim, reason: 'exec test' });
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    assert.equal(code, 254, err);
    assert.match(err, /TaskStopped/);
  });
});

describe('resource tags', () => {
  test('tag-resource, list-tags-for-resource and untag-resource with the AWS CLI', async () => {
    const clusterArn = `arn:aws:ecs:us-east-1:000000000000:cluster/${c.name}`;
    for (const arn of [execTask, clusterArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/exec-app:1']) {
      const before = (await awsCli(c, ['ecs', 'list-tags-for-resource', '--resource-arn', arn])).tags;
      await awsCli(c, ['ecs', 'tag-resource', '--resource-arn', arn, '--tags', 'key=team,value=blue', 'key=tier,value=']);
      const tagged = (await awsCli(c, ['ecs', 'list-tags-for-resource', '--resource-arn', arn])).tags;
      assert.deepEqual(tagged, [...before, { key: 'team', value: 'blue' }, { key: 'tier', value: '' }], arn);
      await awsCli(c, ['ecs', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'tier']);
      assert.deepEqual((await awsCli(c, ['ecs', 'list-tags-for-resource', '--resource-arn', arn])).tags, [...before, { key: 'team', value: 'blue' }], arn);
    }
    await assert.rejects(awsCli(c, ['ecs', 'tag-resource', '--resource-arn', clusterArn, '--tags', 'key=aws:mine,value=x']), /aws:/);
  });

  test('propagateTags SERVICE puts the service\'s tags on its tasks, with the ECS managed tags', async () => {
    await awsCli(c, [
      'ecs', 'create-service', '--cluster', c.name, '--service-name', 'tagged', '--task-definition', 'exec-app', '--desired-count', '1',
      '--propagate-tags', 'SERVICE', '--enable-ecs-managed-tags', '--tags', 'key=owner,value=payments',
    ]);
    const taskArn = await waitFor(
      async () => ((await c.call('ListTasks', { serviceName: 'tagged' })).taskArns as string[])[0],
      { description: 'a task of the service', timeoutMs: 60_000, intervalMs: 200 },
    );
    const tags = (await awsCli(c, ['ecs', 'list-tags-for-resource', '--resource-arn', taskArn])).tags;
    assert.deepEqual(tags, [{ key: 'owner', value: 'payments' }, { key: 'aws:ecs:clusterName', value: c.name }, { key: 'aws:ecs:serviceName', value: 'tagged' }]);
    const svc = await awsCli(c, ['ecs', 'describe-services', '--cluster', c.name, '--services', 'tagged', '--include', 'TAGS']);
    assert.deepEqual(svc.services[0].tags, [{ key: 'owner', value: 'payments' }]);
    assert.equal(svc.services[0].propagateTags, 'SERVICE');
    await c.call('UpdateService', { service: 'tagged', desiredCount: 0 });
    await c.call('DeleteService', { service: 'tagged' });
  });
});
