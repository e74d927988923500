import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

// The guards on lost instances (core's judgeInstances) through the
// orchestrator: a full grace after a restart, and the majority rule. Real
// control plane in process, simulated agents over real gRPC, short graces.

const PARTITIONED = /^\(service web\) did not replace tasks on disconnected container instances: (\d+) of (\d+) container instances in the cluster are disconnected/;

async function setup(t: { after: (fn: () => unknown) => void }, zones: string[]) {
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300, instanceLostGraceSeconds: 1 });
  const agents = zones.map((zone, i) => new SimAgent(h.agentAddress, { cluster: 'p', ec2InstanceId: `host-${i}`, zone }));
  t.after(async () => {
    agents.forEach((a) => a.close());
    await h.cp.stop();
  });
  await h.call('CreateCluster', { clusterName: 'p' });
  await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  for (const a of agents) await a.start();
  await h.call('CreateService', { cluster: 'p', serviceName: 'web', taskDefinition: 'web', desiredCount: zones.length });
  await eventually(() => agents.every((a) => a.running().length === 1), 'one task per agent', 10_000);
  const describe = async () => (await h.call('DescribeServices', { cluster: 'p', services: ['web'] })).body['services'][0] as Record<string, any>;
  const events = async () => ((await describe())['events'] as { message: string }[]).map((e) => e.message);
  const desiredRunning = async () => (await h.call('ListTasks', { cluster: 'p', serviceName: 'web' })).body['taskArns'] as string[];
  return { h, agents, describe, events, desiredRunning };
}

test('more than half disconnected: nothing lost, said once; the majority back, only the one still away is replaced, after a fresh grace', async (t) => {
  const { h, agents, events, desiredRunning } = await setup(t, ['za', 'zb', 'zc']);
  const [a, b, c] = agents as [SimAgent, SimAgent, SimAgent];
  const before = (await desiredRunning()).sort();
  a.die();
  b.die();
  const said = await eventually(async () => (await events()).find((m) => PARTITIONED.test(m)), 'the partition event', 10_000);
  assert.deepEqual(PARTITIONED.exec(said)!.slice(1), ['2', '3']);
  assert.deepEqual((await desiredRunning()).sort(), before, 'no task stopped or added');
  // More ticks in the same episode (a service update, a change on the connected instance) say nothing new.
  await h.call('UpdateService', { cluster: 'p', service: 'web', desiredCount: 3 });
  await h.call('PutAttributes', { cluster: 'p', attributes: [{ name: 'poke', value: '1', targetId: c.instanceId }] });
  await eventually(async () => (await events()).length > 0, 'events readable');
  assert.equal((await events()).filter((m) => PARTITIONED.test(m)).length, 1, 'one event per episode');
  assert.deepEqual((await desiredRunning()).sort(), before);

  const bTask = b.running()[0]!;
  const aTask = a.running()[0]!;
  const healedAt = Date.now();
  await a.revive();
  await eventually(async () => !(await desiredRunning()).includes(bTask), "b's task replaced once the majority is back", 10_000);
  const took = Date.now() - healedAt;
  assert.ok(took >= 1000, `b lost ${took} ms after the majority returned: it gets a full grace from then`);
  assert.ok((await desiredRunning()).includes(aTask), "a's task was kept");
  await eventually(async () => (await desiredRunning()).length === 3 && a.running().length + c.running().length === 3, '3 tasks on a and c', 10_000);
  const lost = (await h.call('DescribeTasks', { cluster: 'p', tasks: [bTask] })).body['tasks'][0];
  assert.match(lost.stoppedReason, /^Task lost: container instance [0-9a-f]{32} disconnected$/);
  await b.revive();
  await eventually(() => b.running().length === 0, 'b stops its superseded task');
  assert.equal(agents.reduce((n, x) => n + x.running().length, 0), 3);
});

test('a one-host cluster whose host disappears keeps its tasks: there is nowhere to replace them', async (t) => {
  const { agents, events, desiredRunning } = await setup(t, ['za']);
  const only = agents[0]!;
  const before = await desiredRunning();
  only.die();
  await eventually(async () => (await events()).some((m) => PARTITIONED.test(m)), 'the partition event after the grace', 10_000);
  assert.deepEqual(await desiredRunning(), before);
  await only.revive();
  await eventually(() => only.running().length === 1 && only.completeCount >= 2, 'back with its task');
  assert.deepEqual(await desiredRunning(), before);
});

test('after a restart every instance gets a full grace to reconnect, even one already away before the crash', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-outage-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const opts = { heartbeatPeriodMs: 300, dataDir: dir, instanceLostGraceSeconds: 2 };
  const first = await startTestControlPlane(opts);
  await first.call('CreateCluster', { clusterName: 'r' });
  await first.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  const before = [new SimAgent(first.agentAddress, { cluster: 'r', ec2InstanceId: 'h0', zone: 'za' }), new SimAgent(first.agentAddress, { cluster: 'r', ec2InstanceId: 'h1', zone: 'zb' })];
  for (const a of before) await a.start();
  await first.call('CreateService', { cluster: 'r', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 });
  await eventually(() => before.every((a) => a.running().length === 1), 'one task per agent', 10_000);
  const ids = before.map((a) => a.instanceId);
  const tasksBefore = ((await first.call('ListTasks', { cluster: 'r', serviceName: 'web' })).body['taskArns'] as string[]).sort();
  // Agent 0 goes away first; then the control plane, for longer than the grace.
  before[0]!.die();
  await eventually(() => first.cp.store.instances.get(ids[0]!)?.agentConnected === false, 'agent 0 disconnected');
  before.forEach((a) => a.close());
  await first.cp.stop();
  const outageMs = 2500;
  await new Promise((r) => setTimeout(r, outageMs));

  const second = await startTestControlPlane(opts);
  const startedAt = Date.now();
  const again: SimAgent[] = [];
  t.after(async () => {
    again.forEach((a) => a.close());
    await second.cp.stop();
  });
  const list = async () => ((await second.call('ListTasks', { cluster: 'r', serviceName: 'web' })).body['taskArns'] as string[]).sort();
  /** Nothing lost or replaced, checked over and over until `until`. */
  const holds = async (until: number) => {
    for (;;) {
      assert.deepEqual(await list(), tasksBefore, 'the service keeps its tasks');
      if (Date.now() >= until) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  again.push(new SimAgent(second.agentAddress, { cluster: 'r', ec2InstanceId: 'h1', zone: 'zb', instanceId: ids[1]! }));
  await again[0]!.start();
  // Agent 1 is back (the cluster is reconciled), agent 0 not yet: its last heartbeat is older than a grace.
  await holds(startedAt + 1000);
  again.push(new SimAgent(second.agentAddress, { cluster: 'r', ec2InstanceId: 'h0', zone: 'za', instanceId: ids[0]! }));
  await again[1]!.start();
  await eventually(() => again.every((a) => a.running().length === 1), 'both agents run their task again');
  await holds(startedAt + 2500);
});
