import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityBars, percentOf } from './capacity';
import { alignSeries, latestValue, metricDataInput } from './metric-series';
import { previousRevision } from './rollback';

test('instance bars: registered, reserved as registered minus remaining, used when measured', () => {
  const bars = capacityBars(
    {
      containerInstanceArn: 'arn:i',
      status: 'ACTIVE',
      registeredResources: [
        { name: 'CPU', integerValue: 2048 },
        { name: 'MEMORY', integerValue: 4000 },
      ],
      remainingResources: [
        { name: 'CPU', integerValue: 1536 },
        { name: 'MEMORY', integerValue: 3872 },
      ],
    },
    { cpu: 12.5 },
  );
  assert.deepEqual(bars, [
    { resource: 'CPU', registered: 2048, reserved: 512, used: 12.5, unit: 'units' },
    { resource: 'MEMORY', registered: 4000, reserved: 128, unit: 'MiB' },
  ]);
  assert.equal(percentOf(512, 2048), 25);
  assert.equal(percentOf(5000, 2048), 100);
  assert.equal(percentOf(undefined, 2048), 0);
  assert.equal(percentOf(1, 0), 0);
});

test('metric results are aligned on one time axis with gaps as null', () => {
  const data = alignSeries(
    [
      { Id: 'cpu', Timestamps: [120, 60], Values: [20, 10] },
      { Id: 'mem', Timestamps: ['1970-01-01T00:03:00Z'], Values: [50] },
    ],
    ['cpu', 'mem', 'missing'],
  );
  assert.deepEqual(data, [
    [60, 120, 180],
    [10, 20, null],
    [null, null, 50],
    [null, null, null],
  ]);
  assert.equal(latestValue({ Id: 'x', Timestamps: [60, 180, 120], Values: [1, 3, 2] }), 3);
  assert.equal(latestValue({ Id: 'x' }), undefined);
  const input = metricDataInput([{ id: 'cpu', namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: { ClusterName: 'c', ServiceName: 's' }, stat: 'Average' }], 600_000, 5);
  assert.equal(input['EndTime'], 660);
  assert.equal(input['StartTime'], 360);
  assert.deepEqual((input['MetricDataQueries'] as { MetricStat: { Metric: { Dimensions: unknown } } }[])[0]!.MetricStat.Metric.Dimensions, [
    { Name: 'ClusterName', Value: 'c' },
    { Name: 'ServiceName', Value: 's' },
  ]);
});

test('roll back targets the revision an older deployment runs, else the newest earlier ACTIVE one', () => {
  const arn = (r: number) => `arn:aws:ecs:r:0:task-definition/web:${r}`;
  assert.equal(previousRevision({ taskDefinition: arn(5), deployments: [{ id: 'a', status: 'PRIMARY', taskDefinition: arn(5) }, { id: 'b', status: 'ACTIVE', taskDefinition: arn(2) }] }, []), arn(2));
  assert.equal(previousRevision({ taskDefinition: arn(5), deployments: [] }, [arn(6), arn(5), arn(3), arn(4), 'arn:aws:ecs:r:0:task-definition/other:4']), arn(4));
  assert.equal(previousRevision({ taskDefinition: arn(1), deployments: [] }, [arn(1)]), undefined);
});
