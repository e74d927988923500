import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldOfMessage, lineRange, locateJsonPath, parseFieldPath } from './json-locate';

const text = `{
  "family": "web",
  "containerDefinitions": [
    { "name": "a", "image": "x" },
    {
      "name": "b",
      "memory": -1,
      "portMappings": [{ "containerPort": 80 }]
    }
  ]
}`;

test('field paths in API messages are found and parsed', () => {
  assert.equal(fieldOfMessage('containerDefinitions[1].memory: must be at least 6 MiB.', ['family', 'containerDefinitions']), 'containerDefinitions[1].memory');
  assert.equal(fieldOfMessage('Container Overrides length must be at most 8192', ['family']), undefined);
  assert.deepEqual(parseFieldPath('containerDefinitions[1].portMappings[0].containerPort'), ['containerDefinitions', 1, 'portMappings', 0, 'containerPort']);
  assert.equal(parseFieldPath('a..b['), undefined);
});

test('a path is located at its line and column in the pasted text', () => {
  assert.deepEqual(locateJsonPath(text, ['containerDefinitions', 1, 'memory']), { line: 7, column: 17 });
  assert.deepEqual(locateJsonPath(text, ['containerDefinitions', 1, 'portMappings', 0, 'containerPort']), { line: 8, column: 43 });
  assert.deepEqual(locateJsonPath(text, ['family']), { line: 2, column: 13 });
  assert.equal(locateJsonPath(text, ['containerDefinitions', 0, 'image'])!.line, 4);
});

test('a member that is missing points at its object', () => {
  assert.equal(locateJsonPath(text, ['containerDefinitions', 0, 'memory'])!.line, 4);
  assert.equal(locateJsonPath(text, ['containerDefinitions', 5])!.line, 3);
});

test('a line of the text as offsets, to select it where the user typed it', () => {
  const at = lineRange(text, 7)!;
  assert.equal(text.slice(at.start, at.end), '      "memory": -1,');
  assert.deepEqual(lineRange('a\nb', 2), { start: 2, end: 3 });
  assert.deepEqual(lineRange('a\n', 2), { start: 2, end: 2 });
  assert.equal(lineRange('a\nb', 3), undefined);
  assert.equal(lineRange('a', 0), undefined);
});
