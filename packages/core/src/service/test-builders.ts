import type { ContainerInstance } from '../model/container-instance';
import { defaultDeploymentConfiguration, type Service } from '../model/service';
import { remainingResources } from '../placement/resources';
import { seededRandom } from '../placement/pipeline';
import type { InstanceView, ReconcileInput, ServiceTask } from './service-view';

/** Builders with valid defaults for tests (Nomad's mock.Job()). */
export const DEPLOYMENT = 'ecs-svc/1234567890123456789';

export function instance(id: string, over: Partial<ContainerInstance> = {}, az = 'zone-a'): ContainerInstance {
  return {
    id,
    clusterName: 'c',
    ec2InstanceId: `host-${id}`,
    hostIp: '127.0.0.2',
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: { cpu: 4096, memory: 4096, ports: [22], portsUdp: [] },
    attributes: [{ name: 'ecs.availability-zone', value: az }],
    versionInfo: { agentVersion: '1.2.0', dockerVersion: '20.10' },
    registeredAt: 0,
    version: 1,
    ...over,
  };
}

export function service(over: Partial<Service> = {}): Service {
  const strategy = over.schedulingStrategy ?? 'REPLICA';
  return {
    name: 'web',
    clusterName: 'c',
    status: 'ACTIVE',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    desiredCount: 3,
    schedulingStrategy: strategy,
    launchType: 'EC2',
    deploymentConfiguration: defaultDeploymentConfiguration(strategy),
    placementConstraints: [],
    placementStrategy: [],
    deployments: [{ id: DEPLOYMENT, status: 'PRIMARY', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', createdAt: 0 }],
    propagateTags: 'NONE',
    enableECSManagedTags: false,
    tags: [],
    createdAt: 0,
    updatedAt: 0,
    version: 1,
    ...over,
  };
}

let seq = 0;
export function task(instanceId: string, over: Partial<ServiceTask> = {}): ServiceTask {
  seq++;
  return {
    id: `t${seq}`,
    containerInstanceId: instanceId,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    startedBy: DEPLOYMENT,
    createdAt: seq,
    startedAt: seq,
    cpu: 256,
    memory: 256,
    hasHealthCheck: false,
    ...over,
  };
}

/** Instance views with the given service tasks (group service:<name>) plus any other tasks. */
export function views(instances: ContainerInstance[], tasks: ServiceTask[], serviceName = 'web'): InstanceView[] {
  return instances.map((i) => {
    const mine = tasks.filter((t) => t.containerInstanceId === i.id && t.lastStatus !== 'STOPPED');
    const withPorts = mine.map((t) => ({ ...t, hostPorts: [] as { port: number; protocol: 'tcp' | 'udp' }[] }));
    return {
      instance: i,
      remaining: remainingResources(i, withPorts),
      tasks: mine.map((t) => ({ id: t.id, group: `service:${serviceName}`, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus })),
    };
  });
}

export function input(s: Service, instances: ContainerInstance[], tasks: ServiceTask[], over: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    service: s,
    tasks,
    instances: views(instances, tasks, s.name),
    requirement: { cpu: 256, memory: 256, hostPorts: [] },
    taskDefinitionConstraints: [],
    now: 1_000_000,
    instanceLostGraceMs: 30_000,
    random: seededRandom(1),
    ...over,
  };
}

/** Applies a result the way the orchestrator does, for multi-step tests. */
export function applyResult(tasks: ServiceTask[], r: { place: { instanceId: string; deploymentId: string }[]; stop: { taskId: string }[] }, now: number): ServiceTask[] {
  const stopped = new Set(r.stop.map((s) => s.taskId));
  const next = tasks.map((t) => (stopped.has(t.id) ? { ...t, desiredStatus: 'STOPPED' as const } : t));
  for (const p of r.place) next.push(task(p.instanceId, { lastStatus: 'PENDING', startedAt: undefined as unknown as number, createdAt: now, startedBy: p.deploymentId }));
  return next.map((t) => {
    if (t.startedAt === undefined) delete (t as Partial<ServiceTask>).startedAt;
    return t;
  });
}
