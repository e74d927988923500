import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePlacements, explainPlacement, seededRandom } from './pipeline';
import type { Candidate } from './filters';
import { remainingResources } from './resources';
import type { ContainerInstance } from '../model/container-instance';

function instance(id: string, over: Partial<ContainerInstance> = {}): ContainerInstance {
  return {
    id,
    clusterName: 'c',
    ec2InstanceId: id,
    hostIp: '127.0.0.2',
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: { cpu: 2048, memory: 1000, ports: [22], portsUdp: [] },
    attributes: [],
    versionInfo: { agentVersion: '0', dockerVersion: '0' },
    registeredAt: 0,
    version: 1,
    ...over,
  };
}

const cand = (i: ContainerInstance): Candidate => ({ instance: i, remaining: remainingResources(i, []) });

test('places on instances with enough memory and consumes it between copies', () => {
  const r = computePlacements([cand(instance('a')), cand(instance('b', { registeredResources: { cpu: 2048, memory: 100, ports: [], portsUdp: [] } }))], { cpu: 0, memory: 400, hostPorts: [] }, 3, seededRandom(1));
  assert.deepEqual(r.placements, ['a', 'a']);
  assert.equal(r.unplaced, 1);
  assert.deepEqual(r.metrics.filtered, { 'RESOURCE:MEMORY': 2 });
  assert.deepEqual(r.failures.map((f) => f.reason), ['RESOURCE:MEMORY', 'RESOURCE:MEMORY']);
});

test('a static host port can be used once per instance, and reserved ports never', () => {
  const r = computePlacements([cand(instance('a'))], { cpu: 0, memory: 10, hostPorts: [{ port: 8080, protocol: 'tcp' }] }, 2, seededRandom(1));
  assert.deepEqual(r.placements, ['a']);
  assert.equal(r.failures[0]?.reason, 'RESOURCE:PORTS');
  const ssh = computePlacements([cand(instance('a'))], { cpu: 0, memory: 10, hostPorts: [{ port: 22, protocol: 'tcp' }] }, 1, seededRandom(1));
  assert.equal(ssh.placements.length, 0);
  assert.match(explainPlacement(ssh.metrics), /already using a port required by your task/);
});

test('disconnected and draining instances are not used, and the explanation counts reasons', () => {
  const r = computePlacements(
    [cand(instance('a', { agentConnected: false })), cand(instance('b', { status: 'DRAINING' })), cand(instance('c', { registeredResources: { cpu: 10, memory: 1000, ports: [], portsUdp: [] } }))],
    { cpu: 512, memory: 10, hostPorts: [] },
    1,
    seededRandom(7),
  );
  assert.equal(r.placements.length, 0);
  assert.deepEqual(r.metrics.filtered, { AGENT: 1, INACTIVE: 1, 'RESOURCE:CPU': 1 });
  const text = explainPlacement(r.metrics);
  assert.match(text, /^unable to place a task because no container instance met all of its requirements\./);
  assert.match(text, /The closest matching container-instance c has insufficient CPU units available\./);
});

test('remaining resources subtract every non-stopped task and add its static ports', () => {
  const i = instance('a');
  const rem = remainingResources(i, [
    { cpu: 256, memory: 100, hostPorts: [{ port: 80, protocol: 'tcp' }], lastStatus: 'RUNNING' },
    { cpu: 256, memory: 100, hostPorts: [{ port: 53, protocol: 'udp' }], lastStatus: 'PENDING' },
    { cpu: 999, memory: 999, hostPorts: [{ port: 81, protocol: 'tcp' }], lastStatus: 'STOPPED' },
  ]);
  assert.deepEqual(rem, { cpu: 1536, memory: 800, ports: [22, 80], portsUdp: [53] });
});

test('the same seed gives the same placement', () => {
  const pool = ['a', 'b', 'c', 'd'].map((id) => cand(instance(id)));
  const one = computePlacements(pool, { cpu: 0, memory: 1, hostPorts: [] }, 5, seededRandom(42)).placements;
  const two = computePlacements(pool, { cpu: 0, memory: 1, hostPorts: [] }, 5, seededRandom(42)).placements;
  assert.deepEqual(one, two);
});
