import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';

const ENV = { STEVEDORE_CLUSTER: 'prod', AWS_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) };

test('metrics service reads AWS/ECS through GetMetricData, signed for monitoring: current values, a chart, JSON', async (t) => {
  const now = Math.floor(Date.now() / 1000 / 60) * 60;
  const ts = Array.from({ length: 10 }, (_, i) => now - 60 * (10 - i));
  const fake = await startFakeEcs({
    GetMetricData: (body) => {
      const queries = body['MetricDataQueries'] as { Id: string; MetricStat: { Metric: { MetricName: string } } }[];
      return {
        MetricDataResults: queries.map((q) => ({
          Id: q.Id,
          Label: q.MetricStat.Metric.MetricName,
          StatusCode: 'Complete',
          Timestamps: ts,
          Values: ts.map((_, i) => (q.MetricStat.Metric.MetricName === 'CPUUtilization' ? 10 + i : 50)),
        })),
      };
    },
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { ...ENV, STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['metrics', 'service', 'web'], io), 0, io.err());
  const call = fake.calls[0]!;
  assert.equal(call.target, 'GraniteServiceVersion20100801.GetMetricData');
  assert.match(String(call.headers['authorization']), /\/us-east-1\/monitoring\/aws4_request/);
  const q = (call.body['MetricDataQueries'] as { MetricStat: { Metric: { Namespace: string; Dimensions: unknown }; Period: number; Stat: string } }[])[0]!;
  assert.equal(q.MetricStat.Metric.Namespace, 'AWS/ECS');
  assert.deepEqual(q.MetricStat.Metric.Dimensions, [{ Name: 'ClusterName', Value: 'prod' }, { Name: 'ServiceName', Value: 'web' }]);
  assert.equal(q.MetricStat.Period, 60);
  assert.equal(q.MetricStat.Stat, 'Average');
  assert.match(io.out(), /CPUUtilization\s+19\.0 %\s+14\.5 %\s+19\.0 %/);
  assert.match(io.out(), /MemoryUtilization\s+50\.0 %/);
  assert.match(io.out(), /┤/, 'an asciichart');

  const json = captureIo({ env: { ...ENV, STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['--output', 'json', 'metrics', 'cluster'], json), 0, json.err());
  const out = JSON.parse(json.out()) as { cluster: string; metrics: { metric: string; points: { timestamp: number; value: number }[] }[] };
  assert.deepEqual(out.metrics.map((m) => m.metric), ['CPUUtilization', 'MemoryUtilization', 'CPUReservation', 'MemoryReservation']);
  assert.equal(out.metrics[0]!.points.length, 10);
  assert.ok(out.metrics[0]!.points[0]!.timestamp < out.metrics[0]!.points[9]!.timestamp, 'oldest first');
});

test('alarm list and describe', async (t) => {
  const alarm = { AlarmName: 'web-cpu', StateValue: 'ALARM', StateReason: 'Threshold Crossed', StateUpdatedTimestamp: 1_795_000_000, Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ServiceName', Value: 'web' }], Statistic: 'Average', Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 80, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['arn:aws:autoscaling:policy'] };
  const fake = await startFakeEcs({
    DescribeAlarms: () => ({ MetricAlarms: [alarm] }),
    DescribeAlarmHistory: () => ({ AlarmHistoryItems: [{ Timestamp: 1_795_000_000, HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from OK to ALARM' }] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { ...ENV, STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['alarm', 'list', '--state', 'ALARM'], io), 0, io.err());
  assert.deepEqual(fake.calls[0]!.body, { StateValue: 'ALARM' });
  assert.match(io.out(), /web-cpu\s+ALARM\s+Average CPUUtilization > 80 for 2\/3 x 60s/);
  const d = captureIo({ env: { ...ENV, STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['alarm', 'describe', 'web-cpu'], d), 0, d.err());
  assert.match(d.out(), /Reason:\s+Threshold Crossed/);
  assert.match(d.out(), /Metric:\s+AWS\/ECS CPUUtilization \(ServiceName=web\)/);
  assert.match(d.out(), /Alarm updated from OK to ALARM/);
});
