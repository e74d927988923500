import type { Service } from '@stevedore/core';

/** A valid ACTIVE REPLICA service with one PRIMARY deployment, for store-level tests; `over` sets what a test cares about. */
export function testService(over: Partial<Service> = {}): Service {
  return {
    name: 'web',
    clusterName: 'c',
    status: 'ACTIVE',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    desiredCount: 1,
    schedulingStrategy: 'REPLICA',
    launchType: 'EC2',
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } },
    placementConstraints: [],
    placementStrategy: [],
    deployments: [{ id: 'ecs-svc/1000000000000000001', status: 'PRIMARY', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', createdAt: 0 }],
    propagateTags: 'NONE',
    enableECSManagedTags: false,
    tags: [],
    createdAt: 0,
    updatedAt: 0,
    version: 1,
    ...over,
  };
}
