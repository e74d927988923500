import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostAccessOf, hostAccessViolations, isRuntimeSocketPath, NO_HOST_ACCESS, type HostAccessSubject } from './host-access';

const web = { name: 'web', image: 'img' };

describe('host access policy', () => {
  it('reads the stevedore:* cluster settings; anything else (or disabled) allows nothing', () => {
    assert.deepEqual(hostAccessOf([{ name: 'containerInsights', value: 'enabled' }]), NO_HOST_ACCESS);
    assert.deepEqual(hostAccessOf([{ name: 'stevedore:allowPrivilegedContainers', value: 'enabled' }, { name: 'stevedore:allowHostPid', value: 'disabled' }]), { ...NO_HOST_ACCESS, privileged: true });
  });

  const cases: [string, HostAccessSubject, string, string][] = [
    ['privileged', { containerDefinitions: [{ ...web, privileged: true }] }, 'containerDefinitions[0].privileged', 'stevedore:allowPrivilegedContainers'],
    ['host network', { networkMode: 'host', containerDefinitions: [web] }, 'networkMode', 'stevedore:allowHostNetwork'],
    ['host pid', { pidMode: 'host', containerDefinitions: [web] }, 'pidMode', 'stevedore:allowHostPid'],
    ['added capabilities', { containerDefinitions: [web, { ...web, name: 'b', linuxParameters: { capabilities: { add: ['SYS_ADMIN'] } } }] }, 'containerDefinitions[1].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities'],
    ['devices', { containerDefinitions: [{ ...web, linuxParameters: { devices: [{ hostPath: '/dev/kvm' }] } }] }, 'containerDefinitions[0].linuxParameters.devices', 'stevedore:allowHostDevices'],
    ['host path volume', { volumes: [{ name: 'v' }, { name: 'data', host: { sourcePath: '/srv/data' } }], containerDefinitions: [web] }, 'volumes[1].host.sourcePath', 'stevedore:allowHostPathVolumes'],
  ];
  for (const [what, td, field, setting] of cases) {
    it(`refuses ${what} unless ${setting} is enabled, naming ${field}`, () => {
      const v = hostAccessViolations(td, NO_HOST_ACCESS);
      assert.equal(v.length, 1);
      assert.equal(v[0]!.field, field);
      assert.match(v[0]!.message, new RegExp(setting));
      assert.deepEqual(hostAccessViolations(td, hostAccessOf([{ name: setting, value: 'enabled' }])), []);
    });
  }

  it('dropping capabilities, bridge networking, task volumes and host: {} need nothing', () => {
    const td: HostAccessSubject = { networkMode: 'bridge', volumes: [{ name: 'scratch', host: {} }], containerDefinitions: [{ ...web, linuxParameters: { capabilities: { drop: ['ALL'] } } }] };
    assert.deepEqual(hostAccessViolations(td, NO_HOST_ACCESS), []);
  });

  it('the container runtime socket, or a directory that holds it, is refused even when host paths are allowed', () => {
    const all = hostAccessOf(['stevedore:allowHostPathVolumes'].map((name) => ({ name, value: 'enabled' })));
    for (const p of ['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/var/run/', '/run', '/', '/var', '/srv/../var/run/docker.sock', '//run//docker.sock', '/home/x/docker.sock', '/run/containerd']) {
      assert.equal(isRuntimeSocketPath(p), true, p);
      const v = hostAccessViolations({ volumes: [{ name: 'd', host: { sourcePath: p } }], containerDefinitions: [web] }, all);
      assert.match(v[0]?.message ?? '', /never mounted/, p);
    }
    for (const p of ['/srv/data', '/var/lib/app', '/run/user/1000', '/var/run/app.sock']) assert.equal(isRuntimeSocketPath(p), false, p);
  });
});
