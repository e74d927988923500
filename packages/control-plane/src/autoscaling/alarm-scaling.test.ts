import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';
import pino from 'pino';
import { Writable } from 'node:stream';
import { Autoscaler } from './autoscaler';

// Alarms driving policies, in process: the alarm evaluator, the autoscaler and
// the orchestrator of one control plane, with 10-second alarm periods and
// fast ticks (settings, not a fake clock), one simulated agent running the tasks.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let cw: CloudWatchClient;
let agent: SimAgent;
const aas = async (op: string, body: unknown) => {
  const r = await h.call(op, body, `AnyScaleFrontendService.${op}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};
const key = (service: string) => ({ ServiceNamespace: 'ecs', ResourceId: `service/al/${service}`, ScalableDimension: 'ecs:service:DesiredCount' });
const desired = (service: string) => h.cp.store.services.get('al', service)!.service.desiredCount;
const activities = (service: string) => h.cp.store.autoscaling.listActivities({ resourceId: `service/al/${service}`, limit: 20 }).map((r) => r.activity);

before(async () => {
  h = await startTestControlPlane({
    heartbeatPeriodMs: 300,
    alarmEvaluationIntervalMs: 200,
    autoscaling: { intervalMs: 200, alarms: { periodSeconds: 10, highEvaluationPeriods: 1, lowEvaluationPeriods: 2 } },
    orchestrator: { healthyAfterRunningMs: 0 },
  });
  cw = new CloudWatchClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
  await h.call('CreateCluster', { clusterName: 'al' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 32 }] });
  agent = new SimAgent(h.agentAddress, { cluster: 'al', ec2InstanceId: 'al-host' });
  await agent.start();
});
after(async () => {
  agent.close();
  cw.destroy();
  await h.cp.stop();
});

/** On a timeout, what the loops saw: alarm states and reasons, leadership, the service's activities (a flake under load is then diagnosable). */
async function within<T>(check: () => T | Promise<T>, description: string, service: string): Promise<T> {
  try {
    return await eventually(check, description, 30_000);
  } catch (err) {
    const alarms = h.cp.store.alarms.list({}, '', 100).map((a) => `${a.name}=${a.stateValue} (${a.stateReason})`);
    const why = { alarms, leadership: h.cp.leadership, desired: desired(service), activities: activities(service).map((a) => a.cause) };
    throw new Error(`${(err as Error).message}\n${JSON.stringify(why, null, 1)}`);
  }
}

async function serviceAt(name: string, count: number) {
  await h.call('CreateService', { cluster: 'al', serviceName: name, taskDefinition: 'web', desiredCount: count });
  await eventually(async () => {
    const s = (await h.call('DescribeServices', { cluster: 'al', services: [name] })).body['services'][0];
    return s.runningCount === count && s.deployments[0].rolloutState === 'COMPLETED';
  }, `${name} steady`, 30_000);
}

const cpu = (service: string, values: number[], at: number) =>
  h.cp.store.metrics.put([{ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'al' }, { name: 'ServiceName', value: service }], timestamp: at, unit: 'Percent', values }]);

test('target tracking: its alarms appear in DescribeAlarms; AlarmHigh scales out proportionally, AlarmLow scales in; deleting the policy deletes them', async () => {
  await serviceAt('web', 1);
  await aas('RegisterScalableTarget', { ...key('web'), MinCapacity: 1, MaxCapacity: 6 });
  const put = await aas('PutScalingPolicy', {
    ...key('web'), PolicyName: 'cpu50', PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleOutCooldown: 0, ScaleInCooldown: 0 },
  });
  const [high, low] = put['Alarms'].map((a: { AlarmName: string }) => a.AlarmName) as [string, string];
  const alarms = await eventually(async () => {
    const r = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/al/web-' }));
    return r.MetricAlarms?.length === 2 && r.MetricAlarms;
  }, 'the two target tracking alarms', 20_000);
  const hi = alarms.find((a) => a.AlarmName === high)!;
  assert.deepEqual([hi.Namespace, hi.MetricName, hi.Statistic, hi.Threshold, hi.ComparisonOperator, hi.Period, hi.EvaluationPeriods], ['AWS/ECS', 'CPUUtilization', 'Average', 50, 'GreaterThanThreshold', 10, 1]);
  assert.deepEqual(hi.Dimensions, [{ Name: 'ClusterName', Value: 'al' }, { Name: 'ServiceName', Value: 'web' }]);
  assert.deepEqual(hi.AlarmActions, [put['PolicyARN']]);
  const lo = alarms.find((a) => a.AlarmName === low)!;
  assert.deepEqual([lo.Threshold, lo.ComparisonOperator, lo.EvaluationPeriods], [45, 'LessThanThreshold', 2]);

  const t0 = Date.now();
  cpu('web', [100], t0);
  await within(() => desired('web') === 2, 'scaled out to ceil(1 x 100 / 50) = 2', 'web');
  const out = activities('web')[0]!;
  assert.equal(out.cause, `monitor alarm ${high} in state ALARM triggered policy cpu50 changing the desired capacity from 1 to 2`);
  assert.equal(out.description, 'Setting desired count to 2.');
  const svc = (await h.call('DescribeServices', { cluster: 'al', services: ['web'] })).body['services'][0];
  assert.ok(svc.events.some((e: { message: string }) => e.message === `(service web) Application Auto Scaling changed the desired count from 1 to 2: ${out.cause}.`));
  await eventually(async () => (await h.call('DescribeServices', { cluster: 'al', services: ['web'] })).body['services'][0].runningCount === 2, 'two running', 30_000);

  // Idle now: two periods under 45 %.
  const zeros = Array.from({ length: 40 }, () => 0);
  cpu('web', zeros, Date.now());
  cpu('web', zeros, Date.now() - 10_000);
  await within(() => desired('web') === 1, 'scaled in to 1', 'web');
  assert.match(activities('web')[0]!.cause, new RegExp(`^monitor alarm ${low.replace(/[/-]/g, '\\$&')} in state ALARM triggered policy cpu50 changing the desired capacity from 2 to 1$`));

  await aas('DeleteScalingPolicy', { ...key('web'), PolicyName: 'cpu50' });
  const left = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/al/web-' }));
  assert.deepEqual(left.MetricAlarms, []);
});

test('step scaling on the user\'s own alarm: the breach above the threshold picks the step', async () => {
  await serviceAt('queue', 1);
  await aas('RegisterScalableTarget', { ...key('queue'), MinCapacity: 1, MaxCapacity: 8 });
  const put = await aas('PutScalingPolicy', {
    ...key('queue'), PolicyName: 'step-out', PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 60, MetricAggregationType: 'Maximum', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 }] },
  });
  await cw.send(new PutMetricAlarmCommand({
    AlarmName: 'queue-high', Namespace: 'Shop', MetricName: 'QueueDepth', Statistic: 'Maximum', Period: 10, EvaluationPeriods: 1, Threshold: 100,
    ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [put['PolicyARN']],
  }));
  const policy = await aas('DescribeScalingPolicies', { ServiceNamespace: 'ecs', PolicyNames: ['step-out'] });
  assert.deepEqual(policy['ScalingPolicies'][0].Alarms.map((a: { AlarmName: string }) => a.AlarmName), ['queue-high']);
  await cw.send(new PutMetricDataCommand({ Namespace: 'Shop', MetricData: [{ MetricName: 'QueueDepth', Value: 130, Timestamp: new Date() }] }));
  await within(() => desired('queue') === 4, 'breach 30 -> +3', 'queue');
  assert.equal(activities('queue')[0]!.cause, 'monitor alarm queue-high in state ALARM triggered policy step-out changing the desired capacity from 1 to 4');
  // Cooldown 60 s: with the alarm still in ALARM on a fresh point, the +3 counts from where the last scale-out
  // started (1 + 3 = 4, already there): an evaluation run here, synchronously, adds nothing.
  // (15 s later, past the alarm's 10 s period, so only the cooldown can hold it.)
  const later = { now: () => Date.now() + 15_000 };
  h.cp.store.metrics.put([{ namespace: 'Shop', metricName: 'QueueDepth', dimensions: [], timestamp: later.now(), values: [130] }]);
  h.cp.store.tx(() => h.cp.store.alarms.setState('queue-high', 'ALARM', 'test', undefined, Date.now()));
  const lines: { msg?: string; proposals?: { policy: string; why?: string }[] }[] = [];
  const sink = new Writable({ write: (chunk, _e, cb) => { lines.push(JSON.parse(String(chunk))); cb(); } });
  new Autoscaler(h.cp.store, pino({ level: 'debug' }, sink), later, { region: 'us-east-1', account: '000000000000' }).evaluate('service/al/queue');
  assert.deepEqual(lines.find((l) => l.msg === 'autoscaling evaluated')?.proposals?.map((p) => [p.policy, p.why]), [['step-out', 'in cooldown']]);
  assert.equal(desired('queue'), 4);
});
