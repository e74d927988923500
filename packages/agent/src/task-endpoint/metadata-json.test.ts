import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerMetadata, taskMetadata, taskWithTags } from './metadata-json';
import type { TaskState } from '../worker/task-state';

const task: TaskState = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc',
  desired: 'RUNNING',
  lastStatus: 'RUNNING',
  pullStartedAt: Date.UTC(2026, 0, 1, 0, 0, 0),
  pullStoppedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  spec: {
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc', taskId: 'abc', cluster: 'c', family: 'web', revision: 3, desiredStatus: 'RUNNING', version: 1,
    networkMode: 'bridge', cpu: '512', memory: '1024', volumes: [],
    containers: [{ name: 'app', image: 'img:1', cpu: 128, memory: 256, containerArn: 'arn:aws:ecs:us-east-1:000000000000:container/c/abc/1' }],
  },
  containers: [{ name: 'app', definition: { name: 'app', image: 'img:1', cpu: 128, memory: 256 }, essential: true, known: 'RUNNING', applied: 'RUNNING', runtimeId: 'd0c', dockerName: 'ecs-web-3-app-x', health: 'UNKNOWN', networkBindings: [{ bindIP: '127.0.0.2', containerPort: 80, hostPort: 32768, protocol: 'tcp' }], startedAt: Date.UTC(2026, 0, 1, 0, 0, 2) }],
};

test('container and task payloads carry ECS TMDS v4 field names, ISO times, task limits in vCPU and MiB', () => {
  const c = containerMetadata(task, task.containers[0]!, { imageId: 'sha256:1', createdAt: '2026-01-01T00:00:01Z', labels: { a: 'b' }, ipv4: '172.17.0.3', mac: '02:00:00:00:00:01' });
  assert.deepEqual(c, {
    DockerId: 'd0c', Name: 'app', DockerName: 'ecs-web-3-app-x', Image: 'img:1', ImageID: 'sha256:1',
    Ports: [{ ContainerPort: 80, Protocol: 'tcp', HostPort: 32768, HostIp: '127.0.0.2' }],
    Labels: { a: 'b' }, DesiredStatus: 'RUNNING', KnownStatus: 'RUNNING', Limits: { CPU: 128, Memory: 256 },
    CreatedAt: '2026-01-01T00:00:01Z', StartedAt: '2026-01-01T00:00:02.000Z', Type: 'NORMAL', LogDriver: 'json-file',
    ContainerARN: 'arn:aws:ecs:us-east-1:000000000000:container/c/abc/1',
    Networks: [{ NetworkMode: 'bridge', IPv4Addresses: ['172.17.0.3'], MACAddress: '02:00:00:00:00:01' }],
  });
  const t = taskMetadata(task, [c], { availabilityZone: 'local-a' });
  assert.deepEqual(Object.keys(t), ['Cluster', 'TaskARN', 'Family', 'Revision', 'DesiredStatus', 'KnownStatus', 'Limits', 'PullStartedAt', 'PullStoppedAt', 'AvailabilityZone', 'LaunchType', 'Containers']);
  assert.equal(t['Revision'], '3');
  assert.equal(taskMetadata({ ...task, spec: { ...task.spec!, serviceName: 'web' } }, [c], { availabilityZone: 'local-a' })['ServiceName'], 'web');
  assert.deepEqual(t['Limits'], { CPU: 0.5, Memory: 1024 });
  assert.equal(t['LaunchType'], 'EC2');
});

test('taskWithTags: the task payload with TaskTags and ContainerInstanceTags before LaunchType; ClockDrift in /task when known', () => {
  const clockDrift = { ClockErrorBound: 0.5, ReferenceTimestamp: '2026-01-01T00:00:00.000Z', ClockSynchronizationStatus: 'SYNCHRONIZED' as const };
  const t = taskMetadata(task, [], { availabilityZone: 'local-a', clockDrift });
  assert.deepEqual(t['ClockDrift'], clockDrift);
  const tagged = taskWithTags(t, [{ key: 'team', value: 'web' }, { key: '__proto__', value: 'x' }, { key: 'empty' }], { rack: 'r1' });
  assert.deepEqual(Object.keys(tagged).slice(9), ['AvailabilityZone', 'TaskTags', 'ContainerInstanceTags', 'LaunchType', 'ClockDrift', 'Containers']);
  assert.equal(JSON.stringify(tagged['TaskTags']), '{"team":"web","__proto__":"x","empty":""}');
  assert.equal(Object.getPrototypeOf(tagged['TaskTags']), Object.prototype, 'a tag named __proto__ is data, not a prototype');
  assert.deepEqual(tagged['ContainerInstanceTags'], { rack: 'r1' });
});

test('RestartCount: shown for a container with a restart policy (0 before any restart), absent otherwise, as the ECS agent does', () => {
  const base = task.containers[0]!;
  assert.equal(containerMetadata(task, base, {})['RestartCount'], undefined);
  const withPolicy = { ...base, definition: { ...base.definition!, restartPolicy: { enabled: true } } };
  assert.equal(containerMetadata(task, withPolicy, {})['RestartCount'], 0);
  assert.equal(containerMetadata(task, { ...withPolicy, restartCount: 2 }, {})['RestartCount'], 2);
});
