/**
 * Compatibility with the Terraform AWS provider: every call it makes for
 * aws_ecs_cluster, aws_ecs_task_definition and aws_ecs_service
 * (terraform-calls.ts), with the parameters it sends, is served by a real
 * control plane with one agent on real Docker, answers in the model's shape,
 * and the waiters it runs reach their state.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';
import { waitFor } from '../helpers/wait-for';
import { ecsShapes } from './smithy-shape';
import { TERRAFORM_CALLS, type TerraformState } from './terraform-calls';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ACTIONS } = require(path.join(REPO_ROOT, 'packages/control-plane/dist/api/router.js')) as { ACTIONS: Record<string, unknown> };
const served = (op: string) => `AmazonEC2ContainerServiceV20141113.${op}` in ACTIONS;
const TAGGING = new Set(['TagResource', 'UntagResource', 'ListTagsForResource']);
const shapes = ecsShapes();

let c: TestCluster;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
before(async () => {
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

test('every operation the provider calls for the three resources is served (tagging: once it lands)', () => {
  const missing = [...new Set(TERRAFORM_CALLS.map((x) => x.operation))].filter((op) => !served(op) && !TAGGING.has(op));
  assert.deepEqual(missing, []);
});

test('the provider\'s create, read, update and destroy calls succeed with its parameters, and its waiters finish', async (t) => {
  const state: TerraformState = { cluster: c.name };
  for (const call of TERRAFORM_CALLS) {
    const what = `${call.resource} ${call.phase}: ${call.operation}`;
    if (!served(call.operation)) {
      t.diagnostic(`${what}: not served by this build (tagging)`);
      continue;
    }
    const body = call.request(state);
    assert.deepEqual(shapes.validate(`${call.operation}Request`, body), [], `${what}: the request follows the model`);
    let answer: any;
    if (call.until) {
      await waitFor(
        async () => {
          answer = await c.call(call.operation, body);
          return call.until!(answer) ? true : undefined;
        },
        { description: what, timeoutMs: 120_000, intervalMs: 500 },
      );
    } else {
      try {
        answer = await c.call(call.operation, body);
      } catch (e) {
        assert.fail(`${what}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(shapes.validate(`${call.operation}Response`, answer), [], `${what}: the answer follows the model`);
    call.keep?.(answer, state);
  }
  assert.ok(state.clusterArn && state.taskDefinitionArn && state.serviceArn);
});
