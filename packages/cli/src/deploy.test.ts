import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import { T0, task, webTaskDefinition } from './testing/fixtures';
import type { EcsDeployment, EcsService } from './ecs-types';
import { parseImageOverrides, withImages } from './commands/deploy-revision';
import { progressLine } from './output/deployments';

const ARN = 'arn:aws:ecs:us-east-1:000000000000';
const OLD = 'ecs-svc/1111111111111111111';
const NEW = 'ecs-svc/2222222222222222222';
const BACK = 'ecs-svc/3333333333333333333';
const td = (rev: number) => `${ARN}:task-definition/web:${rev}`;

function dep(id: string, rev: number, over: Partial<EcsDeployment> = {}): EcsDeployment {
  return { id, status: 'PRIMARY', taskDefinition: td(rev), desiredCount: 2, runningCount: 0, pendingCount: 0, failedTasks: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${id} in progress.`, ...over };
}

function svc(deployments: EcsDeployment[], events: string[] = [], rev = deployments[0]?.taskDefinition): EcsService {
  return {
    serviceName: 'web',
    status: 'ACTIVE',
    taskDefinition: rev ?? td(1),
    desiredCount: 2,
    deployments,
    // Newest first, as the API returns them; created "now" so the watcher shows them.
    events: events.map((message, i) => ({ id: `e${i}`, createdAt: Date.UTC(2026, 10, 25, 12, 0, 0) / 1000 + 1, message })).reverse(),
  };
}

/** A fake control plane whose DescribeServices walks through `states` (the first is the service before the update). */
async function fake(t: { after(fn: () => Promise<void>): void }, states: EcsService[], extra: Record<string, (b: Record<string, unknown>) => unknown> = {}) {
  let polls = 0;
  const f = await startFakeEcs({
    DescribeServices: () => ({ services: [states[Math.min(polls++, states.length - 1)]], failures: [] }),
    DescribeTaskDefinition: () => ({ taskDefinition: { ...webTaskDefinition, taskDefinitionArn: td(1) }, tags: [{ key: 'team', value: 'a' }] }),
    RegisterTaskDefinition: (b) => ({ taskDefinition: { ...(b as object), taskDefinitionArn: td(2), family: 'web', revision: 2 } }),
    UpdateService: (b) => ({ service: svc([dep(NEW, Number(String(b['taskDefinition']).split(':').pop()) || 2), dep(OLD, 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' })]) }),
    ListTasks: () => ({ taskArns: [`${ARN}:task/default/a`, `${ARN}:task/default/b`] }),
    DescribeTasks: () => ({ tasks: [task('a', { startedBy: NEW, taskDefinitionArn: td(2), healthStatus: 'HEALTHY' }), task('b', { startedBy: OLD })], failures: [] }),
    ...extra,
  });
  t.after(() => f.close());
  return f;
}

const before = svc([dep(OLD, 1, { rolloutState: 'COMPLETED', runningCount: 2 })]);

test('deploy --image registers a copy of the current revision with the image replaced, then follows it to COMPLETED', async (t) => {
  const f = await fake(t, [
    before,
    svc([dep(NEW, 2, { runningCount: 1 }), dep(OLD, 1, { status: 'ACTIVE', runningCount: 2 })], ['(service web) has started 2 tasks: (task a) (task c).']),
    svc([dep(NEW, 2, { runningCount: 2, rolloutState: 'COMPLETED' })], ['(service web) has started 2 tasks: (task a) (task c).', `(service web) (deployment ${NEW}) deployment completed.`]),
  ]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['deploy', 'web', '--image', 'web=img:2', '--cluster', 'c1'], io), 0, io.err());
  const reg = f.callsTo('RegisterTaskDefinition')[0]!.body;
  assert.deepEqual((reg['containerDefinitions'] as any[]).map((c) => [c.name, c.image]), [['web', 'img:2'], ['sidecar', 'stevedore-test/busybox:latest']]);
  assert.equal(reg['taskDefinitionArn'], undefined, 'read-only fields are dropped');
  assert.deepEqual(reg['tags'], [{ key: 'team', value: 'a' }]);
  assert.deepEqual(f.callsTo('UpdateService')[0]!.body, { cluster: 'c1', service: 'web', taskDefinition: td(2) });
  // Progress (registration, events, counts) on stderr; the outcome on stdout.
  const progress = io.err();
  assert.match(progress, /registered web:2\n/);
  assert.match(progress, new RegExp(`deployment ${NEW} \\(web:2\\) started on service web \\(from web:1\\)`));
  assert.match(progress, /has started 2 tasks/);
  assert.match(progress, /web:2: new 1\/2 healthy \(1 running, 0 pending\) \| old 1 running/);
  assert.equal(progress.match(/has started 2 tasks/g)!.length, 1, 'each event printed once');
  assert.match(io.out(), new RegExp(`^deployment ${NEW} \\(web:2\\) completed: 2/2 tasks running \\(\\d+s\\)\n$`));
});

test('deploy refuses an image override for a container the revision does not have, before registering anything', async (t) => {
  const f = await fake(t, [before]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['deploy', 'web', '--image', 'api=img:2'], io), 2);
  assert.match(io.err(), /web:1 has no container named 'api' \(its containers: web, sidecar\); nothing was registered/);
  assert.equal(f.callsTo('RegisterTaskDefinition').length, 0);
  assert.equal(f.callsTo('UpdateService').length, 0);
  for (const argv of [['deploy', 'web'], ['deploy', 'web', '--image', 'x=y', '--task-definition-file', 'f.json'], ['deploy', 'web', '--task-definition', 'f.json'], ['deploy', 'web', '--task-definition', 'web:2', '--image', 'x=y'], ['deploy', 'web', '--image', 'noequals']]) {
    assert.equal(await run(argv, captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } })), 2, argv.join(' '));
  }
});

test('deploy: a circuit-breaker failure with rollback exits 1 with the reason, after following the rollback', async (t) => {
  const failed = dep(NEW, 2, { status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', failedTasks: 10 });
  const f = await fake(t, [
    before,
    svc([dep(NEW, 2), dep(OLD, 1, { status: 'ACTIVE', runningCount: 2 })]),
    svc([dep(BACK, 1, { rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${OLD}.` }), failed], [`(service web) (deployment ${NEW}) deployment failed: tasks failed to start.`]),
    svc([dep(BACK, 1, { rolloutState: 'COMPLETED', runningCount: 2 })], [`(service web) (deployment ${NEW}) deployment failed: tasks failed to start.`]),
  ]);
  const file = JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web', image: 'img:bad', memory: 64 }] });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint }, files: { 'td.json': file } });
  assert.equal(await run(['deploy', 'web', '--task-definition-file', 'td.json'], io), 1);
  assert.deepEqual(f.callsTo('RegisterTaskDefinition')[0]!.body, JSON.parse(file));
  assert.match(io.err(), new RegExp(`error: deployment ${NEW} failed: ECS deployment circuit breaker: tasks failed to start\\.`));
  assert.match(io.err(), new RegExp(`rolled back to web:1: deployment ${BACK} completed`));
  assert.match(io.err(), /rolling back to web:1: new/);
});

test('deploy: a FAILED deployment gone from the list is recognised from its event; --no-wait and --timeout', async (t) => {
  const f = await fake(t, [before, svc([dep(BACK, 1, { rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${OLD}.` })], [`(service web) (deployment ${NEW}) deployment failed: tasks failed to start.`])]);
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['deploy', 'web', '--image', 'web=img:bad'], io), 1);
  assert.match(io.err(), /failed: ECS deployment circuit breaker: tasks failed to start\./);

  const g = await fake(t, [before, svc([dep(NEW, 2), dep(OLD, 1, { status: 'ACTIVE' })])]);
  const nowait = captureIo({ env: { STEVEDORE_ENDPOINT: g.endpoint } });
  assert.equal(await run(['deploy', 'web', '--image', 'web=img:2', '--no-wait'], nowait), 0);
  assert.equal(g.callsTo('DescribeServices').length, 1);
  const slow = captureIo({ env: { STEVEDORE_ENDPOINT: g.endpoint }, tty: true });
  assert.equal(await run(['deploy', 'web', '--image', 'web=img:2', '--timeout', '3'], slow), 124);
  assert.match(slow.err(), /timed out after 3s: deployment ecs-svc\/\d+ is still IN_PROGRESS/);
  assert.match(slow.err(), /\r\x1b\[2Kweb:2: new 1\/2 healthy/, 'a progress line redrawn in place on a terminal');
});

test('service rollback deploys the previous ACTIVE revision of the family', async (t) => {
  const f = await fake(t, [svc([dep(OLD, 3, { rolloutState: 'COMPLETED' })]), svc([dep(NEW, 2, { rolloutState: 'COMPLETED', runningCount: 2 })])], {
    ListTaskDefinitions: () => ({ taskDefinitionArns: [td(3), td(2), td(1)] }),
  });
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: f.endpoint } });
  assert.equal(await run(['service', 'rollback', 'web'], io), 0, io.err());
  assert.equal(f.callsTo('UpdateService')[0]!.body['taskDefinition'], td(2));
  assert.match(io.err(), /rolling back web from web:3 to web:2/);
});

test('pure parts: --image parsing, image replacement, the progress line', () => {
  assert.deepEqual([...parseImageOverrides(['web=a:1', 'side=b', 'web=a:2'])], [['web', 'a:2'], ['side', 'b']]);
  const req = withImages(webTaskDefinition as any, undefined, new Map([['sidecar', 'x:9']]));
  assert.deepEqual((req['containerDefinitions'] as any[]).map((c) => c.image), ['stevedore-test/busybox:latest', 'x:9']);
  assert.equal(progressLine({ revision: 'web:4', desired: 4, fresh: { running: 3, pending: 1, healthy: 2 }, old: { running: 4, pending: 0 }, elapsedMs: 12_400 }), 'web:4: new 2/4 healthy (3 running, 1 pending) | old 4 running (12s)');
  assert.match(progressLine({ revision: 'web:4', desired: 4, fresh: { running: 4, pending: 0, healthy: 4 }, old: { running: 0, pending: 0 }, elapsedMs: 0 }), /old none left/);
  void T0;
});
