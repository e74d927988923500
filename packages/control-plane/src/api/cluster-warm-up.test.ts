import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane } from '../testing/harness';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane();
});
after(async () => {
  await h.cp.stop();
});

const NAME = 'stevedore:healthyAfterRunningSeconds';

test('stevedore:healthyAfterRunningSeconds: set at create or update, validated, shown by DescribeClusters', async () => {
  const created = await h.call('CreateCluster', { clusterName: 'wu', settings: [{ name: NAME, value: '2' }] });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const upd = await h.call('UpdateClusterSettings', { cluster: 'wu', settings: [{ name: NAME, value: '0' }] });
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  const d = await h.call('DescribeClusters', { clusters: ['wu'], include: ['SETTINGS'] });
  assert.deepEqual(d.body['clusters'][0].settings.find((s: { name: string }) => s.name === NAME), { name: NAME, value: '0' });

  for (const value of ['-1', '1.5', '601', 'soon']) {
    const bad = await h.call('UpdateClusterSettings', { cluster: 'wu', settings: [{ name: NAME, value }] });
    assert.equal(bad.status, 400, value);
    assert.equal(bad.body['__type'], 'InvalidParameterException');
    assert.match(bad.body['message'], /stevedore:healthyAfterRunningSeconds must be a whole number of seconds between 0 and 600/);
  }
});
