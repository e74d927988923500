import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectRejection } from './fixtures';
import { childPath } from './json-reader';
import { ec2KitchenSink, fargateKitchenSink } from './kitchen-sink-fixtures';
import { validateRegisterTaskDefinition } from './register-task-definition';

/**
 * Property-style coverage of the reader: starting from requests that use
 * every member, break one spot at a time and require the rejection to name
 * exactly that spot. This catches members read without a type check and
 * paths that drift from the JSON structure.
 */

type Path = (string | number)[];

function leaves(value: unknown, path: Path = []): { path: Path; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value }];
}

function objects(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => objects(v, [...path, i]));
  if (typeof value === 'object' && value !== null) return [path, ...Object.entries(value).flatMap(([k, v]) => objects(v, [...path, k]))];
  return [];
}

/** Objects whose keys are user data, not API members. */
const MAPS = new Set(['dockerLabels', 'options', 'driverOpts', 'labels']);

function withValue(body: unknown, path: Path, replace: (old: unknown) => unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  parent[last] = replace(parent[last]);
  return copy;
}

const field = (path: Path) => path.reduce<string>((p, k) => childPath(p, k), '');

function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return String(value);
  return 'yes';
}

for (const [name, body] of [['EC2', ec2KitchenSink], ['Fargate', fargateKitchenSink]] as const) {
  describe(`${name} kitchen sink with one value of the wrong type`, () => {
    for (const leaf of leaves(body)) {
      const path = field(leaf.path);
      it(`rejects ${path}`, () => {
        expectRejection(() => validateRegisterTaskDefinition(withValue(body, leaf.path, wrongType)), {
          code: 'InvalidParameterException',
          field: path,
          message: [],
        });
      });
    }
  });

  describe(`${name} kitchen sink with one unknown member`, () => {
    const reference = validateRegisterTaskDefinition(body);
    for (const path of objects(body)) {
      if (MAPS.has(String(path[path.length - 1]))) continue;
      const target = field([...path, 'bogusMember']);
      // AWS ignores members its model does not have (a newer SDK's field must not break older servers).
      it(`ignores ${target}`, () => {
        const mutated = path.length === 0 ? { ...body, bogusMember: 1 } : withValue(body, path, (o) => ({ ...(o as object), bogusMember: 1 }));
        assert.deepEqual(validateRegisterTaskDefinition(mutated), reference);
      });
    }
  });
}
