import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTaskReport, markStoppedByControlPlane, requestStop } from './task-lifecycle';
import type { Task } from '../model/task';
import type { TaskReport } from '../model/assignment';

function task(over: Partial<Task> = {}): Task {
  return {
    id: 't1',
    clusterName: 'c',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    family: 'web',
    revision: 1,
    containerInstanceId: 'i1',
    lastStatus: 'PENDING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    cpu: 0,
    memory: 64,
    hostPorts: [],
    group: 'family:web',
    version: 1,
    assignmentVersion: 1,
    overrides: {},
    tags: [],
    launchType: 'EC2',
    createdAt: 1000,
    containers: [
      { id: 'c1', name: 'web', image: 'img', status: 'NONE', networkBindings: [], healthStatus: 'UNKNOWN', essential: true, hasHealthCheck: true },
      { id: 'c2', name: 'side', image: 'img', status: 'NONE', networkBindings: [], healthStatus: 'UNKNOWN', essential: false, hasHealthCheck: false },
    ],
    ...over,
  };
}

function report(over: Partial<TaskReport> = {}): TaskReport {
  return {
    taskArn: 'arn',
    lastStatus: 'RUNNING',
    containers: [
      { name: 'web', status: 'RUNNING', runtimeId: 'd1', networkBindings: [{ bindIP: '127.0.0.2', containerPort: 80, hostPort: 32768, protocol: 'tcp' }], healthStatus: 'HEALTHY' },
      { name: 'side', status: 'RUNNING', networkBindings: [], healthStatus: 'UNKNOWN' },
    ],
    startedAt: 2000,
    ...over,
  };
}

test('a RUNNING report moves the task forward, records bindings and derives health from essential containers', () => {
  const r = applyTaskReport(task(), report(), 5000);
  assert.ok(r);
  assert.equal(r.task.lastStatus, 'RUNNING');
  assert.deepEqual(r.transition, { from: 'PENDING', to: 'RUNNING', reason: 'agent report' });
  assert.equal(r.task.containers[0]!.networkBindings[0]!.hostPort, 32768);
  assert.equal(r.task.healthStatus, 'HEALTHY');
  assert.equal(r.task.startedAt, 2000);
  assert.equal(r.task.version, 2);
});

test('the same report twice changes nothing the second time', () => {
  const first = applyTaskReport(task(), report(), 5000)!;
  assert.equal(applyTaskReport(first.task, report(), 6000), undefined);
});

test('a stale report cannot move a task backwards', () => {
  const stopped = task({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: 10 });
  const r = applyTaskReport(stopped, report({ lastStatus: 'RUNNING', containers: [] }), 5000);
  assert.equal(r, undefined);
});

test('an essential exit reported by the agent sets desiredStatus STOPPED with the stop code', () => {
  const running = applyTaskReport(task(), report(), 5000)!.task;
  const r = applyTaskReport(
    running,
    report({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'web', status: 'STOPPED', exitCode: 3, networkBindings: [], healthStatus: 'UNKNOWN' },
        { name: 'side', status: 'STOPPED', exitCode: 137, networkBindings: [], healthStatus: 'UNKNOWN' },
      ],
      stoppedAt: 7000,
    }),
    8000,
  )!;
  assert.equal(r.task.desiredStatus, 'STOPPED');
  assert.equal(r.task.lastStatus, 'STOPPED');
  assert.equal(r.task.stopCode, 'EssentialContainerExited');
  assert.equal(r.task.stoppedReason, 'Essential container in task exited');
  assert.equal(r.task.containers[0]!.exitCode, 3);
  assert.equal(r.task.stoppedAt, 7000);
  assert.equal(r.task.assignmentVersion, running.assignmentVersion + 1);
});

test('a task that stops without ever starting is TaskFailedToStart', () => {
  const r = applyTaskReport(
    task(),
    { taskArn: 'arn', lastStatus: 'STOPPED', containers: [{ name: 'web', status: 'STOPPED', reason: 'CannotPullContainerError: nope', networkBindings: [], healthStatus: 'UNKNOWN' }] },
    100,
  )!;
  assert.equal(r.task.stopCode, 'TaskFailedToStart');
  assert.equal(r.task.containers[0]!.reason, 'CannotPullContainerError: nope');
});

test('UNHEALTHY essential container makes the task UNHEALTHY; a sidecar cannot', () => {
  const base = applyTaskReport(task(), report(), 1)!.task;
  const r = applyTaskReport(base, report({ containers: [{ name: 'web', status: 'RUNNING', networkBindings: [], healthStatus: 'UNHEALTHY' }] }), 2)!;
  assert.equal(r.task.healthStatus, 'UNHEALTHY');
});

test('requestStop is idempotent and keeps the first reason', () => {
  const s1 = requestStop(task(), { stopCode: 'UserInitiated', reason: 'first', now: 10 })!;
  assert.equal(s1.desiredStatus, 'STOPPED');
  assert.equal(s1.stoppingAt, 10);
  assert.equal(s1.assignmentVersion, 2);
  assert.equal(requestStop(s1, { stopCode: 'UserInitiated', reason: 'second', now: 20 }), undefined);
});

test('markStoppedByControlPlane closes a task whose agent is gone', () => {
  const s = markStoppedByControlPlane(task(), 'instance deregistered', 50)!;
  assert.equal(s.lastStatus, 'STOPPED');
  assert.equal(s.desiredStatus, 'STOPPED');
  assert.equal(s.stoppedAt, 50);
  assert.ok(s.containers.every((c) => c.status === 'STOPPED'));
});
