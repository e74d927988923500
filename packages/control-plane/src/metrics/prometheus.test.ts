import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PrometheusMetrics } from './prometheus';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

test('a snapshot becomes labelled gauges, replaced whole each period', async () => {
  const p = new PrometheusMetrics(() => 3);
  const tgArn = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/abc';
  const lbArn = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/front/def';
  p.setSnapshot({
    at: 0,
    services: [{ cluster: 'c', service: 'web', runningTasks: 2, figures: { cpu: 42.5, memory: 10, measuredTasks: 2 } }],
    clusters: [{ cluster: 'c', figures: { cpu: 40, measuredTasks: 2, cpuReservation: 25 } }],
    targetGroups: [{ targetGroupArn: tgArn, name: 'web', loadBalancerArn: lbArn, figures: { requestCount: 12, requestCountPerTarget: 6, httpCodeTarget5xx: 1, healthyHostCount: 2, unhealthyHostCount: 0 } }],
    serviceInsights: [],
    tasks: [],
  });
  const text = await p.registry.metrics();
  assert.match(text, /^stevedore_service_cpu_utilization_percent\{cluster="c",service="web"\} 42.5$/m);
  assert.match(text, /^stevedore_cluster_cpu_reservation_percent\{cluster="c"\} 25$/m);
  assert.match(text, /^stevedore_target_group_request_count_per_target\{target_group="targetgroup\/web\/abc",load_balancer="app\/front\/def"\} 6$/m);
  assert.match(text, /^stevedore_target_group_requests_total\{target_group="targetgroup\/web\/abc",load_balancer="app\/front\/def"\} 12$/m);
  assert.match(text, /^stevedore_connected_agents 3$/m);
  p.setSnapshot({ at: 1, services: [], clusters: [], targetGroups: [], serviceInsights: [], tasks: [] });
  assert.doesNotMatch(await p.registry.metrics(), /service="web"/, 'a deleted service disappears');
});

test('the shipped Grafana dashboard is valid JSON and only queries series the control plane exposes', async () => {
  const dash = JSON.parse(readFileSync(path.join(REPO, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  assert.ok(dash.panels.length >= 10);
  const exposed = new Set((await new PrometheusMetrics(() => 0).registry.getMetricsAsJSON()).map((m) => m.name));
  for (const panel of dash.panels) {
    for (const t of panel.targets) {
      for (const [name] of t.expr.matchAll(/stevedore_[a-z0-9_]+/g)) {
        const base = name.replace(/_bucket$/, '');
        assert.ok(exposed.has(base), `${panel.title}: ${name} is exposed`);
      }
    }
  }
});
