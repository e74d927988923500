/** Builders for canned ECS responses: valid defaults, override what a test cares about. */
import type { EcsContainer, EcsContainerInstance, EcsTask } from '../ecs-types';

const ARN = 'arn:aws:ecs:us-east-1:000000000000';
export const T0 = Date.UTC(2026, 10, 25, 11, 59, 0) / 1000;

export function taskArn(id: string, cluster = 'default'): string {
  return `${ARN}:task/${cluster}/${id}`;
}

export function container(over: Partial<EcsContainer> = {}): EcsContainer {
  return { name: 'web', image: 'stevedore-test/busybox:latest', lastStatus: 'RUNNING', networkBindings: [], healthStatus: 'UNKNOWN', ...over };
}

export function task(id: string, over: Partial<EcsTask> = {}): EcsTask {
  return {
    taskArn: taskArn(id),
    clusterArn: `${ARN}:cluster/default`,
    taskDefinitionArn: `${ARN}:task-definition/web:1`,
    containerInstanceArn: `${ARN}:container-instance/default/inst1`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    cpu: '0',
    memory: '64',
    group: 'family:web',
    version: 3,
    createdAt: T0,
    startedAt: T0 + 1.5,
    launchType: 'EC2',
    containers: [container()],
    ...over,
  };
}

export function instance(id: string, over: Partial<EcsContainerInstance> = {}): EcsContainerInstance {
  const res = (cpu: number, mem: number, ports: string[]) => [
    { name: 'CPU', type: 'INTEGER', integerValue: cpu },
    { name: 'MEMORY', type: 'INTEGER', integerValue: mem },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: ports },
  ];
  return {
    containerInstanceArn: `${ARN}:container-instance/default/${id}`,
    ec2InstanceId: `host-${id}`,
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: res(2048, 3900, ['22', '2375']),
    remainingResources: res(1792, 3836, ['22', '2375', '8080']),
    runningTasksCount: 1,
    pendingTasksCount: 0,
    attributes: [{ name: 'ecs.os-type', value: 'linux' }],
    versionInfo: { agentVersion: '0.1.0', dockerVersion: '20.10.24' },
    registeredAt: T0,
    ...over,
  };
}

export const webTaskDefinition = {
  taskDefinitionArn: `${ARN}:task-definition/web:1`,
  family: 'web',
  revision: 1,
  status: 'ACTIVE',
  networkMode: 'bridge',
  requiresAttributes: [],
  compatibilities: ['EC2'],
  registeredAt: T0,
  containerDefinitions: [
    { name: 'web', image: 'stevedore-test/busybox:latest', memory: 64, essential: true, portMappings: [{ containerPort: 8080, protocol: 'tcp' }] },
    { name: 'sidecar', image: 'stevedore-test/busybox:latest', memory: 16, essential: false },
  ],
};
