import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStevedoreError } from '@stevedore/core';
import { LogBroker, type LogChunkOut, type LogEnd, type LogQuery } from './log-broker';

const query = (over: Partial<LogQuery> = {}): LogQuery => ({ taskArn: 'arn:t', containerName: 'app', follow: false, tail: 1000, sinceMs: 0, maxBytes: 0, ...over });

test('a non-follow stream ends at its byte cap: exactly maxBytes reach the reader, then a truncated end', () => {
  const broker = new LogBroker();
  broker.registerSender('i-1', () => undefined);
  const s = broker.open('i-1', query({ maxBytes: 10 }))!;
  const got: string[] = [];
  let end: LogEnd | undefined;
  s.on('data', (c: LogChunkOut) => got.push(c.data));
  s.on('end', (how: LogEnd) => (end = how));
  s.push('stdout', Buffer.from('12345\n'));
  s.push('stdout', Buffer.from('67890\nmore\n'));
  s.push('stdout', Buffer.from('ignored after the end\n'));
  assert.equal(got.join(''), '12345\n6789');
  assert.deepEqual(end, { truncated: true });
  assert.equal(s.bytes, 10);
  assert.equal(broker.get(s.id), undefined, 'an ended stream leaves the broker');
});

test('a follow stream has no cap', () => {
  const broker = new LogBroker();
  broker.registerSender('i-1', () => undefined);
  const s = broker.open('i-1', query({ follow: true, maxBytes: 10 }))!;
  let bytes = 0;
  s.on('data', (c: LogChunkOut) => (bytes += c.data.length));
  for (let i = 0; i < 100; i++) s.push('stdout', Buffer.from('0123456789'));
  assert.equal(bytes, 1000);
  assert.equal(s.ended, false);
});

test('a character split across agent chunks is decoded whole', () => {
  const broker = new LogBroker();
  broker.registerSender('i-1', () => undefined);
  const s = broker.open('i-1', query())!;
  const got: string[] = [];
  s.on('data', (c: LogChunkOut) => got.push(c.data));
  const bytes = Buffer.from('wärme\n');
  s.push('stdout', bytes.subarray(0, 2));
  s.push('stdout', bytes.subarray(2));
  assert.equal(got.join(''), 'wärme\n');
});

test('streams per instance are limited: LimitExceededException beyond, and an ended or cancelled stream frees its slot', () => {
  const broker = new LogBroker({ maxStreamsPerInstance: 2 });
  const sent: string[] = [];
  broker.registerSender('i-1', (id) => sent.push(id));
  broker.registerSender('i-2', () => undefined);
  const a = broker.open('i-1', query())!;
  const b = broker.open('i-1', query({ follow: true }))!;
  assert.throws(
    () => broker.open('i-1', query()),
    (e: unknown) => isStevedoreError(e) && e.code === 'LimitExceededException' && e.httpStatus === 400 && /2 log streams/.test(e.message),
  );
  assert.equal(sent.length, 2, 'a refused stream never reaches the agent');
  assert.ok(broker.open('i-2', query()), 'the limit is per instance');
  a.end();
  const c = broker.open('i-1', query())!;
  b.cancel();
  b.end(); // the producer ends it too: the slot is freed once
  assert.equal(broker.openStreams('i-1'), 1);
  c.cancel();
  assert.equal(broker.openStreams('i-1'), 0);
});

test('pause and resume are signalled once each, and not after the end', () => {
  const broker = new LogBroker();
  broker.registerSender('i-1', () => undefined);
  const s = broker.open('i-1', query())!;
  const seen: string[] = [];
  s.on('pause', () => seen.push('pause'));
  s.on('resume', () => seen.push('resume'));
  s.pause();
  s.pause();
  s.resume();
  s.resume();
  s.end();
  s.pause();
  assert.deepEqual(seen, ['pause', 'resume']);
});
