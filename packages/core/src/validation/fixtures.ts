import assert from 'node:assert/strict';
import { StevedoreError } from '../errors';
import type { TaskDefinitionInput } from '../model/task-definition';
import { validateRegisterTaskDefinition } from './register-task-definition';

/**
 * Test builders: raw RegisterTaskDefinition JSON that is valid by default, so
 * each test states only the one thing it is about (Nomad's mock.Job()).
 * Not exported from the package index.
 */

type Json = Record<string, unknown>;

export const build = {
  container(fields: Json = {}): Json {
    return { name: 'web', image: 'public.ecr.aws/nginx/nginx:1.25', memory: 256, ...fields };
  },

  taskDefinition(fields: Json = {}): Json {
    return { family: 'web', containerDefinitions: [build.container()], ...fields };
  },

  /** A definition with the given containers (each a partial container merged onto the default). */
  withContainers(containers: Json[], fields: Json = {}): Json {
    return build.taskDefinition({ containerDefinitions: containers.map((c) => build.container(c)), ...fields });
  },

  /** Already validated and defaulted, for tests of code that consumes registered definitions. */
  validated(fields: Json = {}): TaskDefinitionInput {
    return validateRegisterTaskDefinition(build.taskDefinition(fields));
  },

  /** A Fargate-compatible awsvpc definition. */
  fargate(fields: Json = {}): Json {
    return build.taskDefinition({ networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', ...fields });
  },
};

export interface ExpectedRejection {
  code: 'ClientException' | 'InvalidParameterException';
  /** Exact field path; undefined only for a request that is not an object at all. */
  field: string | undefined;
  /** Fragments the message must contain. */
  message: string[];
}

/** Asserts `run` throws a StevedoreError with that code and field, whose message names the field. */
export function expectRejection(run: () => unknown, expected: ExpectedRejection): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof StevedoreError, `expected a StevedoreError, got ${String(err)}`);
    assert.equal(err.code, expected.code, err.message);
    assert.equal(err.field, expected.field, err.message);
    if (expected.field !== undefined) assert.ok(err.message.includes(expected.field), `message does not name ${expected.field}: ${err.message}`);
    for (const fragment of expected.message) assert.ok(err.message.includes(fragment), `message lacks ${JSON.stringify(fragment)}: ${err.message}`);
    return true;
  });
}
