import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesceFrames, LogDemuxer } from './log-demux';

function frame(type: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('frames split across chunks are demultiplexed whole', () => {
  const d = new LogDemuxer();
  const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]);
  const first = d.push(bytes.subarray(0, 5));
  const rest = d.push(bytes.subarray(5));
  assert.deepEqual(first, []);
  assert.deepEqual(rest.map((f) => [f.stream, f.data.toString()]), [['stdout', 'out\n'], ['stderr', 'err\n']]);
});

test('consecutive frames of one stream become one piece, in order across streams', () => {
  const frames = new LogDemuxer().push(Buffer.concat([frame(1, 'a\n'), frame(1, 'b\n'), frame(2, 'x\n'), frame(1, 'c\n'), frame(1, 'd\n')]));
  assert.deepEqual(
    coalesceFrames(frames).map((f) => [f.stream, f.data.toString()]),
    [['stdout', 'a\nb\n'], ['stderr', 'x\n'], ['stdout', 'c\nd\n']],
  );
  assert.deepEqual(coalesceFrames([]), []);
});
