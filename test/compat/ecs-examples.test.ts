/**
 * Compatibility: the documented ECS request examples (ecs-examples.ts), in
 * order, against a real control plane with one agent on real Docker. Each
 * request must follow the model's request shape, succeed, and answer in the
 * model's response shape (smithy-shape.ts: the SDK's Smithy schema with
 * botocore's enums). Read-only operations are sent again with a member no
 * model has, which must change nothing (AWS ignores unknown members). And
 * every ECS operation the control plane serves must have an example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatCluster, servedEcsOperations } from './compat-cluster';
import { waitFor } from '../helpers/wait-for';
import { ecsShapes } from './smithy-shape';
import { ECS_EXAMPLES, type ExampleState } from './ecs-examples';

const served = servedEcsOperations();
const shapes = ecsShapes();

const shared = compatCluster();

test('every ECS operation served has a documented example, and every example names an ECS operation', () => {
  const covered = new Set(ECS_EXAMPLES.map((e) => e.operation));
  assert.deepEqual([...served].filter((op) => !covered.has(op)).sort(), [], 'served operations without an example');
  for (const e of ECS_EXAMPLES) assert.ok(shapes.has(`${e.operation}Request`), `${e.operation} is not an ECS operation`);
});

test('the documented examples succeed and answer in the model\'s shapes', async () => {
  const state: ExampleState = { cluster: shared.c.name };
  // Prerequisite the ECS examples assume exists: an Auto Scaling group, here a host group of no hosts.
  state.hostGroupArn = (await shared.c.callStevedore('CreateHostGroup', { hostGroupName: 'compat-hosts', cluster: shared.c.name, minSize: 0, maxSize: 0, desiredCapacity: 0, provisioner: { type: 'local', local: { hostIps: '127.0.12.100-127.0.12.101' } } })).hostGroup.hostGroupArn;
  let ran = 0;
  for (const e of ECS_EXAMPLES) {
    assert.ok(served.has(e.operation), `${e.doc}: ${e.operation} is not served`);
    if (e.ready === 'exec-task' && !state.execTaskArn) {
      const arn = (await shared.c.call('RunTask', { cluster: shared.c.name, taskDefinition: 'compat-sleep360:1', enableExecuteCommand: true })).tasks[0].taskArn as string;
      await waitFor(async () => ((await shared.c.call('DescribeTasks', { cluster: shared.c.name, tasks: [arn] })).tasks[0].lastStatus === 'RUNNING' ? true : undefined), { description: `${e.doc}: a task with ECS Exec RUNNING`, timeoutMs: 60_000, intervalMs: 200 });
      state.execTaskArn = arn;
    }
    const body = e.request(state);
    assert.deepEqual(shapes.validate(`${e.operation}Request`, body), [], `${e.doc}: the request follows the model`);
    if (e.ready === 'service-task') {
      await waitFor(async () => ((await shared.c.call('ListTasks', body)).taskArns.length > 0 ? true : undefined), { description: `${e.doc}: a task of the service`, timeoutMs: 60_000, intervalMs: 200 });
    }
    let answer: unknown;
    try {
      answer = await shared.c.call(e.operation, body);
    } catch (err) {
      assert.fail(`${e.doc}: ${(err as Error).message}`);
    }
    assert.deepEqual(shapes.validate(`${e.operation}Response`, answer), [], `${e.doc}: the answer follows the model`);
    const failures = (answer as { failures?: unknown[] }).failures ?? [];
    assert.deepEqual(failures, [], `${e.doc}: no failures`);
    e.keep?.(answer, state);
    if (/^(Describe|List|Get)/.test(e.operation)) {
      const again = await shared.c.call(e.operation, { ...body, aMemberNoModelHas: { future: true } });
      assert.deepEqual(shapes.validate(`${e.operation}Response`, again), [], `${e.doc}: with an unknown member`);
    }
    ran++;
  }
  assert.ok(ran >= served.size, `ran ${ran} examples for ${served.size} served operations`);
});
