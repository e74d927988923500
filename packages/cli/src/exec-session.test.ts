import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { runExecStream, type TerminalIo } from './exec-session';
import { CliError } from './context';

/** A stream server on loopback that plays the control plane's side with `script`. */
async function server(script: (ws: WebSocket, first: Record<string, unknown>, next: () => Promise<Buffer | string>) => Promise<void>) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    const queue: (Buffer | string)[] = [];
    const waiters: ((m: Buffer | string) => void)[] = [];
    ws.on('message', (data, binary) => {
      const m = binary ? (data as Buffer) : data.toString();
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = () => new Promise<Buffer | string>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
    void next().then((first) => script(ws, JSON.parse(String(first)) as Record<string, unknown>, next));
  });
  const port = (wss.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}/v1/exec/ecs-execute-command-000000000000000000000000`, close: () => wss.close() };
}

function terminal(isTTY: boolean) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (b: Buffer) => out.push(b.toString()));
  stderr.on('data', (b: Buffer) => err.push(b.toString()));
  const raw: boolean[] = [];
  let resize: () => void = () => undefined;
  let size = { cols: 120, rows: 40 };
  const term: TerminalIo = {
    stdin, stdout, stderr, isTTY,
    setRawMode: (r) => raw.push(r),
    size: () => size,
    onResize: (fn) => ((resize = fn), () => (resize = () => undefined)),
  };
  return { term, stdin, out, err, raw, resizeTo: (s: { cols: number; rows: number }) => ((size = s), resize()) };
}

test('a TTY session: raw mode on and restored, size and resizes sent, keys forwarded, output shown, exit code returned', async () => {
  const t = terminal(true);
  let opened: Record<string, unknown> = {};
  const got: (Buffer | string)[] = [];
  const s = await server(async (ws, first, next) => {
    opened = first;
    ws.send(JSON.stringify({ type: 'started' }));
    t.stdin.write('ls\r');
    got.push(await next());
    t.resizeTo({ cols: 90, rows: 20 });
    got.push(await next());
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('file\r\n')]));
    ws.send(JSON.stringify({ type: 'exit', exitCode: 5 }));
    ws.close();
  });
  const code = await runExecStream({ sessionId: 'x', streamUrl: s.url, tokenValue: 'tok' }, t.term);
  s.close();
  assert.equal(code, 5);
  assert.deepEqual(opened, { type: 'open', token: 'tok', tty: true, cols: 120, rows: 40 });
  assert.deepEqual(got.map(String), ['ls\r', JSON.stringify({ type: 'resize', cols: 90, rows: 20 })]);
  assert.equal(t.out.join(''), 'file\r\n');
  assert.deepEqual(t.raw, [true, false]);
});

test('without a terminal: no TTY, stderr apart, stdin EOF forwarded; a session error is an API error (254)', async () => {
  const t = terminal(false);
  const s = await server(async (ws, first, next) => {
    assert.equal(first['tty'], false);
    t.stdin.end('data');
    assert.equal(String(await next()), 'data');
    assert.equal(String(await next()), JSON.stringify({ type: 'eof' }));
    ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('warn\n')]));
    ws.send(JSON.stringify({ type: 'error', code: 'TaskStopped', message: 'The task was stopped.' }));
    ws.close();
  });
  await assert.rejects(runExecStream({ sessionId: 'x', streamUrl: s.url, tokenValue: 'tok' }, t.term), (e) => e instanceof CliError && e.exitCode === 254 && /TaskStopped/.test(e.message));
  s.close();
  assert.equal(t.err.join(''), 'warn\n');
  assert.deepEqual(t.raw, []);
});

test('a stream that closes without an exit code is a transport error (255)', async () => {
  const t = terminal(false);
  const s = await server(async (ws) => ws.close());
  await assert.rejects(runExecStream({ sessionId: 'x', streamUrl: s.url, tokenValue: 'tok' }, t.term), (e) => e instanceof CliError && e.exitCode === 255);
  s.close();
});
