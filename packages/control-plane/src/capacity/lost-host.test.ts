import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeAgent, startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

const SV = (op: string) => `Stevedore_20261125.${op}`;

// A host of a group whose agent is gone for good: the group destroys it and
// launches a replacement. The exec provisioner's create hands the one-use
// join token to the test (as it would to a VM), a FakeAgent joins with it;
// another instance stays connected, so the partition guard does not apply.
test('a host whose container instance is lost is destroyed with the cause and replaced to keep the desired capacity', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-lost-host-'));
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300, instanceLostGraceSeconds: 1 });
  const other = new SimAgent(h.agentAddress, { cluster: 'lh', ec2InstanceId: 'steady' });
  const host = new FakeAgent(h.agentAddress);
  t.after(async () => {
    other.close();
    host.close();
    await h.cp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await h.call('CreateCluster', { clusterName: 'lh' });
  await other.start();
  const create = `echo "$STEVEDORE_TOKEN" > ${dir}/$STEVEDORE_HOST_ID.token; echo vm-$STEVEDORE_HOST_ID`;
  const created = await h.call(
    'CreateHostGroup',
    { hostGroupName: 'g', cluster: 'lh', minSize: 1, maxSize: 2, desiredCapacity: 1, joinTimeoutSeconds: 600, provisioner: { type: 'exec', exec: { createCommand: create, destroyCommand: `printf '%s\\n' >> ${dir}/destroyed`, timeoutSeconds: 5, retries: 0 } } },
    SV('CreateHostGroup'),
  );
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const describe = async () => (await h.call('DescribeHostGroups', { hostGroupNames: ['g'] }, SV('DescribeHostGroups'))).body['hostGroups'][0];
  const first = await eventually(async () => (await describe()).hosts.find((x: any) => x.lifecycleState === 'Pending:Wait'), 'the host created');
  const token = fs.readFileSync(path.join(dir, `${first.hostId}.token`), 'utf8').trim();
  await host.join({ cluster: 'lh', token });
  await host.register({ cluster: 'lh', ec2_instance_id: first.providerId });
  host.openSession();
  await eventually(async () => (await describe()).hosts.find((x: any) => x.hostId === first.hostId && x.lifecycleState === 'InService'), 'the host joined: InService');

  // The agent goes for good.
  host.close();
  const replaced = await eventually(
    async () => {
      const g = await describe();
      return !g.hosts.some((x: any) => x.hostId === first.hostId) && g.hosts.length === 1 && g.hosts[0].lifecycleState === 'Pending:Wait' && g;
    },
    'the lost host destroyed and a new one launched',
    15_000,
  );
  assert.notEqual(replaced.hosts[0].hostId, first.hostId);
  assert.equal(replaced.desiredCapacity, 1);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'destroyed'), 'utf8').trim().split('\n'), [`vm-${first.hostId}`]);
  const acts = (await h.call('DescribeHostGroupActivities', { hostGroupName: 'g' }, SV('DescribeHostGroupActivities'))).body['activities'] as any[];
  const termination = acts.find((a) => a.description === `Terminating host: ${first.hostId}`);
  assert.match(termination.cause, new RegExp(`^the host is unhealthy: its container instance ${host.instanceId} is lost \\(agent disconnected longer than 1 s\\)\\.$`));
  assert.equal(acts.filter((a) => a.description.startsWith('Launching')).length, 2);
});
