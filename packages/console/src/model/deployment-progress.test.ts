import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupTasksByPlacement, serviceProgress } from './deployment-progress';
import type { Deployment, Task } from './ecs-types';

const td = (rev: number) => `arn:aws:ecs:us-east-1:000000000000:task-definition/web:${rev}`;
const dep = (d: Partial<Deployment> & Pick<Deployment, 'id' | 'status'>): Deployment => ({ taskDefinition: td(2), ...d });
const task = (id: string, startedBy: string, lastStatus: string, healthStatus?: string, extra: Partial<Task> = {}): Task => ({
  taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/${id}`,
  taskDefinitionArn: td(2),
  lastStatus,
  desiredStatus: 'RUNNING',
  startedBy,
  ...(healthStatus ? { healthStatus } : {}),
  ...extra,
});

test('a rollout in progress: new tasks counted against desired, old ones still running', () => {
  const p = serviceProgress(
    {
      desiredCount: 3,
      deployments: [
        dep({ id: 'ecs-svc/2', status: 'PRIMARY', desiredCount: 3, runningCount: 2, pendingCount: 1, rolloutState: 'IN_PROGRESS' }),
        dep({ id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: td(1), desiredCount: 3, runningCount: 1, pendingCount: 0, rolloutState: 'COMPLETED' }),
      ],
    },
    [task('a', 'ecs-svc/2', 'RUNNING', 'HEALTHY'), task('b', 'ecs-svc/2', 'RUNNING', 'UNHEALTHY'), task('c', 'ecs-svc/2', 'PENDING'), task('d', 'ecs-svc/1', 'RUNNING')],
  );
  assert.equal(p.phase, 'IN_PROGRESS');
  assert.equal(p.primary!.percent, 67);
  assert.equal(p.primary!.healthy, 1);
  assert.equal(p.others[0]!.percent, 67, 'two of three old tasks are gone');
  assert.equal(p.line, 'web:2: new 1/3 healthy (2 running, 1 pending) | old 1 running');
});

test('COMPLETED only when the primary completed and no old task is left; FAILED as the API says', () => {
  const done = serviceProgress({ desiredCount: 2, deployments: [dep({ id: 'd2', status: 'PRIMARY', desiredCount: 2, runningCount: 2, pendingCount: 0, rolloutState: 'COMPLETED' })] });
  assert.equal(done.phase, 'COMPLETED');
  assert.equal(done.primary!.percent, 100);
  assert.match(done.line, /old none left/);
  const draining = serviceProgress({
    desiredCount: 2,
    deployments: [dep({ id: 'd2', status: 'PRIMARY', desiredCount: 2, runningCount: 2, rolloutState: 'COMPLETED' }), dep({ id: 'd1', status: 'ACTIVE', desiredCount: 2, runningCount: 1 })],
  });
  assert.equal(draining.phase, 'IN_PROGRESS');
  const failed = serviceProgress({ desiredCount: 2, deployments: [dep({ id: 'd3', status: 'PRIMARY', desiredCount: 2, runningCount: 0, failedTasks: 4, rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker' })] });
  assert.equal(failed.phase, 'FAILED');
  assert.equal(failed.primary!.failed, 4);
  assert.equal(failed.primary!.rolloutStateReason, 'circuit breaker');
  assert.equal(serviceProgress({ desiredCount: 0, deployments: [] }).phase, 'NONE');
});

test('scaled to zero: the primary is complete at 0 of 0', () => {
  const p = serviceProgress({ desiredCount: 0, deployments: [dep({ id: 'd', status: 'PRIMARY', desiredCount: 0, runningCount: 0, pendingCount: 0, rolloutState: 'COMPLETED' })] });
  assert.equal(p.primary!.percent, 100);
  assert.equal(p.phase, 'COMPLETED');
});

test('tasks are grouped by zone, then instance', () => {
  const g = groupTasksByPlacement([
    task('a', 'd', 'RUNNING', undefined, { availabilityZone: 'b', containerInstanceArn: 'arn:x:container-instance/c/i2' }),
    task('b', 'd', 'RUNNING', undefined, { availabilityZone: 'a', containerInstanceArn: 'arn:x:container-instance/c/i1' }),
    task('c', 'd', 'RUNNING', undefined, { availabilityZone: 'a', containerInstanceArn: 'arn:x:container-instance/c/i1' }),
  ]);
  assert.deepEqual(
    g.map((x) => [x.zone, x.instance, x.tasks.length]),
    [
      ['a', 'i1', 2],
      ['b', 'i2', 1],
    ],
  );
});
