import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLOUDWATCH_MODEL } from './cloudwatch-model';
import { CLOUDWATCH_SERVICE } from './cloudwatch-service';

// The wire shapes the Query and JSON layers walk are botocore's, not retyped:
// every operation and shape of the generated model equals the one Debian's
// awscli ships (scripts/extract-service-model.py regenerates it).
const BOTOCORE = '/usr/lib/python3/dist-packages/awscli/botocore/data/cloudwatch/2010-08-01/service-2.json';
const SHAPE_KEYS = ['type', 'required', 'min', 'max', 'enum', 'flattened', 'error', 'exception', 'timestampFormat'];

test('the CloudWatch model is botocore\'s, and every served operation is in it', () => {
  const botocore = JSON.parse(readFileSync(BOTOCORE, 'utf8')) as { metadata: Record<string, unknown>; operations: Record<string, any>; shapes: Record<string, any> };
  assert.equal(CLOUDWATCH_MODEL.metadata.xmlNamespace, botocore.metadata['xmlNamespace']);
  assert.equal(CLOUDWATCH_MODEL.metadata.endpointPrefix, 'monitoring');
  for (const [name, op] of Object.entries(CLOUDWATCH_MODEL.operations)) {
    const theirs = botocore.operations[name];
    assert.ok(theirs, name);
    assert.equal(op.input?.shape, theirs.input?.shape, `${name} input`);
    assert.equal(op.output?.shape, theirs.output?.shape, `${name} output`);
    assert.equal(op.output?.resultWrapper, theirs.output?.resultWrapper, `${name} resultWrapper`);
    assert.deepEqual(op.errors, (theirs.errors ?? []).map((e: { shape: string }) => e.shape), `${name} errors`);
  }
  for (const [name, shape] of Object.entries(CLOUDWATCH_MODEL.shapes)) {
    const theirs = botocore.shapes[name];
    assert.ok(theirs, name);
    for (const k of SHAPE_KEYS) assert.deepEqual((shape as unknown as Record<string, unknown>)[k], theirs[k], `${name}.${k}`);
    const refs = (s: any) => JSON.stringify({ members: Object.fromEntries(Object.entries(s.members ?? {}).map(([m, r]: [string, any]) => [m, [r.shape, r.locationName]])), member: s.member?.shape, key: s.key?.shape, value: s.value?.shape });
    assert.equal(refs(shape), refs(theirs), `${name} members`);
  }
  for (const op of CLOUDWATCH_SERVICE.actions.keys()) assert.ok(CLOUDWATCH_MODEL.operations[op], `${op} is served but not in the model`);
});
