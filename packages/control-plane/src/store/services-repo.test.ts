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
  // One service's strategy, as the orchestrator keeps its DAEMON groups current.
  for (const [cluster, name, strategy] of [['a', 'web', 'REPLICA'], ['a', 'logs', 'DAEMON'], ['a', 'metrics', 'DAEMON'], ['b', 'agent', 'DAEMON'], ['b', 'none', undefined]] as const) {
    assert.equal(store.services.schedulingStrategyOf(cluster, name), strategy, `${cluster}/${name}`);
  }
  assert.deepEqual(store.services.daemonNames('b'), ['agent']);
  store.close();
});

storeTest('listWithLoadBalancers: the ACTIVE and DRAINING services with load balancers, as decoding every reconcilable service found them', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  const lb = (tg: string) => [{ targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${tg}/0123456789abcdef`, containerName: 'app', containerPort: 80 }];
  store.tx(() => {
    store.services.create(service('plain', 'a'));
    store.services.create(service('empty', 'a', { loadBalancers: [] }));
    store.services.create(service('web', 'a', { loadBalancers: lb('web') }));
    store.services.create(service('api', 'b', { loadBalancers: [...lb('api'), ...lb('api2')] }));
    store.services.create(service('draining', 'a', { loadBalancers: lb('d'), status: 'DRAINING' }));
    store.services.create(service('gone', 'a', { loadBalancers: lb('g'), status: 'DRAINING' }));
    // The text the search looks for inside another string field does not make a service count.
    store.services.create(service('tagged', 'a', { tags: [{ key: 'note', value: '"loadBalancers":[{' }] }));
  });
  store.tx(() => store.services.markInactive('a', 'gone', { events: [], rollouts: {} }));
  // An update that removes them.
  store.tx(() => store.services.putSpec({ ...store.services.get('b', 'api')!.service, loadBalancers: [] }));
  const decoded = store.services
    .listReconcilable()
    .map(({ cluster, name }) => store.services.get(cluster, name)!.service)
    .filter((s) => (s.loadBalancers?.length ?? 0) > 0);
  assert.deepEqual(store.services.listWithLoadBalancers(), decoded);
  assert.deepEqual(
    store.services.listWithLoadBalancers().map((s) => [s.clusterName, s.name, s.status, s.loadBalancers?.length]),
    [
      ['a', 'draining', 'DRAINING', 1],
      ['a', 'web', 'ACTIVE', 1],
    ],
  );
  store.close();
});
