/** The validator itself: it must catch each kind of departure, or the compatibility suite proves nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecsShapes } from './smithy-shape';

const shapes = ecsShapes();
const cluster = { clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/a', clusterName: 'a', status: 'ACTIVE', registeredContainerInstancesCount: 0, settings: [{ name: 'containerInsights', value: 'disabled' }] };

test('a conforming answer has no problems', () => {
  assert.deepEqual(shapes.validate('CreateClusterResponse', { cluster }), []);
  assert.deepEqual(shapes.validate('DescribeClustersResponse', { clusters: [cluster], failures: [{ arn: 'x', reason: 'MISSING' }] }), []);
});

test('unknown members, wrong types, bad enums and missing required members are each reported with their path', () => {
  assert.deepEqual(shapes.validate('CreateClusterResponse', { cluster: { ...cluster, extra: 1 } }), ['CreateClusterResponse.cluster.extra: not a member of Cluster']);
  assert.deepEqual(shapes.validate('CreateClusterResponse', { cluster: { ...cluster, registeredContainerInstancesCount: '0' } }), ['CreateClusterResponse.cluster.registeredContainerInstancesCount: expected a number, got string "0"']);
  assert.match(shapes.validate('CreateClusterResponse', { cluster: { ...cluster, settings: [{ name: 'nope', value: 'x' }] } })[0]!, /settings\[0\]\.name: 'nope' is not one of ClusterSettingName/);
  assert.deepEqual(shapes.validate('ListServiceDeploymentsRequest', { cluster: 'a' }), ['ListServiceDeploymentsRequest.service: required member missing']);
  assert.match(shapes.validate('DescribeTasksResponse', { tasks: {} })[0]!, /tasks: expected a list/);
  assert.match(shapes.validate('DescribeTasksResponse', { tasks: [{ createdAt: '2026-01-01' }] })[0]!, /createdAt: expected a timestamp/);
  assert.deepEqual(shapes.validate('NoSuchShape', {}), ['NoSuchShape: no such shape in the SDK\'s model']);
});
