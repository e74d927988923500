/**
 * Compatibility: the documented ECS request examples (ecs-examples.ts), in
 * order, against a real control plane with one agent on real Docker. Each
 * request must follow the model's request shape, succeed, and answer in the
 * model's response shape (smithy-shape.ts: the SDK's Smithy schema with
 * botocore's enums). Read-only operations are sent again with a member no
 * model has, which must change nothing (AWS ignores unknown members). And
 * every ECS operation the control plane serves must have an example.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';
import { waitFor } from '../helpers/wait-for';
import { ecsShapes } from './smithy-shape';
import { ECS_EXAMPLES, type ExampleState } from './ecs-examples';

const ECS_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
// The control plane's own operation table (what it serves), read from its build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ACTIONS } = require(path.join(REPO_ROOT, 'packages/control-plane/dist/api/router.js')) as { ACTIONS: Record<string, unknown> };
const served = new Set(Object.keys(ACTIONS).filter((t) => t.startsWith(ECS_PREFIX)).map((t) => t.slice(ECS_PREFIX.length)));
const shapes = ecsShapes();

let c: TestCluster;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
before(async () => {
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

test('every ECS operation served has a documented example, and every example names an ECS operation', () => {
  const covered = new Set(ECS_EXAMPLES.map((e) => e.operation));
  assert.deepEqual([...served].filter((op) => !covered.has(op)).sort(), [], 'served operations without an example');
  for (const e of ECS_EXAMPLES) assert.ok(shapes.has(`${e.operation}Request`), `${e.operation} is not an ECS operation`);
});

test('the documented examples succeed and answer in the model\'s shapes', async (t) => {
  const state: ExampleState = { cluster: c.name };
  // Prerequisite the ECS examples assume exists: an Auto Scaling group, here a host group of no hosts.
  state.hostGroupArn = (await c.callStevedore('CreateHostGroup', { hostGroupName: 'compat-hosts', cluster: c.name, minSize: 0, maxSize: 0, desiredCapacity: 0, provisioner: { type: 'local', local: { hostIps: '127.0.12.100-127.0.12.101' } } })).hostGroup.hostGroupArn;
  let ran = 0;
  for (const e of ECS_EXAMPLES) {
    if (!served.has(e.operation)) {
      t.diagnostic(`not served yet, skipped: ${e.operation} (${e.doc})`);
      continue;
    }
    if (e.ready === 'exec-task' && !state.execTaskArn) {
      const arn = (await c.call('RunTask', { cluster: c.name, taskDefinition: 'compat-sleep360:1', enableExecuteCommand: true })).tasks[0].taskArn as string;
      await waitFor(async () => ((await c.call('DescribeTasks', { cluster: c.name, tasks: [arn] })).tasks[0].lastStatus === 'RUNNING' ? true : undefined), { description: `${e.doc}: a task with ECS Exec RUNNING`, timeoutMs: 60_000, intervalMs: 200 });
      state.execTaskArn = arn;
    }
    const body = e.request(state);
    assert.deepEqual(shapes.validate(`${e.operation}Request`, body), [], `${e.doc}: the request follows the model`);
    if (e.ready === 'service-task') {
      await waitFor(async () => ((await c.call('ListTasks', body)).taskArns.length > 0 ? true : undefined), { description: `${e.doc}: a task of the service`, timeoutMs: 60_000, intervalMs: 200 });
    }
    let answer: unknown;
    try {
      answer = await c.call(e.operation, body);
    } catch (err) {
      assert.fail(`${e.doc}: ${(err as Error).message}`);
    }
    assert.deepEqual(shapes.validate(`${e.operation}Response`, answer), [], `${e.doc}: the answer follows the model`);
    const failures = (answer as { failures?: unknown[] }).failures ?? [];
    assert.deepEqual(failures, [], `${e.doc}: no failures`);
    e.keep?.(answer, state);
    if (/^(Describe|List|Get)/.test(e.operation)) {
      const again = await c.call(e.operation, { ...body, aMemberNoModelHas: { future: true } });
      assert.deepEqual(shapes.validate(`${e.operation}Response`, again), [], `${e.doc}: with an unknown member`);
    }
    ran++;
  }
  assert.ok(ran >= served.size, `ran ${ran} examples for ${served.size} served operations`);
});
