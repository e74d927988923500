import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import {
  arns,
  defaultArnContext,
  idOf,
  TASK_TIMESTAMPS,
  toEcsContainerStatus,
  toEcsTimestamp,
  type ArnContext,
  type ContainerInstance,
  type Task,
  type TaskTimestamp,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { taskFromRow, toContainer, type ContainerRow, type TaskRow } from '../store/task-rows';
import { VARIED_INSTANCES as instances, variedStore, variedTasks } from '../testing/varied-tasks';
import type { ApiContext } from './context';
import { describeTasks } from './actions/tasks';
import { taskJson } from './serialize';

/*
 * DescribeTasks was made cheaper (issue 15: the task view built member by
 * member instead of spread and compacted; the store's rows read packed, see
 * store/packed-reads.test.ts). Its answers must not change by a byte: the
 * implementation it replaced is kept here as the reference, and a varied set
 * of tasks (testing/varied-tasks.ts: every status, overrides, tags,
 * attachments, network bindings, health, FARGATE awsvpc, exec, stopped with
 * reasons, instances gone or disconnected) is described both ways.
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

/** The store's task read as it was: `SELECT *` of the row and of its containers' rows, decoded by task-rows.ts. */
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

function setUp() {
  const store = variedStore();
  const ctx = { store, clock: store.clock, arn: defaultArnContext, log: pino({ level: 'silent' }), random: Math.random } as Partial<ApiContext> as ApiContext;
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
