import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awslogsConfigOf, awslogsStreamName, parseByteSize } from './awslogs-config';
import { compileFilterPattern } from './filter-pattern';
import { logOptionProblems } from './log-driver-options';
import { MultilineGrouper, multilineStart, strftimeToRegExpSource, MULTILINE_IDLE_FLUSH_MS } from './multiline';
import { logRetentionCutoff } from './retention';

test('stream names as ECS names them: prefix/container/task-id, or the container id without a prefix', () => {
  assert.equal(awslogsStreamName('ecs', 'web', '0123abcd', 'f'.repeat(64)), 'ecs/web/0123abcd');
  assert.equal(awslogsStreamName('', 'web', '0123abcd', 'f'.repeat(64)), 'f'.repeat(64));
});

test('awslogs config: create-group, mode and buffer size read from the options', () => {
  const cfg = awslogsConfigOf({ logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/app', 'awslogs-region': 'eu-west-1', 'awslogs-create-group': 'true', mode: 'non-blocking', 'max-buffer-size': '4m' } });
  assert.deepEqual(cfg, { group: '/ecs/app', streamPrefix: '', createGroup: true, region: 'eu-west-1', mode: 'non-blocking', maxBufferBytes: 4 * 1024 * 1024 });
  assert.equal(awslogsConfigOf({ logDriver: 'json-file' }), undefined);
  assert.equal(awslogsConfigOf({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1' } })?.createGroup, false);
  assert.equal(parseByteSize('512k'), 512 * 1024);
  assert.equal(parseByteSize('10mb'), 10 * 1024 * 1024);
  assert.equal(parseByteSize('ten'), undefined);
  // Docker's RAMInBytes: decimals, one optional space, t/p units, any case; nothing else.
  assert.equal(parseByteSize('1.5 MiB'), 1.5 * 1024 * 1024);
  assert.equal(parseByteSize('2T'), 2 * 1024 ** 4);
  assert.equal(parseByteSize('0'), 0);
  for (const bad of ['', '1x', '1  m', '-1m', '1.2.3m', ' 1m', '.5m']) assert.equal(parseByteSize(bad), undefined, bad);
});

test('filter patterns: terms, quoted phrases, ? alternatives, - exclusions', () => {
  const m = (p: string, s: string) => compileFilterPattern(p)(s);
  assert.equal(m('', 'anything'), true);
  assert.equal(m('ERROR', 'an ERROR here'), true);
  assert.equal(m('ERROR', 'an error here'), false, 'case-sensitive');
  assert.equal(m('ERROR db', 'ERROR in db'), true);
  assert.equal(m('ERROR db', 'ERROR in cache'), false);
  assert.equal(m('"user 42"', 'login user 42 ok'), true);
  assert.equal(m('"user 42"', 'user 4 2'), false);
  assert.equal(m('?ERROR ?WARN', 'WARN disk'), true);
  assert.equal(m('?ERROR ?WARN', 'INFO ok'), false);
  assert.equal(m('ERROR -Exiting', 'ERROR retrying'), true);
  assert.equal(m('ERROR -Exiting', 'ERROR Exiting now'), false);
  assert.throws(() => compileFilterPattern('[ip, user]'), { name: 'InvalidParameterException' });
  assert.throws(() => compileFilterPattern('"open'), /quoted phrase/);
});

test('filter patterns: JSON conditions', () => {
  const m = (p: string, s: string) => compileFilterPattern(p)(s);
  assert.equal(m('{ $.level = "error" }', '{"level":"error"}'), true);
  assert.equal(m('{ $.level = "error" }', '{"level":"info"}'), false);
  assert.equal(m('{ $.level = "err*" }', '{"level":"error"}'), true);
  assert.equal(m('{ $.latency > 500 }', '{"latency":700}'), true);
  assert.equal(m('{ $.latency > 500 && $.user.id = 7 }', '{"latency":700,"user":{"id":7}}'), true);
  assert.equal(m('{ $.latency > 500 || $.code = 500 }', '{"latency":1,"code":500}'), true);
  assert.equal(m('{ $.a[1] = "y" }', '{"a":["x","y"]}'), true);
  assert.equal(m('{ $.missing NOT EXISTS }', '{"a":1}'), true);
  assert.equal(m('{ $.constructor EXISTS }', '{"a":1}'), false, 'own keys only');
  assert.equal(m('{ $.level = "error" }', 'not json'), false);
  assert.throws(() => compileFilterPattern('{ $.a ~ 1 }'), { name: 'InvalidParameterException' });
});

test('log driver options: names per driver and sane values', () => {
  assert.deepEqual(logOptionProblems({ logDriver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } }), []);
  assert.match(logOptionProblems({ logDriver: 'json-file', options: { 'syslog-address': 'udp://x:1' } })[0]!.message, /does not accept the option 'syslog-address'/);
  assert.match(logOptionProblems({ logDriver: 'json-file', options: { 'max-file': '0' } })[0]!.message, /at least 1/);
  assert.equal(logOptionProblems({ logDriver: 'gelf', options: { 'gelf-address': 'udp://127.0.0.1:12201' } }).length, 0);
  assert.equal(logOptionProblems({ logDriver: 'gelf', options: { 'gelf-address': 'http://x' } }).length, 1);
  assert.equal(logOptionProblems({ logDriver: 'syslog', options: { 'syslog-address': 'tcp+tls://h:514' } }).length, 0);
  assert.equal(logOptionProblems({ logDriver: 'awslogs', options: { 'awslogs-group': 'bad group', 'awslogs-region': 'us-east-1' } })[0]!.path, 'options.awslogs-group');
  assert.equal(logOptionProblems({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', mode: 'fast' } })[0]!.path, 'options.mode');
  assert.equal(logOptionProblems({ logDriver: 'awslogs', options: { 'awslogs-multiline-pattern': '(' } })[0]!.path, 'options.awslogs-multiline-pattern');
});

test("mode and max-buffer-size as Docker validates them: the buffer size only with mode non-blocking, in Docker's size syntax", () => {
  const aws = (o: Record<string, string>) => logOptionProblems({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', ...o } });
  assert.deepEqual(aws({ mode: 'non-blocking', 'max-buffer-size': '4m' }), []);
  assert.deepEqual(aws({ mode: 'non-blocking' }), []);
  assert.deepEqual(aws({ mode: 'blocking' }), []);
  for (const mode of [undefined, 'blocking']) {
    const p = aws({ ...(mode ? { mode } : {}), 'max-buffer-size': '4m' });
    assert.equal(p[0]?.path, 'options.max-buffer-size');
    assert.match(p[0]!.message, /only supported with 'mode=non-blocking'/);
  }
  assert.equal(aws({ mode: 'non-blocking', 'max-buffer-size': 'lots' })[0]?.path, 'options.max-buffer-size');
  // The rule is Docker's, for every driver.
  assert.equal(logOptionProblems({ logDriver: 'json-file', options: { 'max-buffer-size': '1m' } })[0]?.path, 'options.max-buffer-size');
  assert.equal(awslogsConfigOf({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', mode: 'non-blocking' } })?.maxBufferBytes, 1024 * 1024, "Docker's default 1m");
});

test('multi-line grouping: a start-pattern line begins an event; idle and final flushes', () => {
  const g = new MultilineGrouper<number>(multilineStart({ multilinePattern: '^INFO|^ERROR' }));
  assert.deepEqual(g.push('ERROR boom', 1, 1, 0), []);
  assert.deepEqual(g.push('  at a()', 2, 2, 0), []);
  assert.deepEqual(g.push('INFO next', 3, 3, 0), [{ timestamp: 1, message: 'ERROR boom\n  at a()', last: 2 }]);
  assert.equal(g.flushIdle(MULTILINE_IDLE_FLUSH_MS - 1), undefined);
  assert.deepEqual(g.flushIdle(MULTILINE_IDLE_FLUSH_MS), { timestamp: 3, message: 'INFO next', last: 3 });
  const plain = new MultilineGrouper<number>(undefined);
  assert.deepEqual(plain.push('one', 5, 1, 0), [{ timestamp: 5, message: 'one', last: 1 }]);
  const dt = multilineStart({ datetimeFormat: '%Y-%m-%d %H:%M:%S' })!;
  assert.equal(dt.test('2026-12-02 16:00:01 started'), true);
  assert.equal(dt.test('  continuation 2026-12-02 16:00:01'), false);
  assert.equal(strftimeToRegExpSource('[%b %d]'), '^[\\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\b (?:0[1-9]|[1,2][0-9]|3[0,1])]');
});

test('retention cutoff', () => {
  assert.equal(logRetentionCutoff(10 * 86_400_000, 3), 7 * 86_400_000);
  assert.equal(logRetentionCutoff(10_000, 1, 1000), 9000);
});
