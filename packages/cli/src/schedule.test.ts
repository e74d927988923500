import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from './cli';
import { captureIo } from './testing/capture-io';

/**
 * `stevedore schedule` against a small fake of both protocols it speaks:
 * Scheduler's REST-JSON (method + path) and ECS JSON 1.1 (X-Amz-Target).
 * It keeps the schedule it is given, so update/enable/disable are checked
 * against what they read back.
 */
interface Call {
  method: string;
  path: string;
  target?: string;
  body: Record<string, any>;
}

async function fake() {
  const calls: Call[] = [];
  const schedules = new Map<string, Record<string, any>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, any>) : {};
      const url = new URL(req.url ?? '/', 'http://x');
      const target = req.headers['x-amz-target'] as string | undefined;
      calls.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, ...(target ? { target } : {}), body });
      const send = (status: number, out: unknown, type?: string) => {
        res.writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) }).end(JSON.stringify(out));
      };
      if (target?.endsWith('.DescribeClusters')) return send(200, { clusters: [{ clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${body['clusters'][0]}` }], failures: [] });
      if (target?.endsWith('.ListScheduleRuns')) {
        return send(200, {
          scheduleArn: 'arn',
          nextScheduledTime: 1_800_000_060,
          runs: [
            { scheduledTime: 1_800_000_000, status: 'STOPPED', attempts: 1, tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef', lastStatus: 'STOPPED', exitCode: 3 }] },
            { scheduledTime: 1_799_999_940, status: 'SKIPPED', attempts: 0, reason: 'overlap: the previous run of this schedule is still running', tasks: [] },
          ],
        });
      }
      const name = decodeURIComponent(url.pathname.split('/')[2] ?? '');
      if (req.method === 'POST' && url.pathname.startsWith('/schedules/')) {
        schedules.set(name, { ...body, Name: name, GroupName: body['GroupName'] ?? 'default' });
        return send(200, { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/default/${name}` });
      }
      if (req.method === 'PUT' && url.pathname.startsWith('/schedules/')) {
        schedules.set(name, { ...body, Name: name, GroupName: body['GroupName'] ?? 'default' });
        return send(200, { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/default/${name}` });
      }
      if (req.method === 'GET' && url.pathname.startsWith('/schedules/')) {
        const s = schedules.get(name);
        return s ? send(200, s) : send(404, { Message: `Schedule ${name} does not exist.` }, 'ResourceNotFoundException');
      }
      if (req.method === 'GET' && url.pathname === '/schedules') return send(200, { Schedules: [...schedules.values()].map((s) => ({ Name: s['Name'], GroupName: s['GroupName'], State: s['State'], Target: { Arn: s['Target'].Arn } })) });
      if (req.method === 'DELETE') return send(200, {});
      send(404, { Message: 'no route' }, 'UnknownOperationException');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, schedules, endpoint, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('schedule create: the expression wrapped, the cluster and role as ARNs, --no-overlap as the extension tag, overrides as Input', async (t) => {
  const f = await fake();
  t.after(() => f.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  const code = await run(['schedule', 'create', 'backup', '--cron', '0 3 * * ? *', '--timezone', 'Europe/Paris', '--task-definition', 'backup:2', '--no-overlap', '--cluster', 'prod', '--overrides', '{"containerOverrides":[]}'], io);
  assert.equal(code, 0, io.err());
  const post = f.calls.find((c) => c.method === 'POST' && c.path === '/schedules/backup')!;
  assert.deepEqual(post.body, {
    ScheduleExpression: 'cron(0 3 * * ? *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    ActionAfterCompletion: 'NONE',
    Target: {
      Arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
      RoleArn: 'arn:aws:iam::123456789012:role/admin',
      EcsParameters: { TaskDefinitionArn: 'backup:2', Tags: [{ 'stevedore:overlap': 'SKIP' }] },
      Input: '{"containerOverrides":[]}',
    },
  });
  assert.equal(io.out(), 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/backup\n');
  const rate = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['schedule', 'create', 'poll', '--rate', '5 minutes', '--task-definition', 'p', '--role', 'runner', '--flexible-window', '10', '--count', '2'], rate), 0, rate.err());
  const poll = f.schedules.get('poll')!;
  assert.equal(poll['ScheduleExpression'], 'rate(5 minutes)');
  assert.deepEqual(poll['FlexibleTimeWindow'], { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 });
  assert.equal(poll['Target'].RoleArn, 'arn:aws:iam::123456789012:role/runner');
  assert.equal(poll['Target'].EcsParameters.TaskCount, 2);
  const two = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['schedule', 'create', 'x', '--rate', '1 hour', '--cron', '0 * * * ? *', '--task-definition', 'p'], two), 2, 'one expression only');
  const none = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['schedule', 'create', 'x', '--rate', '1 hour'], none), 2, '--task-definition is required');
});

test('schedule update, disable, enable keep what they are not told to change; runs prints a table or the answer', async (t) => {
  const f = await fake();
  t.after(() => f.close());
  const env = { STEVEDORE_ENDPOINT: f.endpoint };
  assert.equal(await run(['schedule', 'create', 'backup', '--cron', '0 3 * * ? *', '--task-definition', 'backup', '--no-overlap', '--retry-attempts', '3'], captureIo({ env })), 0);
  const before = structuredClone(f.schedules.get('backup')!);
  const up = captureIo({ env });
  assert.equal(await run(['schedule', 'update', 'backup', '--rate', '10 minutes', '--overlap'], up), 0, up.err());
  const after = f.schedules.get('backup')!;
  assert.equal(after['ScheduleExpression'], 'rate(10 minutes)');
  assert.equal(after['Target'].EcsParameters.Tags, undefined, '--overlap drops the extension tag');
  assert.deepEqual(after['Target'].RetryPolicy, { MaximumRetryAttempts: 3 });
  assert.equal(after['Target'].Arn, before['Target'].Arn);
  assert.equal(await run(['schedule', 'disable', 'backup'], captureIo({ env })), 0);
  assert.equal(f.schedules.get('backup')!['State'], 'DISABLED');
  assert.equal(f.schedules.get('backup')!['ScheduleExpression'], 'rate(10 minutes)');
  assert.equal(await run(['schedule', 'enable', 'backup'], captureIo({ env })), 0);
  assert.equal(f.schedules.get('backup')!['State'], 'ENABLED');
  const missing = captureIo({ env });
  assert.equal(await run(['schedule', 'disable', 'nope'], missing), 254);
  assert.match(missing.err(), /ResourceNotFoundException: Schedule nope does not exist/);

  const table = captureIo({ env });
  assert.equal(await run(['schedule', 'runs', 'backup'], table), 0, table.err());
  assert.match(table.out(), /^SCHEDULED\s+STATUS\s+TASK\s+EXIT\s+REASON\n2027-01-15T08:00:00Z\s+STOPPED\s+\S+\s+3\s*\n2027-01-15T07:59:00Z\s+SKIPPED\s+-\s+-\s+overlap: the previous run/);
  const json = captureIo({ env });
  assert.equal(await run(['schedule', 'runs', 'backup', '-o', 'json'], json), 0);
  assert.deepEqual(JSON.parse(json.out()).runs.map((r: any) => r.status), ['STOPPED', 'SKIPPED']);
  const list = captureIo({ env });
  assert.equal(await run(['schedule', 'list'], list), 0);
  assert.match(list.out(), /^NAME\s+GROUP\s+STATE\s+CLUSTER\nbackup\s+default\s+ENABLED\s+default/);
  assert.equal(await run(['schedule', 'delete', 'backup'], captureIo({ env })), 0);
  assert.ok(f.calls.some((c) => c.method === 'DELETE' && c.path === '/schedules/backup'));
});
