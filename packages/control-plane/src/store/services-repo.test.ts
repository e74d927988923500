import assert from 'node:assert/strict';
import { defaultArnContext, systemClock, type Service } from '@stevedore/core';
import { Store } from './store';
import { backendTests } from '../testing/store-backends';

const storeTest = backendTests();

function service(name: string, cluster: string, over: Partial<Service> = {}): Service {
  return {
    name,
    clusterName: cluster,
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

storeTest("daemonNames: the cluster's DAEMON services whatever their status, as decoding every service found them", (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.tx(() => {
    store.services.create(service('web', 'a'));
    store.services.create(service('logs', 'a', { schedulingStrategy: 'DAEMON', desiredCount: 0 }));
    store.services.create(service('metrics', 'a', { schedulingStrategy: 'DAEMON', desiredCount: 0 }));
    store.services.create(service('agent', 'b', { schedulingStrategy: 'DAEMON', desiredCount: 0 }));
  });
  store.tx(() => store.services.markInactive('a', 'metrics', { events: [], rollouts: {} }));
  for (const cluster of ['a', 'b', 'none']) {
    const decoded = store.services.listByCluster(cluster).filter((s) => s.service.schedulingStrategy === 'DAEMON').map((s) => s.service.name);
    assert.deepEqual(store.services.daemonNames(cluster), decoded, cluster);
  }
  assert.deepEqual(store.services.daemonNames('a'), ['logs', 'metrics']);
  assert.deepEqual(store.services.daemonNames('b'), ['agent']);
  store.close();
});
