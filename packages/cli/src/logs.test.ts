import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { ecsError, startFakeEcs, StreamReply } from './testing/fake-ecs-server';

const line = (o: object) => JSON.stringify(o) + '\n';

test('logs streams stdout and stderr as it arrives', async (t) => {
  const fake = await startFakeEcs({
    GetTaskLogs: () =>
      new StreamReply(async (res) => {
        res.write(line({ stream: 'stdout', data: 'hello\n' }));
        await new Promise((r) => setTimeout(r, 10));
        // A line split over two chunks, cut inside a multi-byte character.
        const bytes = Buffer.from(line({ stream: 'stderr', data: 'wärning\n' }));
        res.write(bytes.subarray(0, 25));
        await new Promise((r) => setTimeout(r, 10));
        res.end(bytes.subarray(25));
      }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['logs', 'abc', '--container', 'web', '--tail', '10'], io), 0);
  assert.equal(io.out(), 'hello\n');
  assert.equal(io.err(), 'wärning\n');
  const call = fake.calls[0]!;
  assert.equal(call.target, 'Stevedore_20261125.GetTaskLogs');
  assert.deepEqual(call.body, { cluster: 'default', task: 'abc', follow: false, containerName: 'web', tail: 10 });
});

test('an error line in the stream is reported and exits 1', async (t) => {
  const fake = await startFakeEcs({
    GetTaskLogs: () =>
      new StreamReply((res) => {
        res.write(line({ stream: 'stdout', data: 'partial\n' }));
        res.end(line({ __type: 'ServerException', message: 'agent disconnected' }));
      }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['logs', 'abc'], io), 254);
  assert.equal(io.out(), 'partial\n');
  assert.equal(io.err(), 'error: ServerException: agent disconnected\n');
});

test('several containers and no --container: the server\'s error is shown', async (t) => {
  const fake = await startFakeEcs({
    GetTaskLogs: () => ecsError('InvalidParameterException', 'task has several containers (web, sidecar): give containerName'),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['logs', 'abc'], io), 254);
  assert.equal(io.err(), 'error: InvalidParameterException: task has several containers (web, sidecar): give containerName\n');
});

test('--follow keeps reading until Ctrl-C, then exits 130', async (t) => {
  const fake = await startFakeEcs({
    GetTaskLogs: () => new StreamReply((res) => void res.write(line({ stream: 'stdout', data: 'tick\n' }))),
  });
  t.after(() => fake.close());
  const ac = new AbortController();
  let out = '';
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint }, signal: ac.signal });
  io.stdout = {
    write: (s: string) => {
      out += s;
      ac.abort();
    },
  };
  assert.equal(await run(['logs', 'abc', '-f'], io), 130);
  assert.equal(out, 'tick\n');
  assert.equal(fake.calls[0]!.body.follow, true);
});

test('a read cut at the server\'s byte cap prints what came and the notice on stderr, and exits 0', async (t) => {
  const fake = await startFakeEcs({
    GetTaskLogs: () =>
      new StreamReply((res) => {
        res.write(line({ stream: 'stdout', data: 'first part\n' }));
        res.end(line({ truncated: true, message: 'Log output truncated at 1048576 bytes.' }));
      }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['logs', 'abc'], io), 0);
  assert.equal(io.out(), 'first part\n');
  assert.equal(io.err(), 'stevedore: Log output truncated at 1048576 bytes.\n');
});

test('logs --since (duration or time) sends startTime; --timestamps asks for RFC 3339 times; a bad --since is usage', async (t) => {
  const fake = await startFakeEcs({ GetTaskLogs: () => new StreamReply((res) => void res.end(line({ stream: 'stdout', data: '2026-11-25T12:00:00.000000000Z hi\n' }))) });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  const io = captureIo({ env });
  const now = io.now() / 1000;
  assert.equal(await run(['logs', 'abc', '--since', '10m', '--timestamps'], io), 0);
  assert.deepEqual(fake.calls[0]!.body, { cluster: 'default', task: 'abc', follow: false, startTime: Math.floor(now) - 600, timestamps: true });
  assert.equal(io.out(), '2026-11-25T12:00:00.000000000Z hi\n');
  assert.equal(await run(['logs', 'abc', '--since', '2026-11-25T11:00:00Z'], captureIo({ env })), 0);
  assert.equal(fake.calls[1]!.body['startTime'], Date.UTC(2026, 10, 25, 11) / 1000);
  const bad = captureIo({ env });
  assert.equal(await run(['logs', 'abc', '--since', 'yesterday'], bad), 2);
  assert.match(bad.err(), /--since must be a duration/);
  assert.equal(fake.calls.length, 2);
});
