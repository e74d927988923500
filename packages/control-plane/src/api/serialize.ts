import {
  arns,
  FARGATE_CAPACITY_PROVIDERS,
  HOST_ACCESS_SETTINGS,
  toEcsContainerStatus,
  toEcsResources,
  toEcsTimestamp,
  TASK_TIMESTAMPS,
  type ArnContext,
  type Cluster,
  type ContainerInstance,
  type InstanceResources,
  type Task,
  type TaskDefinition,
} from '@stevedore/core';

/**
 * Domain -> ECS JSON. ECS omits absent members rather than sending null, and
 * timestamps are epoch seconds.
 */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * The cluster's settings with every host-access switch listed, 'disabled'
 * when never set: what a task may take from the hosts is visible, not implied.
 */
function withHostAccessDefaults(settings: Cluster['settings']): Cluster['settings'] {
  const missing = [...HOST_ACCESS_SETTINGS.keys()].filter((name) => !settings.some((s) => s.name === name));
  return [...settings, ...missing.map((name) => ({ name, value: 'disabled' }))];
}

export function clusterJson(
  arn: ArnContext,
  c: Cluster,
  counts: { instances: number; running: number; pending: number; services: number },
  include: string[] = [],
  capacity: { providers: string[]; defaultStrategy: unknown[] } = { providers: [], defaultStrategy: [] },
) {
  return compact({
    clusterArn: arns.cluster(arn, c.name),
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: counts.instances,
    runningTasksCount: counts.running,
    pendingTasksCount: counts.pending,
    activeServicesCount: counts.services,
    statistics: include.includes('STATISTICS')
      ? [
          { name: 'runningEC2TasksCount', value: String(counts.running) },
          { name: 'pendingEC2TasksCount', value: String(counts.pending) },
        ]
      : [],
    tags: include.includes('TAGS') ? c.tags : undefined,
    settings: include.includes('SETTINGS') ? withHostAccessDefaults(c.settings) : undefined,
    configuration: include.includes('CONFIGURATIONS') ? c.configuration : undefined,
    serviceConnectDefaults: c.serviceConnectDefaults ? { namespace: c.serviceConnectDefaults.namespace } : undefined,
    // Every cluster has the FARGATE providers, as in ECS; host-group providers are associated.
    capacityProviders: [...FARGATE_CAPACITY_PROVIDERS, ...capacity.providers.filter((p) => !FARGATE_CAPACITY_PROVIDERS.includes(p))],
    defaultCapacityProviderStrategy: capacity.defaultStrategy,
  });
}

export function taskDefinitionJson(td: TaskDefinition) {
  const out: Record<string, unknown> = { ...td, registeredAt: toEcsTimestamp(td.registeredAt) };
  if (td.deregisteredAt !== undefined) out['deregisteredAt'] = toEcsTimestamp(td.deregisteredAt);
  if (td.deleteRequestedAt !== undefined) out['deleteRequestedAt'] = toEcsTimestamp(td.deleteRequestedAt);
  return out;
}

export function containerInstanceJson(
  arn: ArnContext,
  i: ContainerInstance,
  remaining: InstanceResources,
  counts: { running: number; pending: number },
) {
  return compact({
    containerInstanceArn: arns.containerInstance(arn, i.clusterName, i.id),
    ec2InstanceId: i.ec2InstanceId,
    version: i.version,
    versionInfo: i.versionInfo,
    remainingResources: toEcsResources(remaining),
    registeredResources: toEcsResources(i.registeredResources),
    status: i.status,
    statusReason: i.statusReason,
    agentConnected: i.agentConnected,
    runningTasksCount: counts.running,
    pendingTasksCount: counts.pending,
    attributes: i.attributes.map((a) => compact({ name: a.name, value: a.value })),
    registeredAt: toEcsTimestamp(i.registeredAt),
    attachments: [],
    tags: [],
  });
}

/** ECS's ElasticNetworkInterface attachment of an awsvpc task: its address is its host's. */
function eniAttachment(t: Task, instance: ContainerInstance | undefined) {
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

/** Task fields DescribeTasks shows as core holds them: the view is derived from Task, not restated. */
const TASK_VIEW_FIELDS = [
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

/**
 * Sets a member unless it is absent (ECS omits absent members). The task
 * view is built member by member in its order rather than spread and then
 * compacted: spreads and `delete` left every task and container object in
 * V8's slow dictionary mode, dear to build and to JSON.stringify: more
 * than half of what a DescribeTasks of 100 tasks cost (docs/benchmarks.md).
 */
function put(o: Record<string, unknown>, key: string, v: unknown): void {
  if (v !== undefined) o[key] = v;
}

/** A task as ECS shows it; RunTask, StartTask and StopTask answer with it too. */
export type TaskJson = { taskArn: string } & Record<string, unknown>;

export function taskJson(arn: ArnContext, t: Task, instance: ContainerInstance | undefined, include: readonly string[] = []): TaskJson {
  const taskArn = arns.task(arn, t.clusterName, t.id);
  const fargate = t.launchType === 'FARGATE';
  const out: Record<string, unknown> = {};
  for (const k of TASK_VIEW_FIELDS) put(out, k, t[k]);
  // Every task timestamp (core TASK_TIMESTAMPS), in ECS's epoch seconds.
  for (const k of TASK_TIMESTAMPS) put(out, k, toEcsTimestamp(t[k]));
  out['taskArn'] = taskArn;
  out['clusterArn'] = arns.cluster(arn, t.clusterName);
  // FARGATE: the user sees no instance (the placement is kept internally).
  if (t.containerInstanceId && !fargate) out['containerInstanceArn'] = arns.containerInstance(arn, t.clusterName, t.containerInstanceId);
  out['overrides'] = { containerOverrides: t.overrides.containerOverrides ?? [], inferenceAcceleratorOverrides: [], ...withoutContainerOverrides(t.overrides) };
  out['cpu'] = String(t.cpu);
  out['memory'] = String(t.memory);
  const containers: Record<string, unknown>[] = [];
  for (const c of t.containers) containers.push(containerJson(arn, t, taskArn, c, instance));
  out['containers'] = containers;
  if (instance) out['connectivity'] = instance.agentConnected ? 'CONNECTED' : 'DISCONNECTED';
  if (fargate) out['platformFamily'] = 'Linux';
  put(out, 'availabilityZone', attribute(instance, 'ecs.availability-zone'));
  const arch = attribute(instance, 'ecs.cpu-architecture');
  out['attributes'] = arch ? [{ name: 'ecs.cpu-architecture', value: arch }] : [];
  out['attachments'] = eniAttachment(t, instance);
  if (include.includes('TAGS')) put(out, 'tags', t.tags);
  out['enableExecuteCommand'] = t.enableExecuteCommand === true;
  return out as TaskJson;
}

/** The value of the instance's first attribute of that name. */
function attribute(instance: ContainerInstance | undefined, name: string): string | undefined {
  if (!instance) return undefined;
  for (const a of instance.attributes) if (a.name === name) return a.value;
  return undefined;
}

function containerJson(arn: ArnContext, t: Task, taskArn: string, c: Task['containers'][number], instance: ContainerInstance | undefined): Record<string, unknown> {
  const eni = t.networkInterface;
  const o: Record<string, unknown> = { containerArn: arns.container(arn, t.clusterName, t.id, c.id), taskArn };
  put(o, 'name', c.name);
  put(o, 'image', c.image);
  put(o, 'runtimeId', c.runtimeId);
  put(o, 'lastStatus', toEcsContainerStatus(c.status));
  put(o, 'exitCode', c.exitCode);
  put(o, 'reason', c.reason);
  put(o, 'networkBindings', c.networkBindings);
  o['networkInterfaces'] = eni && instance ? [{ attachmentId: eni.attachmentId, privateIpv4Address: instance.hostIp }] : [];
  put(o, 'healthStatus', c.healthStatus);
  o['cpu'] = c.cpu === undefined ? '0' : String(c.cpu);
  if (c.memory !== undefined) o['memory'] = String(c.memory);
  if (c.memoryReservation !== undefined) o['memoryReservation'] = String(c.memoryReservation);
  if (t.enableExecuteCommand) o['managedAgents'] = [executeCommandAgent(t, c)];
  return o;
}

/**
 * ECS Exec's managed agent, as ECS shows it on each container of a task with
 * exec enabled. Here the host's agent is the exec agent: it serves sessions
 * for as long as the container runs.
 */
function executeCommandAgent(t: Task, c: Task['containers'][number]) {
  const ecs = toEcsContainerStatus(c.status);
  const lastStatus = ecs === 'RUNNING' ? 'RUNNING' : ecs === 'STOPPED' ? 'STOPPED' : 'PENDING';
  const o: Record<string, unknown> = { name: 'ExecuteCommandAgent', lastStatus };
  if (lastStatus !== 'PENDING') put(o, 'lastStartedAt', toEcsTimestamp(t.startedAt));
  return o;
}

function withoutContainerOverrides(o: Task['overrides']) {
  const { containerOverrides: _ignored, ...rest } = o;
  return rest;
}
