import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext, type Clock } from '@stevedore/core';
import { Store } from './store';
import type { Change } from './changes';
import type { AlarmConfig } from './alarms-repo';
import { backendTests } from '../testing/store-backends';

const storeTest = backendTests();

const clock: Clock = { now: () => 1_000 };
const POLICY = 'arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p:resource/ecs/service/c/web:policyName/up';
const config = (over: Partial<AlarmConfig> = {}): AlarmConfig => ({
  actionsEnabled: true,
  okActions: [],
  alarmActions: [POLICY],
  insufficientDataActions: [],
  namespace: 'AWS/ECS',
  metricName: 'CPUUtilization',
  dimensions: [{ name: 'ClusterName', value: 'c' }, { name: 'ServiceName', value: 'web' }],
  statistic: 'Average',
  period: 60,
  evaluationPeriods: 3,
  threshold: 75,
  comparisonOperator: 'GreaterThanThreshold',
  ...over,
});

storeTest('the alarm-state contract: state changes are history items and alarm-state changes after commit; actingOn finds alarms by action', (b) => {
  const store = Store.open(b.location(), clock, defaultArnContext);
  const changes: Change[] = [];
  store.changes.on((c) => changes.push(c));
  store.alarms.put('cpu-high', config(), 1_000);
  store.alarms.put('cpu-high-quiet', config({ actionsEnabled: false }), 1_000);
  assert.deepEqual(changes, [{ kind: 'alarm', alarmName: 'cpu-high' }, { kind: 'alarm', alarmName: 'cpu-high-quiet' }]);
  assert.equal(store.alarms.get('cpu-high')?.stateValue, 'INSUFFICIENT_DATA');
  assert.deepEqual(store.alarms.actingOn(POLICY), []);
  changes.length = 0;
  const reasonData = JSON.stringify({ version: '1.0', recentDatapoints: [80, 90, 95] });
  assert.equal(store.alarms.setState('cpu-high', 'ALARM', 'Threshold Crossed', reasonData, 2_000, 'INSUFFICIENT_DATA'), true);
  store.alarms.setState('cpu-high-quiet', 'ALARM', 'Threshold Crossed', reasonData, 2_000);
  assert.deepEqual(changes, [{ kind: 'alarm-state', alarmName: 'cpu-high' }, { kind: 'alarm-state', alarmName: 'cpu-high-quiet' }]);
  // Only the alarm with actions enabled acts on the policy; its reason data carries the datapoints.
  const acting = store.alarms.actingOn(POLICY);
  assert.deepEqual(acting.map((a) => a.name), ['cpu-high']);
  assert.deepEqual(JSON.parse(acting[0]!.stateReasonData!).recentDatapoints, [80, 90, 95]);
  assert.equal(acting[0]!.stateTransitionedAt, 2_000);
  // A conditional write from a stale state is refused (an evaluation racing SetAlarmState).
  assert.equal(store.alarms.setState('cpu-high', 'OK', 'x', undefined, 3_000, 'INSUFFICIENT_DATA'), false);
  // An update keeps the state (CloudWatch), a delete removes the alarm; history keeps all three kinds.
  store.alarms.put('cpu-high', config({ threshold: 80 }), 4_000);
  assert.equal(store.alarms.get('cpu-high')?.stateValue, 'ALARM');
  store.alarms.recordAction('cpu-high', `Successfully executed action ${POLICY}`, { actionState: 'Succeeded' }, 5_000);
  assert.deepEqual(store.alarms.history({ alarmName: 'cpu-high' }, undefined, 10).map((h) => h.type), ['Action', 'ConfigurationUpdate', 'StateUpdate', 'ConfigurationUpdate']);
  store.alarms.delete(['cpu-high'], 6_000);
  assert.equal(store.alarms.get('cpu-high'), undefined);
  assert.equal(store.alarms.pruneHistory(5_500, 100), 6);
});
