import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { TaskAssignment } from '@stevedore/core';
import { EMPTY_EXEC_FRAME, type ExecFrame, type ExecRequest } from '@stevedore/proto';
import { ExecSessions, type ExecChannel } from './exec-sessions';
import type { ExecLauncher, ExecProcess, ExecProcessSpec } from './exec-process';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:task/c/t1';
const spec = (over: Partial<TaskAssignment> = {}) =>
  ({ taskArn: ARN, desiredStatus: 'RUNNING', enableExecuteCommand: true, containers: [{ name: 'app', image: 'x', containerArn: 'a' }], ...over }) as TaskAssignment;
const req = (over: Partial<ExecRequest> = {}): ExecRequest => ({ session_id: 's1', task_arn: ARN, container_name: 'app', command: ['sh'], tty: false, cols: 0, rows: 0, ...over });

/** A fake ExecSession call: records what the agent writes; `fromControlPlane` plays the other side. */
class FakeCall extends EventEmitter {
  written: ExecFrame[] = [];
  ended = false;
  write(f: ExecFrame) {
    this.written.push(f);
    return true;
  }
  end() {
    this.ended = true;
  }
  pause() {}
  resume() {}
}

class FakeProcess implements ExecProcess {
  input: Buffer[] = [];
  resized: [number, number][] = [];
  eof = false;
  detached = false;
  out: (s: 'stdout' | 'stderr', d: Buffer) => void = () => undefined;
  private exit!: (code: number) => void;
  exited = new Promise<number>((r) => (this.exit = r));
  onOutput(fn: (s: 'stdout' | 'stderr', d: Buffer) => void) {
    this.out = fn;
  }
  write(d: Buffer) {
    this.input.push(d);
    return true;
  }
  onDrain() {}
  endInput() {
    this.eof = true;
  }
  resize(c: number, r: number) {
    this.resized.push([c, r]);
  }
  pause() {}
  resume() {}
  detach() {
    this.detached = true;
  }
  finish(code: number) {
    this.exit(code);
  }
}

function rig(current: TaskAssignment | undefined, running = true) {
  const call = new FakeCall();
  const proc = new FakeProcess();
  const started: ExecProcessSpec[] = [];
  const channel: ExecChannel = { execSession: () => call as never };
  const launcher: ExecLauncher = { start: async (s) => (started.push(s), proc) };
  const sessions = new ExecSessions(
    channel,
    { specOf: () => current, runtimeIdOf: () => (running ? 'docker-id' : undefined), isRunning: () => running },
    launcher,
    () => 'i-1',
    pino({ level: 'silent' }),
  );
  return { sessions, call, proc, started };
}

test('the agent checks the task again and refuses with one error frame', () => {
  const cases: [TaskAssignment | undefined, boolean, ExecRequest, RegExp][] = [
    [undefined, true, req(), /not running on this container instance/],
    [spec({ enableExecuteCommand: false }), true, req(), /not enabled/],
    [spec({ desiredStatus: 'STOPPED' }), true, req(), /stopping/],
    [spec(), true, req({ container_name: 'other' }), /no container other/],
    [spec(), false, req(), /not running/],
  ];
  for (const [current, running, r, reason] of cases) {
    const { sessions, call, started } = rig(current, running);
    sessions.handle(r, 'sess');
    assert.equal(call.written[0]?.session_id, 's1');
    assert.match(call.written[1]?.error ?? '', reason);
    assert.equal(call.ended, true);
    assert.equal(started.length, 0, 'nothing ran');
  }
});

test('a session: the process gets stdin, resizes and EOF; its output and exit code go back', async () => {
  const { sessions, call, proc, started } = rig(spec());
  sessions.handle(req({ tty: true, cols: 80, rows: 24, command: ['sh', '-c', 'x'] }), 'sess');
  // Sent before the process runs: kept for it.
  call.emit('data', { ...EMPTY_EXEC_FRAME, data: Buffer.from('early') });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [{ runtimeId: 'docker-id', command: ['sh', '-c', 'x'], tty: true, cols: 80, rows: 24 }]);
  assert.equal(call.written[1]?.started, true);
  call.emit('data', { ...EMPTY_EXEC_FRAME, cols: 100, rows: 50 });
  call.emit('data', { ...EMPTY_EXEC_FRAME, eof: true });
  assert.deepEqual(proc.input.map(String), ['early']);
  assert.deepEqual(proc.resized, [[100, 50]]);
  assert.equal(proc.eof, true);
  proc.out('stdout', Buffer.from('hello'));
  proc.finish(7);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(call.written.slice(2).map((f) => [f.data.toString(), f.stream, f.exit_code]), [['hello', 'stdout', undefined], ['', '', 7]]);
  assert.equal(call.ended, true);
  assert.equal(sessions.serving, 0);
});

test('the control plane ending the call drops the process', async () => {
  const { sessions, call, proc } = rig(spec());
  sessions.handle(req(), 'sess');
  await new Promise((r) => setImmediate(r));
  call.emit('end');
  assert.equal(proc.detached, true);
  assert.equal(sessions.serving, 0);
});
