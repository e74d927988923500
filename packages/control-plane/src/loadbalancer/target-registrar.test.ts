import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { fromWireAssignment, fromWireLoadBalancerSet, METADATA_INSTANCE_ID, type SessionMessage, type WireTaskStatus } from '@stevedore/proto';
import type { LoadBalancerHostSet, TaskAssignment } from '@stevedore/core';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';

type Harness = Awaited<ReturnType<typeof startTestControlPlane>>;

/**
 * An agent over the real protocol that runs tasks on paper: RUNNING with a
 * dynamic host port per port mapping, STOPPED when told. It records every
 * assignment it got, to check what the dispatcher held back.
 */
class PortAgent {
  readonly fake: FakeAgent;
  readonly seen: TaskAssignment[] = [];
  readonly sets: LoadBalancerHostSet[] = [];
  private readonly state = new Map<string, 'RUNNING' | 'STOPPED'>();
  private nextPort = 32768;
  private timer: NodeJS.Timeout | undefined;
  private stream: grpc.ClientReadableStream<SessionMessage> | undefined;

  constructor(address: string, private readonly hostIp: string) {
    this.fake = new FakeAgent(address);
  }

  async start(cluster: string, attributes: { name: string; value: string }[], memory = 4096): Promise<void> {
    await this.fake.register({ cluster, host_ip: this.hostIp, ec2_instance_id: this.hostIp, resources: { cpu: 4096, memory, ports: [22], ports_udp: [] }, attributes });
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.fake.instanceId);
    this.stream = this.fake.client['Session']!({ instance_id: this.fake.instanceId }, md) as grpc.ClientReadableStream<SessionMessage>;
    this.stream.on('data', (m: SessionMessage) => this.onMessage(m));
    this.stream.on('error', () => undefined);
    this.timer = setInterval(() => void this.fake.heartbeat().catch(() => undefined), 100);
  }

  private onMessage(m: SessionMessage): void {
    this.fake.sessionId = m.session_id;
    const set = fromWireLoadBalancerSet(m.load_balancers);
    if (set) this.sets.push(set);
    for (const w of m.assignments) {
      const a = fromWireAssignment(w);
      this.seen.push(a);
      const now = this.state.get(a.taskArn);
      if (a.desiredStatus === 'RUNNING' && !now) this.report(a, 'RUNNING');
      if (a.desiredStatus === 'STOPPED' && now !== 'STOPPED') this.report(a, 'STOPPED');
    }
  }

  private report(a: TaskAssignment, status: 'RUNNING' | 'STOPPED'): void {
    this.state.set(a.taskArn, status);
    const now = Date.now();
    const u: WireTaskStatus = {
      task_arn: a.taskArn,
      last_status: status,
      containers: a.containers.map((c) => ({
        name: c.name,
        status,
        runtime_id: 'x',
        exit_code: status === 'STOPPED' ? 0 : undefined,
        reason: '',
        network_bindings: (c.portMappings ?? []).map((p) => ({ bind_ip: this.hostIp, container_port: p.containerPort!, host_port: this.nextPort++, protocol: 'tcp' })),
        health_status: 'UNKNOWN',
      })),
      stop_code: '',
      stopped_reason: '',
      pull_started_at: now,
      pull_stopped_at: now,
      started_at: now,
      execution_stopped_at: status === 'STOPPED' ? now : 0,
      stopped_at: status === 'STOPPED' ? now : 0,
    };
    void this.fake.update([u]).catch(() => undefined);
  }

  /** What the agent was last told about a task. */
  last(taskArn: string): TaskAssignment | undefined {
    return [...this.seen].reverse().find((a) => a.taskArn === taskArn);
  }

  /** A load-balancer host's UpdateTargetHealth, as the agent sends it. */
  reportHealth(set: LoadBalancerHostSet, state: string, extra: { reason?: string; description?: string } = {}): Promise<unknown> {
    const targets = set.loadBalancers.flatMap((lb) =>
      lb.targetGroups.flatMap((tg) =>
        tg.targets.map((t) => ({ target_group_arn: tg.arn, target_id: t.id, port: t.port, registration_id: t.registrationId, state, reason: extra.reason ?? '', description: extra.description ?? '', requests: 5, errors: 0 })),
      ),
    );
    const md = this.fake.metadata();
    return new Promise((resolve, reject) =>
      this.fake.client['UpdateTargetHealth']!(
        { session_id: this.fake.sessionId, targets, load_balancers: set.loadBalancers.map((lb) => ({ load_balancer_arn: lb.arn, config_version: set.version, state: 'active', reason: '' })) },
        md,
        (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)),
      ),
    );
  }

  close(): void {
    clearInterval(this.timer);
    this.stream?.cancel();
    this.fake.close();
  }
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ h: Harness; web: PortAgent; lb: PortAgent; elb: (op: string, body: unknown) => Promise<any>; ecs: (op: string, body: unknown) => Promise<any> }> {
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300, orchestrator: { startupDelayMs: 0 } });
  const web = new PortAgent(h.agentAddress, '127.0.0.2');
  const lb = new PortAgent(h.agentAddress, '127.0.0.9');
  t.after(async () => {
    web.close();
    lb.close();
    await h.cp.stop();
  });
  const call = async (op: string, body: unknown, target?: string) => {
    const r = await h.call(op, body, target);
    if (r.status !== 200) throw Object.assign(new Error(`${op}: ${JSON.stringify(r.body)}`), { type: r.body['__type'] });
    return r.body;
  };
  const elb = (op: string, body: unknown) => call(op, body, `Stevedore_20261125.${op}`);
  const ecs = (op: string, body: unknown) => call(op, body);
  await ecs('CreateCluster', { clusterName: 'lbt' });
  await web.start('lbt', [{ name: 'ecs.availability-zone', value: 'a' }]);
  // The load-balancer host has no memory for tasks: they all land on `web`.
  await lb.start('lbt', [{ name: 'role', value: 'lb' }], 0);
  await ecs('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32, portMappings: [{ containerPort: 8080 }] }] });
  return { h, web, lb, elb, ecs };
}

test('a service registers its RUNNING tasks, drains before stopping, and reports target health', async (t) => {
  const { web, lb, elb, ecs } = await setup(t);
  const tg = (await elb('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 80, HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1 })).TargetGroups[0].TargetGroupArn;
  await elb('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] });
  const lbArn = (await elb('CreateLoadBalancer', { Name: 'front', Cluster: 'lbt', Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  await elb('CreateListener', { LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8000, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });

  const bad = (lbs: unknown) => ecs('CreateService', { cluster: 'lbt', serviceName: 'bad', taskDefinition: 'web', desiredCount: 1, loadBalancers: lbs });
  await assert.rejects(bad([{ targetGroupArn: tg, containerName: 'web', containerPort: 9999 }]), /did not have a container port 9999 defined/);
  await assert.rejects(bad([{ targetGroupArn: tg, containerName: 'nope', containerPort: 8080 }]), /container nope does not exist/);
  await assert.rejects(bad([{ targetGroupArn: tg.replace(/[0-9a-f]{16}$/, '0000000000000000'), containerName: 'web', containerPort: 8080 }]), { type: 'TargetGroupNotFoundException' });
  await assert.rejects(bad(Array.from({ length: 6 }, () => ({ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }))), /at most 5/);

  const created = await ecs('CreateService', { cluster: 'lbt', serviceName: 'web', taskDefinition: 'web', desiredCount: 2, loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }] });
  assert.deepEqual(created.service.loadBalancers, [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }]);

  const set = await eventually(() => {
    const s = lb.sets.at(-1);
    return s && s.loadBalancers[0]?.targetGroups[0]?.targets.length === 2 ? s : undefined;
  }, 'the load-balancer host gets both targets');
  assert.deepEqual(set.loadBalancers[0]!.targetGroups[0]!.targets.map((x) => x.address), ['127.0.0.2', '127.0.0.2']);
  assert.equal(web.sets.at(-1)?.loadBalancers.length, 0, 'a host outside the placement runs no load balancer');
  const health = async () => (await elb('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions as any[];
  assert.deepEqual((await health()).map((d) => d.TargetHealth.State), ['initial', 'initial']);

  await lb.reportHealth(set, 'healthy');
  await eventually(async () => (await health()).every((d) => d.TargetHealth.State === 'healthy'), 'targets healthy');
  assert.equal((await elb('DescribeLoadBalancers', { LoadBalancerArns: [lbArn] })).LoadBalancers[0].State.Code, 'active');
  const events = async () => ((await ecs('DescribeServices', { cluster: 'lbt', services: ['web'] })).services[0].events as { message: string }[]).map((e) => e.message);
  assert.ok((await events()).includes(`(service web) registered 2 targets in (target-group ${tg})`), (await events()).join('\n'));

  // Scale in: the task to stop is deregistered first and its stop held for the delay.
  await ecs('UpdateService', { cluster: 'lbt', service: 'web', desiredCount: 1 });
  const draining = await eventually(async () => (await health()).find((d) => d.TargetHealth.State === 'draining'), 'a target draining');
  assert.equal(draining.TargetHealth.Reason, 'Target.DeregistrationInProgress');
  const tasks = (await ecs('ListTasks', { cluster: 'lbt', desiredStatus: 'STOPPED' })).taskArns as string[];
  assert.equal(tasks.length, 1);
  const stopped = (await ecs('DescribeTasks', { cluster: 'lbt', tasks })).tasks[0];
  assert.equal(stopped.lastStatus, 'RUNNING', 'still RUNNING while its target drains');
  assert.equal(web.last(stopped.taskArn)?.desiredStatus, 'RUNNING', 'the agent was not told to stop yet');
  assert.ok((await events()).includes('(service web) has begun draining connections on 1 tasks.'));
  await eventually(() => web.last(stopped.taskArn)?.desiredStatus === 'STOPPED', 'the stop released after the deregistration delay', 5000);
  await eventually(async () => (await health()).length === 1, 'the drained target is gone');
});

test('unhealthy targets get their task replaced by the orchestrator', async (t) => {
  const { h, lb, elb, ecs } = await setup(t);
  const tg = (await elb('CreateTargetGroup', { Name: 'web2', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn;
  await elb('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] });
  const lbArn = (await elb('CreateLoadBalancer', { Name: 'front2', Cluster: 'lbt', Placement: { ContainerInstanceIds: [lb.fake.instanceId] } })).LoadBalancers[0].LoadBalancerArn;
  await elb('CreateListener', { LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8001, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });
  await ecs('CreateService', { cluster: 'lbt', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }] });
  const set = await eventually(() => {
    const s = lb.sets.at(-1);
    return s && s.loadBalancers[0]?.targetGroups[0]?.targets.length === 1 ? s : undefined;
  }, 'one target');
  const first = (await ecs('ListTasks', { cluster: 'lbt' })).taskArns[0] as string;
  await lb.reportHealth(set, 'unhealthy', { reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' });
  const gone = await eventually(async () => {
    const d = (await ecs('DescribeTasks', { cluster: 'lbt', tasks: [first] })).tasks[0];
    return d.desiredStatus === 'STOPPED' ? d : undefined;
  }, 'the unhealthy task replaced');
  assert.equal(gone.stoppedReason, `Task failed ELB health checks in (target-group ${tg})`);
  // The load balancer role writes the unhealthy-target event on its own pass,
  // which may come after the orchestrator has already replaced the task.
  await eventually(async () => {
    const events = ((await ecs('DescribeServices', { cluster: 'lbt', services: ['web'] })).services[0].events as { message: string }[]).map((e) => e.message);
    return events.some((m) => m.includes('is unhealthy in (target-group') && m.includes('Health checks failed with these codes: [500]'));
  }, 'the unhealthy-target service event');
  await eventually(async () => ((await ecs('ListTasks', { cluster: 'lbt' })).taskArns as string[]).some((a) => a !== first), 'a replacement started');
  void h;
});

test('UpdateService: new load balancers start a deployment; a revision that does not map the port is refused', async (t) => {
  const { elb, ecs } = await setup(t);
  const a = (await elb('CreateTargetGroup', { Name: 'ga', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn;
  const b = (await elb('CreateTargetGroup', { Name: 'gb', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn;
  const ip = (await elb('CreateTargetGroup', { Name: 'gip', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })).TargetGroups[0].TargetGroupArn;
  const lb = (arn: string) => [{ targetGroupArn: arn, containerName: 'web', containerPort: 8080 }];
  await assert.rejects(ecs('CreateService', { cluster: 'lbt', serviceName: 'x', taskDefinition: 'web', desiredCount: 0, loadBalancers: lb(ip) }), /target type ip, which is incompatible with the bridge network mode/);
  const created = await ecs('CreateService', { cluster: 'lbt', serviceName: 'web', taskDefinition: 'web', desiredCount: 0, loadBalancers: lb(a) });
  const same = await ecs('UpdateService', { cluster: 'lbt', service: 'web', loadBalancers: lb(a) });
  assert.equal(same.service.deployments.length, 1, 'the same load balancers: no deployment');
  const moved = await ecs('UpdateService', { cluster: 'lbt', service: 'web', loadBalancers: lb(b) });
  assert.notEqual(moved.service.deployments[0].id, created.service.deployments[0].id, 'a new PRIMARY deployment');
  assert.deepEqual(moved.service.loadBalancers, lb(b));
  await ecs('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32, portMappings: [{ containerPort: 9090 }] }] });
  await assert.rejects(ecs('UpdateService', { cluster: 'lbt', service: 'web', taskDefinition: 'web:2' }), /did not have a container port 8080 defined/);
});

test('target registration runs under AWSServiceRoleForECS: a boundary that leaves out RegisterTargets on a group stops it, with ECS\'s service event; the deployment completes only once it is removed', async (t) => {
  const { h, lb, elb, ecs } = await setup(t);
  const lbArn = (await elb('CreateLoadBalancer', { Name: 'front', Cluster: 'lbt', Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  const tg = (await elb('CreateTargetGroup', { Name: 'narrowed', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn as string;
  const other = (await elb('CreateTargetGroup', { Name: 'allowed', Protocol: 'HTTP', Port: 80 })).TargetGroups[0].TargetGroupArn as string;
  for (const [port, group] of [[8000, tg], [8001, other]] as const) await elb('CreateListener', { LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: group }] });
  const sv = (op: string, body: unknown) => h.call(op, body, `Stevedore_20261125.${op}`);
  // Boundaries narrow service-linked roles only (a created role's own policy says what it may do).
  assert.equal((await sv('CreateRole', { roleName: 'plain', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['ecs:*'], Resource: ['*'] }] }) })).status, 200);
  const plain = await sv('PutRolePermissionsBoundary', { roleName: 'plain', permissionsBoundary: { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] } });
  assert.equal(plain.body['__type'], 'ClientException');
  const boundary = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'elasticloadbalancing:*'], Resource: ['*'] }, { Effect: 'Deny', Action: ['elasticloadbalancing:RegisterTargets'], Resource: [tg] }] };
  const put = await sv('PutRolePermissionsBoundary', { roleName: 'AWSServiceRoleForECS', permissionsBoundary: JSON.stringify(boundary) });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const listed = ((await sv('ListRoles', {})).body['roles'] as any[]).find((r) => r.roleName === 'AWSServiceRoleForECS');
  assert.deepEqual(listed.permissionsBoundary.Statement[1], { Effect: 'Deny', Action: ['elasticloadbalancing:RegisterTargets'], Resource: [tg] });

  await ecs('CreateService', { cluster: 'lbt', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }, { targetGroupArn: other, containerName: 'web', containerPort: 8080 }] });
  const events = async () => ((await ecs('DescribeServices', { cluster: 'lbt', services: ['web'] })).services[0].events as { message: string }[]).map((e) => e.message);
  const failed = await eventually(async () => (await events()).find((m) => m.startsWith('(service web) failed to register targets')), 'the refusal as a service event');
  assert.equal(
    failed,
    `(service web) failed to register targets in (target-group ${tg}) with (error AccessDenied: User: arn:aws:sts::000000000000:assumed-role/AWSServiceRoleForECS/ecs-service-scheduler is not authorized to perform: elasticloadbalancing:RegisterTargets on resource: ${tg} with an explicit deny in an identity-based policy)`,
  );
  const health = async (arn: string) => (await elb('DescribeTargetHealth', { TargetGroupArn: arn })).TargetHealthDescriptions as any[];
  await eventually(async () => (await health(other)).length === 1, 'the group the role may still register into gets its target');
  assert.equal((await health(tg)).length, 0, 'nothing registered where the role may not');
  // Announced once, not at every pass.
  await eventually(async () => (await events()).some((m) => m.startsWith('(service web) registered 1 targets in (target-group ' + other)), 'registered event');
  assert.equal((await events()).filter((m) => m.startsWith('(service web) failed to register')).length, 1);

  // The allowed group's target passes its checks, yet the task is not healthy for the deployment: one of its groups has no target.
  const reportAll = async (n: number) => {
    const set = await eventually(() => {
      const s = lb.sets.at(-1);
      return s && s.loadBalancers[0]?.targetGroups.reduce((k, g) => k + g.targets.length, 0) === n ? s : undefined;
    }, `the load-balancer host gets ${n} targets`);
    await lb.reportHealth(set, 'healthy');
  };
  const rollout = async () => (await ecs('DescribeServices', { cluster: 'lbt', services: ['web'] })).services[0].deployments[0].rolloutState as string;
  await reportAll(1);
  await eventually(async () => (await health(other))[0]?.TargetHealth.State === 'healthy', 'the allowed target healthy');
  assert.equal(await rollout(), 'IN_PROGRESS', 'no silent success');

  assert.equal((await sv('DeleteRolePermissionsBoundary', { roleName: 'AWSServiceRoleForECS' })).status, 200);
  await eventually(async () => (await health(tg)).length === 1, 'registered once the boundary is gone');
  await reportAll(2);
  await eventually(async () => (await rollout()) === 'COMPLETED', 'the deployment completes with both groups registered and healthy', 15_000);
});
