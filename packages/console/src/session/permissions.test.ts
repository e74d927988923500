import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsToCheck, capabilitiesFrom, isReadOnly, type EvaluationResult } from './permissions';

const results = (allowed: string[]): EvaluationResult[] =>
  actionsToCheck().map((a) => ({ evalActionName: a, evalResourceName: '*', evalDecision: allowed.includes(a) ? 'allowed' : 'implicitDeny' }));

test('a read-only key gets no action at all', () => {
  const c = capabilitiesFrom(results([]));
  assert.equal(isReadOnly(c), true);
  assert.ok(Object.values(c).every((v) => v === false));
});

test('an admin gets every action', () => {
  const c = capabilitiesFrom(results(actionsToCheck()));
  assert.equal(isReadOnly(c), false);
  assert.ok(Object.values(c).every((v) => v === true));
});

test('a UI action needs every API action it takes; one resource allowing it is enough', () => {
  const c = capabilitiesFrom(results(['ecs:UpdateService', 'ecs:StopTask']));
  assert.equal(c.scale, true);
  assert.equal(c.stopTask, true);
  assert.equal(c.deploy, false, 'a new image also registers a task definition');
  assert.equal(c.drainInstance, false);
  const scoped = capabilitiesFrom([
    { evalActionName: 'ecs:StopTask', evalResourceName: '*', evalDecision: 'implicitDeny' },
    { evalActionName: 'ecs:StopTask', evalResourceName: 'arn:aws:ecs:r:1:task/prod/*', evalDecision: 'allowed' },
  ]);
  assert.equal(scoped.stopTask, true);
  const denied = capabilitiesFrom([{ evalActionName: 'ecs:StopTask', evalResourceName: '*', evalDecision: 'explicitDeny' }]);
  assert.equal(denied.stopTask, false);
});

test('each IAM action is asked about once', () => {
  const a = actionsToCheck();
  assert.equal(new Set(a).size, a.length);
  assert.ok(a.includes('ecs:UpdateContainerInstancesState'));
});
