import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceDeploymentHistory, type RecordedDeployment } from './service-deployment-history';

const done = (at: number) => ({ rolloutState: 'COMPLETED' as const, rolloutStateReason: 'ECS deployment ecs-svc/x completed.', updatedAt: at });
const going = (at: number) => ({ rolloutState: 'IN_PROGRESS' as const, rolloutStateReason: 'ECS deployment ecs-svc/x in progress.', updatedAt: at });
const failed = (at: number) => ({ rolloutState: 'FAILED' as const, rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', updatedAt: at });

const cases: [name: string, deployments: RecordedDeployment[], expected: [id: string, status: string, extra?: Record<string, unknown>][]][] = [
  ['one deployment, not yet rolled out', [{ id: 'a', createdAt: 1, sources: [] }], [['a', 'PENDING']]],
  ['in progress', [{ id: 'a', createdAt: 1, sources: [], rollout: going(2) }], [['a', 'IN_PROGRESS', { startedAt: 1 }]]],
  ['completed', [{ id: 'a', createdAt: 1, sources: [], rollout: done(5) }], [['a', 'SUCCESSFUL', { finishedAt: 5 }]]],
  [
    'a new deployment supersedes one in progress',
    [
      { id: 'a', createdAt: 1, sources: [], rollout: going(2) },
      { id: 'b', createdAt: 3, sources: ['a'], rollout: going(4) },
    ],
    [['b', 'IN_PROGRESS'], ['a', 'STOPPED', { stoppedAt: 3, statusReason: 'Superseded by deployment b.' }]],
  ],
  [
    'failed without rollback stops',
    [
      { id: 'a', createdAt: 1, sources: [], rollout: done(2) },
      { id: 'b', createdAt: 3, sources: ['a'], rollout: failed(6) },
    ],
    [['b', 'STOPPED', { stoppedAt: 6, statusReason: 'ECS deployment circuit breaker: tasks failed to start.' }], ['a', 'SUCCESSFUL']],
  ],
  [
    'a rollback in progress is folded into the failed deployment',
    [
      { id: 'a', createdAt: 1, sources: [], rollout: done(2) },
      { id: 'b', createdAt: 3, sources: ['a'], rollout: failed(6) },
      { id: 'r', createdAt: 6, sources: ['a', 'b'], restores: 'a', rollout: going(7) },
    ],
    [['b', 'ROLLBACK_IN_PROGRESS', { rollback: { id: 'r', startedAt: 6, reason: 'ECS deployment circuit breaker: tasks failed to start.' } }], ['a', 'SUCCESSFUL']],
  ],
  [
    'a completed rollback',
    [
      { id: 'a', createdAt: 1, sources: [], rollout: done(2) },
      { id: 'b', createdAt: 3, sources: ['a'], rollout: failed(6) },
      { id: 'r', createdAt: 6, sources: ['a', 'b'], restores: 'a', rollout: done(9) },
    ],
    [['b', 'ROLLBACK_SUCCESSFUL', { finishedAt: 9 }], ['a', 'SUCCESSFUL']],
  ],
  [
    'a failed rollback',
    [
      { id: 'a', createdAt: 1, sources: [], rollout: done(2) },
      { id: 'b', createdAt: 3, sources: ['a'], rollout: failed(6) },
      { id: 'r', createdAt: 6, sources: ['a', 'b'], restores: 'a', rollout: failed(9) },
    ],
    [['b', 'ROLLBACK_FAILED', { finishedAt: 9 }], ['a', 'SUCCESSFUL']],
  ],
  [
    'a rollback whose failed deployment was not recorded is listed by itself',
    [{ id: 'r', createdAt: 6, sources: ['a', 'b'], restores: 'a', rollout: going(7) }],
    [['r', 'IN_PROGRESS']],
  ],
];

for (const [name, deployments, expected] of cases) {
  test(`serviceDeploymentHistory: ${name}`, () => {
    const got = serviceDeploymentHistory(deployments);
    assert.deepEqual(got.map((v) => [v.id, v.status]), expected.map(([id, status]) => [id, status]));
    for (const [id, , extra] of expected) {
      const v = got.find((x) => x.id === id)!;
      for (const [k, want] of Object.entries(extra ?? {})) assert.deepEqual((v as unknown as Record<string, unknown>)[k], want, `${id}.${k}`);
    }
  });
}

test('serviceDeploymentHistory does not depend on input order', () => {
  const ds = cases[6]![1];
  assert.deepEqual(serviceDeploymentHistory([...ds].reverse()), serviceDeploymentHistory(ds));
});
