import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { EXIT_FATAL, exitOnFatalErrors } from './fatal-errors';

function fakeProcess() {
  const events = new EventEmitter();
  const exits: number[] = [];
  let stderr = '';
  const proc = {
    on: (e: 'uncaughtException' | 'unhandledRejection', l: (err: unknown) => void) => events.on(e, l),
    exit: (code: number) => void exits.push(code),
    stderr: { write: (t: string) => (stderr += t) },
  };
  return { proc, events, exits, stderr: () => stderr };
}

test('the first fatal error is logged with its cause and exits EX_SOFTWARE once', () => {
  const { proc, events, exits } = fakeProcess();
  const lines: { err: unknown; msg: string }[] = [];
  let flushed = 0;
  exitOnFatalErrors({ fatal: (f, msg) => lines.push({ err: f.err, msg }), flush: () => void flushed++ }, 'stevedore-agent', proc);
  const boom = new Error('boom');
  events.emit('unhandledRejection', boom);
  events.emit('uncaughtException', new Error('second'));
  assert.deepEqual(exits, [EXIT_FATAL]);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.err, boom);
  assert.match(lines[0]!.msg, /^unhandled rejection: exiting so that the service manager restarts stevedore-agent in a known state$/);
  assert.equal(flushed, 1);
});

test('a logger that fails still leaves the error on stderr, and the process exits', () => {
  const { proc, events, exits, stderr } = fakeProcess();
  exitOnFatalErrors({ fatal: () => { throw new Error('log closed'); }, flush: () => undefined }, 'stevedore-control-plane', proc);
  events.emit('uncaughtException', new Error('kaput'));
  assert.deepEqual(exits, [EXIT_FATAL]);
  assert.match(stderr(), /^stevedore-control-plane: uncaught exception: Error: kaput/);
});
