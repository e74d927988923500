import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  PutScalingPolicyCommand,
  DescribeScalingPoliciesCommand,
  PutScheduledActionCommand,
  DescribeScheduledActionsCommand,
  DescribeScalingActivitiesCommand,
  DeleteScalingPolicyCommand,
  ObjectNotFoundException,
  ValidationException,
  paginateDescribeScalingPolicies,
} from '@aws-sdk/client-application-auto-scaling';
import { startTestControlPlane } from '../testing/harness';

// The AWS SDK v3 and Debian's AWS CLI v2, unchanged, against Application
// Auto Scaling's operations: signing (application-autoscaling), shapes,
// timestamps and the exception classes of AAS's model.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let client: ApplicationAutoScalingClient;
const KEY = { ServiceNamespace: 'ecs' as const, ResourceId: 'service/compat/web', ScalableDimension: 'ecs:service:DesiredCount' as const };

before(async () => {
  h = await startTestControlPlane();
  client = new ApplicationAutoScalingClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
  await h.call('CreateCluster', { clusterName: 'compat' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 64 }] });
  await h.call('CreateService', { cluster: 'compat', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 });
});
after(async () => {
  client.destroy();
  await h.cp.stop();
});

test('the AWS SDK: register, put policies and a schedule, describe (with a paginator), typed errors', async () => {
  const reg = await client.send(new RegisterScalableTargetCommand({ ...KEY, MinCapacity: 1, MaxCapacity: 4 }));
  assert.match(reg.ScalableTargetARN!, /^arn:aws:application-autoscaling:/);
  const targets = await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));
  assert.ok(targets.ScalableTargets![0]!.CreationTime instanceof Date);
  assert.ok(Math.abs(targets.ScalableTargets![0]!.CreationTime!.getTime() - Date.now()) < 60_000);
  const tt = await client.send(new PutScalingPolicyCommand({
    ...KEY, PolicyName: 'cpu50', PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
  }));
  assert.equal(tt.Alarms!.length, 2);
  await client.send(new PutScalingPolicyCommand({
    ...KEY, PolicyName: 'step', PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: { AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 1, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 50 }] },
  }));
  const names: string[] = [];
  for await (const page of paginateDescribeScalingPolicies({ client, pageSize: 1 }, { ServiceNamespace: 'ecs' })) names.push(...page.ScalingPolicies!.map((p) => p.PolicyName!));
  assert.deepEqual(names, ['cpu50', 'step']);
  await client.send(new PutScheduledActionCommand({ ...KEY, ScheduledActionName: 'night', Schedule: 'cron(0 22 * * ? *)', Timezone: 'Europe/Paris', StartTime: new Date('2030-01-01T00:00:00Z'), ScalableTargetAction: { MaxCapacity: 1 } }));
  const sched = await client.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs' }));
  assert.equal(sched.ScheduledActions![0]!.StartTime!.toISOString(), '2030-01-01T00:00:00.000Z');
  const acts = await client.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: KEY.ResourceId }));
  assert.ok(Array.isArray(acts.ScalingActivities));
  await assert.rejects(client.send(new DeleteScalingPolicyCommand({ ...KEY, PolicyName: 'nope' })), (e: unknown) => e instanceof ObjectNotFoundException);
  await assert.rejects(client.send(new RegisterScalableTargetCommand({ ...KEY, MinCapacity: 9, MaxCapacity: 1 })), (e: unknown) => e instanceof ValidationException && /Minimum capacity cannot be greater/.test((e as Error).message));
  const policies = await client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', PolicyNames: ['step'] }));
  assert.equal(policies.ScalingPolicies![0]!.StepScalingPolicyConfiguration!.StepAdjustments![0]!.ScalingAdjustment, 50);
});

function aws(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: '/nonexistent', AWS_ACCESS_KEY_ID: h.admin!.accessKeyId, AWS_SECRET_ACCESS_KEY: h.admin!.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
    const child = spawn('/usr/bin/aws', [...args, '--endpoint-url', h.endpoint, '--output', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('Debian\'s AWS CLI v2: aws application-autoscaling with --endpoint-url', async () => {
  const d = await aws(['application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'ecs']);
  assert.equal(d.code, 0, d.stderr);
  const t = JSON.parse(d.stdout).ScalableTargets[0];
  assert.deepEqual([t.ResourceId, t.MinCapacity, t.MaxCapacity], ['service/compat/web', 1, 4]);
  const r = await aws(['application-autoscaling', 'register-scalable-target', '--service-namespace', 'ecs', '--resource-id', 'service/compat/web', '--scalable-dimension', 'ecs:service:DesiredCount', '--max-capacity', '6']);
  assert.equal(r.code, 0, r.stderr);
  const e = await aws(['application-autoscaling', 'delete-scheduled-action', '--service-namespace', 'ecs', '--resource-id', 'service/compat/web', '--scalable-dimension', 'ecs:service:DesiredCount', '--scheduled-action-name', 'nope']);
  assert.equal(e.code, 254);
  assert.match(e.stderr, /An error occurred \(ObjectNotFoundException\) when calling the DeleteScheduledAction operation: No scheduled action found/);
  const p = await aws(['application-autoscaling', 'describe-scaling-policies', '--service-namespace', 'ecs', '--query', 'ScalingPolicies[].PolicyName']);
  assert.deepEqual(JSON.parse(p.stdout), ['cpu50', 'step']);
});
