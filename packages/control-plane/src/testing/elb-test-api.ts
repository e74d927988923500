import assert from 'node:assert/strict';
import { startTestControlPlane } from './harness';
import { FakeAgent } from './fake-agent';

/**
 * An in-process control plane with one cluster and one fake load balancer
 * host (attribute role=lb), and ELB calls in the JSON form with assertions:
 * `ok` expects 200 and returns the body, `fails` expects a 400 of a type.
 */
export async function startElbTestApi(cluster: string, hostIp: string) {
  const h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: cluster });
  const lbHost = new FakeAgent(h.agentAddress);
  await lbHost.register({ cluster, host_ip: hostIp, attributes: [{ name: 'role', value: 'lb' }] });
  const elb = (op: string, body: unknown = {}) => h.call(op, body, `Stevedore_20261125.${op}`);
  return {
    h,
    lbHost,
    elb,
    async ok(op: string, body: unknown): Promise<Record<string, any>> {
      const r = await elb(op, body);
      assert.equal(r.status, 200, `${op}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async fails(op: string, body: unknown, type: string, message?: RegExp): Promise<void> {
      const r = await elb(op, body);
      assert.equal(r.body['__type'], type, `${op}: ${JSON.stringify(r.body)}`);
      assert.equal(r.status, 400);
      if (message) assert.match(r.body['message'], message);
    },
    async stop(): Promise<void> {
      lbHost.close();
      await h.cp.stop();
    },
  };
}
