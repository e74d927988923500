import assert from 'node:assert/strict';
import { defaultArnContext, systemClock, type TaskContainer } from '@stevedore/core';
import { Store } from './store';
import type { StoredTask } from './tasks-repo';
import { backendTests } from '../testing/store-backends';

const storeTest = backendTests();

function container(name: string, over: Partial<TaskContainer> = {}): TaskContainer {
  return { id: `c-${name}`, name, image: `img-${name}`, status: 'NONE', networkBindings: [], healthStatus: 'UNKNOWN', essential: true, hasHealthCheck: false, ...over };
}

function task(id: string, seq: number, over: Partial<StoredTask> = {}): StoredTask {
  return {
    id,
    clusterName: 'c',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    family: 'web',
    revision: 1,
    containerInstanceId: 'i-1',
    lastStatus: 'PENDING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    cpu: 100,
    memory: 300,
    hostPorts: [],
    group: 'service:web',
    startedBy: 'ecs-svc/1',
    version: 1,
    assignmentVersion: 1,
    overrides: {},
    tags: [],
    launchType: 'EC2',
    createdAt: 1000,
    containers: [container('app', { cpu: 50, memory: 128 }), container('sidecar', { essential: false, hasHealthCheck: true, memoryReservation: 64 })],
    seq,
    ...over,
  };
}

storeTest('a new task is inserted with its containers in order, and an id already stored is refused (no replace)', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  const t = task('t-1', 1);
  const seen: unknown[] = [];
  store.changes.on((c) => seen.push(c));
  store.tx(() => store.tasks.insert(t));
  assert.deepEqual(store.tasks.get('t-1'), t);
  assert.deepEqual(seen, [{ kind: 'task', cluster: 'c', taskId: 't-1', group: 'service:web', instanceId: 'i-1' }]);
  // The placement state learned of it as well.
  assert.deepEqual(
    store.clusterState.groupTasks('c', 'service:web').map((s) => s.id),
    ['t-1'],
  );
  assert.throws(() => store.tx(() => store.tasks.insert({ ...t, lastStatus: 'RUNNING' })));
  assert.equal(store.tasks.get('t-1')?.lastStatus, 'PENDING', 'the refused insert changed nothing');
  // A task with no containers, and one with three: each container count has its own statement.
  store.tx(() => {
    store.tasks.insert(task('t-2', 2, { containers: [] }));
    store.tasks.insert(task('t-3', 3, { containers: [container('a'), container('b'), container('c', { exitCode: 3, reason: 'r', runtimeId: 'x' })] }));
  });
  assert.deepEqual(store.tasks.get('t-2')?.containers, []);
  assert.deepEqual(
    store.tasks.get('t-3')?.containers.map((c) => [c.name, c.exitCode, c.reason, c.runtimeId]),
    [
      ['a', undefined, undefined, undefined],
      ['b', undefined, undefined, undefined],
      ['c', 3, 'r', 'x'],
    ],
  );
  store.close();
});

storeTest('a report write stores exactly the next task, whichever columns it changed', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  const t0 = task('t-1', 1);
  store.tx(() => store.tasks.insert(t0));
  // Only timestamps and health: no status column moves.
  const t1: StoredTask = { ...t0, version: 2, healthStatus: 'HEALTHY', pullStartedAt: 1100, connectivityAt: 1050 };
  store.tx(() => store.tasks.writeReport(store.tasks.get('t-1')!, t1));
  assert.deepEqual(store.tasks.get('t-1'), t1);
  // Status and container fields.
  const t2: StoredTask = {
    ...t1,
    version: 3,
    lastStatus: 'RUNNING',
    startedAt: 1200,
    pullStoppedAt: 1150,
    containers: [{ ...t1.containers[0]!, status: 'RUNNING', runtimeId: 'r-1', networkBindings: [{ containerPort: 80, hostPort: 32768, protocol: 'tcp', bindIP: '0.0.0.0' }] }, t1.containers[1]!],
  };
  store.tx(() => store.tasks.writeReport(store.tasks.get('t-1')!, t2));
  assert.deepEqual(store.tasks.get('t-1'), t2);
  assert.deepEqual(store.tasks.assignedTo('i-1').map((t) => t.lastStatus), ['RUNNING']);
  // Stopped: statuses, stop fields, and a timestamp cleared back to none is written too.
  const t3: StoredTask = { ...t2, version: 4, assignmentVersion: 2, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', stoppedAt: 1300, pullStartedAt: undefined };
  delete t3.pullStartedAt;
  store.tx(() => store.tasks.writeReport(store.tasks.get('t-1')!, t3));
  assert.deepEqual(store.tasks.get('t-1'), t3);
  assert.deepEqual(store.tasks.assignedTo('i-1'), [], 'a STOPPED task leaves the instance set');
  assert.deepEqual(store.tasks.countOnInstance('i-1'), { running: 0, pending: 0 });
  store.close();
});

storeTest('the counts of an instance are its RUNNING and its pending tasks', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.tx(() => {
    store.tasks.insert(task('a', 1, { lastStatus: 'RUNNING' }));
    store.tasks.insert(task('b', 2, { lastStatus: 'PENDING' }));
    store.tasks.insert(task('c', 3, { lastStatus: 'ACTIVATING' }));
    store.tasks.insert(task('d', 4, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }));
    store.tasks.insert(task('e', 5, { lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' }));
    store.tasks.insert(task('f', 6, { lastStatus: 'RUNNING', containerInstanceId: 'i-2' }));
  });
  assert.deepEqual(store.tasks.countOnInstance('i-1'), { running: 1, pending: 2 });
  assert.deepEqual(store.tasks.countOnInstance('i-2'), { running: 1, pending: 0 });
  assert.deepEqual(store.tasks.countOnInstance('i-3'), { running: 0, pending: 0 });
  store.close();
});

storeTest("a group's wanted tasks are counted per startedBy: RUNNING, and pending (PROVISIONING, PENDING, ACTIVATING)", (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  let seq = 0;
  const add = (id: string, over: Partial<StoredTask>) => store.tasks.insert(task(id, ++seq, over));
  store.tx(() => {
    add('a1', { startedBy: 'ecs-svc/1', lastStatus: 'RUNNING' });
    add('a2', { startedBy: 'ecs-svc/1', lastStatus: 'RUNNING' });
    add('a3', { startedBy: 'ecs-svc/1', lastStatus: 'PENDING' });
    add('a4', { startedBy: 'ecs-svc/1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    add('b1', { startedBy: 'ecs-svc/2', lastStatus: 'ACTIVATING' });
    add('b2', { startedBy: 'ecs-svc/2', lastStatus: 'PROVISIONING', containerInstanceId: undefined });
    // Desired RUNNING but neither running nor pending: its deployment is listed with zero counts.
    add('c1', { startedBy: 'ecs-svc/3', lastStatus: 'DEACTIVATING' });
    add('n1', { startedBy: undefined, lastStatus: 'RUNNING' });
    // Another group and another cluster are not counted.
    add('x1', { startedBy: 'ecs-svc/1', lastStatus: 'RUNNING', group: 'service:other' });
    add('y1', { startedBy: 'ecs-svc/1', lastStatus: 'RUNNING', clusterName: 'd' });
  });
  const counts = store.tasks.countByStartedBy('c', 'service:web');
  assert.deepEqual(Object.fromEntries(counts), {
    '': { running: 1, pending: 0 },
    'ecs-svc/1': { running: 2, pending: 1 },
    'ecs-svc/2': { running: 0, pending: 2 },
    'ecs-svc/3': { running: 0, pending: 0 },
  });
  assert.equal(store.tasks.countByStartedBy('c', 'service:none').size, 0);
  store.close();
});
