import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskDefinition } from '@stevedore/core';
import type { Store } from '../store/store';
import { PushReads } from './push-reads';

/** A store whose task definition reads are counted (PushReads reads nothing else here). */
function countingStore() {
  const reads: string[] = [];
  const store = {
    taskDefinitions: {
      get: (family: string, revision: number) => {
        reads.push(`${family}:${revision}`);
        return family === 'gone' ? undefined : { taskDefinition: { family, revision } as unknown as TaskDefinition };
      },
    },
  } as unknown as Store;
  return { store, reads };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test('a task definition revision is read once across turns and slices, again once its family changed; a missing one is never kept', async () => {
  const { store, reads } = countingStore();
  const pr = new PushReads(store);
  assert.equal(pr.taskDefinition('web', 1)!.family, 'web');
  await turn();
  pr.reset(); // a push slice's edge
  assert.equal(pr.taskDefinition('web', 1)!.family, 'web');
  pr.taskDefinition('api', 3);
  assert.deepEqual(reads, ['web:1', 'api:3']);
  pr.taskDefinitionChanged('web');
  pr.taskDefinition('web', 1);
  pr.taskDefinition('api', 3);
  assert.deepEqual(reads, ['web:1', 'api:3', 'web:1'], 'only the changed family is read again');
  assert.equal(pr.taskDefinition('gone', 1), undefined);
  assert.equal(pr.taskDefinition('gone', 1), undefined);
  assert.deepEqual(reads.slice(3), ['gone:1', 'gone:1']);
});
