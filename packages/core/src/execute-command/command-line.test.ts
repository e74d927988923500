import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStevedoreError } from '../errors';
import { joinCommand, splitCommand } from './command-line';

test('splitCommand splits like a shell does a simple command', () => {
  const cases: [string, string[]][] = [
    ['/bin/sh', ['/bin/sh']],
    ['  ls   -la /tmp ', ['ls', '-la', '/tmp']],
    [`sh -c 'echo hi; exit 3'`, ['sh', '-c', 'echo hi; exit 3']],
    [`echo "a \\"b\\" $HOME" c\\ d`, ['echo', 'a "b" $HOME', 'c d']],
    [`printf '' x`, ['printf', '', 'x']],
    [`a"b"'c'`, ['abc']],
    ['echo "back\\slash"', ['echo', 'back\\slash']],
  ];
  for (const [input, want] of cases) assert.deepEqual(splitCommand(input), want, input);
});

test('splitCommand refuses what a shell would not run, naming the field', () => {
  for (const [input, message] of [
    [`echo 'open`, /unterminated single quote/],
    ['echo "open', /unterminated double quote/],
    ['echo \\', /backslash/],
    ['   ', /program/],
  ] as const) {
    assert.throws(() => splitCommand(input), (e) => isStevedoreError(e) && e.code === 'InvalidParameterException' && e.field === 'command' && message.test(e.message), input);
  }
});

test('joinCommand is undone by splitCommand, whatever the arguments hold', () => {
  const argvs = [['sh', '-c', "echo 'hi'; exit 3"], ['printf', '%s\\n', '', 'a b', '$x', '"q"', "it's"], ['echo', '\t\n']];
  for (const argv of argvs) assert.deepEqual(splitCommand(joinCommand(argv)), argv, JSON.stringify(argv));
});
