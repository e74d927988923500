/**
 * Compatibility with the Terraform AWS provider: every call it makes for
 * aws_ecs_cluster, aws_ecs_task_definition and aws_ecs_service
 * (terraform-calls.ts), with the parameters it sends, is served by a real
 * control plane with one agent on real Docker, answers in the model's shape,
 * and the waiters it runs reach their state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatCluster, servedEcsOperations } from './compat-cluster';
import { waitFor } from '../helpers/wait-for';
import { ecsShapes } from './smithy-shape';
import { TERRAFORM_CALLS, type TerraformState } from './terraform-calls';

const servedOps = servedEcsOperations();
const served = (op: string) => servedOps.has(op);
const shapes = ecsShapes();

const shared = compatCluster();

test('every operation the provider calls for the three resources is served', () => {
  const missing = [...new Set(TERRAFORM_CALLS.map((x) => x.operation))].filter((op) => !served(op));
  assert.deepEqual(missing, []);
});

test('the provider\'s create, read, update and destroy calls succeed with its parameters, and its waiters finish', async () => {
  const state: TerraformState = { cluster: shared.c.name };
  for (const call of TERRAFORM_CALLS) {
    const what = `${call.resource} ${call.phase}: ${call.operation}`;
    assert.ok(served(call.operation), `${what}: not served`);
    const body = call.request(state);
    assert.deepEqual(shapes.validate(`${call.operation}Request`, body), [], `${what}: the request follows the model`);
    let answer: any;
    if (call.until) {
      await waitFor(
        async () => {
          answer = await shared.c.call(call.operation, body);
          return call.until!(answer) ? true : undefined;
        },
        { description: what, timeoutMs: 120_000, intervalMs: 500 },
      );
    } else {
      try {
        answer = await shared.c.call(call.operation, body);
      } catch (e) {
        assert.fail(`${what}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(shapes.validate(`${call.operation}Response`, answer), [], `${what}: the answer follows the model`);
    call.keep?.(answer, state);
  }
  assert.ok(state.clusterArn && state.taskDefinitionArn && state.serviceArn);
});
