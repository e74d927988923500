import type { ContainerInstance, TaskContainer } from '@stevedore/core';
import type { StoredTask } from '../store/tasks-repo';

/** A valid RUNNING EC2 task row of family `web` in cluster `c`, with no containers; `over` sets what a test cares about. */
export function testTask(over: Partial<StoredTask> & Pick<StoredTask, 'id'>): StoredTask {
  return {
    clusterName: 'c',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    family: 'web',
    revision: 1,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    cpu: 10,
    memory: 32,
    hostPorts: [],
    group: 'service:web',
    version: 1,
    assignmentVersion: 1,
    overrides: {},
    tags: [],
    launchType: 'EC2',
    createdAt: 1,
    containers: [],
    seq: 1,
    ...over,
  };
}

/** A valid RUNNING essential container without a health check. */
export function testContainer(name: string, over: Partial<TaskContainer> = {}): TaskContainer {
  return { id: `c-${name}`, name, image: 'img', status: 'RUNNING', networkBindings: [], healthStatus: 'UNKNOWN', essential: true, hasHealthCheck: false, ...over };
}

/** A valid ACTIVE, connected container instance of 1,024 CPU units and 2,048 MiB. */
export function testInstance(id: string, clusterName: string, over: Partial<ContainerInstance> = {}): ContainerInstance {
  return {
    id,
    clusterName,
    ec2InstanceId: `host-${id}`,
    hostIp: '127.0.23.1',
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: { cpu: 1024, memory: 2048, ports: [22], portsUdp: [] },
    attributes: [{ name: 'ecs.availability-zone', value: 'zone-a' }],
    versionInfo: { agentVersion: '1', dockerVersion: '20' },
    registeredAt: 1,
    version: 1,
    ...over,
  };
}
