import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerMessage, describeEnd, ExecStream, type ExecEnd, type ExecSocket } from './exec-stream';

/** A socket with a WebSocket's states: CONNECTING until the server opens it, then OPEN, CLOSED after a close from either side. */
class FakeSocket implements ExecSocket {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: (string | Uint8Array)[] = [];
  closedWith: number | undefined;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  send(data: string | ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(typeof data === 'string' ? data : new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  }
  close(code = 1005): void {
    if (this.readyState >= 2) return;
    this.closedWith = code;
    this.readyState = 2;
  }
  serverOpens(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  serverSends(data: string | Uint8Array): void {
    this.onmessage?.(new MessageEvent('message', { data: typeof data === 'string' ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }));
  }
  serverCloses(): void {
    this.readyState = 3;
    // Node has no CloseEvent; the session reads nothing from it.
    this.onclose?.(new Event('close') as CloseEvent);
  }
}

const session = { sessionId: 'ecs-execute-command-0123456789abcdef01234567', streamUrl: 'ws://127.0.0.1:1/v1/exec/x', tokenValue: 'tok-1' };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function open(size = { cols: 80, rows: 24 }) {
  const socket = new FakeSocket();
  const out: string[] = [];
  const ends: ExecEnd[] = [];
  const s = new ExecStream(socket, session, size, { output: (d, stream) => out.push(`${stream}:${text(d)}`), ended: (e) => ends.push(e) });
  return { socket, s, out, ends };
}

test('opens with the token and the terminal size as its first message, and asks for arraybuffers', () => {
  const { socket, s } = open({ cols: 100.7, rows: 30 });
  assert.equal(socket.binaryType, 'arraybuffer');
  s.input('ls\r');
  assert.deepEqual(socket.sent, [], 'nothing goes before the socket is open');
  socket.serverOpens();
  assert.deepEqual(JSON.parse(String(socket.sent[0])), { type: 'open', token: 'tok-1', tty: true, cols: 100, rows: 30 });
});

test('keystrokes go as binary UTF-8, resizes as control messages; output is split by stream', () => {
  const { socket, s, out } = open();
  socket.serverOpens();
  s.input('é\r');
  s.resize(120, 40);
  s.resize(0, 40);
  assert.deepEqual(socket.sent[1], new TextEncoder().encode('é\r'));
  assert.deepEqual(JSON.parse(String(socket.sent[2])), { type: 'resize', cols: 120, rows: 40 });
  assert.equal(socket.sent.length, 3, 'a zero size is not sent');
  socket.serverSends(new Uint8Array([1, ...new TextEncoder().encode('hi\r\n')]));
  socket.serverSends(new Uint8Array([2, ...new TextEncoder().encode('oops')]));
  socket.serverSends(new Uint8Array([9, 65]));
  socket.serverSends('{"type":"started"}');
  assert.deepEqual(out, ['stdout:hi\r\n', 'stderr:oops']);
});

test('the exit code the server sends before closing is how the session ends, reported once', () => {
  const { socket, s, ends } = open();
  socket.serverOpens();
  socket.serverSends('{"type":"exit","exitCode":3}');
  socket.serverCloses();
  s.close();
  assert.deepEqual(ends, [{ kind: 'exit', exitCode: 3 }]);
  assert.equal(describeEnd(ends[0]!), 'The command exited with code 3.');
  s.input('x');
  assert.equal(socket.sent.length, 1, 'no input after the end');
});

test('a refusal (an expired token, a stopped task) is the end, with its code and message', () => {
  const { socket, ends } = open();
  socket.serverOpens();
  socket.serverSends('{"type":"error","code":"TaskStopped","message":"The task stopped."}');
  socket.serverCloses();
  assert.deepEqual(ends, [{ kind: 'error', code: 'TaskStopped', message: 'The task stopped.' }]);
  assert.match(describeEnd(ends[0]!), /TaskStopped: The task stopped\./);
});

test('closing from the console ends it at once, even before the socket opened', () => {
  const { socket, s, ends } = open();
  s.close();
  assert.equal(socket.closedWith, 1000);
  assert.deepEqual(ends, [{ kind: 'closed', byUs: true }]);
  const other = open();
  other.socket.serverOpens();
  other.socket.serverCloses();
  assert.deepEqual(other.ends, [{ kind: 'closed', byUs: false }]);
});

test('decodeServerMessage ignores what it does not know', () => {
  assert.equal(decodeServerMessage('not json'), undefined);
  assert.equal(decodeServerMessage('{"type":"later-kind"}'), undefined);
  assert.equal(decodeServerMessage('{"type":"exit"}'), undefined);
  assert.equal(decodeServerMessage(new Uint8Array([1])), undefined);
  assert.equal(decodeServerMessage(42), undefined);
  assert.deepEqual(decodeServerMessage('{"type":"error"}'), { kind: 'error', code: 'Error', message: 'The exec session failed.' });
});
