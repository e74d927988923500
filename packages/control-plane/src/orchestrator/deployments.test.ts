import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane, eventually } from '../testing/harness';
import { ScriptedAgent, type ScriptedAgentOptions } from '../testing/scripted-agent';

type Harness = Awaited<ReturnType<typeof startTestControlPlane>>;
type Opts = Parameters<typeof startTestControlPlane>[0];

const CHECK = { command: ['CMD-SHELL', 'true'], interval: 5, retries: 1 };
// Deadlines are generous: the tests end as soon as the state is reached, and a loaded
// machine (CI runs alongside other work) must not fail them for being slow.
const ID = /^ecs-svc\/\d{19}$/;

/** A control plane, two scripted agents and revisions web:1 (good) and web:2 (as `image` behaves). */
async function setup(t: { after: (fn: () => unknown) => void }, opts: Opts = {}, agent: Partial<ScriptedAgentOptions> = {}) {
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300, ...opts, orchestrator: { startupDelayMs: 100, ...opts.orchestrator } });
  const agents: ScriptedAgent[] = [];
  t.after(async () => {
    agents.forEach((a) => a.close());
    await h.cp.stop();
  });
  await h.call('CreateCluster', { clusterName: 'd' });
  for (const zone of ['za', 'zb']) {
    const a = new ScriptedAgent(h.agentAddress, { cluster: 'd', ec2InstanceId: `host-${zone}`, zone, healthDelayMs: 150, ...agent });
    await a.start();
    agents.push(a);
  }
  return { h, agents };
}

async function register(h: Harness, image: string, healthCheck = true): Promise<string> {
  const r = await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image, memory: 64, ...(healthCheck ? { healthCheck: CHECK } : {}) }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['taskDefinition'].taskDefinitionArn as string;
}

async function describe(h: Harness) {
  const r = await h.call('DescribeServices', { cluster: 'd', services: ['web'] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['services'][0] as Record<string, any>;
}

async function tasks(h: Harness): Promise<any[]> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED']) arns.push(...(await h.call('ListTasks', { cluster: 'd', serviceName: 'web', desiredStatus })).body['taskArns']);
  const out: any[] = [];
  for (let i = 0; i < arns.length; i += 100) out.push(...(await h.call('DescribeTasks', { cluster: 'd', tasks: arns.slice(i, i + 100) })).body['tasks']);
  return out;
}

async function createService(h: Harness, extra: Record<string, unknown> = {}) {
  const r = await h.call('CreateService', { cluster: 'd', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 4, ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const first = r.body['service'].deployments[0].id as string;
  await eventually(async () => (await describe(h))['deployments'][0].rolloutState === 'COMPLETED', 'first deployment COMPLETED', 30_000);
  return first;
}

function rollout(s: Record<string, any>, id: string) {
  return (s['deployments'] as any[]).find((d) => d.id === id);
}

const messages = (s: Record<string, any>) => (s['events'] as any[]).map((e) => e.message as string).reverse();

test('a rolling update at 100/200: new tasks first, old ones stopped once replacements are healthy, never below the floor nor above the ceiling', async (t) => {
  const { h } = await setup(t);
  await register(h, 'img:v1');
  await register(h, 'img:v2');
  const first = await createService(h);
  const up = await h.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:2' });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  const deps = up.body['service'].deployments as any[];
  const next = deps[0].id as string;
  assert.match(next, ID);
  assert.deepEqual(deps.map((d) => [d.status, d.taskDefinition.endsWith(':2') ? 2 : 1]), [['PRIMARY', 2], ['ACTIVE', 1]]);
  assert.equal(deps[0].rolloutState, 'IN_PROGRESS');

  let sawBoth = false;
  const done = await eventually(
    async () => {
      const all = (await tasks(h)).filter((x) => x.desiredStatus === 'RUNNING');
      const healthy = all.filter((x) => x.lastStatus === 'RUNNING' && x.healthStatus === 'HEALTHY').length;
      assert.ok(healthy >= 4, `healthy ${healthy} below the floor of 4`);
      assert.ok(all.length <= 8, `${all.length} tasks above the ceiling of 8`);
      const s = await describe(h);
      if (s['deployments'].length === 2) sawBoth = true;
      return rollout(s, next)?.rolloutState === 'COMPLETED' && s;
    },
    'rolling update COMPLETED',
    60_000,
  );
  assert.ok(sawBoth, 'PRIMARY and ACTIVE side by side during the rollout');
  assert.deepEqual(
    done['deployments'].map((d: any) => [d.id, d.status, d.runningCount, d.pendingCount, d.desiredCount, d.failedTasks, d.rolloutStateReason]),
    [[next, 'PRIMARY', 4, 0, 4, 0, `ECS deployment ${next} completed.`]],
  );
  const all = await tasks(h);
  const old = all.filter((x) => x.startedBy === first);
  assert.equal(old.length, 4);
  for (const x of old) {
    assert.equal(x.stopCode, 'ServiceSchedulerInitiated');
    assert.equal(x.stoppedReason, `Scaling activity initiated by (deployment ${next})`);
  }
  assert.equal(all.filter((x) => x.startedBy === next && x.desiredStatus === 'RUNNING').length, 4);
  const ev = messages(await eventually(async () => messages(await describe(h)).includes('(service web) has reached a steady state.') && describe(h), 'steady'));
  const started = ev.indexOf(`(service web) (deployment ${next}) deployment started with task definition web:2.`);
  const completed = ev.indexOf(`(service web) (deployment ${next}) deployment completed.`);
  assert.ok(started >= 0 && completed > started, ev.join('\n'));
  assert.ok(ev.slice(started).some((m) => /has stopped 1 running tasks|has stopped \d running tasks/.test(m)));
  assert.equal(ev.lastIndexOf('(service web) has reached a steady state.') > completed, true);
});

test('circuit breaker: a revision that fails to start is FAILED at the threshold and rolled back; the old tasks never stop', async (t) => {
  const { h } = await setup(t);
  await register(h, 'img:v1');
  await register(h, 'img:fail-start');
  const first = await createService(h, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } });
  const before = (await tasks(h)).filter((x) => x.desiredStatus === 'RUNNING').map((x) => x.taskArn).sort();
  const up = await h.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:2' });
  const bad = up.body['service'].deployments[0].id as string;
  const s = await eventually(
    async () => {
      const x = await describe(h);
      const p = x['deployments'][0];
      return p.id !== bad && p.rolloutState === 'COMPLETED' && x;
    },
    'rollback COMPLETED',
    60_000,
  );
  const primary = s['deployments'][0];
  assert.equal(primary.rolloutStateReason, `ECS deployment ${primary.id} completed.`);
  assert.equal(primary.runningCount, 4, 'the restored tasks count as the rollback deployment\'s');
  assert.match(primary.taskDefinition, /web:1$/);
  assert.match(s['taskDefinition'], /web:1$/);
  const after = (await tasks(h)).filter((x) => x.desiredStatus === 'RUNNING').map((x) => x.taskArn).sort();
  assert.deepEqual(after, before, 'minimumHealthyPercent 100: the old tasks kept serving throughout');
  const ev = messages(s);
  assert.ok(ev.includes(`(service web) (deployment ${bad}) deployment failed: tasks failed to start.`), ev.join('\n'));
  assert.ok(ev.includes(`(service web) (deployment ${primary.id}) rolling back to deployment ${first} (task definition web:1).`), ev.join('\n'));
  const launched = (await tasks(h)).filter((x) => x.startedBy === bad);
  const failed = launched.filter((x) => x.stopCode === 'TaskFailedToStart');
  // The breaker trips at 10 failures; a task of the bad revision still starting at that moment is
  // stopped by the rollback instead (on a slow machine there can be a few).
  const others = launched.filter((x) => x.stopCode !== 'TaskFailedToStart').map((x) => `${x.stopCode}: ${x.stoppedReason}`);
  assert.ok(failed.length >= 10, `${failed.length} failed tasks`);
  assert.ok(others.every((o) => o.startsWith('ServiceSchedulerInitiated:')), `the rest were stopped by the rollback: ${others.join('; ')}`);
  assert.ok(!ev.some((m) => /unable to consistently start tasks/.test(m)), 'no launch throttle while the breaker watches');
});

test('circuit breaker: failing health checks trip it too (rolling back); a crash right after start trips it without rollback and nothing more launches', async (t) => {
  const { h } = await setup(t, {}, { crashAfterMs: 50 });
  await register(h, 'img:v1');
  await register(h, 'img:unhealthy');
  await register(h, 'img:crash');
  await createService(h, { deploymentConfiguration: { minimumHealthyPercent: 50, deploymentCircuitBreaker: { enable: true, rollback: true } } });
  const up = await h.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:2' });
  const sick = up.body['service'].deployments[0].id as string;
  const s = await eventually(async () => {
    const x = await describe(h);
    return x['deployments'][0].id !== sick && x['deployments'][0].rolloutState === 'COMPLETED' && x;
  }, 'unhealthy revision rolled back', 60_000);
  assert.match(s['deployments'][0].taskDefinition, /web:1$/);
  const replaced = (await tasks(h)).filter((x) => x.startedBy === sick);
  assert.ok(replaced.some((x) => x.stoppedReason === 'Task failed container health checks'));

  const off = await h.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:3', deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } });
  const crash = off.body['service'].deployments[0].id as string;
  const failed = await eventually(async () => rollout(await describe(h), crash)?.rolloutState === 'FAILED' && describe(h), 'crashing revision FAILED', 60_000);
  const d = rollout(failed, crash);
  assert.equal(d.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(d.failedTasks >= 10);
  assert.equal(failed['deployments'][0].id, crash, 'no rollback');
  const launched = (await tasks(h)).filter((x) => x.startedBy === crash).length;
  await new Promise((r) => setTimeout(r, 500)); // nothing is expected to happen: give the loop a chance to misbehave
  assert.equal((await tasks(h)).filter((x) => x.startedBy === crash).length, launched, 'a FAILED deployment launches no more tasks');
  assert.ok((await tasks(h)).filter((x) => x.desiredStatus === 'RUNNING' && x.lastStatus === 'RUNNING').length >= 2, 'the floor of older tasks keeps serving');
});

test('deployment timeout: min = max = 100 says why it cannot move, then fails instead of hanging', async (t) => {
  const { h } = await setup(t, { orchestrator: { deploymentTimeoutMs: 2000 } });
  await register(h, 'img:v1');
  await register(h, 'img:v2');
  await createService(h, { deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 } });
  const up = await h.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:2' });
  const id = up.body['service'].deployments[0].id as string;
  const s = await eventually(async () => rollout(await describe(h), id)?.rolloutState === 'FAILED' && describe(h), 'timed out', 10_000);
  assert.equal(rollout(s, id).rolloutStateReason, `ECS deployment ${id} failed: no progress within 2 seconds (deployment timeout).`);
  assert.ok(
    messages(s).includes('(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.'),
  );
});

test('bad input: impossible bounds get the ECS wording, unknown revisions are refused, and nothing changes', async (t) => {
  const { h } = await setup(t);
  await register(h, 'img:v1');
  const first = await createService(h);
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 50 } }, 'InvalidParameterException', /unable to stop or start tasks during a deployment\. Update the minimumHealthyPercent or maximumPercent value and try again\.$/],
    [{ deploymentConfiguration: { minimumHealthyPercent: 80, maximumPercent: 60 } }, 'InvalidParameterException', /minimumHealthyPercent 80 and maximumPercent 60/],
    [{ taskDefinition: 'web:9' }, 'ClientException', /^TaskDefinition not found\.$/],
    [{ taskDefinition: 'nope' }, 'ClientException', /^TaskDefinition not found\.$/],
  ];
  for (const [body, type, re] of cases) {
    const r = await h.call('UpdateService', { cluster: 'd', service: 'web', ...body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body['__type'], type);
    assert.match(r.body['message'], re);
  }
  const s = await describe(h);
  assert.deepEqual(s['deployments'].map((d: any) => d.id), [first]);
  assert.deepEqual(s['deploymentConfiguration'], { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } });
});

test('forceNewDeployment replaces every task with the same revision; desiredCount alone does not deploy', async (t) => {
  const { h } = await setup(t);
  await register(h, 'img:v1');
  const first = await createService(h);
  const scaled = await h.call('UpdateService', { cluster: 'd', service: 'web', desiredCount: 2 });
  assert.equal(scaled.body['service'].deployments[0].id, first);
  const forced = await h.call('UpdateService', { cluster: 'd', service: 'web', forceNewDeployment: true });
  const next = forced.body['service'].deployments[0].id as string;
  assert.notEqual(next, first);
  await eventually(async () => rollout(await describe(h), next)?.rolloutState === 'COMPLETED', 'forced deployment COMPLETED', 10_000);
  const running = (await tasks(h)).filter((x) => x.desiredStatus === 'RUNNING');
  assert.deepEqual(running.map((x) => x.startedBy), [next, next]);
});

test('a control-plane restart mid-deployment finishes the deployment: nothing lost, nothing duplicated', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-deploy-restart-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await startTestControlPlane({ heartbeatPeriodMs: 300, dataDir: dir, orchestrator: { startupDelayMs: 100 } });
  await first.call('CreateCluster', { clusterName: 'd' });
  const slow = (zone: string, instanceId?: string, h: Harness = first) =>
    new ScriptedAgent(h.agentAddress, { cluster: 'd', ec2InstanceId: `host-${zone}`, zone, healthDelayMs: 1200, ...(instanceId ? { instanceId } : {}) });
  const agents = [slow('za'), slow('zb')];
  for (const a of agents) await a.start();
  await register(first, 'img:v1');
  await register(first, 'img:v2');
  await first.call('CreateService', { cluster: 'd', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 4 });
  await eventually(async () => (await describe(first))['deployments'][0].rolloutState === 'COMPLETED', 'first COMPLETED', 10_000);
  const up = await first.call('UpdateService', { cluster: 'd', service: 'web', taskDefinition: 'web:2' });
  const next = up.body['service'].deployments[0].id as string;
  // Stop once the new tasks run but before they are healthy: the middle of the rollout.
  await eventually(async () => (await tasks(first)).filter((x) => x.startedBy === next && x.lastStatus === 'RUNNING').length === 4, 'new tasks RUNNING', 10_000);
  const ids = agents.map((a) => a.instanceId);
  agents.forEach((a) => a.close());
  await first.cp.stop();

  const second = await startTestControlPlane({ heartbeatPeriodMs: 300, dataDir: dir, orchestrator: { startupDelayMs: 300 } });
  const again = [slow('za', ids[0], second), slow('zb', ids[1], second)];
  t.after(async () => {
    again.forEach((a) => a.close());
    await second.cp.stop();
  });
  for (const a of again) await a.start();
  const s = await eventually(async () => rollout(await describe(second), next)?.rolloutState === 'COMPLETED' && describe(second), 'deployment COMPLETED after the restart', 15_000);
  assert.deepEqual(s['deployments'].map((d: any) => [d.id, d.runningCount]), [[next, 4]]);
  const all = await tasks(second);
  assert.equal(all.filter((x) => x.startedBy === next).length, 4, 'no duplicate launches across the restart');
  assert.equal(all.filter((x) => x.desiredStatus === 'RUNNING').length, 4);
});
