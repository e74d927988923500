import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const GW = `${P}:loadbalancer/gwy/gw/1111111111111111`;
const IDS = `${P}:targetgroup/ids/00000000000000aa`;
const WEB = `${P}:targetgroup/web/00000000000000bb`;

test('lb listener create on a gateway: no protocol, the destination and return port as tags, names resolved', async (t) => {
  const fake = await startFakeEcs({
    DescribeLoadBalancers: () => ({ LoadBalancers: [{ LoadBalancerArn: GW, LoadBalancerName: 'gw', Type: 'gateway', State: { Code: 'active' } }] }),
    DescribeTargetGroups: (b) => ({ TargetGroups: [{ TargetGroupArn: (b['Names'] as string[])[0] === 'ids' ? IDS : WEB, TargetGroupName: (b['Names'] as string[])[0] }] }),
    CreateListener: (b) => ({ Listeners: [{ ListenerArn: `${GW.replace(':loadbalancer/', ':listener/')}/2`, LoadBalancerArn: GW, Port: b['Port'], Protocol: 'GENEVE', DefaultActions: b['DefaultActions'] }] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'listener', 'create', 'gw', '--port', '8000', '--target-group', 'ids', '--destination', 'web', '--return-port', '7000'], io), 0, io.err());
  assert.deepEqual(fake.callsTo('CreateListener')[0]!.body, {
    LoadBalancerArn: GW,
    Port: 8000,
    DefaultActions: [{ Type: 'forward', TargetGroupArn: IDS }],
    Tags: [{ Key: 'stevedore:destination', Value: WEB }, { Key: 'stevedore:return-port', Value: '7000' }],
  });
  const bad = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint } });
  assert.equal(await run(['lb', 'listener', 'create', 'gw', '--port', '8000', '--target-group', 'ids'], bad), 2);
  assert.match(bad.err(), /--destination is required/);
});
