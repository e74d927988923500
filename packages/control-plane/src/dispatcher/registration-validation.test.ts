import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisterRequest } from '@stevedore/proto';
import { REGISTRATION_LIMITS, validateRegistration } from './registration-validation';

function request(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    cluster: 'c',
    instance_id: '',
    ec2_instance_id: 'host-a',
    host_ip: '127.0.0.2',
    resources: { cpu: 2048, memory: 4096, ports: [22, 2375], ports_udp: [] },
    attributes: [
      { name: 'ecs.availability-zone', value: 'local-a' },
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19', value: '' },
      { name: 'stack', value: 'prod' },
    ],
    agent_version: '0.1.0',
    docker_version: '20.10.24+dfsg1',
    agent_hash: '',
    tags: [],
    ...over,
  };
}

const res = (over: Partial<RegisterRequest['resources']>) => ({ resources: { cpu: 2048, memory: 4096, ports: [], ports_udp: [], ...over } });
const attrs = (...a: [string, string][]) => ({ attributes: a.map(([name, value]) => ({ name, value })) });

test('a real agent registration is accepted and normalised: capability attributes have no value, ports are deduplicated', () => {
  const r = validateRegistration(request({ resources: { cpu: 2048, memory: 0, ports: [22, 22, 80], ports_udp: [53] } }));
  assert.ok(r.ok);
  assert.deepEqual(r.value.resources, { cpu: 2048, memory: 0, ports: [22, 80], portsUdp: [53] });
  assert.deepEqual(r.value.attributes, [{ name: 'ecs.availability-zone', value: 'local-a' }, { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19' }, { name: 'stack', value: 'prod' }]);
  for (const ip of ['10.0.0.7', '::1', 'fd00::12', '2001:db8::1']) assert.ok(validateRegistration(request({ host_ip: ip })).ok, ip);
});

test('versions are carried as reported; an older agent without a hash is accepted, with an empty one', () => {
  const r = validateRegistration(request({ agent_version: '0.3.0', agent_hash: '1a2b3c4d' }));
  assert.ok(r.ok);
  assert.deepEqual([r.value.agentVersion, r.value.agentHash, r.value.dockerVersion], ['0.3.0', '1a2b3c4d', '20.10.24+dfsg1']);
  const { agent_hash: _, ...older } = request();
  const o = validateRegistration(older as RegisterRequest);
  assert.ok(o.ok);
  assert.equal(o.value.agentHash, '');
});

test("the agent's instance tags follow ECS's tag rules, the field named", () => {
  const ok = validateRegistration(request({ tags: [{ key: 'rack', value: 'r1' }, { key: 'empty', value: '' }] }));
  assert.ok(ok.ok);
  assert.deepEqual(ok.value.tags, [{ key: 'rack', value: 'r1' }, { key: 'empty', value: '' }]);
  const reserved = validateRegistration(request({ tags: [{ key: 'rack', value: 'r1' }, { key: 'aws:owner', value: 'x' }] }));
  assert.ok(!reserved.ok);
  assert.equal(reserved.problem.field, 'tags');
  assert.match(reserved.problem.message, /reserved for AWS use.*tags\[1\]\.key/);
  const many = validateRegistration(request({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }));
  assert.ok(!many.ok);
  assert.equal(many.problem.field, 'tags');
});

test('invalid reports are refused naming the field', () => {
  const many = Array.from({ length: REGISTRATION_LIMITS.maxAttributes + 1 }, (_, i) => [`ecs.capability.x${i}`, ''] as [string, string]);
  const custom = Array.from({ length: 11 }, (_, i) => [`custom${i}`, 'v'] as [string, string]);
  const cases: [string, Partial<RegisterRequest>, string, RegExp?][] = [
    ['empty host_ip', { host_ip: '' }, 'host_ip', /required/],
    ['a name', { host_ip: 'not-an-ip' }, 'host_ip', /not an IPv4 or IPv6 address/],
    ['config injection', { host_ip: '127.0.0.1:80\n  server x 1.2.3.4:80' }, 'host_ip'],
    ['address with port', { host_ip: '127.0.0.1:80' }, 'host_ip'],
    ['cidr', { host_ip: '10.0.0.0/8' }, 'host_ip'],
    ['wildcard v4', { host_ip: '0.0.0.0' }, 'host_ip', /wildcard/],
    ['wildcard v6', { host_ip: '::' }, 'host_ip', /wildcard/],
    ['wildcard v6 long', { host_ip: '0:0:0:0:0:0:0:0' }, 'host_ip', /wildcard/],
    ['cpu zero', res({ cpu: 0 }), 'resources.cpu'],
    ['cpu negative', res({ cpu: -1024 }), 'resources.cpu'],
    ['cpu absurd', res({ cpu: 2_000_000_000 }), 'resources.cpu', /from 1 to/],
    ['memory negative', res({ memory: -1 }), 'resources.memory'],
    ['memory absurd', res({ memory: 2_000_000_000 }), 'resources.memory'],
    ['port zero', res({ ports: [0] }), 'resources.ports[0]'],
    ['port too big', res({ ports: [22, 70000] }), 'resources.ports[1]'],
    ['udp port negative', res({ ports_udp: [-5] }), 'resources.ports_udp[0]'],
    ['too many ports', res({ ports: Array.from({ length: 101 }, (_, i) => i + 1) }), 'resources.ports'],
    ['attribute name', attrs(['bad name!', 'v']), 'attributes[0].name'],
    ['attribute name too long', attrs(['a'.repeat(129), 'v']), 'attributes[0].name'],
    ['attribute value', attrs(['stack', 'a\nb']), 'attributes[0].value'],
    ['attribute value spaces', attrs(['stack', ' prod']), 'attributes[0].value'],
    ['attribute value too long', attrs(['stack', 'v'.repeat(129)]), 'attributes[0].value'],
    ['attribute twice', attrs(['stack', 'a'], ['stack', 'b']), 'attributes[1].name', /twice/],
    ['too many attributes', attrs(...many), 'attributes'],
    ['more than 10 custom attributes', attrs(...custom), 'attributes', /10 custom/],
    ['host name with spaces', { ec2_instance_id: 'a b' }, 'ec2_instance_id'],
    ['host name too long', { ec2_instance_id: 'h'.repeat(256) }, 'ec2_instance_id'],
    ['agent version', { agent_version: 'x\u0000' }, 'agent_version'],
    ['docker version too long', { docker_version: '1'.repeat(300) }, 'docker_version'],
    ['agent hash with spaces', { agent_hash: 'abc def' }, 'agent_hash'],
  ];
  for (const [what, over, field, message] of cases) {
    const r = validateRegistration(request(over));
    assert.ok(!r.ok, `${what} must be refused`);
    assert.equal(r.problem.field, field, what);
    assert.ok(r.problem.message.startsWith(`${field}: `), `${what}: ${r.problem.message}`);
    if (message) assert.match(r.problem.message, message, what);
  }
});

test('the refusal does not echo an unbounded value back', () => {
  const r = validateRegistration(request({ host_ip: 'x'.repeat(200) }));
  assert.ok(!r.ok);
  assert.ok(r.problem.message.length < 120, r.problem.message);
});
