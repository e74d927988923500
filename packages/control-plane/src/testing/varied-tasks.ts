import { defaultArnContext, newTask, TASK_STATUSES, type ContainerInstance, type Task, type TaskDefinition } from '@stevedore/core';
import { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { testContainer, testInstance, testTask } from './task-builder';

const td = {
  family: 'f',
  revision: 3,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:3',
  status: 'ACTIVE',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    { name: 'web', image: 'nginx', cpu: 128, memory: 256, portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }], healthCheck: { command: ['CMD', 'true'] } },
    { name: 'side', image: 'busybox', essential: false, memoryReservation: 64 },
  ],
  registeredAt: 0,
} as unknown as TaskDefinition;

/** Instances of cluster `c` the varied tasks run on: connected with an architecture, disconnected on IPv6, deregistered, draining with a valueless zone attribute first. */
export const VARIED_INSTANCES: ContainerInstance[] = [
  testInstance('i-arm', 'c', {
    hostIp: '127.0.31.7',
    attributes: [
      { name: 'ecs.availability-zone', value: 'zone-b' },
      { name: 'ecs.cpu-architecture', value: 'arm64' },
      { name: 'stack', value: 'prod' },
    ],
  }),
  testInstance('i-off', 'c', { agentConnected: false, hostIp: '::1', attributes: [{ name: 'custom' }] }),
  testInstance('i-gone', 'c', { status: 'INACTIVE', agentConnected: false }),
  testInstance('i-draining', 'c', { status: 'DRAINING', attributes: [{ name: 'ecs.availability-zone' }, { name: 'ecs.availability-zone', value: 'zone-z' }] }),
];

export const VARIED_T0 = 1_700_000_000_123;
const T0 = VARIED_T0;

/**
 * Tasks of every shape a task view or a task read must get right: every
 * status, overrides of every kind, tags, host ports, containers with network
 * bindings, health, exit codes and reasons, stopped with stop codes and all
 * timestamps, PROVISIONING with a capacity provider's placement, EXTERNAL,
 * FARGATE awsvpc with exec in each phase of its ENI attachment, EC2 awsvpc,
 * instances connected, disconnected, deregistered, draining or never stored,
 * and one task of another cluster (`other`, on `i-other`).
 */
export function variedTasks(): StoredTask[] {
  const web = (over: Parameters<typeof testContainer>[1] = {}) =>
    testContainer('web', {
      runtimeId: 'abc123',
      networkBindings: [
        { bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' },
        { bindIP: '::', containerPort: 53, hostPort: 53, protocol: 'udp' },
      ],
      hasHealthCheck: true,
      healthStatus: 'HEALTHY',
      cpu: 128,
      memory: 256,
      memoryReservation: 128,
      ...over,
    });
  // A container not yet created has no runtime id (absent, not undefined: the store gives absent).
  const unstarted = (c: Task['containers'][number]) => {
    const { runtimeId: _none, ...rest } = c;
    return rest;
  };
  const side = (over: Parameters<typeof testContainer>[1] = {}) => testContainer('side', { essential: false, ...over });
  const out: StoredTask[] = [];
  let seq = 1;
  const add = (t: Omit<StoredTask, 'seq'>) => out.push({ ...t, seq: seq++ });
  // Every task status, on a connected instance with an architecture, a service's task with tags.
  for (const s of TASK_STATUSES) {
    add(
      testTask({
        id: `status-${s.toLowerCase()}`,
        lastStatus: s,
        desiredStatus: s === 'STOPPED' || s === 'STOPPING' || s === 'DEPROVISIONING' ? 'STOPPED' : 'RUNNING',
        ...(s === 'PROVISIONING' ? {} : { containerInstanceId: 'i-arm' }),
        startedBy: 'ecs-svc/1234567890123456789',
        group: 'service:web',
        version: 7,
        healthStatus: s === 'RUNNING' ? 'HEALTHY' : 'UNKNOWN',
        hostPorts: [{ port: 32768, protocol: 'tcp' }],
        tags: [
          { key: 'team', value: 'core' },
          { key: 'aws:ecs:serviceName', value: 'web' },
        ],
        createdAt: T0,
        connectivityAt: T0 + 1,
        pullStartedAt: T0 + 2,
        pullStoppedAt: T0 + 3,
        startedAt: T0 + 4,
        ...(s === 'STOPPED' ? { stoppingAt: T0 + 5, executionStoppedAt: T0 + 6, stoppedAt: T0 + 7, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' } : {}),
        containers: [web({ status: s === 'STOPPED' ? 'STOPPED' : 'RUNNING', ...(s === 'STOPPED' ? { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' } : {}) }), side({ status: 'CREATED' })],
      }),
    );
  }
  // Stopped before it ran, on an instance since deregistered; user overrides of every kind.
  add(
    testTask({
      id: 'failed-start',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      containerInstanceId: 'i-gone',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull access denied',
      stoppingAt: T0 + 5,
      stoppedAt: T0 + 9,
      overrides: {
        containerOverrides: [{ name: 'web', command: ['sh', '-c', 'echo "hi"'], environment: [{ name: 'A', value: 'b\u00e9\n' }], cpu: 64, memory: 128 }],
        cpu: '512',
        memory: '1024',
        taskRoleArn: 'arn:aws:iam::000000000000:role/task',
        executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
        inferenceAcceleratorOverrides: [{ deviceName: 'd', deviceType: 'eia2.medium' }],
        ephemeralStorage: { sizeInGiB: 30 },
      } as StoredTask['overrides'],
      containers: [unstarted(web({ status: 'NONE', healthStatus: 'UNKNOWN', reason: 'CannotPullContainerError' }))],
    }),
  );
  // Only a task role overridden; no containers at all; an instance never stored.
  add(testTask({ id: 'role-only', overrides: { taskRoleArn: 'arn:aws:iam::000000000000:role/r' }, containerInstanceId: 'i-never' }));
  // Waiting for a host group's capacity.
  add(
    testTask({
      id: 'provisioning',
      lastStatus: 'PROVISIONING',
      capacityProviderName: 'hosts-cp',
      provisioning: { capacityProviderStrategy: [{ capacityProvider: 'hosts-cp', weight: 1, base: 0 }], placementConstraints: [{ type: 'distinctInstance' }], placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] },
      containers: [unstarted(web({ status: 'NONE', healthStatus: 'UNKNOWN' }))],
    }),
  );
  // EXTERNAL on a disconnected instance with IPv6, being stopped, unhealthy.
  add(
    testTask({
      id: 'external',
      launchType: 'EXTERNAL',
      containerInstanceId: 'i-off',
      desiredStatus: 'STOPPED',
      healthStatus: 'UNHEALTHY',
      stoppingAt: T0 + 3,
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
      containers: [web({ healthStatus: 'UNHEALTHY' })],
    }),
  );
  // A draining instance whose first zone attribute has no value.
  add(testTask({ id: 'draining', containerInstanceId: 'i-draining', containers: [side()] }));
  // FARGATE awsvpc with exec, in every phase its ENI attachment shows; and an EC2 awsvpc task with empty subnets.
  const fargate = (id: string, lastStatus: StoredTask['lastStatus'], instanceId: string, containerStatus: Task['containers'][number]['status']) => {
    const t = newTask({
      clusterName: 'c',
      td,
      containerInstanceId: instanceId,
      group: 'family:f',
      now: T0,
      launchType: 'FARGATE',
      capacityProviderName: 'FARGATE_SPOT',
      platformVersion: '1.4.0',
      enableExecuteCommand: true,
      awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' },
    });
    return { ...t, id, lastStatus, startedAt: T0 + 40, containers: t.containers.map((c) => ({ ...c, status: containerStatus })) };
  };
  add(fargate('fg-running', 'RUNNING', 'i-arm', 'RUNNING'));
  add(fargate('fg-pending', 'PENDING', 'i-off', 'PULLED'));
  add(fargate('fg-deprovisioning', 'DEPROVISIONING', 'i-arm', 'STOPPED'));
  add({ ...fargate('fg-stopped', 'STOPPED', 'i-gone', 'STOPPED'), desiredStatus: 'STOPPED', stoppedAt: T0 + 50 });
  const ec2vpc = newTask({ clusterName: 'c', td: { ...td, requiresCompatibilities: ['EC2'] }, containerInstanceId: 'i-arm', group: 'family:f', now: T0, enableExecuteCommand: true });
  add({ ...ec2vpc, id: 'ec2-awsvpc', containers: ec2vpc.containers.map((c, k) => ({ ...c, status: k === 0 ? 'RUNNING' : 'NONE' })) });
  // Another cluster's task: DescribeTasks in `c` must not show it.
  add(testTask({ id: 'elsewhere', clusterName: 'other', containerInstanceId: 'i-other', containers: [web()] }));
  return out;
}

/** A store (in memory unless `location` says) holding the varied tasks (or `tasks`), their instances and clusters `c` and `other`; its clock stands at VARIED_T0. */
export function variedStore(tasks: StoredTask[] = variedTasks(), location = ':memory:'): Store {
  const store = Store.open(location, { now: () => VARIED_T0 }, defaultArnContext);
  store.tx(() => {
    for (const name of ['c', 'other']) store.clusters.upsert({ name, status: 'ACTIVE', tags: [], settings: [], createdAt: VARIED_T0 });
    for (const i of VARIED_INSTANCES) store.instances.put(i);
    store.instances.put(testInstance('i-other', 'other'));
    for (const t of tasks) store.tasks.insert(t);
  });
  return store;
}
