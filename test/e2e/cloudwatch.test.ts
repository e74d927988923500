// CloudWatch at the control plane's endpoint, driven by Debian's AWS CLI (botocore: the AWS Query protocol, signed
// for `monitoring`) and the unchanged v3 SDK (AWS JSON 1.0, query-compatible): custom metrics in, statistics and
// metric math out, and an alarm that goes to ALARM and back to OK as points arrive. One control plane, no agents
// (the pipeline's e2e covers metrics measured on Docker).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { waitFor } from '../helpers/wait-for';

const AWS_CLI = '/usr/bin/aws';
let c: TestCluster;
let cw: CloudWatchClient;
let failed = false;

before(async () => {
  c = await startCluster({ agents: 0, env: { STEVEDORE_ALARM_EVALUATION_INTERVAL_MS: '500' } });
  cw = new CloudWatchClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.adminCredentials(), maxAttempts: 1 });
});
after(async () => {
  cw.destroy();
  if (failed) process.stderr.write(`\ncluster ${c.name}: data and logs kept in ${c.dataDir}\n${c.describeLogs()}\n`);
  await c.stop({ keep: failed });
});

/** The AWS CLI with the cluster's admin key and nothing of the caller's AWS setup. */
function aws(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: any }> {
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: run scripts/ensure-env.sh (apt-get install awscli)`);
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1' };
    const child = spawn(AWS_CLI, ['--endpoint-url', c.endpoint, '--output', 'json', 'cloudwatch', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

async function ok(...args: string[]): Promise<any> {
  const r = await aws(...args);
  assert.equal(r.code, 0, `aws cloudwatch ${args[0]}: ${r.stderr}`);
  return r.json;
}

const guard = <T>(p: Promise<T>) => p.catch((e: unknown) => {
  failed = true;
  throw e;
});

test('aws cloudwatch put-metric-data, get-metric-statistics, get-metric-data and list-metrics; the SDK reads the same figures', () => guard((async () => {
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const dims = [{ Name: 'Service', Value: 'checkout' }];
  await ok('put-metric-data', '--namespace', 'E2E/Shop', '--metric-data', JSON.stringify([
    { MetricName: 'Latency', Dimensions: dims, Timestamp: iso(minute), Value: 120, Unit: 'Milliseconds' },
    { MetricName: 'Latency', Dimensions: dims, Timestamp: iso(minute + 20_000), Value: 80, Unit: 'Milliseconds' },
    { MetricName: 'Latency', Dimensions: dims, Timestamp: iso(minute + 60_000), Values: [10, 30], Counts: [3, 1], Unit: 'Milliseconds' },
    { MetricName: 'Orders', Dimensions: dims, Timestamp: iso(minute), StatisticValues: { SampleCount: 4, Sum: 8, Minimum: 1, Maximum: 3 }, Unit: 'Count' },
  ]));
  // The shorthand form of the CLI, as its documentation shows it.
  await ok('put-metric-data', '--namespace', 'E2E/Shop', '--metric-name', 'Orders', '--dimensions', 'Service=checkout', '--timestamp', iso(minute + 60_000), '--value', '6', '--unit', 'Count');

  const stats = await ok('get-metric-statistics', '--namespace', 'E2E/Shop', '--metric-name', 'Latency', '--dimensions', 'Name=Service,Value=checkout',
    '--start-time', iso(minute), '--end-time', iso(minute + 120_000), '--period', '60', '--statistics', 'Average', 'SampleCount', 'Maximum', '--extended-statistics', 'p50');
  assert.equal(stats.Label, 'Latency');
  const dps = [...stats.Datapoints].sort((a: any, b: any) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
  assert.deepEqual(dps.map((d: any) => [Date.parse(d.Timestamp), d.Average, d.SampleCount, d.Maximum, d.ExtendedStatistics.p50, d.Unit]), [
    [minute, 100, 2, 120, 80, 'Milliseconds'],
    [minute + 60_000, 15, 4, 30, 10, 'Milliseconds'],
  ]);
  const sdk = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'E2E/Shop', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(minute), EndTime: new Date(minute + 120_000), Period: 60, Statistics: ['Average'] }));
  assert.deepEqual(sdk.Datapoints!.map((d) => d.Average).sort(), dps.map((d: any) => d.Average).sort());

  const data = await ok('get-metric-data', '--start-time', iso(minute), '--end-time', iso(minute + 120_000), '--scan-by', 'TimestampAscending', '--metric-data-queries', JSON.stringify([
    { Id: 'orders', MetricStat: { Metric: { Namespace: 'E2E/Shop', MetricName: 'Orders', Dimensions: dims }, Period: 60, Stat: 'Sum' } },
    { Id: 'latency', MetricStat: { Metric: { Namespace: 'E2E/Shop', MetricName: 'Latency', Dimensions: dims }, Period: 60, Stat: 'Average' }, ReturnData: false },
    { Id: 'perorder', Expression: 'latency / orders', Label: 'Latency per order' },
  ]));
  const byId = new Map(data.MetricDataResults.map((r: any) => [r.Id, r]));
  assert.deepEqual((byId.get('orders') as any).Values, [8, 6]);
  assert.deepEqual((byId.get('perorder') as any).Values, [12.5, 2.5]);
  assert.equal((byId.get('perorder') as any).Label, 'Latency per order');
  assert.equal(byId.has('latency'), false);

  const listed = await ok('list-metrics', '--namespace', 'E2E/Shop');
  assert.deepEqual(listed.Metrics.map((m: any) => m.MetricName).sort(), ['Latency', 'Orders']);

  const refused = await aws('put-metric-data', '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization', '--value', '1');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /\(InvalidParameterValue\).*AWS\/ECS for parameter Namespace is invalid/);
})()));

test('an alarm goes to ALARM and back to OK as points arrive; describe-alarms, history and set-alarm-state through the AWS CLI', () => guard((async () => {
  await ok('put-metric-alarm', '--alarm-name', 'e2e-queue-high', '--namespace', 'E2E/Queue', '--metric-name', 'Depth', '--dimensions', 'Name=Queue,Value=orders',
    '--statistic', 'Average', '--period', '10', '--evaluation-periods', '1', '--threshold', '50', '--comparison-operator', 'GreaterThanThreshold',
    '--alarm-actions', 'arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:00000000-0000-0000-0000-000000000000:resource/ecs/service/default/web:policyName/scale-out');
  const first = await ok('describe-alarms', '--alarm-names', 'e2e-queue-high');
  assert.equal(first.MetricAlarms[0].StateValue, 'INSUFFICIENT_DATA');
  assert.equal(first.MetricAlarms[0].AlarmArn, 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:e2e-queue-high');

  const state = async () => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['e2e-queue-high'] }))).MetricAlarms?.[0]?.StateValue;
  await ok('put-metric-data', '--namespace', 'E2E/Queue', '--metric-name', 'Depth', '--dimensions', 'Queue=orders', '--value', '90');
  await waitFor(async () => (await state()) === 'ALARM', { description: 'alarm e2e-queue-high in ALARM', timeoutMs: 15_000, intervalMs: 200 });
  const alarmed = await ok('describe-alarms', '--state-value', 'ALARM', '--action-prefix', 'arn:aws:autoscaling:');
  assert.deepEqual(alarmed.MetricAlarms.map((a: any) => a.AlarmName), ['e2e-queue-high']);
  assert.match(alarmed.MetricAlarms[0].StateReason, /^Threshold Crossed: 1 datapoint \[90\.0 .*\] was greater than the threshold \(50\.0\)\.$/);

  // A hundred samples of 0 bring the period's average below the threshold.
  await ok('put-metric-data', '--namespace', 'E2E/Queue', '--metric-data', JSON.stringify([{ MetricName: 'Depth', Dimensions: [{ Name: 'Queue', Value: 'orders' }], Values: [0], Counts: [100] }]));
  await waitFor(async () => (await state()) === 'OK', { description: 'alarm e2e-queue-high back to OK', timeoutMs: 15_000, intervalMs: 200 });

  const history = await ok('describe-alarm-history', '--alarm-name', 'e2e-queue-high', '--history-item-type', 'StateUpdate');
  assert.deepEqual(history.AlarmHistoryItems.slice(0, 2).map((i: any) => i.HistorySummary), ['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);

  // Set by hand until the next evaluation, which (the data being under the threshold) sets it back, as in CloudWatch.
  await ok('set-alarm-state', '--alarm-name', 'e2e-queue-high', '--state-value', 'ALARM', '--state-reason', 'drill');
  const history2 = await ok('describe-alarm-history', '--alarm-name', 'e2e-queue-high', '--history-item-type', 'StateUpdate');
  assert.ok(history2.AlarmHistoryItems.some((i: any) => JSON.parse(i.HistoryData).newState.stateReason === 'drill'));
  await waitFor(async () => (await state()) === 'OK', { description: 'alarm e2e-queue-high evaluated back to OK after set-alarm-state', timeoutMs: 15_000, intervalMs: 200 });
  await ok('delete-alarms', '--alarm-names', 'e2e-queue-high');
  assert.deepEqual((await ok('describe-alarms')).MetricAlarms, []);
})()));
