import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, diffLines, registrableTaskDefinition, withImage } from './json-diff';

test('canonical JSON sorts keys at every depth, so revisions diff only where they differ', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }), JSON.stringify({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 }, null, 2));
});

test('diffLines keeps common lines and marks removed and added ones with their line numbers', () => {
  const d = diffLines('a\nb\nc\nd', 'a\nc\nx\nd')!;
  assert.deepEqual(
    d.map((l) => `${l.kind[0]}${l.text}`),
    ['sa', 'rb', 'sc', 'ax', 'sd'],
  );
  assert.deepEqual(d[3], { kind: 'added', text: 'x', newLine: 3 });
  assert.deepEqual(d[1], { kind: 'removed', text: 'b', oldLine: 2 });
  assert.ok(diffLines('same', 'same')!.every((l) => l.kind === 'same'));
  assert.equal(diffLines('x\n'.repeat(5000), 'y'), undefined, 'too large to diff');
});

test('two task definition revisions differing in image diff on that line only', () => {
  const r1 = { family: 'web', revision: 1, taskDefinitionArn: 'arn:1', containerDefinitions: [{ name: 'app', image: 'img:1', memory: 64 }] };
  const r2 = { ...withImage(registrableTaskDefinition(r1), 'app', 'img:2'), revision: 2, taskDefinitionArn: 'arn:2' };
  const d = diffLines(canonicalJson(registrableTaskDefinition(r1)), canonicalJson(registrableTaskDefinition(r2)))!;
  assert.deepEqual(
    d.filter((l) => l.kind !== 'same').map((l) => `${l.kind}:${l.text.trim()}`),
    ['removed:"image": "img:1",', 'added:"image": "img:2",'],
  );
  assert.throws(() => withImage(r1, 'nope', 'x'), /no container named nope/);
  assert.equal('revision' in registrableTaskDefinition(r1), false);
});
