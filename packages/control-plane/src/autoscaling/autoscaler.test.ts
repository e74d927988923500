import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startTestControlPlane } from '../testing/harness';
import { Autoscaler } from './autoscaler';

// The autoscaler over a real store, with its own clock (the control plane's
// built-in one runs on the wall clock and must not disturb it): scheduled
// actions fire once each, whatever the restarts; writes are audited under
// the service-linked role; a refused write is a Failed activity.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const KEY = { ServiceNamespace: 'ecs', ResourceId: 'service/as/web', ScalableDimension: 'ecs:service:DesiredCount' };
const aas = (op: string, body: unknown) => h.call(op, body, `AnyScaleFrontendService.${op}`);
const DAY = 86_400_000;

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'as' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 64 }] });
  await h.call('CreateService', { cluster: 'as', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 });
  assert.equal((await aas('RegisterScalableTarget', { ...KEY, MinCapacity: 1, MaxCapacity: 10 })).status, 200);
});
after(() => h.cp.stop());

function autoscalerAt(start: number) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _e, cb) => { lines.push(JSON.parse(String(chunk))); cb(); } });
  const clock = { t: start, now() { return this.t; } };
  const a = new Autoscaler(h.cp.store, pino({ level: 'info' }, sink), clock, { region: 'us-east-1', account: '000000000000' });
  return { a, clock, lines };
}

const desired = () => h.cp.store.services.get('as', 'web')!.service.desiredCount;

test('a daily schedule fires once per day, also across a restart; a day missed fires once; audited as the service-linked role', async () => {
  const now = Date.now();
  // 03:00 UTC every day, from tomorrow on (the put looks at the schedule from now).
  assert.equal((await aas('PutScheduledAction', { ...KEY, ScheduledActionName: 'night', Schedule: 'cron(0 3 * * ? *)', ScalableTargetAction: { MinCapacity: 4 } })).status, 200);
  let fire = Math.floor(now / DAY) * DAY + 3 * 3600_000;
  if (fire <= now) fire += DAY;
  let s = autoscalerAt(fire - 1000);
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), 1, 'not yet');
  s.clock.t = fire + 500;
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), 4);
  assert.equal(h.cp.store.autoscaling.getTarget(KEY.ResourceId)!.minCapacity, 4);
  const audit = s.lines.find((l) => l['audit'] === true);
  assert.deepEqual(
    audit && [audit['action'], audit['principal'], audit['role'], audit['outcome']],
    ['ecs:UpdateService', 'arn:aws:sts::000000000000:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling', 'AWSServiceRoleForApplicationAutoScaling_ECSService', 'ok'],
  );
  assert.equal(h.cp.store.services.get('as', 'web')!.service.updatedBy, 'arn:aws:sts::000000000000:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling');

  // Someone lowers Min again; a restarted autoscaler (new object, same store) at the same moment does not fire it twice.
  await aas('RegisterScalableTarget', { ...KEY, MinCapacity: 1 });
  await h.call('UpdateService', { cluster: 'as', service: 'web', desiredCount: 2 });
  s = autoscalerAt(fire + 2000);
  s.a.evaluate(KEY.ResourceId);
  assert.equal(h.cp.store.autoscaling.getTarget(KEY.ResourceId)!.minCapacity, 1);
  assert.equal(desired(), 2);
  // Three days later (the control plane was down): the action fires once, for the latest 03:00.
  s.clock.t = fire + 3 * DAY + 60_000;
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), 4);
  const acts = h.cp.store.autoscaling.listActivities({ resourceId: KEY.ResourceId, limit: 10 }).map((r) => r.activity.cause);
  assert.deepEqual(acts.filter((c) => c === 'scheduled action name night was triggered').length, 2);
  await aas('DeleteScheduledAction', { ...KEY, ScheduledActionName: 'night' });
});

test('an operator\'s permissions boundary on the service-linked role narrows it: a refused scale-out is a Failed activity', async () => {
  const SV = 'Stevedore_20261125.';
  const boundary = { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }, { Effect: 'Deny', Action: ['ecs:UpdateService'], Resource: ['*'] }] };
  const role = 'AWSServiceRoleForApplicationAutoScaling_ECSService';
  assert.equal((await h.call('PutRolePermissionsBoundary', { roleName: role, permissionsBoundary: boundary }, `${SV}PutRolePermissionsBoundary`)).status, 200);
  const before = desired();
  await aas('RegisterScalableTarget', { ...KEY, MinCapacity: before + 2 });
  const s = autoscalerAt(Date.now());
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), before, 'not scaled');
  const act = h.cp.store.autoscaling.listActivities({ resourceId: KEY.ResourceId, limit: 1 })[0]!.activity;
  assert.equal(act.statusCode, 'Failed');
  assert.match(act.statusMessage!, /is not authorized to perform ecs:UpdateService/);
  assert.equal((await h.call('DeleteRolePermissionsBoundary', { roleName: role }, `${SV}DeleteRolePermissionsBoundary`)).status, 200);
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), before + 2, 'scaled once the boundary is gone');
  await aas('RegisterScalableTarget', { ...KEY, MinCapacity: before });
});

test('a scale-out the cluster\'s host-access settings refuse is a Failed activity, and nothing changes', async () => {
  const td = await h.call('RegisterTaskDefinition', { family: 'priv', containerDefinitions: [{ name: 'p', image: 'img', memory: 64, privileged: true }] });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  // Written straight to the store: the API would refuse such a service in the first place (host access was allowed once, then withdrawn).
  const stored = h.cp.store.services.get('as', 'web')!;
  h.cp.store.services.putSpec({ ...stored.service, taskDefinitionArn: td.body['taskDefinition'].taskDefinitionArn, desiredCount: 0 });
  const s = autoscalerAt(Date.now());
  s.a.evaluate(KEY.ResourceId);
  assert.equal(desired(), 0);
  const act = h.cp.store.autoscaling.listActivities({ resourceId: KEY.ResourceId, limit: 1 })[0]!.activity;
  assert.equal(act.statusCode, 'Failed');
  assert.match(act.statusMessage!, /^Failed to set desired count to 4\. Reason: Cluster as does not allow this task definition: .*privileged/);
  assert.ok(s.lines.some((l) => l['audit'] === true && l['outcome'] === 'error'));
});
