import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  PutMetricDataCommand,
  GetMetricStatisticsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  DescribeAlarmsCommand,
  DescribeAlarmHistoryCommand,
  SetAlarmStateCommand,
  DeleteAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  errorTypeRegistries,
} from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { startTestControlPlane, eventually } from '../../testing/harness';
import { rawCall } from '../../testing/signed-client';

// The v3 SDK against both protocols CloudWatch speaks: unchanged (AWS JSON 1.0, query-compatible, as current SDKs
// call it) and switched to the AWS Query protocol (what botocore and the AWS CLI send). Shapes, timestamps and
// errors as CloudWatch's model has them, through the same auth, authorization and actions.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane({ alarmEvaluationIntervalMs: 200 });
});
after(async () => {
  await h.cp.stop();
});

const clientFor = (protocol: 'json' | 'query', credentials = h.admin!) =>
  new CloudWatchClient({
    endpoint: h.endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    ...(protocol === 'query'
      ? { protocol: new AwsQueryProtocol({ defaultNamespace: 'com.amazonaws.cloudwatch', errorTypeRegistries, xmlNamespace: 'http://monitoring.amazonaws.com/doc/2010-08-01/', version: '2010-08-01' }) }
      : {}),
  });

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  assert.fail('expected an error');
};

for (const protocol of ['json', 'query'] as const) {
  const ns = `Shop-${protocol}`;
  const alarm = `queue-high-${protocol}`;
  test(`${protocol}: PutMetricData, then GetMetricStatistics, GetMetricData (with metric math) and ListMetrics`, async (t) => {
    const cw = clientFor(protocol);
    t.after(() => cw.destroy());
    const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    const at = (min: number) => new Date(t0.getTime() + min * 60_000);
    const dims = [{ Name: 'Service', Value: 'web' }];
    await cw.send(new PutMetricDataCommand({
      Namespace: ns,
      MetricData: [
        { MetricName: 'Latency', Dimensions: dims, Timestamp: at(0), Value: 100, Unit: 'Milliseconds' },
        { MetricName: 'Latency', Dimensions: dims, Timestamp: at(0.5), Value: 300, Unit: 'Milliseconds' },
        { MetricName: 'Latency', Dimensions: dims, Timestamp: at(1), Values: [10, 20], Counts: [1, 3], Unit: 'Milliseconds' },
        { MetricName: 'Errors', Dimensions: dims, Timestamp: at(0), StatisticValues: { SampleCount: 2, Sum: 4, Minimum: 1, Maximum: 3 } },
        { MetricName: 'Errors', Dimensions: dims, Timestamp: at(1), Value: 5 },
      ],
    }));
    const stats = await cw.send(new GetMetricStatisticsCommand({
      Namespace: ns, MetricName: 'Latency', Dimensions: dims, StartTime: at(0), EndTime: at(2), Period: 60,
      Statistics: ['Average', 'SampleCount', 'Maximum'], ExtendedStatistics: ['p50', 'p99'],
    }));
    assert.equal(stats.Label, 'Latency');
    const dps = [...(stats.Datapoints ?? [])].sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    assert.equal(dps.length, 2);
    assert.ok(dps[0]!.Timestamp instanceof Date);
    assert.equal(dps[0]!.Timestamp!.getTime(), at(0).getTime());
    assert.deepEqual([dps[0]!.Average, dps[0]!.SampleCount, dps[0]!.Maximum, dps[0]!.Unit], [200, 2, 300, 'Milliseconds']);
    assert.deepEqual(dps[0]!.ExtendedStatistics, { p50: 100, p99: 300 });
    assert.deepEqual([dps[1]!.Average, dps[1]!.SampleCount, dps[1]!.ExtendedStatistics?.['p50']], [17.5, 4, 20]);
    // A Unit that is not the metric's selects nothing.
    const other = await cw.send(new GetMetricStatisticsCommand({ Namespace: ns, MetricName: 'Latency', Dimensions: dims, StartTime: at(0), EndTime: at(2), Period: 60, Statistics: ['Sum'], Unit: 'Seconds' }));
    assert.deepEqual(other.Datapoints, []);

    const data = await cw.send(new GetMetricDataCommand({
      StartTime: at(0), EndTime: at(2), ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        { Id: 'lat', MetricStat: { Metric: { Namespace: ns, MetricName: 'Latency', Dimensions: dims }, Period: 60, Stat: 'Average' } },
        { Id: 'err', MetricStat: { Metric: { Namespace: ns, MetricName: 'Errors', Dimensions: dims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'ratio', Expression: 'err / lat * 100', Label: 'Errors per 100 ms' },
        { Id: 'total', Expression: 'SUM([lat, err])' },
      ],
    }));
    const byId = new Map(data.MetricDataResults!.map((r) => [r.Id, r]));
    assert.deepEqual([...byId.keys()], ['lat', 'ratio', 'total']);
    assert.deepEqual(byId.get('lat')!.Values, [200, 17.5]);
    assert.deepEqual(byId.get('lat')!.Timestamps!.map((t) => t.getTime()), [at(0).getTime(), at(1).getTime()]);
    assert.deepEqual(byId.get('ratio')!.Values, [2, 5 / 17.5 * 100]);
    assert.equal(byId.get('ratio')!.Label, 'Errors per 100 ms');
    assert.deepEqual(byId.get('total')!.Values, [204, 22.5]);
    assert.equal(byId.get('lat')!.StatusCode, 'Complete');
    // MaxDatapoints pages: PartialData and a NextToken, then the rest.
    const queries = [
      { Id: 'lat', MetricStat: { Metric: { Namespace: ns, MetricName: 'Latency', Dimensions: dims }, Period: 60, Stat: 'Average' } },
      { Id: 'err', MetricStat: { Metric: { Namespace: ns, MetricName: 'Errors', Dimensions: dims }, Period: 60, Stat: 'Sum' } },
    ];
    const p1 = await cw.send(new GetMetricDataCommand({ StartTime: at(0), EndTime: at(2), MaxDatapoints: 3, MetricDataQueries: queries, ScanBy: 'TimestampAscending' }));
    assert.deepEqual(p1.MetricDataResults!.map((r) => [r.Id, r.Values, r.StatusCode]), [['lat', [200, 17.5], 'Complete'], ['err', [4], 'PartialData']]);
    assert.ok(p1.NextToken);
    const p2 = await cw.send(new GetMetricDataCommand({ StartTime: at(0), EndTime: at(2), MaxDatapoints: 3, MetricDataQueries: queries, ScanBy: 'TimestampAscending', NextToken: p1.NextToken }));
    assert.deepEqual(p2.MetricDataResults!.map((r) => [r.Id, r.Values, r.StatusCode]), [['err', [5], 'Complete']]);
    assert.equal(p2.NextToken, undefined);

    const listed = await cw.send(new ListMetricsCommand({ Namespace: ns, Dimensions: [{ Name: 'Service' }] }));
    assert.deepEqual(listed.Metrics?.map((m) => m.MetricName).sort(), ['Errors', 'Latency']);
    assert.deepEqual(listed.Metrics?.[0]?.Dimensions, dims);
    const none = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'Service', Value: 'db' }] }));
    assert.deepEqual(none.Metrics, []);
  });

  test(`${protocol}: CloudWatch validation: errors name the parameter, with CloudWatch codes and statuses`, async (t) => {
    const cw = clientFor(protocol);
    t.after(() => cw.destroy());
    const now = new Date();
    const e1 = await errorOf(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/ECS', MetricData: [{ MetricName: 'x', Value: 1 }] })));
    assert.equal(e1.name, 'InvalidParameterValueException');
    assert.equal(e1.status, 400);
    assert.match(e1.message, /AWS\/ECS for parameter Namespace is invalid/);
    const e2 = await errorOf(cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: 'x', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] })));
    assert.equal(e2.name, 'InvalidParameterCombinationException');
    assert.match(e2.message, /MetricData\.member\.1\.Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/);
    const e3 = await errorOf(cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: 'x', Value: 1, Timestamp: new Date(Date.now() - 15 * 86_400_000) }] })));
    assert.match(e3.message, /MetricData\.member\.1\.Timestamp must specify a time no more than two weeks in the past/);
    const e4 = await errorOf(cw.send(new GetMetricStatisticsCommand({ Namespace: ns, MetricName: 'x', StartTime: new Date(now.getTime() - 3600_000), EndTime: now, Period: 60 })));
    assert.equal(e4.name, 'InvalidParameterCombinationException');
    const e5 = await errorOf(cw.send(new GetMetricStatisticsCommand({ Namespace: ns, MetricName: 'x', StartTime: new Date(now.getTime() - 86_400_000), EndTime: now, Period: 1, Statistics: ['Sum'] })));
    assert.match(e5.message, /exceeds the limit of 1,440/);
    const e6 = await errorOf(cw.send(new GetMetricDataCommand({ StartTime: new Date(now.getTime() - 3600_000), EndTime: now, MetricDataQueries: [{ Id: 'e', Expression: 'm1 * 2' }] })));
    assert.match(e6.message, /Unrecognized metric id m1/);
    const e7 = await errorOf(cw.send(new PutMetricAlarmCommand({ AlarmName: 'a', EvaluationPeriods: 2, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold', Threshold: 1, Namespace: ns, MetricName: 'x', Statistic: 'Average', Period: 60 })));
    assert.match(e7.message, /DatapointsToAlarm/);
    const e8 = await errorOf(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['no-such-alarm'] })));
    assert.equal(e8.status, 404);
    assert.equal(e8.name, 'ResourceNotFound');
  });

  test(`${protocol}: an alarm goes INSUFFICIENT_DATA -> ALARM -> OK as points arrive, with history; SetAlarmState and DeleteAlarms`, async (t) => {
    const cw = clientFor(protocol);
    t.after(() => cw.destroy());
    const metric = { Namespace: ns, MetricName: 'QueueDepth', Dimensions: [{ Name: 'Queue', Value: 'orders' }] };
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: alarm, ...metric, Statistic: 'Average', Period: 10, EvaluationPeriods: 1, Threshold: 50,
      ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:abc:resource/ecs/service/c/web:policyName/up'],
    }));
    const describe = async () => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [alarm] }))).MetricAlarms![0]!;
    const created = await describe();
    assert.equal(created.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(created.AlarmArn, `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${alarm}`);
    assert.equal(created.EvaluationPeriods, 1);
    assert.ok(created.StateUpdatedTimestamp instanceof Date);
    await cw.send(new PutMetricDataCommand({ ...metric, MetricData: [{ MetricName: 'QueueDepth', Dimensions: metric.Dimensions, Value: 90 }], Namespace: ns }));
    const alarmed = await eventually(async () => {
      const a = await describe();
      return a.StateValue === 'ALARM' && a;
    }, 'alarm in ALARM');
    assert.match(alarmed.StateReason!, /^Threshold Crossed: 1 datapoint \[90\.0 .*\] was greater than the threshold \(50\.0\)\.$/);
    assert.deepEqual(JSON.parse(alarmed.StateReasonData!).recentDatapoints, [90]);
    const inAlarm = await cw.send(new DescribeAlarmsCommand({ StateValue: 'ALARM', ActionPrefix: 'arn:aws:autoscaling:' }));
    assert.deepEqual(inAlarm.MetricAlarms?.map((a) => a.AlarmName), [alarm]);
    // Many low samples bring the period's average under the threshold.
    await cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: 'QueueDepth', Dimensions: metric.Dimensions, Values: [0], Counts: [100] }] }));
    await eventually(async () => (await describe()).StateValue === 'OK', 'alarm back to OK');
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: alarm, HistoryItemType: 'StateUpdate' }));
    assert.deepEqual(history.AlarmHistoryItems?.map((i) => i.HistorySummary).slice(0, 2), ['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);
    assert.ok(history.AlarmHistoryItems?.[0]?.Timestamp instanceof Date);
    assert.equal(JSON.parse(history.AlarmHistoryItems![0]!.HistoryData!).newState.stateValue, 'OK');

    await cw.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: 'testing' }));
    const forMetric = await cw.send(new DescribeAlarmsForMetricCommand({ Namespace: ns, MetricName: 'QueueDepth' }));
    assert.equal(forMetric.MetricAlarms?.length, 1);
    const badJson = await errorOf(cw.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'OK', StateReason: 'x', StateReasonData: '{nope' })));
    assert.equal(badJson.name, 'InvalidFormatFault');
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [alarm] }));
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms, []);
  });
}

test('the Query layer keeps auth, authorization and its own error shape: unsigned, read-only role, unknown action', async () => {
  const unsigned = await fetch(h.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListMetrics&Version=2010-08-01' });
  assert.equal(unsigned.status, 403);
  assert.match(await unsigned.text(), /^<ErrorResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><Error><Type>Sender<\/Type><Code>InvalidClientTokenId<\/Code>/);
  const key = await h.call('CreateAccessKey', { roleName: 'read-only' }, 'Stevedore_20261125.CreateAccessKey');
  for (const protocol of ['json', 'query'] as const) {
    const ro = clientFor(protocol, { accessKeyId: key.body.accessKey.accessKeyId, secretAccessKey: key.body.accessKey.secretAccessKey });
    try {
      await ro.send(new ListMetricsCommand({}));
      const denied = await errorOf(ro.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'x', Value: 1 }] })));
      assert.equal(denied.name, 'AccessDenied', protocol);
      assert.equal(denied.status, 403);
      assert.match(denied.message, /not authorized to perform: cloudwatch:PutMetricData on resource: \*/);
    } finally {
      ro.destroy();
    }
  }
  const unknown = await rawCall(h.endpoint, { body: 'Action=DescribeDashboards&Version=2010-08-01', headers: { 'content-type': 'application/x-www-form-urlencoded' }, service: 'monitoring', credentials: h.admin! });
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /<Code>InvalidAction<\/Code><Message>Could not find operation DescribeDashboards for version 2010-08-01<\/Message>/);
});
