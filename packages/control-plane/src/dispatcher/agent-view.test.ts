import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTaskReport, requestStop, stopHold, type TaskDrain, type TaskReport, type TaskStatus } from '@stevedore/core';
import { agentViewUnchanged } from '../store/task-writes';
import type { StoredTask } from '../store/tasks-repo';
import { testContainer, testTask } from '../testing/task-builder';

/**
 * What an agent's session is sent of a task (session.ts): whether it is in
 * the set (not STOPPED), at which assignment version, and whether its stop is
 * held while a load balancer target drains (sent at the version before).
 */
function agentView(t: StoredTask, drain: TaskDrain | undefined, now: number): string {
  if (t.lastStatus === 'STOPPED') return 'not in the set';
  const held = stopHold(t, drain, now).held;
  return `v${held ? t.assignmentVersion - 1 : t.assignmentVersion} ${held ? 'held' : t.desiredStatus}`;
}

const STATUSES: TaskStatus[] = ['PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED'];
const NOW = 1_000_000;
const DRAINS: (TaskDrain | undefined)[] = [
  undefined,
  { taskId: 't', state: 'registered', registeredAt: NOW - 1000 },
  { taskId: 't', state: 'draining', registeredAt: NOW - 1000, drainingUntil: NOW + 60_000 },
];

test('a report write said to change nothing an agent is sent never changes it (every status pair, health, exits, stops, drains)', () => {
  const starts: StoredTask[] = [];
  for (const lastStatus of STATUSES.filter((s) => s !== 'STOPPED')) {
    const running = testTask({ id: 't', lastStatus, containerInstanceId: 'i-1', containers: [testContainer('app', { status: lastStatus === 'PENDING' ? 'CREATED' : 'RUNNING' })] });
    starts.push(running);
    // The control plane asked it to stop (ServiceSchedulerInitiated): a stop the drain may hold.
    starts.push({ ...requestStop(running, { stopCode: 'ServiceSchedulerInitiated', reason: 'scaling', now: NOW - 500 })!, seq: 1 });
  }
  let unchanged = 0;
  let changed = 0;
  for (const prev of starts) {
    for (const lastStatus of STATUSES) {
      for (const health of ['UNKNOWN', 'HEALTHY', 'UNHEALTHY'] as const) {
        for (const exit of [undefined, { stopCode: 'EssentialContainerExited' as const }]) {
          const report: TaskReport = {
            taskArn: 'arn',
            lastStatus,
            containers: [{ name: 'app', status: lastStatus === 'STOPPED' ? 'STOPPED' : lastStatus === 'PENDING' ? 'CREATED' : 'RUNNING', networkBindings: [], healthStatus: health, ...(lastStatus === 'STOPPED' ? { exitCode: 0 } : {}) }],
            ...(exit ?? {}),
          };
          const r = applyTaskReport(prev, report, NOW);
          if (!r) continue;
          const next = r.task;
          const said = agentViewUnchanged(prev, next);
          said ? unchanged++ : changed++;
          if (!said) continue;
          for (const drain of DRAINS) {
            assert.equal(agentView(next, drain, NOW), agentView(prev, drain, NOW), `${prev.lastStatus}/${prev.desiredStatus} + ${JSON.stringify(report)} with drain ${drain?.state}`);
          }
        }
      }
    }
  }
  // Both kinds occur: progress and health reports are skipped, stops and exits are pushed.
  assert.ok(unchanged > 10 && changed > 10, `${unchanged} unchanged, ${changed} changed`);
});

test('the everyday reports: PENDING -> RUNNING and health changes need no push; an exit, a STOPPED, a held stop moving on do', () => {
  const pending = testTask({ id: 't', lastStatus: 'PENDING', containerInstanceId: 'i-1', containers: [testContainer('app', { status: 'CREATED' })] });
  const report = (lastStatus: TaskStatus, over: Partial<TaskReport> = {}): TaskReport => ({
    taskArn: 'arn',
    lastStatus,
    containers: [{ name: 'app', status: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING', networkBindings: [], healthStatus: 'HEALTHY', ...(lastStatus === 'STOPPED' ? { exitCode: 1 } : {}) }],
    ...over,
  });
  const running = applyTaskReport(pending, report('RUNNING'), NOW)!.task;
  assert.equal(agentViewUnchanged(pending, running), true, 'started');
  const unhealthy = applyTaskReport(running, { ...report('RUNNING'), containers: [{ name: 'app', status: 'RUNNING', networkBindings: [], healthStatus: 'UNHEALTHY' }] }, NOW)!.task;
  assert.equal(agentViewUnchanged(running, unhealthy), true, 'health');
  const exited = applyTaskReport(running, report('STOPPED', { stopCode: 'EssentialContainerExited' }), NOW)!.task;
  assert.equal(agentViewUnchanged(running, exited), false, 'exited: leaves the set');
  const stopping = { ...requestStop(running, { stopCode: 'ServiceSchedulerInitiated', reason: 'scaling', now: NOW })!, seq: 1 };
  const deactivating = applyTaskReport(stopping, report('DEACTIVATING'), NOW)!.task;
  assert.equal(agentViewUnchanged(stopping, deactivating), false, 'a stop that may have been held moves on');
});
