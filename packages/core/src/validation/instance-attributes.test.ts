import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attribute } from '../model/container-instance';
import { isAttributeName, isAttributeValue, mergeAgentAttributes } from './instance-attributes';

test('names and values as ECS PutAttributes accepts them', () => {
  for (const n of ['stack', 'ecs.availability-zone', 'a/b\\c_d-e.f', 'x'.repeat(128)]) assert.ok(isAttributeName(n), n);
  for (const n of ['', 'x'.repeat(129), 'a b', 'a=b', 'é', '__proto__\n']) assert.ok(!isAttributeName(n), JSON.stringify(n));
  for (const v of ['prod', 'a b', 'user@host:/x\\y', 'v'.repeat(128)]) assert.ok(isAttributeValue(v), v);
  for (const v of ['', ' lead', 'trail ', 'a\nb', "it's", 'v'.repeat(129)]) assert.ok(!isAttributeValue(v), JSON.stringify(v));
});

const op = (name: string, value?: string): Attribute => (value === undefined ? { name, source: 'operator' } : { name, value, source: 'operator' });
const ag = (name: string, value?: string): Attribute => (value === undefined ? { name, source: 'agent' } : { name, value, source: 'agent' });
const sorted = (a: Attribute[]) => [...a].sort((x, y) => x.name.localeCompare(y.name));

test('attribute precedence at registration: operator attributes win and survive; the agent owns the rest', () => {
  const cases: [string, Attribute[], Attribute[], Attribute[]][] = [
    ['first registration', [], [{ name: 'stack', value: 'a' }, { name: 'ecs.capability.x' }], [ag('stack', 'a'), ag('ecs.capability.x')]],
    ['operator wins over a conflicting report', [op('stack', 'prod')], [{ name: 'stack', value: 'evil' }], [op('stack', 'prod')]],
    ['operator attribute the agent no longer reports is kept', [op('tier', 'gold'), ag('stack', 'a')], [{ name: 'stack', value: 'a' }], [op('tier', 'gold'), ag('stack', 'a')]],
    ['agent attribute no longer reported is gone', [ag('stack', 'a'), ag('old', 'x')], [{ name: 'stack', value: 'b' }], [ag('stack', 'b')]],
    ['operator name-only attribute wins too', [op('gpu')], [{ name: 'gpu', value: 'yes' }], [op('gpu')]],
    ['legacy custom attribute is kept unless reported', [{ name: 'tier', value: 'gold' }, { name: 'stack', value: 'a' }], [{ name: 'stack', value: 'b' }], [{ name: 'tier', value: 'gold' }, ag('stack', 'b')]],
    ['legacy built-in attribute came from the agent', [{ name: 'ecs.availability-zone', value: 'z1' }], [{ name: 'ecs.availability-zone', value: 'z2' }], [ag('ecs.availability-zone', 'z2')]],
  ];
  for (const [what, existing, reported, expected] of cases) assert.deepEqual(sorted(mergeAgentAttributes(existing, reported)), sorted(expected), what);
});
