import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogBroker, type LogStream } from '../logs/log-broker';
import { StreamingResponse } from './actions/logs';
import { writeLogResponse } from './log-response';

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** An HTTP server answering one log stream, and a client that reads only when told. */
async function serve(stream: LogStream, idleTimeoutMs = 0) {
  let response: http.ServerResponse | undefined;
  const server = http.createServer((req, res) => {
    response = res;
    writeLogResponse(req, res, new StreamingResponse(stream, idleTimeoutMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const res = await new Promise<http.IncomingMessage>((resolve) => http.get({ host: '127.0.0.1', port, path: '/' }, resolve));
  return { server, res, serverResponse: () => response! };
}

function openStream(maxBytes = 0): LogStream {
  const broker = new LogBroker();
  broker.registerSender('i-1', () => undefined);
  return broker.open('i-1', { taskArn: 't', containerName: 'c', follow: maxBytes === 0, tail: 0, sinceMs: 0, maxBytes })!;
}

test('a client that stops reading pauses the log stream; the server buffers a bounded amount; reading again resumes and delivers everything', async () => {
  const stream = openStream();
  const { server, res, serverResponse } = await serve(stream);
  res.pause(); // the slow reader
  const total = 400; // 25 MiB offered
  let pushed = 0;
  let pausedAt = -1;
  const produce = () => {
    while (pushed < total && !stream.paused) {
      stream.push('stdout', CHUNK);
      pushed++;
    }
    if (pushed === total) stream.end();
  };
  stream.on('resume', produce);
  produce();
  pausedAt = pushed;
  assert.ok(stream.paused, 'the stream is paused');
  // Socket buffers and Node's response buffer can hold some of it, never all of it.
  assert.ok(pausedAt < 100, `paused after ${pausedAt} chunks of 64 KiB`);
  assert.ok(serverResponse().writableLength < 8 * 1024 * 1024, `response buffer ${serverResponse().writableLength} bytes`);

  let received = 0;
  let lines = 0;
  res.on('data', (b: Buffer) => {
    received += b.length;
    for (const x of b) if (x === 10) lines++;
  });
  res.resume();
  await new Promise<void>((r) => res.on('end', () => r()));
  assert.equal(pushed, total, 'the producer was resumed until the end');
  assert.equal(lines, total, 'one NDJSON line per chunk, none lost');
  assert.ok(received > total * CHUNK.length);
  server.close();
});

test('a non-follow response cut at its cap ends with a truncated line', async () => {
  const stream = openStream(100_000);
  const { server, res } = await serve(stream, 30_000);
  const body: Buffer[] = [];
  res.on('data', (b: Buffer) => body.push(b));
  const ended = new Promise<void>((r) => res.on('end', () => r()));
  stream.push('stdout', CHUNK);
  stream.push('stdout', CHUNK);
  await ended;
  const lines = Buffer.concat(body).toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const data = lines.filter((l) => typeof l.data === 'string').map((l) => l.data as string).join('');
  assert.equal(data.length, 100_000);
  assert.deepEqual(Object.keys(lines.at(-1)!), ['truncated', 'message']);
  assert.match(String(lines.at(-1)!.message), /truncated at 100000 bytes/);
  server.close();
});

test('the idle deadline is for a silent agent, not for a paused reader', async () => {
  const stream = openStream();
  const { server, res } = await serve(stream, 200);
  res.pause();
  // Produce whenever the stream lets us, until the socket buffers are full and it stays paused.
  let pushed = 0;
  const produce = () => {
    while (!stream.paused && pushed < 400) {
      stream.push('stdout', CHUNK);
      pushed++;
    }
  };
  stream.on('resume', produce);
  produce();
  await new Promise((r) => setTimeout(r, 400)); // twice the idle deadline
  assert.ok(stream.paused && pushed < 400, `the reader holds the stream paused (${pushed} chunks pushed)`);
  assert.equal(stream.ended, false, 'a paused stream is not timed out');
  res.resume();
  const body: Buffer[] = [];
  res.on('data', (b: Buffer) => body.push(b));
  await new Promise<void>((r) => res.on('end', () => r()));
  assert.match(Buffer.concat(body).toString().trim().split('\n').at(-1)!, /"__type":"ClientException","message":"the agent stopped sending logs"/);
  server.close();
});
