import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { LogChunk, LogRequest } from '@stevedore/proto';
import { silentLogger } from '../logger';
import { TEST_IMAGE } from '../testing/builders';
import { waitFor } from '../testing/wait-for';
import { FakeContainerController } from '../testing/fake-container-controller';
import { LogPusher, type LogPusherOptions } from './log-pusher';

/**
 * A PushLogs call that behaves like grpc-js's client stream: an object-mode
 * Writable (write() returns false past its high-water mark, 'drain' after),
 * whose network only takes messages when the test lets it (`flow`).
 */
class FakeLogCall extends Writable {
  readonly received: LogChunk[] = [];
  private held: (() => void)[] = [];
  flowing = true;
  constructor(private readonly done: (err: null) => void) {
    super({ objectMode: true, highWaterMark: 4 });
    this.on('finish', () => this.done(null));
  }
  override _write(chunk: LogChunk, _enc: BufferEncoding, cb: () => void): void {
    this.received.push(chunk);
    if (this.flowing) cb();
    else this.held.push(cb);
  }
  flow(): void {
    this.flowing = true;
    const held = this.held;
    this.held = [];
    for (const cb of held) cb();
  }
  data(): string {
    return Buffer.concat(this.received.map((c) => c.data)).toString();
  }
  get last(): LogChunk | undefined {
    return this.received[this.received.length - 1];
  }
}

async function setup(lines: number, opts?: LogPusherOptions, pad = 0) {
  const fake = new FakeContainerController();
  fake.images.add(TEST_IMAGE);
  const id = await fake.createContainer({
    dockerName: 'x', image: TEST_IMAGE, labels: {}, definition: { name: 'app', image: TEST_IMAGE }, networkMode: 'bridge', hostIp: '127.0.5.9', peers: new Map(), mounts: [], stopTimeoutSeconds: 1,
  });
  await fake.startContainer(id);
  for (let i = 0; i < lines; i++) fake.containers.get(id)!.logs.push({ stream: 'stdout', data: Buffer.from(`line ${String(i).padStart(5, '0')}${'x'.repeat(pad)}\n`) });
  const calls: FakeLogCall[] = [];
  const client = {
    pushLogs: (_i: string, _s: string, done: (err: null) => void) => {
      const call = new FakeLogCall(done);
      calls.push(call);
      return call as never;
    },
  };
  const pusher = new LogPusher(client, { runtimeIdOf: () => id }, fake, () => 'inst-1', silentLogger(), opts);
  return { fake, id, pusher, calls };
}

const request = (over: Partial<LogRequest> = {}): LogRequest => ({
  request_id: 'r1', task_arn: 'arn:t', container_name: 'app', follow: false, tail: 0, since_ms: 0, max_bytes: 0, timestamps: false, ...over,
});

test('a reader that does not drain stops the agent reading Docker; draining resumes it and nothing is lost', async () => {
  // 10,000 lines of 1 KB: 10 MB the reader is not taking.
  const { fake, pusher, calls } = await setup(10_000, undefined, 1013);
  pusher.handle(request(), 's');
  const call = calls[0]!;
  call.flowing = false; // the control plane stops taking messages at once
  await waitFor('the call needs a drain', () => call.writableNeedDrain || undefined);
  // Give the producer every chance to run ahead: it must stay paused.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const readWhilePaused = fake.logReads;
  // The call's high-water mark (4 messages) of 32 KiB batches, plus the batch being filled: about 160 KB.
  assert.ok(readWhilePaused <= 200, `at most a few batches read while the reader is stuck, read ${readWhilePaused} KB`);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(fake.logReads, readWhilePaused, 'the producer stays paused');
  call.flow();
  await waitFor('all 10,000 lines delivered', () => call.writableFinished || undefined, 10_000);
  const lines = call.data().split('\n').filter(Boolean);
  assert.equal(lines.length, 10_000);
  assert.equal(lines[9_999], `line 09999${'x'.repeat(1013)}`);
  assert.ok(call.received.every((c) => c.data.length <= 32 * 1024), 'messages are batches of at most 32 KiB');
});

test('a non-follow read stops at max_bytes: exactly the cap is sent, then a truncated chunk, and Docker is not read further', async () => {
  const { fake, pusher, calls } = await setup(1_000);
  pusher.handle(request({ max_bytes: 105 }), 's'); // 10 lines of 11 bytes = 110 > 105
  const call = calls[0]!;
  await waitFor('the call ends', () => call.writableFinished || undefined);
  assert.equal(Buffer.concat(call.received.map((c) => c.data)).length, 105);
  assert.equal(call.last!.truncated, true);
  assert.equal(call.last!.error, '');
  assert.ok(fake.logReads <= 11, `read ${fake.logReads} entries for a 105-byte answer`);
});

test('a follow has no byte cap, and a read under the cap is not marked truncated', async () => {
  const { pusher, calls } = await setup(100);
  pusher.handle(request({ max_bytes: 1_000_000 }), 's');
  const call = calls[0]!;
  await waitFor('the call ends', () => call.writableFinished || undefined);
  assert.equal(call.data().split('\n').filter(Boolean).length, 100);
  assert.ok(call.received.every((c) => !c.truncated));
});

test('tail: the last N lines only', async () => {
  const { pusher, calls } = await setup(5_000);
  pusher.handle(request({ tail: 1000 }), 's');
  const call = calls[0]!;
  await waitFor('the call ends', () => call.writableFinished || undefined);
  const lines = call.data().split('\n').filter(Boolean);
  assert.equal(lines.length, 1000);
  assert.equal(lines[0], 'line 04000');
});

test('more concurrent requests than the agent serves are refused with LimitExceededException; a finished one frees its slot', async () => {
  const { fake, id, pusher, calls } = await setup(10, { maxConcurrent: 2 });
  pusher.handle(request({ request_id: 'a', follow: true }), 's');
  pusher.handle(request({ request_id: 'b', follow: true }), 's');
  pusher.handle(request({ request_id: 'c', follow: true }), 's');
  const refused = calls[2]!;
  await waitFor('the third call ends', () => refused.writableFinished || undefined);
  assert.equal(refused.received[0]!.request_id, 'c');
  assert.match(refused.last!.error, /^LimitExceededException: .*2 log streams/);
  assert.equal(pusher.serving, 2);
  // The followed container stops: both follows end and free their slots.
  await fake.stopContainer(id, 1);
  await waitFor('follows end', () => (calls[0]!.writableFinished && calls[1]!.writableFinished) || undefined);
  await waitFor('slots released', () => pusher.serving === 0 || undefined);
  pusher.handle(request({ request_id: 'd' }), 's');
  await waitFor('d served', () => calls[3]!.writableFinished || undefined);
  assert.equal(calls[3]!.last!.error, '');
  assert.equal(calls[3]!.data().split('\n').filter(Boolean).length, 10);
});

test('short lines are batched into few messages, order across stdout and stderr kept', async () => {
  const { fake, id, pusher, calls } = await setup(0);
  const logs = fake.containers.get(id)!.logs;
  for (let i = 0; i < 3000; i++) logs.push({ stream: 'stdout', data: Buffer.from(`${i}\n`) });
  logs.push({ stream: 'stderr', data: Buffer.from('oops\n') });
  logs.push({ stream: 'stdout', data: Buffer.from('after\n') });
  pusher.handle(request(), 's');
  const call = calls[0]!;
  await waitFor('the call ends', () => call.writableFinished || undefined);
  const data = call.received.filter((c) => c.data.length > 0);
  assert.ok(data.length <= 10, `${data.length} messages for 3,002 lines`);
  assert.deepEqual(data.slice(-2).map((c) => [c.stream, c.data.toString()]), [['stderr', 'oops\n'], ['stdout', 'after\n']]);
  assert.equal(data.filter((c) => c.stream === 'stdout').map((c) => c.data.toString()).join('').split('\n').length, 3002);
});

test('timestamps: each line starts with Docker\'s RFC 3339 time; without, the lines are as written', async () => {
  const { pusher, calls } = await setup(3);
  pusher.handle(request({ timestamps: true }), 's');
  pusher.handle(request({ request_id: 'r2' }), 's');
  await waitFor('both calls end', () => (calls.length === 2 && calls.every((c) => c.writableFinished)) || undefined);
  const [stamped, plain] = calls.map((c) => c.data().split('\n').filter(Boolean));
  assert.equal(stamped!.length, 3);
  assert.ok(stamped!.every((l, i) => l === `1970-01-01T00:00:00Z ${plain![i]}`), stamped!.join('\n'));
});
