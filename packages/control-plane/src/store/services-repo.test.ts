import assert from 'node:assert/strict';
import { defaultArnContext, systemClock, type Service } from '@stevedore/core';
import { Store } from './store';
import { backendTests } from '../testing/store-backends';
import { testService } from '../testing/service-builder';

const storeTest = backendTests();

const service = (name: string, cluster: string, over: Partial<Service> = {}): Service => testService({ name, clusterName: cluster, ...over });

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
