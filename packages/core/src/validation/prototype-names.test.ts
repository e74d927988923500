import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../placement/query-language';
import { validateRegisterTaskDefinition } from './register-task-definition';
import { computeRequiresAttributes } from './requires-attributes';

// Names from requests that are Object.prototype members are just names: no
// table lookup may find Object.prototype's properties through them.
const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const td = (container: Record<string, unknown>) => ({ family: 'f', containerDefinitions: [{ name: 'a', image: 'i', memory: 16, ...container }] });

test('a member named like a prototype property is an unknown member, ignored like any other', () => {
  const reference = validateRegisterTaskDefinition(td({}));
  for (const n of NAMES) {
    // JSON.parse makes `__proto__` an own member, as a request body has it.
    const body = JSON.parse(JSON.stringify(td({})).replace('"name":"a"', `"name":"a",${JSON.stringify(n)}:1`)) as unknown;
    const ok = validateRegisterTaskDefinition(body);
    assert.deepEqual(ok, reference, n);
    assert.equal(Object.getPrototypeOf(ok.containerDefinitions[0]), Object.prototype, n);
  }
});

test('string maps keep keys named like prototype properties, and refuse __proto__ rather than drop it', () => {
  const labels = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', valueOf: 'd' };
  const ok = validateRegisterTaskDefinition(td({ dockerLabels: labels }));
  assert.deepEqual(ok.containerDefinitions[0]!.dockerLabels, labels);
  assert.ok(Object.hasOwn(ok.containerDefinitions[0]!.dockerLabels!, 'constructor'));
  const proto = JSON.parse(JSON.stringify(td({ dockerLabels: {} })).replace('"dockerLabels":{}', '"dockerLabels":{"__proto__":"x"}')) as unknown;
  assert.throws(() => validateRegisterTaskDefinition(proto), /containerDefinitions\[0\]\.dockerLabels\.__proto__: the key '__proto__' is not supported/);
});

test('placement expressions: prototype names are not operators', () => {
  for (const n of NAMES) assert.throws(() => parseQuery(`attribute:x ${n} y`), /expected an operator/i, n);
  assert.doesNotThrow(() => parseQuery('attribute:x equals y'));
});

test('a log driver named like a prototype property needs no Docker API version from the table', () => {
  for (const n of NAMES.filter((x) => x !== '__proto__')) {
    const t = { ...validateRegisterTaskDefinition(td({ logConfiguration: { logDriver: 'json-file' } })), taskDefinitionArn: 'x', revision: 1, status: 'ACTIVE' as const, requiresAttributes: [], compatibilities: [], registeredAt: 0 };
    t.containerDefinitions[0]!.logConfiguration!.logDriver = n;
    const names = computeRequiresAttributes(t).map((a) => a.name);
    assert.ok(names.includes(`com.amazonaws.ecs.capability.logging-driver.${n}`), n);
    assert.ok(names.every((a) => !a.includes('function')), `${n}: ${names.join(', ')}`);
  }
});
