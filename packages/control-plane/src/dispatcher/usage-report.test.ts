import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { WireTaskStatus, WireTaskUsage } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent } from '../testing/harness';
import { runningContainer, runningReport } from '../testing/wire-reports';

// ReportTaskUsage (proto contract) through the real dispatcher, and the
// publisher's figures from what it stored.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'u', settings: [{ name: 'containerInsights', value: 'enhanced' }] });
  // Container cpu 256 and a hard memory limit of 128: the utilization base.
  await h.call('RegisterTaskDefinition', { family: 'ucpu', containerDefinitions: [{ name: 'c', image: 'img', cpu: 256, memory: 128, memoryReservation: 64 }] });
});
after(async () => {
  await h.cp.stop();
});

function report(a: FakeAgent, usage: WireTaskUsage[]): Promise<unknown> {
  return new Promise((resolve, reject) =>
    (a.client as unknown as Record<string, Function>)['ReportTaskUsage']!({ session_id: a.sessionId, usage }, a.metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))),
  );
}

function usage(taskArn: string, over: Partial<WireTaskUsage> = {}): WireTaskUsage {
  return { task_arn: taskArn, cpu_units: 128, memory_mib: 32, network_rx_bytes: 1000, network_tx_bytes: 10, storage_read_bytes: 0, storage_write_bytes: 0, window_ms: 10_000, containers: 1, ...over };
}

function running(taskArn: string): WireTaskStatus {
  return runningReport(taskArn, [runningContainer('c', { runtime_id: 'r1' })]);
}

test('usage of own tasks is kept; another instance\'s task or an out-of-bounds value refuses the whole report', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'u', ec2_instance_id: 'a', host_ip: '127.0.0.3' });
  const b = await new FakeAgent(h.agentAddress).connect({ cluster: 'u', ec2_instance_id: 'b', host_ip: '127.0.0.4' });
  const run = await h.call('StartTask', { cluster: 'u', taskDefinition: 'ucpu', containerInstances: [a.instanceId] });
  const taskArn: string = run.body['tasks'][0].taskArn;
  const taskId = taskArn.split('/').pop()!;
  await a.update([running(taskArn)]);

  const refused = (c: grpc.status, re: RegExp) => (e: grpc.ServiceError) => e.code === c && re.test(e.details);
  await assert.rejects(report(b, [usage(taskArn)]), refused(grpc.status.PERMISSION_DENIED, /not assigned to instance/));
  const bad: [Partial<WireTaskUsage>, RegExp][] = [
    [{ cpu_units: -1 }, /^usage\[1\]\.cpu_units: /],
    [{ cpu_units: Number.NaN }, /^usage\[1\]\.cpu_units: /],
    [{ cpu_units: 2 ** 21 }, /^usage\[1\]\.cpu_units: /],
    [{ memory_mib: -5 }, /^usage\[1\]\.memory_mib: /],
    [{ network_rx_bytes: -1 }, /^usage\[1\]\.network_rx_bytes: /],
    [{ window_ms: 0 }, /^usage\[1\]\.window_ms: /],
  ];
  for (const [over, re] of bad) await assert.rejects(report(a, [usage(taskArn), usage(taskArn, over)]), refused(grpc.status.INVALID_ARGUMENT, re), re.source);
  assert.equal(h.cp.store.taskUsage.size, 0, 'nothing of a refused report is kept');

  // A task the control plane does not know is ignored, the rest kept.
  await report(a, [usage(taskArn), usage(taskArn.replace(taskId, 'f'.repeat(32)))]);
  const kept = h.cp.store.taskUsage.fresh(0);
  assert.deepEqual(kept.map((k) => [k.taskId, k.instanceId, k.cpuUnits]), [[taskId, a.instanceId, 128]]);

  // The publisher's figures: 128 of 256 units is 50 %; 32 of the hard limit 128 MiB is 25 %.
  const s = h.cp.metrics.publish()!;
  const cluster = s.clusters.find((c) => c.cluster === 'u')!;
  assert.equal(cluster.figures.cpu, 50);
  assert.equal(cluster.figures.memory, 25);
  const insights = s.tasks.find((t) => t.taskId === taskId)!;
  assert.equal(insights.networkRxBytes, 100, '1000 bytes over 10 s');
  // The datapoints went to the metric store.
  const now = Date.now();
  const stats = h.cp.store.metrics.statistics({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'u' }], start: now - 60_000, end: now + 60_000, periodMs: 60_000, nowMs: now });
  assert.ok(stats.length > 0, 'AWS/ECS CPUUtilization of cluster u stored');
  a.close();
  b.close();
});
