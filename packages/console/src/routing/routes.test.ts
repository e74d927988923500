import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hrefOf, idOf, parseRoute, type Route } from './routes';

const pages: Route[] = [
  { page: 'signin' },
  { page: 'clusters' },
  { page: 'cluster', cluster: 'prod' },
  { page: 'service', cluster: 'prod', service: 'web/api' },
  { page: 'task', cluster: 'prod', task: '0123abcd' },
  { page: 'instance', cluster: 'a b', instance: 'i-1' },
  { page: 'task-definitions' },
  { page: 'task-definition', family: 'web' },
  { page: 'task-definition', family: 'web', revision: 12 },
  { page: 'load-balancers' },
  { page: 'load-balancer', name: 'front' },
  { page: 'secrets' },
  { page: 'schedules' },
];

test('every page has a URL that parses back to it (names are escaped)', () => {
  for (const r of pages) assert.deepEqual(parseRoute(hrefOf(r)), r, hrefOf(r));
  assert.equal(hrefOf({ page: 'service', cluster: 'prod', service: 'web/api' }), '/console/clusters/prod/services/web%2Fapi');
});

test('the base path and trailing slashes both mean the clusters page; unknown paths are not found', () => {
  assert.deepEqual(parseRoute('/console'), { page: 'clusters' });
  assert.deepEqual(parseRoute('/console/'), { page: 'clusters' });
  assert.deepEqual(parseRoute('/console/clusters/prod/'), { page: 'cluster', cluster: 'prod' });
  for (const p of ['/elsewhere', '/console/nope', '/console/clusters/a/b', '/console/task-definitions/web/0', '/console/clusters/%E0%A4%A']) {
    assert.equal(parseRoute(p).page, 'not-found', p);
  }
});

test('idOf takes the last segment of an ARN', () => {
  assert.equal(idOf('arn:aws:ecs:us-east-1:0:task/prod/abc'), 'abc');
  assert.equal(idOf('plain'), 'plain');
});
