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
  type TaskTimestamp,
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

function pick<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

/** Every task timestamp (core TASK_TIMESTAMPS), in ECS's epoch seconds. */
export function ecsTimestamps(t: Pick<Task, TaskTimestamp>): Partial<Record<TaskTimestamp, number>> {
  const out: Partial<Record<TaskTimestamp, number>> = {};
  for (const k of TASK_TIMESTAMPS) {
    const v = toEcsTimestamp(t[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function taskJson(arn: ArnContext, t: Task, instance: ContainerInstance | undefined, include: string[] = []) {
  const taskArn = arns.task(arn, t.clusterName, t.id);
  const fargate = t.launchType === 'FARGATE';
  const eni = t.networkInterface;
  const az = instance?.attributes.find((a) => a.name === 'ecs.availability-zone')?.value;
  const archAttr = instance?.attributes.find((a) => a.name === 'ecs.cpu-architecture')?.value;
  return compact({
    ...pick(t, TASK_VIEW_FIELDS),
    ...ecsTimestamps(t),
    taskArn,
    clusterArn: arns.cluster(arn, t.clusterName),
    // FARGATE: the user sees no instance (the placement is kept internally).
    containerInstanceArn: t.containerInstanceId && !fargate ? arns.containerInstance(arn, t.clusterName, t.containerInstanceId) : undefined,
    overrides: { containerOverrides: t.overrides.containerOverrides ?? [], inferenceAcceleratorOverrides: [], ...withoutContainerOverrides(t.overrides) },
    cpu: String(t.cpu),
    memory: String(t.memory),
    containers: t.containers.map((c) =>
      compact({
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
        managedAgents: t.enableExecuteCommand ? [executeCommandAgent(t, c)] : undefined,
      }),
    ),
    connectivity: instance ? (instance.agentConnected ? 'CONNECTED' : 'DISCONNECTED') : undefined,
    platformFamily: fargate ? 'Linux' : undefined,
    availabilityZone: az,
    attributes: archAttr ? [{ name: 'ecs.cpu-architecture', value: archAttr }] : [],
    attachments: eniAttachment(t, instance),
    tags: include.includes('TAGS') ? t.tags : undefined,
    enableExecuteCommand: t.enableExecuteCommand === true,
  });
}

/**
 * ECS Exec's managed agent, as ECS shows it on each container of a task with
 * exec enabled. Here the host's agent is the exec agent: it serves sessions
 * for as long as the container runs.
 */
function executeCommandAgent(t: Task, c: Task['containers'][number]) {
  const ecs = toEcsContainerStatus(c.status);
  const lastStatus = ecs === 'RUNNING' ? 'RUNNING' : ecs === 'STOPPED' ? 'STOPPED' : 'PENDING';
  return compact({ name: 'ExecuteCommandAgent', lastStatus, lastStartedAt: lastStatus === 'PENDING' ? undefined : toEcsTimestamp(t.startedAt) });
}

function withoutContainerOverrides(o: Task['overrides']) {
  const { containerOverrides: _ignored, ...rest } = o;
  return rest;
}
