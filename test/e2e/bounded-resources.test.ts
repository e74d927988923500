import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ApiCallError, STEVEDORE_TARGET, streamRaw } from '../helpers/api';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Bounded resources end to end (docs/design/retention-and-limits.md): one
// control plane with a 4 s stopped-task retention and 3 log streams per
// instance, and one agent (127.0.5.2).

const RETENTION_SECONDS = 4;
const MAX_LOG_STREAMS = 3;
const MIB = 1024 * 1024;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;

before(async () => {
  c = await startCluster({
    agents: 1,
    test: hooks,
    hostIp: () => '127.0.5.2',
    controlPlaneArgs: ['--stopped-task-retention-seconds', String(RETENTION_SECONDS), '--max-log-streams-per-instance', String(MAX_LOG_STREAMS)],
    readyTimeoutMs: 60_000,
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

/** Rows in the control plane's database, read as an operator would (read-only, beside the running process). */
function taskRows(): { tasks: number; containers: number } {
  const db = new Database(path.join(c.dataDir, 'control-plane', 'stevedore.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT (SELECT COUNT(*) FROM tasks) AS tasks, (SELECT COUNT(*) FROM containers) AS containers').get() as { tasks: number; containers: number };
  } finally {
    db.close();
  }
}

async function register(td: Record<string, unknown>): Promise<string> {
  const r = await c.call('RegisterTaskDefinition', td);
  return `${r.taskDefinition.family}:${r.taskDefinition.revision}`;
}

test('a stopped task is describable for the retention, then DescribeTasks answers MISSING and its rows are gone', async () => {
  const td = await register({
    family: 'retention-batch',
    containerDefinitions: [{ name: 'job', image: TEST_IMAGE, command: ['sh', '-c', 'echo done'], memory: 16, essential: true }],
  });
  const run = await c.call('RunTask', { taskDefinition: td, count: 3 });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  const arns: string[] = run.tasks.map((t: { taskArn: string }) => t.taskArn);
  const stopped = await waitFor(
    async () => {
      const r = await c.call('DescribeTasks', { tasks: arns });
      return r.tasks.length === 3 && r.tasks.every((t: { lastStatus: string }) => t.lastStatus === 'STOPPED') ? r.tasks : undefined;
    },
    { description: 'the three batch tasks STOPPED', timeoutMs: 60_000, intervalMs: 200 },
  );
  const rowsWhileKept = taskRows();
  assert.ok(rowsWhileKept.tasks >= 3 && rowsWhileKept.containers >= 3, `the stopped tasks are in the database: ${JSON.stringify(rowsWhileKept)}`);
  const lastStop = Math.max(...stopped.map((t: { stoppedAt: number }) => t.stoppedAt * 1000));

  const missing = await waitFor(
    async () => {
      const r = await c.call('DescribeTasks', { tasks: arns });
      return r.failures.length === 3 ? r : undefined;
    },
    { description: 'DescribeTasks answers MISSING for the three tasks', timeoutMs: 30_000, intervalMs: 250 },
  );
  // Not before the retention: ECS keeps a stopped task describable for its hour.
  assert.ok(Date.now() >= lastStop + RETENTION_SECONDS * 1000, 'tasks were kept for the whole retention');
  assert.deepEqual(
    missing.failures.map((f: { arn: string; reason: string }) => f.reason),
    ['MISSING', 'MISSING', 'MISSING'],
  );
  assert.deepEqual(new Set(missing.failures.map((f: { arn: string }) => f.arn)), new Set(arns));
  const listed = await c.call('ListTasks', { desiredStatus: 'STOPPED' });
  for (const arn of arns) assert.ok(!listed.taskArns.includes(arn), 'ListTasks no longer lists it');
  const rowsAfter = taskRows();
  assert.ok(rowsAfter.tasks <= rowsWhileKept.tasks - 3, `task rows went down: ${JSON.stringify(rowsWhileKept)} -> ${JSON.stringify(rowsAfter)}`);
  assert.ok(rowsAfter.containers <= rowsWhileKept.containers - 3, 'their container rows went with them');
});

/** A task with one long-running container; resolves when it is RUNNING. */
async function runLogger(family: string, script: string): Promise<string> {
  const td = await register({ family, containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sh', '-c', script], memory: 32, essential: true }] });
  const run = await c.call('RunTask', { taskDefinition: td });
  assert.equal(run.failures.length, 0, JSON.stringify(run.failures));
  const arn = run.tasks[0].taskArn as string;
  await waitFor(
    async () => ((await c.call('DescribeTasks', { tasks: [arn] })).tasks[0]?.lastStatus === 'RUNNING' ? true : undefined),
    { description: `${family} RUNNING`, timeoutMs: 60_000, intervalMs: 200 },
  );
  return arn;
}

/** GetTaskLogs as NDJSON records (data lines, and the final truncated or error line). */
async function readLogs(body: Record<string, unknown>): Promise<{ data: string; records: Record<string, unknown>[] }> {
  const res = await openLogs(body);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  if (res.statusCode !== 200) {
    const err = JSON.parse(Buffer.concat(chunks).toString()) as { __type: string; message: string };
    throw new ApiCallError(err.__type, err.message, res.statusCode ?? 0, 'GetTaskLogs');
  }
  const records = Buffer.concat(chunks).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { data: records.map((r) => (typeof r.data === 'string' ? r.data : '')).join(''), records };
}

function openLogs(body: Record<string, unknown>): Promise<IncomingMessage> {
  return streamRaw(c.endpoint, { target: `${STEVEDORE_TARGET}.GetTaskLogs`, body: JSON.stringify({ cluster: c.name, ...body }), credentials: c.adminCredentials() });
}

/** Waits until the container's output ends with the line `END`. */
async function waitForEnd(task: string): Promise<void> {
  await waitFor(async () => ((await readLogs({ task, tail: 1 })).data === 'END\n' ? true : undefined), {
    description: 'the container wrote all its output',
    timeoutMs: 90_000,
    intervalMs: 500,
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `VmRSS of ${pid}`);
  return Number(m[1]) * 1024;
}

test('a non-follow read returns the last 1,000 lines by default and never more than the 1 MiB cap', async () => {
  // 400,000 numbered lines (2.7 MB), then END.
  const task = await runLogger('logs-many-lines', 'seq 1 400000; echo END; exec sleep 3600');
  await waitForEnd(task);

  const byDefault = await readLogs({ task });
  const lines = byDefault.data.split('\n').filter(Boolean);
  assert.equal(lines.length, 1000, 'tail defaults to 1,000 lines');
  assert.equal(lines[0], '399002');
  assert.equal(lines.at(-1), 'END');
  assert.ok(byDefault.records.every((r) => r.truncated === undefined), 'a read under the cap is not marked truncated');

  const all = await readLogs({ task, tail: 0 });
  assert.equal(Buffer.byteLength(all.data), MIB, 'exactly the cap, not one byte more');
  assert.ok(all.data.startsWith('1\n2\n3\n'), 'tail 0 reads from the first line');
  const last = all.records.at(-1)!;
  assert.equal(last.truncated, true);
  assert.match(String(last.message), /truncated at 1048576 bytes/);

  const cli = await c.cli(['logs', task]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.split('\n').filter(Boolean).length, 1000);
  const cliAll = await c.cli(['logs', task, '--tail', '0']);
  assert.equal(cliAll.code, 0, cliAll.stderr);
  assert.equal(Buffer.byteLength(cliAll.stdout), MIB);
  assert.match(cliAll.stderr, /truncated at 1048576 bytes/);
});

test('a follow whose reader stops reading holds the agent back: neither process buffers the output, and nothing is lost', async () => {
  const pids = c.pids();
  const cpPid = pids.controlPlane!;
  const agentPid = pids.agents[0]!;
  // 64,000 lines of 1,000 bytes: 64 MB of output, then END.
  const task = await runLogger('logs-firehose', 'yes "$(head -c 999 /dev/zero | tr "\\0" x)" | head -n 64000; echo END; exec sleep 3600');
  // The baseline is the highest of a second's samples, so ordinary heap swings are not counted as growth.
  const baseline = { cp: 0, agent: 0 };
  for (let i = 0; i < 10; i++) {
    baseline.cp = Math.max(baseline.cp, rssBytes(cpPid));
    baseline.agent = Math.max(baseline.agent, rssBytes(agentPid));
    await new Promise((r) => setTimeout(r, 100));
  }

  const res = await openLogs({ task, follow: true, tail: 0 });
  assert.equal(res.statusCode, 200);
  res.pause(); // the slow reader: reads nothing for now
  await waitForEnd(task);
  // All 64 MB exist now; sample both processes for a while with the reader still stalled.
  const peak = { cp: 0, agent: 0 };
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    peak.cp = Math.max(peak.cp, rssBytes(cpPid));
    peak.agent = Math.max(peak.agent, rssBytes(agentPid));
    await new Promise((r) => setTimeout(r, 200));
  }
  // Measured: about 1 MiB with backpressure; 80 MiB when either process ignores it.
  const growth = { cp: (peak.cp - baseline.cp) / MIB, agent: (peak.agent - baseline.agent) / MIB };
  assert.ok(growth.cp < 24, `control plane RSS grew ${growth.cp.toFixed(1)} MiB while a reader stalled on 64 MiB of logs`);
  assert.ok(growth.agent < 24, `agent RSS grew ${growth.agent.toFixed(1)} MiB while a reader stalled on 64 MiB of logs`);

  // The reader catches up: every line arrives, in order, none dropped.
  let lines = 0;
  let rest = '';
  let sawEnd = false;
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) {
        if (!p) continue;
        const r = JSON.parse(p) as { data?: string };
        for (const l of (r.data ?? '').split('\n')) {
          if (l.length === 999) lines++;
          else if (l === 'END') sawEnd = true;
        }
      }
      if (sawEnd) resolve();
    });
    res.on('error', reject);
    res.on('end', () => resolve());
    res.resume();
  });
  res.destroy();
  assert.ok(sawEnd, 'the follow reached the end of the output');
  assert.equal(lines, 64_000);
});

test('log streams per instance are limited: LimitExceededException beyond the limit, and a closed stream frees its slot', async () => {
  const task = await runLogger('logs-limit', 'echo ready; exec sleep 3600');
  const follows: IncomingMessage[] = [];
  for (let i = 0; i < MAX_LOG_STREAMS; i++) {
    const r = await openLogs({ task, follow: true });
    assert.equal(r.statusCode, 200);
    follows.push(r);
  }
  await assert.rejects(readLogs({ task }), (e: unknown) => e instanceof ApiCallError && e.type === 'LimitExceededException' && /3 log streams/.test(e.message));
  follows.pop()!.destroy();
  const after = await waitFor(
    async () => {
      try {
        return await readLogs({ task });
      } catch (e) {
        if (e instanceof ApiCallError && e.type === 'LimitExceededException') return undefined;
        throw e;
      }
    },
    { description: 'a slot frees once a reader goes away', timeoutMs: 10_000, intervalMs: 100 },
  );
  assert.equal(after.data, 'ready\n');
  for (const r of follows) r.destroy();
});
