import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_CHANNEL_OPTIONS, AGENT_RECONNECT_JITTER, AGENT_RECONNECT_MAX_MS, AGENT_RECONNECT_WORST_MS, grpc, toWireAssignment, type WireAssignment } from '@stevedore/proto';
import type { TaskAssignment, TaskReport } from '@stevedore/core';
import { silentLogger } from '../logger';
import { assignment, TEST_IMAGE } from '../testing/builders';
import { FakeContainerController } from '../testing/fake-container-controller';
import { LogPusher } from './log-pusher';
import { FakeDispatcher } from '../testing/fake-dispatcher';
import { waitFor } from '../testing/wait-for';
import { Reporter } from '../reporter';
import { AssignmentSequence } from './assignments-stream';
import { Backoff, SESSION_BACKOFF } from './backoff';
import { DispatcherClient } from './dispatcher-client';
import { Session } from './session';

class RecordingWorker {
  readonly completes: TaskAssignment[][] = [];
  readonly updates: { changed: TaskAssignment[]; removed: string[] }[] = [];
  assign(all: TaskAssignment[]): void {
    this.completes.push(all);
  }
  update(changed: TaskAssignment[], removed: string[]): void {
    this.updates.push({ changed, removed });
  }
}

const FAST = { initialMs: 10, maxMs: 50, multiplier: 1.5, jitter: 0.2 };

describe('AssignmentSequence (pure)', () => {
  const msg = (type: 'COMPLETE' | 'INCREMENTAL', applies_to: number, results_in: number) => ({
    type, session_id: 's', applies_to, results_in, assignments: [] as WireAssignment[], removed: [], heartbeat_period_ms: 0, log_requests: [], load_balancers: null, exec_requests: [],
  });
  it('accepts a chain and detects a gap', () => {
    const s = new AssignmentSequence();
    assert.equal(s.accept(msg('INCREMENTAL', 0, 1)).kind, 'gap', 'INCREMENTAL before any COMPLETE');
    assert.equal(s.accept(msg('COMPLETE', 0, 5)).kind, 'complete');
    assert.equal(s.accept(msg('INCREMENTAL', 5, 6)).kind, 'incremental');
    assert.equal(s.accept(msg('INCREMENTAL', 6, 9)).kind, 'incremental');
    const gap = s.accept(msg('INCREMENTAL', 10, 11));
    assert.deepEqual(gap, { kind: 'gap', expected: 9, got: 10 });
    assert.equal(s.accept(msg('COMPLETE', 0, 20)).kind, 'complete', 'COMPLETE resets the chain');
    assert.equal(s.accept(msg('INCREMENTAL', 20, 21)).kind, 'incremental');
  });
  it('decodes the typed spec and the spec_json of an old control plane, takes the envelope version, reports unreadable specs', () => {
    const s = new AssignmentSequence();
    const a = assignment();
    const old = { ...assignment(), taskArn: `${a.taskArn}-old` };
    const typed = toWireAssignment(a);
    const badEnum = toWireAssignment({ ...assignment(), taskArn: 'arn:bad-mode' });
    badEnum.spec!.network_mode = 'overlay';
    const r = s.accept({
      ...msg('COMPLETE', 0, 1),
      assignments: [
        { ...typed, version: 7 },
        { ...toWireAssignment(old, { typedSpec: false }), version: 3 },
        { ...toWireAssignment(assignment(), { typedSpec: false }), task_arn: 'arn:x', spec_json: '{nope' },
        badEnum,
        { ...typed, task_arn: 'arn:other' },
      ],
    });
    assert.equal(r.kind, 'complete');
    if (r.kind !== 'complete') return;
    assert.equal(r.assignments.length, 2);
    assert.equal(r.assignments[0]!.version, 7);
    assert.deepEqual({ ...r.assignments[0]!, version: a.version }, a, 'the typed spec is the assignment, field for field');
    assert.equal(r.assignments[1]!.taskArn, old.taskArn);
    assert.equal(r.assignments[1]!.version, 3);
    assert.deepEqual(r.invalid.map((i) => i.task), ['arn:x', 'arn:bad-mode', 'arn:other']);
    assert.match(r.invalid[1]!.reason, /^spec\.network_mode: "overlay" is not one of bridge, host, awsvpc, none$/);
    assert.match(r.invalid[2]!.reason, /spec\.task_arn: does not match the assignment envelope/);
  });
});

describe('Backoff', () => {
  it('grows x1.5 from 250ms to 2 minutes with 20% jitter, and resets', () => {
    const mid = new Backoff({ initialMs: 250, maxMs: 120_000, multiplier: 1.5, jitter: 0.2, random: () => 0.5 });
    assert.deepEqual([mid.next(), mid.next(), mid.next()], [250, 375, 563]);
    for (let i = 0; i < 30; i++) mid.next();
    assert.equal(mid.next(), 120_000);
    mid.reset();
    assert.equal(mid.next(), 250);
    const low = new Backoff({ initialMs: 1000, maxMs: 10_000, multiplier: 2, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, maxMs: 10_000, multiplier: 2, jitter: 0.2, random: () => 1 });
    assert.equal(low.next(), 800);
    assert.equal(high.next(), 1200);
  });

  it('SESSION_BACKOFF: after any number of failures, a retry comes within 6 s, far inside the 30 s lost-instance grace', () => {
    for (const random of [() => 0, () => 0.5, () => 1]) {
      const b = new Backoff({ ...SESSION_BACKOFF, random });
      const delays = Array.from({ length: 200 }, () => b.next());
      assert.ok(Math.max(...delays) <= AGENT_RECONNECT_MAX_MS * (1 + AGENT_RECONNECT_JITTER), `max ${Math.max(...delays)} ms`);
    }
    // Both the session's backoff and the gRPC channel's run side by side, each capped the same.
    assert.equal(AGENT_CHANNEL_OPTIONS['grpc.max_reconnect_backoff_ms'], AGENT_RECONNECT_MAX_MS);
    assert.ok(AGENT_RECONNECT_WORST_MS * 2 <= 30_000, 'the default grace leaves at least twice the worst reconnect time');
  });
});

describe('Session against a real gRPC dispatcher on loopback', () => {
  let cp: FakeDispatcher;
  let client: DispatcherClient;
  const sessions: Session[] = [];

  before(async () => {
    cp = new FakeDispatcher();
    await cp.start();
    // The session protocol under test; channel security has its own tests (channel-credentials.test.ts).
    client = new DispatcherClient(cp.target, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await cp.stop();
  });
  afterEach(async () => {
    while (sessions.length) await sessions.pop()!.stop();
    cp.sessionError = cp.heartbeatError = cp.registerError = cp.updateError = undefined;
    cp.applies = () => true;
    cp.assignments = [];
    cp.calls.length = 0;
    cp.statusUpdates.length = 0;
  });

  function startSession(worker: RecordingWorker, reporter?: Reporter, extra: Partial<ConstructorParameters<typeof Session>[0]> = {}) {
    let registered = 0;
    const s = new Session({
      client,
      instanceId: () => 'inst-1',
      register: async () => {
        await client.register({ cluster: 'test', instance_id: 'inst-1', ec2_instance_id: 'h', host_ip: '127.0.0.2', resources: { cpu: 1024, memory: 100, ports: [22], ports_udp: [] }, attributes: [], agent_version: '0.1.0', docker_version: '20.10', agent_hash: '', tags: [] });
        registered++;
      },
      worker,
      reporter: reporter ?? { connected() {}, disconnected() {} },
      onLogRequest: () => undefined,
      log: silentLogger(),
      backoff: FAST,
      ...extra,
    });
    sessions.push(s);
    s.start();
    return { session: s, registrations: () => registered };
  }

  it('registers, applies COMPLETE then in-sequence INCREMENTALs, heartbeats with the session metadata', async () => {
    const a = assignment();
    const b = assignment();
    cp.assignments = [a];
    const w = new RecordingWorker();
    startSession(w);
    await waitFor('COMPLETE applied', () => w.completes.length === 1);
    assert.deepEqual(w.completes[0]!.map((x) => x.taskArn), [a.taskArn]);
    cp.incremental({ assignments: [b] });
    cp.incremental({ removed: [a.taskArn] });
    await waitFor('2 incrementals', () => w.updates.length === 2);
    assert.deepEqual(w.updates[0]!.changed.map((x) => x.taskArn), [b.taskArn]);
    assert.deepEqual(w.updates[1]!.removed, [a.taskArn]);
    await cp.next('heartbeat');
    const reg = cp.calls.find((c) => c.method === 'Register')!;
    assert.equal(reg.instanceId, 'inst-1', 'Register carries the instance id too (a consistency check against the certificate)');
    const sess = cp.calls.find((c) => c.method === 'Session')!;
    assert.equal(sess.instanceId, 'inst-1');
    const hb = cp.calls.find((c) => c.method === 'Heartbeat')!;
    assert.equal(hb.instanceId, 'inst-1');
    assert.equal(hb.sessionId, cp.currentSessionId);
  });

  it('drops the stream on a sequence gap and resyncs with a new session (fresh COMPLETE)', async () => {
    const w = new RecordingWorker();
    const { session } = startSession(w);
    await waitFor('first COMPLETE', () => w.completes.length === 1);
    cp.incremental({ applies_to: 999 });
    await waitFor('second COMPLETE', () => w.completes.length === 2);
    assert.equal(w.updates.length, 0, 'the out-of-sequence message was not applied');
    assert.equal(session.sessionsOpened, 2);
  });

  it('reconnects when the control plane ends the stream, and when the heartbeat says superseded', async () => {
    const w = new RecordingWorker();
    startSession(w);
    await waitFor('first COMPLETE', () => w.completes.length === 1);
    cp.endStream();
    await waitFor('reconnected', () => w.completes.length === 2);
    cp.currentSessionId = 'someone-else';
    await waitFor('reconnected after NOT_FOUND heartbeat', () => w.completes.length === 3, 5000);
  });

  it('reconnect() (new credentials) opens a new session at once, without backoff or registering again', async () => {
    const w = new RecordingWorker();
    const { session, registrations } = startSession(w, undefined, { backoff: { initialMs: 60_000, maxMs: 60_000, multiplier: 1, jitter: 0 } });
    await waitFor('first COMPLETE', () => w.completes.length === 1);
    const registered = registrations();
    session.reconnect('certificate renewed');
    await waitFor('second COMPLETE', () => w.completes.length === 2, 2000);
    assert.equal(registrations(), registered);
    assert.equal(w.updates.length, 0, 'the worker only sees a fresh COMPLETE');
  });

  it('keeps retrying with backoff while Session fails, re-registering on NOT_FOUND', async () => {
    cp.sessionError = { code: grpc.status.NOT_FOUND, details: 'unknown instance' };
    const w = new RecordingWorker();
    const { registrations } = startSession(w);
    await waitFor('re-registered', () => registrations() >= 3);
    cp.sessionError = undefined;
    await waitFor('connected', () => w.completes.length === 1);
  });

  it('waits long after InactiveInstanceException instead of retrying quickly', async () => {
    cp.registerError = { code: grpc.status.FAILED_PRECONDITION, details: 'InactiveInstanceException: instance deregistered' };
    const w = new RecordingWorker();
    startSession(w, undefined, { inactiveWaitMs: 60_000 });
    await waitFor('first register', () => cp.calls.some((c) => c.method === 'Register'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cp.calls.filter((c) => c.method === 'Register').length, 1);
  });

  it('reporter: queues while disconnected, sends with the session id once connected, resends what was not applied', async () => {
    const applied: TaskReport[] = [];
    const reporter = new Reporter({ instanceId: () => 'inst-1', log: silentLogger(), onApplied: (r) => applied.push(...r), batchDelayMs: 10 });
    const a = assignment();
    const b = assignment();
    reporter.report({ taskArn: a.taskArn, lastStatus: 'RUNNING', containers: [] });
    reporter.report({ taskArn: b.taskArn, lastStatus: 'PENDING', containers: [] });
    cp.applies = (arn) => arn === a.taskArn;
    startSession(new RecordingWorker(), reporter);
    await waitFor('a applied', () => applied.length >= 1);
    assert.deepEqual(cp.statusUpdates[0]!.map((u) => u.task_arn).sort(), [a.taskArn, b.taskArn].sort());
    const call = cp.calls.find((c) => c.method === 'UpdateTaskStatus')!;
    assert.equal(call.sessionId, cp.currentSessionId);
    assert.deepEqual(applied.map((r) => r.taskArn), [a.taskArn]);
    cp.applies = () => true;
    await waitFor('b resent and applied', () => applied.some((r) => r.taskArn === b.taskArn));
    // Dedupe: the same report again is not sent; a forced one is.
    const n = cp.statusUpdates.length;
    reporter.report({ taskArn: a.taskArn, lastStatus: 'RUNNING', containers: [] });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(cp.statusUpdates.length, n);
    reporter.report({ taskArn: a.taskArn, lastStatus: 'RUNNING', containers: [] }, { force: true });
    await waitFor('forced resend', () => cp.statusUpdates.length === n + 1);
  });

  it('reporter: PERMISSION_DENIED on a batch isolates and drops only the foreign task', async () => {
    const applied: TaskReport[] = [];
    const reporter = new Reporter({ instanceId: () => 'inst-1', log: silentLogger(), onApplied: (r) => applied.push(...r), batchDelayMs: 10 });
    cp.updateError = (updates) => (updates.some((u) => u.task_arn === 'arn:foreign') ? { code: grpc.status.PERMISSION_DENIED, details: 'not your task' } : undefined);
    const mine = assignment();
    reporter.report({ taskArn: 'arn:foreign', lastStatus: 'RUNNING', containers: [] });
    reporter.report({ taskArn: mine.taskArn, lastStatus: 'RUNNING', containers: [] });
    startSession(new RecordingWorker(), reporter);
    await waitFor('mine applied', () => applied.some((r) => r.taskArn === mine.taskArn));
    await waitFor('queue empty', () => reporter.queued === 0);
    assert.ok(applied.every((r) => r.taskArn !== 'arn:foreign'));
  });

  it('answers log requests through LogPusher: request_id first, demuxed data, errors for unknown containers', async () => {
    const fake = new FakeContainerController();
    fake.images.add(TEST_IMAGE);
    const id = await fake.createContainer({
      dockerName: 'x', image: TEST_IMAGE, labels: {}, definition: { name: 'app', image: TEST_IMAGE }, networkMode: 'bridge', hostIp: '127.0.0.2', peers: new Map(), mounts: [], stopTimeoutSeconds: 1,
    });
    fake.containers.get(id)!.logs.push({ stream: 'stdout', data: Buffer.from('hello\n') }, { stream: 'stderr', data: Buffer.from('oops\n') });
    const pusher = new LogPusher(client, { runtimeIdOf: (arn, name) => (arn === 'arn:t' && name === 'app' ? id : undefined) }, fake, () => 'inst-1', silentLogger());
    const w = new RecordingWorker();
    startSession(w, undefined, { onLogRequest: (req, sid) => pusher.handle(req, sid) });
    await waitFor('connected', () => w.completes.length === 1);
    cp.incremental({ log_requests: [{ request_id: 'r1', task_arn: 'arn:t', container_name: 'app', follow: false, tail: 0, since_ms: 0, max_bytes: 0, timestamps: false }] });
    const chunks = (await cp.next('logs')) as { request_id: string; data: Buffer; stream: string; error: string }[];
    assert.equal(chunks[0]!.request_id, 'r1');
    assert.equal(chunks[0]!.data.length, 0);
    assert.deepEqual(chunks.slice(1).map((c) => [c.stream, c.data.toString()]), [['stdout', 'hello\n'], ['stderr', 'oops\n']]);
    const pushCall = cp.calls.find((c) => c.method === 'PushLogs')!;
    assert.equal(pushCall.sessionId, cp.currentSessionId);
    cp.incremental({ log_requests: [{ request_id: 'r2', task_arn: 'arn:t', container_name: 'nope', follow: true, tail: 10, since_ms: 0, max_bytes: 0, timestamps: false }] });
    const failed = (await cp.next('logs')) as { request_id: string; error: string }[];
    assert.equal(failed[0]!.request_id, 'r2');
    assert.match(failed[failed.length - 1]!.error, /no Docker container on this instance/);
  });
});

describe('Session with several control-plane replicas', () => {
  it('moves to the next replica when the one it is connected to dies, and keeps its assignments', async () => {
    const first = new FakeDispatcher();
    const second = new FakeDispatcher();
    await first.start();
    await second.start();
    const client = new DispatcherClient([first.target, second.target], grpc.credentials.createInsecure());
    const a = assignment();
    first.assignments = [a];
    second.assignments = [a];
    const w = new RecordingWorker();
    const s = new Session({
      client,
      instanceId: () => 'inst-1',
      register: async () => {
        await client.register({ cluster: 'test', instance_id: 'inst-1', ec2_instance_id: 'h', host_ip: '127.0.0.2', resources: { cpu: 1024, memory: 100, ports: [22], ports_udp: [] }, attributes: [], agent_version: '0.1.0', docker_version: '20.10', agent_hash: '', tags: [] });
      },
      worker: w,
      reporter: { connected() {}, disconnected() {} },
      onLogRequest: () => undefined,
      log: silentLogger(),
      backoff: FAST,
    });
    s.start();
    try {
      await waitFor('COMPLETE from the first replica', () => w.completes.length === 1);
      assert.equal(client.target, first.target);
      assert.ok(first.calls.some((c) => c.method === 'Session'));
      await first.stop();
      await waitFor('COMPLETE from the second replica', () => w.completes.length === 2);
      assert.equal(client.target, second.target);
      assert.deepEqual(w.completes[1]!.map((x) => x.taskArn), [a.taskArn]);
      assert.ok(second.calls.some((c) => c.method === 'Session' && c.instanceId === 'inst-1'));
    } finally {
      await s.stop();
      client.close();
      await second.stop();
    }
  });

  it('a single endpoint keeps its channel: failover is a no-op', () => {
    const client = new DispatcherClient('127.0.0.1:1', grpc.credentials.createInsecure());
    assert.equal(client.failover(), undefined);
    assert.equal(client.target, '127.0.0.1:1');
    client.close();
    const several = new DispatcherClient(['127.0.0.1:1', '127.0.0.2:1', '127.0.0.3:1'], grpc.credentials.createInsecure());
    assert.deepEqual([several.failover(), several.failover(), several.failover()], ['127.0.0.2:1', '127.0.0.3:1', '127.0.0.1:1']);
    several.close();
  });
});
