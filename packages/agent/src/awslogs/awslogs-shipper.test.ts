import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { WireLogBatchResult, WireLogEventsBatch } from '@stevedore/proto';
import { FakeContainerController } from '../testing/fake-container-controller';
import { containerDef } from '../testing/builders';
import { waitFor } from '../testing/wait-for';
import { AwslogsShipper } from './awslogs-shipper';
import { MemoryOffsetStore } from './offset-store';
import { LABEL } from '../docker/labels';
import { dockerSince, parseTimedLine } from './log-lines';

const log = pino({ level: 'silent' });
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef';

/** A control plane that stores what it gets, and can be made unreachable. */
class FakeLogStore {
  readonly events: { stream: string; message: string; timestamp: number }[] = [];
  readonly batches: WireLogEventsBatch[] = [];
  away = false;
  refuse: string | undefined;
  send = async (batches: WireLogEventsBatch[]): Promise<WireLogBatchResult[]> => {
    if (this.away) throw new Error('14 UNAVAILABLE: connection refused');
    return batches.map((b) => {
      this.batches.push(b);
      if (this.refuse) return { error_code: this.refuse, error_message: 'The specified log group does not exist.' };
      for (const e of b.events) this.events.push({ stream: b.log_stream, message: e.message, timestamp: e.timestamp });
      return { error_code: '', error_message: '' };
    });
  };
  messages(): string[] {
    return this.events.map((e) => e.message);
  }
}

async function runningContainer(docker: FakeContainerController, options: Record<string, string> = {}) {
  docker.images.add('img');
  const def = containerDef({ name: 'app', image: 'img', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/app', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web', ...options } } });
  const id = await docker.createContainer({ dockerName: 'app', image: 'img', labels: { [LABEL.instance]: 'i-1' }, definition: def, networkMode: 'bridge', hostIp: '127.0.0.1', peers: new Map(), mounts: [], stopTimeoutSeconds: 1 });
  await docker.startContainer(id);
  const target = AwslogsShipper.targetOf(TASK, '0123456789abcdef', def, id)!;
  const write = (text: string, time: string, stream: 'stdout' | 'stderr' = 'stdout') => docker.containers.get(id)!.logs.push({ stream, data: Buffer.from(`${text}\n`), time });
  return { id, target, write };
}

function shipper(docker: FakeContainerController, store: FakeLogStore, offsets: MemoryOffsetStore, now = () => Date.now(), logger = log) {
  return new AwslogsShipper({ controller: docker, send: store.send, offsets, instanceId: 'i-1', log: logger, now, flushIntervalMs: 20 });
}

/** 200 lines of ~66 bytes each, as the container wrote them before the shipper started. */
function write200(write: (text: string, time: string) => void): string[] {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
  lines.forEach((l, i) => write(l, `2026-12-02T16:00:${String(10 + Math.floor(i / 10)).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`));
  return lines;
}

test('timestamps: Docker RFC 3339 nano text to ms and to since', () => {
  assert.deepEqual(parseTimedLine('2026-12-02T16:00:01.123456789Z hello world'), { time: '2026-12-02T16:00:01.123456789Z', ms: Date.parse('2026-12-02T16:00:01.123Z'), text: 'hello world' });
  assert.equal(parseTimedLine('2026-12-02T16:00:01Z x')?.ms, Date.parse('2026-12-02T16:00:01Z'));
  assert.equal(dockerSince('2026-12-02T16:00:01.5Z'), `${Date.parse('2026-12-02T16:00:01Z') / 1000}.500000000`);
  assert.equal(parseTimedLine('garbage'), undefined);
});

test('ships lines in order to the ECS stream name, and resumes after a restart without loss or duplicates', async () => {
  const docker = new FakeContainerController();
  const store = new FakeLogStore();
  const offsets = new MemoryOffsetStore();
  const { id, target, write } = await runningContainer(docker);
  assert.equal(target.stream, 'web/app/0123456789abcdef');
  write('one', '2026-12-02T16:00:01.000000001Z');
  write('two', '2026-12-02T16:00:01.000000002Z');
  write('three', '2026-12-02T16:00:01.000000002Z', 'stderr');
  const a = shipper(docker, store, offsets);
  a.start();
  a.watch(target);
  await waitFor('three events shipped', () => store.events.length === 3);
  assert.deepEqual(store.messages(), ['one', 'two', 'three']);
  assert.equal(store.events[0]!.stream, 'web/app/0123456789abcdef');
  await waitFor('offset after the last delivered line', () => offsets.get(id)?.skip === 2);
  assert.deepEqual(offsets.get(id), { since: '2026-12-02T16:00:01.000000002Z', skip: 2 });
  a.stop();
  // While the agent is down the container writes more, one line with the same timestamp as the last delivered.
  write('four', '2026-12-02T16:00:01.000000002Z');
  write('five', '2026-12-02T16:00:02Z');
  const b = shipper(docker, store, offsets);
  b.start(); // resume() finds nothing by label in the fake; watch() is what the runner or resume calls
  b.watch(target);
  await waitFor('the rest shipped after the restart', () => store.events.length === 5);
  assert.deepEqual(store.messages(), ['one', 'two', 'three', 'four', 'five']);
  b.stop();
});

test('blocking mode, the control plane away: nothing is lost, delivery resumes when it is back; buffering is bounded', async () => {
  const docker = new FakeContainerController();
  const store = new FakeLogStore();
  const offsets = new MemoryOffsetStore();
  const { target, write } = await runningContainer(docker, { mode: 'blocking' });
  // The agent's bound is 1 MiB in blocking mode (Docker takes max-buffer-size only with non-blocking); 1 KiB here.
  target.cfg.maxBufferBytes = 1024;
  write200(write);
  store.away = true;
  const s = shipper(docker, store, offsets);
  s.start();
  s.watch(target);
  await waitFor('reading started', () => docker.logReads > 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(docker.logReads < 60, `reading pauses at the buffer bound (read ${docker.logReads} of 200)`);
  store.away = false;
  await waitFor('all 200 lines delivered', () => store.events.length === 200, 10_000);
  assert.deepEqual(store.messages(), Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(40)}`));
  s.stop();
});

test('non-blocking mode, the control plane away: reading never pauses, events beyond max-buffer-size are dropped and counted in the log', async () => {
  const docker = new FakeContainerController();
  const store = new FakeLogStore();
  const offsets = new MemoryOffsetStore();
  const { id, target, write } = await runningContainer(docker, { mode: 'non-blocking', 'max-buffer-size': '1k' });
  const lines = write200(write);
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  store.away = true;
  const s = shipper(docker, store, offsets, () => Date.now(), logger);
  s.start();
  s.watch(target);
  await waitFor('every line read: nothing waits on delivery', () => docker.logReads === 200);
  store.away = false;
  const counted = await waitFor('the drop count logged', () => logged.find((l) => typeof l['droppedEvents'] === 'number'));
  const dropped = counted['droppedEvents'] as number;
  // What fitted in 1 KiB (47-48 bytes + 26 per event: lines 0-12), in order; the newer ones were dropped, as Docker's ring buffer drops.
  assert.deepEqual(store.messages(), lines.slice(0, 13));
  assert.equal(dropped, 187);
  assert.equal(counted['droppedEventsTotal'], 187);
  assert.match(String(counted['msg']), /non-blocking mode dropped 187 log events \(buffer full\)/);
  assert.equal(logged.filter((l) => /dropping log events/.test(String(l['msg']))).length, 1, 'one warning when dropping starts, one count when it ends');
  // Later lines, with room again, are delivered; the offset moved past what was dropped.
  write('after', '2026-12-02T16:01:00Z');
  await docker.stopContainer(id, 1);
  await waitFor('drained after the stop', () => s.isDrained(id));
  assert.deepEqual(store.messages(), [...lines.slice(0, 13), 'after']);
  s.stop();
});

test('multi-line events by awslogs-multiline-pattern; a stopped container is drained and marked done', async () => {
  const docker = new FakeContainerController();
  const store = new FakeLogStore();
  const offsets = new MemoryOffsetStore();
  const { id, target, write } = await runningContainer(docker, { 'awslogs-multiline-pattern': '^(INFO|ERROR)' });
  write('ERROR boom', '2026-12-02T16:00:01Z');
  write('  at f()', '2026-12-02T16:00:01.1Z');
  write('INFO ok', '2026-12-02T16:00:02Z');
  const s = shipper(docker, store, offsets);
  s.start();
  s.watch(target);
  await waitFor('the first event closes when the next starts', () => store.events.length === 1);
  assert.equal(store.events[0]!.message, 'ERROR boom\n  at f()');
  await docker.stopContainer(id, 1);
  await waitFor('drained after the stop', () => s.isDrained(id));
  assert.deepEqual(store.messages(), ['ERROR boom\n  at f()', 'INFO ok']);
  assert.equal(offsets.get(id)?.done, true);
  s.stop();
});

test('prepare fails as the Docker driver does when the group is missing', async () => {
  const docker = new FakeContainerController();
  const store = new FakeLogStore();
  store.refuse = 'ResourceNotFoundException';
  const { target } = await runningContainer(docker);
  const s = shipper(docker, store, new MemoryOffsetStore());
  await assert.rejects(s.prepare(target), /failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist\./);
  assert.equal(store.batches[0]!.events.length, 0);
});
