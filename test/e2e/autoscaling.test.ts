import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// Service auto scaling end to end: one control plane and one agent against
// the real dockerd, driven through Application Auto Scaling's API, the ECS
// API, CloudWatch (SDK) and the stevedore CLI. Periods are shortened with
// settings, not a fake clock: the agent reports usage every second, the
// control plane publishes service metrics every 2 s, target tracking alarms
// use 5 s periods (1 above the target to scale out, 2 under 90 % of it to
// scale in), alarms and the autoscaler also re-evaluate on their own ticks.

const AAS = 'AnyScaleFrontendService';
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;

before(async () => {
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000, controlPlaneArgs: [
      '--autoscaling-interval', '1s', '--healthy-after-running-seconds', '0', '--alarm-evaluation-interval-ms', '500',
      '--metrics-period', '2s', '--autoscaling-alarm-period', '5', '--autoscaling-alarm-evaluation-periods', '1,2',
    ],
    agentArgs: () => ['--metrics-interval', '1'],
  });
  await c.call('RegisterTaskDefinition', {
    family: 'worker',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const service = async (name: string): Promise<any> => (await c.call('DescribeServices', { services: [name] })).services[0];
const aas = <T = any>(op: string, body: Record<string, unknown>) => c.call<T>(op, body, AAS);

async function runningTasks(name: string): Promise<string[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: name, desiredStatus: 'RUNNING' })).taskArns;
  if (arns.length === 0) return [];
  return (await c.call('DescribeTasks', { tasks: arns })).tasks.filter((t: any) => t.lastStatus === 'RUNNING').map((t: any) => t.taskArn);
}

function steady(name: string, desired: number, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const s = await service(name);
      return s.runningCount === desired && s.pendingCount === 0 && s.desiredCount === desired && s.deployments.length === 1 && s.deployments[0].rolloutState === 'COMPLETED' ? s : undefined;
    },
    { description: `service ${name} steady with ${desired} RUNNING`, timeoutMs, intervalMs: 250 },
  );
}

/** `at(...)` for a moment `ms` from now, in UTC (whole seconds). */
const atIn = (ms: number) => `at(${new Date(Date.now() + ms).toISOString().slice(0, 19)})`;

test('scheduled actions fire at their time (scale out, then in), and scale-in keeps the protected task', async () => {
  await c.call('CreateService', { serviceName: 'jobs', taskDefinition: 'worker', desiredCount: 1 });
  await steady('jobs', 1);
  const out = await c.cli(['service', 'autoscale', 'jobs', '--min', '1', '--max', '5', '--schedule', `${atIn(4000)}=min:3`]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /service\/.*\/jobs: min 1, max 5/);
  const firedAt = Date.now();
  const s = await steady('jobs', 3);
  assert.ok(Date.now() - firedAt < 45_000);
  const event = s.events.find((e: any) => /Application Auto Scaling changed the desired count from 1 to 3/.test(e.message));
  assert.ok(event, JSON.stringify(s.events.slice(0, 5)));
  assert.match(event.message, /minimum capacity was set to 3/);
  const target = (await aas('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets[0];
  assert.deepEqual([target.MinCapacity, target.MaxCapacity], [3, 5]);
  const acts = await c.cli(['service', 'scaling-activities', 'jobs']);
  assert.equal(acts.code, 0, acts.stderr);
  assert.match(acts.stdout, /Successful\s+Setting desired count to 3\.\s+minimum capacity was set to 3/);
  assert.match(acts.stdout, /Successful\s+Setting min capacity to 3\s+scheduled action name stevedore-[0-9a-f]{12} was triggered/);

  // A worker busy with a job protects itself; the evening schedule scales in around it.
  const tasks = await runningTasks('jobs');
  assert.equal(tasks.length, 3);
  const busy = tasks[2]!;
  const p = await c.call('UpdateTaskProtection', { cluster: c.name, tasks: [busy], protectionEnabled: true, expiresInMinutes: 30 });
  assert.equal(p.protectedTasks[0].protectionEnabled, true);
  await aas('PutScheduledAction', { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/jobs`, ScalableDimension: 'ecs:service:DesiredCount', ScheduledActionName: 'evening', Schedule: atIn(3000), ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 } });
  await steady('jobs', 1);
  assert.deepEqual(await runningTasks('jobs'), [busy], 'the protected task is the one left');
  const acts2 = (await aas('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/jobs` })).ScalingActivities;
  assert.equal(acts2[0].Cause, 'maximum capacity was set to 1');
  assert.equal(acts2[1].Cause, 'scheduled action name evening was triggered');

  // The scaling ran under the service-linked role, not the admin key: the audit lines say so.
  const log = readFileSync(c.logs.controlPlane, 'utf8').split('\n').filter((l) => l.includes('"audit":true') && l.includes('"action":"ecs:UpdateService"'));
  const byRole = log.filter((l) => l.includes('"principal":"arn:aws:sts::000000000000:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling"'));
  assert.equal(byRole.length, 2, log.join('\n'));
  assert.ok(byRole.every((l) => !l.includes('accessKeyId')));
});

test('a step policy acts on the alarm whose AlarmActions name it: a queue depth over the threshold adds tasks', async (t) => {
  const cw = new CloudWatchClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.adminCredentials(), maxAttempts: 1 });
  t.after(() => cw.destroy());
  await c.call('CreateService', { serviceName: 'consumers', taskDefinition: 'worker', desiredCount: 1 });
  await steady('consumers', 1);
  const key = { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/consumers`, ScalableDimension: 'ecs:service:DesiredCount' };
  await aas('RegisterScalableTarget', { ...key, MinCapacity: 1, MaxCapacity: 4 });
  const policy = await aas('PutScalingPolicy', {
    ...key, PolicyName: 'backlog', PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 120, StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 50, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 50, ScalingAdjustment: 2 }] },
  });
  await cw.send(new PutMetricAlarmCommand({
    AlarmName: 'backlog-high', Namespace: 'Jobs', MetricName: 'Backlog', Statistic: 'Maximum', Period: 10, EvaluationPeriods: 1, Threshold: 100,
    ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [policy.PolicyARN],
  }));
  const sent = Date.now();
  await cw.send(new PutMetricDataCommand({ Namespace: 'Jobs', MetricData: [{ MetricName: 'Backlog', Value: 170, Timestamp: new Date() }] }));
  // Decision latency: the metric point to the desired count the autoscaler wrote (UpdateService path).
  await waitFor(async () => ((await service('consumers')).desiredCount === 3 ? true : undefined), { description: 'desired count 3', timeoutMs: 30_000, intervalMs: 50 });
  t.diagnostic(`decision latency (PutMetricData -> desiredCount): ${Date.now() - sent} ms`);
  await steady('consumers', 3);
  const act = (await aas('DescribeScalingActivities', key)).ScalingActivities[0];
  assert.equal(act.Cause, 'monitor alarm backlog-high in state ALARM triggered policy backlog changing the desired capacity from 1 to 3');
  assert.equal(act.StatusCode, 'Successful');
});

test('target tracking on CPU: a burning service at --cpu 50 scales out from 1, then back in when the burn stops', async (t) => {
  await c.call('RegisterTaskDefinition', {
    family: 'burner',
    // A busy loop until /tmp/stop exists: about a core against 256 units reserved (~400 % CPUUtilization), then idle.
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, cpu: 256, memory: 16, stopTimeout: 1, command: ['sh', '-c', 'while [ ! -f /tmp/stop ]; do :; done; exec sleep 3600'] }],
  });
  await c.call('CreateService', { serviceName: 'burn', taskDefinition: 'burner', desiredCount: 1 });
  await steady('burn', 1);
  const set = await c.cli(['service', 'autoscale', 'burn', '--min', '1', '--max', '2', '--cpu', '50', '--scale-out-cooldown', '5', '--scale-in-cooldown', '0']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /cpu50\s+TargetTrackingScaling\s+ECSServiceAverageCPUUtilization = 50/);
  const started = Date.now();
  await steady('burn', 2, 90_000);
  const out = (await aas('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/burn` })).ScalingActivities[0];
  assert.match(out.Cause, /^monitor alarm TargetTracking-service\/.*\/burn-AlarmHigh-[0-9a-f-]{36} in state ALARM triggered policy cpu50 changing the desired capacity from 1 to 2( \(limited by the maximum capacity 2\))?$/);
  assert.ok(Date.now() - started < 120_000);

  // The burn stops in every task: the low alarm holds for its periods, then one task goes.
  for (const ctr of (await listContainers({ 'stevedore.cluster': c.name })).filter((x) => x.state === 'running' && x.labels['com.amazonaws.ecs.task-definition-family'] === 'burner')) {
    await docker(['exec', ctr.id, 'sh', '-c', 'touch /tmp/stop']);
  }
  await steady('burn', 1, 90_000);
  const inn = (await aas('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/burn` })).ScalingActivities[0];
  assert.match(inn.Cause, /^monitor alarm TargetTracking-service\/.*\/burn-AlarmLow-[0-9a-f-]{36} in state ALARM triggered policy cpu50 changing the desired capacity from 2 to 1$/);
  const cw = new CloudWatchClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.adminCredentials(), maxAttempts: 1 });
  t.after(() => cw.destroy());
  const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `TargetTracking-service/${c.name}/burn-` }));
  assert.deepEqual(alarms.MetricAlarms!.map((a) => [a.MetricName, a.Namespace]), [['CPUUtilization', 'AWS/ECS'], ['CPUUtilization', 'AWS/ECS']]);
});
