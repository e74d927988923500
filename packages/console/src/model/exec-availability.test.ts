import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execAvailability } from './exec-availability';
import type { Container, Task } from './ecs-types';

const container = (over: Partial<Container> = {}): Container => ({ name: 'app', lastStatus: 'RUNNING', managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }], ...over });
const task = (over: Partial<Task> = {}): Task => ({ taskArn: 'arn:aws:ecs:r:1:task/c/abc', taskDefinitionArn: 'arn:aws:ecs:r:1:task-definition/f:1', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', enableExecuteCommand: true, ...over });

test('a terminal is offered only with enableExecuteCommand and a key that may call ecs:ExecuteCommand', () => {
  assert.deepEqual(execAvailability(task(), container(), true), { offered: true, ready: true });
  assert.deepEqual(execAvailability(task(), container(), false), { offered: false });
  assert.deepEqual(execAvailability(task({ enableExecuteCommand: false }), container({ managedAgents: undefined }), true), { offered: false });
  assert.deepEqual(execAvailability(task({ enableExecuteCommand: undefined }), container(), true), { offered: false });
  assert.deepEqual(execAvailability(task({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), container({ lastStatus: 'STOPPED' }), true), { offered: false });
});

test('not ready, with the reason, until the task, the container and its agent run', () => {
  assert.deepEqual(execAvailability(task({ lastStatus: 'PENDING' }), container({ lastStatus: 'PENDING' }), true), { offered: true, ready: false, reason: 'the task is PENDING (desired RUNNING)' });
  assert.deepEqual(execAvailability(task({ desiredStatus: 'STOPPED' }), container(), true), { offered: true, ready: false, reason: 'the task is RUNNING (desired STOPPED)' });
  assert.deepEqual(execAvailability(task(), container({ lastStatus: 'STOPPED' }), true), { offered: true, ready: false, reason: 'the container is STOPPED' });
  assert.deepEqual(execAvailability(task(), container({ managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'PENDING' }] }), true), { offered: true, ready: false, reason: 'its ExecuteCommandAgent is PENDING' });
});
