import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { defaultArnContext } from '@stevedore/core';
import { EMPTY_EXEC_FRAME, type ExecFrame, type ExecRequest } from '@stevedore/proto';
import { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { ExecRefusal, ExecRelay, type ExecClientEnd, type ExecOutput } from './exec-relay';

function setup(opts: { tokenTtlMs?: number; agentAnswerMs?: number } = {}) {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const store = Store.open(':memory:', clock, defaultArnContext);
  const relay = new ExecRelay(store, pino({ level: 'silent' }), { tokenTtlMs: opts.tokenTtlMs ?? 60_000, agentAnswerMs: opts.agentAnswerMs ?? 5_000, maxSessionsPerInstance: 2 });
  const sent: ExecRequest[] = [];
  relay.registerSender('i-1', (r) => sent.push(r));
  return { store, relay, sent, advance: (ms: number) => (now += ms) };
}

const grant = { cluster: 'c', taskId: 't1', taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/t1', containerName: 'app', instanceId: 'i-1', command: ['sh'], accessKeyId: 'AKIATEST', principal: 'arn:aws:iam::000000000000:user/test' };

function client() {
  const got: ExecOutput[] = [];
  let closed = false;
  const end: ExecClientEnd = { send: (o) => got.push(o), close: () => (closed = true), pending: () => 0, onDrained: () => undefined };
  return { end, got, closed: () => closed };
}

function agent() {
  const frames: ExecFrame[] = [];
  let ended = false;
  return { end: { write: (f: ExecFrame) => frames.push(f) > 0, end: () => (ended = true), pause: () => undefined, resume: () => undefined }, frames, ended: () => ended };
}

const TERM = { tty: true, cols: 120, rows: 40 };

test('a token opens its session once: a wrong token, a second use and an expired token are refused', () => {
  const { relay, sent, advance } = setup();
  const a = relay.create(grant);
  assert.match(a.sessionId, /^ecs-execute-command-[0-9a-f]{24}$/);
  assert.throws(() => relay.open(a.sessionId, 'wrong', TERM, client().end), (e) => e instanceof ExecRefusal && e.code === 'InvalidTokenException');
  relay.open(a.sessionId, a.token, TERM, client().end);
  assert.deepEqual(sent.map((r) => [r.session_id, r.task_arn, r.container_name, r.command, r.tty, r.cols, r.rows]), [[a.sessionId, grant.taskArn, 'app', ['sh'], true, 120, 40]]);
  assert.throws(() => relay.open(a.sessionId, a.token, TERM, client().end), (e) => e instanceof ExecRefusal && e.code === 'InvalidTokenException');
  const b = relay.create(grant);
  advance(60_001);
  assert.throws(() => relay.open(b.sessionId, b.token, TERM, client().end), (e) => e instanceof ExecRefusal && e.code === 'InvalidTokenException');
  // Another session's token never opens this one.
  const c1 = relay.create(grant);
  assert.throws(() => relay.open(c1.sessionId, a.token, TERM, client().end), ExecRefusal);
  relay.stop();
});

test('only the instance the session was sent to may answer it; then frames flow both ways, early input included', () => {
  const { relay } = setup();
  const s = relay.create(grant);
  const cl = client();
  const h = relay.open(s.sessionId, s.token, TERM, cl.end);
  h.input(Buffer.from('ls\n'));
  h.resize(100, 30);
  assert.throws(() => relay.attachAgent(s.sessionId, 'i-2', agent().end), (e) => e instanceof ExecRefusal && e.code === 'PERMISSION_DENIED');
  assert.throws(() => relay.attachAgent('ecs-execute-command-000000000000000000000000', 'i-1', agent().end), (e) => e instanceof ExecRefusal && e.code === 'NOT_FOUND');
  const ag = agent();
  const feed = relay.attachAgent(s.sessionId, 'i-1', ag.end);
  // What the client sent before the agent was there arrives first, in order.
  assert.deepEqual(ag.frames.map((f) => [f.data.toString(), f.cols, f.rows]), [['ls\n', 0, 0], ['', 100, 30]]);
  h.eof();
  assert.equal(ag.frames.at(-1)?.eof, true);
  feed({ ...EMPTY_EXEC_FRAME, started: true });
  feed({ ...EMPTY_EXEC_FRAME, data: Buffer.from('out'), stream: 'stdout' });
  feed({ ...EMPTY_EXEC_FRAME, data: Buffer.from('err'), stream: 'stderr' });
  feed({ ...EMPTY_EXEC_FRAME, exit_code: 3 });
  assert.deepEqual(cl.got.map((o) => (o.kind === 'data' ? `${o.stream}:${o.data.toString()}` : o.kind === 'exit' ? `exit:${o.exitCode}` : o.kind)), ['started', 'stdout:out', 'stderr:err', 'exit:3']);
  assert.equal(cl.closed(), true);
  assert.equal(ag.ended(), true);
  assert.equal(relay.openSessions(), 0);
  relay.stop();
});

test('a stopped task ends its sessions; an agent that never answers times out; the per-instance limit holds', async () => {
  const { relay, store } = setup({ agentAnswerMs: 50 });
  const task = { id: 't1', clusterName: 'c', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', family: 'web', revision: 1, containerInstanceId: 'i-1', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN', cpu: 1, memory: 1, hostPorts: [], group: 'family:web', version: 1, assignmentVersion: 1, overrides: {}, tags: [], launchType: 'EC2', createdAt: 1, containers: [], seq: 1 } as StoredTask;
  store.tx(() => store.tasks.put(task));
  const s = relay.create(grant);
  const cl = client();
  relay.open(s.sessionId, s.token, TERM, cl.end);
  const ag = agent();
  relay.attachAgent(s.sessionId, 'i-1', ag.end);
  store.tx(() => store.tasks.put({ ...task, desiredStatus: 'STOPPED', version: 2 }));
  assert.deepEqual(cl.got.at(-1), { kind: 'error', code: 'TaskStopped', message: 'The task was stopped: the session is closed.' });
  assert.equal(ag.ended(), true);

  const late = relay.create(grant);
  const lc = client();
  relay.open(late.sessionId, late.token, TERM, lc.end);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(lc.got.at(-1)?.kind, 'error');
  assert.equal((lc.got.at(-1) as { code: string }).code, 'TargetNotConnectedException');

  relay.create(grant);
  relay.create(grant);
  assert.throws(() => relay.create(grant), (e) => e instanceof ExecRefusal && e.code === 'LimitExceededException');
  relay.stop();
});
