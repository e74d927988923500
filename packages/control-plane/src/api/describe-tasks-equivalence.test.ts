import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import {
  arns,
  defaultArnContext,
  idOf,
  newTask,
  TASK_STATUSES,
  TASK_TIMESTAMPS,
  toEcsContainerStatus,
  toEcsTimestamp,
  type ArnContext,
  type ContainerInstance,
  type Task,
  type TaskDefinition,
  type TaskTimestamp,
} from '@stevedore/core';
import { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { taskFromRow, toContainer, type ContainerRow, type TaskRow } from '../store/task-rows';
import { testContainer, testInstance, testTask } from '../testing/task-builder';
import type { ApiContext } from './context';
import { describeTasks } from './actions/tasks';
import { taskJson } from './serialize';

/*
 * DescribeTasks was made cheaper (issue 15: the task view built member by
 * member instead of spread and compacted). Its answers must not change by a
 * byte: the implementation it replaced is kept here as the reference, and a
 * varied set of tasks (every status, overrides, tags, attachments, network
 * bindings, health, FARGATE awsvpc, exec, stopped with reasons, instances
 * gone or disconnected) is described both ways.
 */

// ---- The reference: DescribeTasks as it was before (serialize.ts, actions/tasks.ts, the store's task read). ----

function refCompact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function refEniAttachment(t: Task, instance: ContainerInstance | undefined) {
  const eni = t.networkInterface;
  if (!eni) return [];
  const ip = instance?.hostIp;
  const status = t.lastStatus === 'STOPPED' ? 'DELETED' : t.lastStatus === 'DEPROVISIONING' || t.lastStatus === 'STOPPING' ? 'DETACHING' : 'ATTACHED';
  const details = [
    ...(eni.configuration.subnets[0] !== undefined ? [{ name: 'subnetId', value: eni.configuration.subnets[0] }] : []),
    { name: 'networkInterfaceId', value: eni.networkInterfaceId },
    ...(ip !== undefined ? [{ name: 'privateDnsName', value: `ip-${ip.replace(/[.:]/g, '-')}.stevedore.internal` }, { name: 'privateIPv4Address', value: ip }] : []),
  ];
  return [{ id: eni.attachmentId, type: 'ElasticNetworkInterface', status, details }];
}

const REF_TASK_VIEW_FIELDS = [
  'taskDefinitionArn',
  'lastStatus',
  'desiredStatus',
  'healthStatus',
  'startedBy',
  'group',
  'version',
  'stopCode',
  'stoppedReason',
  'launchType',
  'capacityProviderName',
  'platformVersion',
  'ephemeralStorage',
] as const satisfies readonly (keyof Task)[];

function refPick<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

function refEcsTimestamps(t: Pick<Task, TaskTimestamp>): Partial<Record<TaskTimestamp, number>> {
  const out: Partial<Record<TaskTimestamp, number>> = {};
  for (const k of TASK_TIMESTAMPS) {
    const v = toEcsTimestamp(t[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function refTaskJson(arn: ArnContext, t: Task, instance: ContainerInstance | undefined, include: string[] = []) {
  const taskArn = arns.task(arn, t.clusterName, t.id);
  const fargate = t.launchType === 'FARGATE';
  const eni = t.networkInterface;
  const az = instance?.attributes.find((a) => a.name === 'ecs.availability-zone')?.value;
  const archAttr = instance?.attributes.find((a) => a.name === 'ecs.cpu-architecture')?.value;
  return refCompact({
    ...refPick(t, REF_TASK_VIEW_FIELDS),
    ...refEcsTimestamps(t),
    taskArn,
    clusterArn: arns.cluster(arn, t.clusterName),
    containerInstanceArn: t.containerInstanceId && !fargate ? arns.containerInstance(arn, t.clusterName, t.containerInstanceId) : undefined,
    overrides: { containerOverrides: t.overrides.containerOverrides ?? [], inferenceAcceleratorOverrides: [], ...refWithoutContainerOverrides(t.overrides) },
    cpu: String(t.cpu),
    memory: String(t.memory),
    containers: t.containers.map((c) =>
      refCompact({
        containerArn: arns.container(arn, t.clusterName, t.id, c.id),
        taskArn,
        name: c.name,
        image: c.image,
        runtimeId: c.runtimeId,
        lastStatus: toEcsContainerStatus(c.status),
        exitCode: c.exitCode,
        reason: c.reason,
        networkBindings: c.networkBindings,
        networkInterfaces: eni && instance ? [{ attachmentId: eni.attachmentId, privateIpv4Address: instance.hostIp }] : [],
        healthStatus: c.healthStatus,
        cpu: c.cpu === undefined ? '0' : String(c.cpu),
        memory: c.memory === undefined ? undefined : String(c.memory),
        memoryReservation: c.memoryReservation === undefined ? undefined : String(c.memoryReservation),
        managedAgents: t.enableExecuteCommand ? [refExecuteCommandAgent(t, c)] : undefined,
      }),
    ),
    connectivity: instance ? (instance.agentConnected ? 'CONNECTED' : 'DISCONNECTED') : undefined,
    platformFamily: fargate ? 'Linux' : undefined,
    availabilityZone: az,
    attributes: archAttr ? [{ name: 'ecs.cpu-architecture', value: archAttr }] : [],
    attachments: refEniAttachment(t, instance),
    tags: include.includes('TAGS') ? t.tags : undefined,
    enableExecuteCommand: t.enableExecuteCommand === true,
  });
}

function refExecuteCommandAgent(t: Task, c: Task['containers'][number]) {
  const ecs = toEcsContainerStatus(c.status);
  const lastStatus = ecs === 'RUNNING' ? 'RUNNING' : ecs === 'STOPPED' ? 'STOPPED' : 'PENDING';
  return refCompact({ name: 'ExecuteCommandAgent', lastStatus, lastStartedAt: lastStatus === 'PENDING' ? undefined : toEcsTimestamp(t.startedAt) });
}

function refWithoutContainerOverrides(o: Task['overrides']) {
  const { containerOverrides: _ignored, ...rest } = o;
  return rest;
}

/** The store's task read as it was: every column of the row and of its containers' rows, decoded by task-rows.ts. */
function refGet(store: Store, id: string): StoredTask | undefined {
  const row = store.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
  if (!row) return undefined;
  const containers = store.db.prepare('SELECT * FROM containers WHERE task_id = ? ORDER BY idx').all(id) as ContainerRow[];
  return taskFromRow(row, containers.map(toContainer));
}

function refDescribeTasks(store: Store, arn: ArnContext, cluster: string, refs: string[], include: string[]) {
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const t = refGet(store, idOf(ref));
    if (!t || t.clusterName !== cluster) failures.push({ arn: ref.startsWith('arn:') ? ref : arns.task(arn, cluster, ref), reason: 'MISSING' });
    else {
      const instance = t.containerInstanceId ? (store.clusterState.loadedInstance(cluster, t.containerInstanceId) ?? store.instances.get(t.containerInstanceId)) : undefined;
      tasks.push(refTaskJson(arn, t, instance, include));
    }
  }
  return { tasks, failures };
}

// ---- The varied set of tasks. ----

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

const instances: ContainerInstance[] = [
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

const T0 = 1_700_000_000_123;
const clock = { now: () => T0 };

function variedTasks(): StoredTask[] {
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
      containers: [web({ status: 'NONE', runtimeId: undefined, healthStatus: 'UNKNOWN', reason: 'CannotPullContainerError' })],
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
      containers: [web({ status: 'NONE', runtimeId: undefined, healthStatus: 'UNKNOWN' })],
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

function setUp() {
  const store = Store.open(':memory:', clock, defaultArnContext);
  store.tx(() => {
    for (const name of ['c', 'other']) store.clusters.upsert({ name, status: 'ACTIVE', tags: [], settings: [], createdAt: T0 });
    for (const i of instances) store.instances.put(i);
    store.instances.put(testInstance('i-other', 'other'));
    for (const t of variedTasks()) store.tasks.insert(t);
  });
  const ctx = { store, clock: clock, arn: defaultArnContext, log: pino({ level: 'silent' }), random: Math.random } as Partial<ApiContext> as ApiContext;
  return { store, ctx };
}

test('taskJson: every task of the varied set with every instance (or none) and include, byte for byte as before', () => {
  const tasks = variedTasks();
  let compared = 0;
  for (const t of tasks) {
    for (const instance of [undefined, ...instances]) {
      for (const include of [[], ['TAGS']]) {
        const want = JSON.stringify(refTaskJson(defaultArnContext, t, instance, include));
        assert.equal(JSON.stringify(taskJson(defaultArnContext, t, instance, include)), want, `${t.id} on ${instance?.id ?? 'no instance'} include ${include.join()}`);
        compared++;
      }
    }
  }
  assert.equal(compared, tasks.length * (instances.length + 1) * 2);
});

test('DescribeTasks through the action on a store: the same answer as before, tasks and failures, byte for byte', () => {
  const { store, ctx } = setUp();
  const ids = variedTasks().map((t) => t.id);
  const refs = [
    ...ids.map((id, k) => (k % 3 === 0 ? id : k % 3 === 1 ? arns.task(defaultArnContext, 'c', id) : `arn:aws:ecs:us-east-1:000000000000:task/${id}`)),
    'no-such-task',
    arns.task(defaultArnContext, 'c', 'no-such-either'),
    ids[0]!,
  ];
  for (const loaded of [false, true]) {
    // The kept cluster state serves instances once the cluster is loaded (the orchestrator loads it).
    if (loaded) store.clusterState.tasksOn('c', 'i-arm');
    for (const include of [[], ['TAGS']]) {
      const got = describeTasks(ctx, { cluster: 'c', tasks: refs, include });
      const want = refDescribeTasks(store, defaultArnContext, 'c', refs, include);
      assert.equal(JSON.stringify(got), JSON.stringify(want), `cluster state loaded: ${loaded}, include: ${include.join()}`);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(want)));
      // The set really is varied: the comparison covers what it claims to.
      const shown = want.tasks as Record<string, any>[];
      assert.equal(shown.length, ids.length); // every task of `c` plus the repeated one, not `elsewhere`
      assert.equal(want.failures.length, 3);
      assert.ok(shown.some((t) => t['attachments'].length > 0 && t['platformFamily'] === 'Linux'));
      assert.ok(shown.some((t) => t['containers'].some((c: Record<string, unknown>) => Array.isArray(c['managedAgents']))));
      assert.ok(shown.some((t) => t['containers'].some((c: Record<string, any>) => c['networkBindings'].length === 2 && c['exitCode'] === 137)));
      assert.ok(shown.some((t) => t['connectivity'] === 'DISCONNECTED') && shown.some((t) => t['attributes'].length === 1));
      assert.ok(shown.some((t) => t['overrides']['inferenceAcceleratorOverrides'].length === 1 && t['overrides']['taskRoleArn']));
      assert.equal(shown.some((t) => t['tags'] !== undefined), include.length > 0);
    }
  }
  store.close();
});
