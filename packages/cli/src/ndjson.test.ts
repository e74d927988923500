import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, parseLogLine } from './ndjson';

test('lines split across chunks and UTF-8 split across bytes come out whole', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('{"data":"héllo"}\n{"da', 'utf8');
  const cut = bytes.indexOf(0xc3) + 1; // in the middle of "é"
  assert.deepEqual(s.push(bytes.subarray(0, cut)), []);
  assert.deepEqual(s.push(bytes.subarray(cut)), ['{"data":"héllo"}']);
  assert.deepEqual(s.push('ta":"x"}\n\n'), ['{"data":"x"}']);
  assert.deepEqual(s.push('{"data":"tail"}'), []);
  assert.deepEqual(s.end(), ['{"data":"tail"}']);
});

test('log events: data, error, unknown', () => {
  assert.deepEqual(parseLogLine('{"stream":"stderr","data":"oops\\n"}'), { kind: 'data', stream: 'stderr', data: 'oops\n' });
  assert.deepEqual(parseLogLine('{"data":"x"}'), { kind: 'data', stream: 'stdout', data: 'x' });
  assert.deepEqual(parseLogLine('{"__type":"ClientException","message":"gone"}'), { kind: 'error', type: 'ClientException', message: 'gone' });
  assert.equal(parseLogLine('not json').kind, 'unknown');
  assert.equal(parseLogLine('{"heartbeat":true}').kind, 'unknown');
});
