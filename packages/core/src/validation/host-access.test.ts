import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefinition, Volume } from '../model/task-definition';
import { ALL_HOST_ACCESS, HOST_ACCESS_SETTINGS, hostAccessOf, hostAccessViolations, isRuntimeSocketPath, NO_HOST_ACCESS, type HostAccessSubject } from './host-access';
import { validateRegisterTaskDefinition } from './register-task-definition';

const web: ContainerDefinition = { name: 'web', image: 'img' };
const withContainer = (c: Partial<ContainerDefinition>, task: Partial<HostAccessSubject> = {}): HostAccessSubject => ({ ...task, containerDefinitions: [{ ...web, ...c }] });
const withVolume = (v: Volume, task: Partial<HostAccessSubject> = {}): HostAccessSubject => ({ ...task, volumes: [v], containerDefinitions: [web] });
const docker = (dv: NonNullable<Volume['dockerVolumeConfiguration']>): Volume => ({ name: 'v', dockerVolumeConfiguration: dv });

describe('host access policy', () => {
  it('reads the stevedore:* cluster settings; anything else (or disabled, or not exactly enabled) allows nothing', () => {
    assert.deepEqual(hostAccessOf([{ name: 'containerInsights', value: 'enabled' }]), NO_HOST_ACCESS);
    assert.deepEqual(hostAccessOf([{ name: 'stevedore:allowPrivilegedContainers', value: 'enabled' }, { name: 'stevedore:allowHostPid', value: 'disabled' }]), { ...NO_HOST_ACCESS, privileged: true });
    assert.deepEqual(hostAccessOf([{ name: 'stevedore:allowHostNetwork', value: 'Enabled' }]), NO_HOST_ACCESS);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.deepEqual(hostAccessOf([{ name, value: 'enabled' }]), NO_HOST_ACCESS, name);
    assert.deepEqual(hostAccessOf('junk' as never), NO_HOST_ACCESS);
    assert.deepEqual(hostAccessOf([null, { name: 7 }] as never), NO_HOST_ACCESS);
  });

  it('each setting allows exactly one kind of access; all of them together are ALL_HOST_ACCESS', () => {
    const all = hostAccessOf([...HOST_ACCESS_SETTINGS.keys()].map((name) => ({ name, value: 'enabled' })));
    assert.deepEqual(all, ALL_HOST_ACCESS);
    assert.equal(new Set(HOST_ACCESS_SETTINGS.values()).size, HOST_ACCESS_SETTINGS.size);
  });

  // [what, definition, field, setting]: refused under NO_HOST_ACCESS naming field and setting, allowed once the setting is on.
  const refused: [string, HostAccessSubject, string, string][] = [
    ['privileged', withContainer({ privileged: true }), 'containerDefinitions[0].privileged', 'stevedore:allowPrivilegedContainers'],
    ['host network', withContainer({}, { networkMode: 'host' }), 'networkMode', 'stevedore:allowHostNetwork'],
    ['host pid', withContainer({}, { pidMode: 'host' }), 'pidMode', 'stevedore:allowHostPid'],
    ['host ipc', withContainer({}, { ipcMode: 'host' }), 'ipcMode', 'stevedore:allowHostIpc'],
    ['an added capability outside the default set', { containerDefinitions: [web, { ...web, name: 'b', linuxParameters: { capabilities: { add: ['CHOWN', 'SYS_ADMIN'] } } }] }, 'containerDefinitions[1].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities'],
    ['NET_ADMIN', withContainer({ linuxParameters: { capabilities: { add: ['NET_ADMIN'] } } }), 'containerDefinitions[0].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities'],
    ['ALL capabilities', withContainer({ linuxParameters: { capabilities: { add: ['ALL'] } } }), 'containerDefinitions[0].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities'],
    ['a capability spelled the way Docker also reads it', withContainer({ linuxParameters: { capabilities: { add: ['cap_sys_module'] } } }), 'containerDefinitions[0].linuxParameters.capabilities.add', 'stevedore:allowAddedCapabilities'],
    ['devices', withContainer({ linuxParameters: { devices: [{ hostPath: '/dev/kvm' }] } }), 'containerDefinitions[0].linuxParameters.devices', 'stevedore:allowHostDevices'],
    ['host path volume', { volumes: [{ name: 'v' }, { name: 'data', host: { sourcePath: '/srv/data' } }], containerDefinitions: [web] }, 'volumes[1].host.sourcePath', 'stevedore:allowHostPathVolumes'],
    ['driverOpts binding a host directory', withVolume(docker({ scope: 'task', driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/etc' } })), 'volumes[0].dockerVolumeConfiguration.driverOpts', 'stevedore:allowHostDockerVolumes'],
    ['tmpfs driverOpts too (any option is a mount(8) argument)', withVolume(docker({ driverOpts: { type: 'tmpfs', device: 'tmpfs' } })), 'volumes[0].dockerVolumeConfiguration.driverOpts', 'stevedore:allowHostDockerVolumes'],
    ['a volume driver other than local', withVolume(docker({ scope: 'task', driver: 'rexray/ebs' })), 'volumes[0].dockerVolumeConfiguration.driver', 'stevedore:allowHostDockerVolumes'],
    ['a shared volume', withVolume(docker({ scope: 'shared', autoprovision: false, driver: 'local' })), 'volumes[0].dockerVolumeConfiguration.scope', 'stevedore:allowHostDockerVolumes'],
    ['autoprovision', withVolume(docker({ scope: 'task', autoprovision: true })), 'volumes[0].dockerVolumeConfiguration.autoprovision', 'stevedore:allowHostDockerVolumes'],
    ['seccomp=unconfined', withContainer({ dockerSecurityOptions: ['no-new-privileges', 'seccomp=unconfined'] }), 'containerDefinitions[0].dockerSecurityOptions[1]', 'stevedore:allowSecurityOptions'],
    ['seccomp:unconfined', withContainer({ dockerSecurityOptions: ['seccomp:unconfined'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['a custom seccomp profile', withContainer({ dockerSecurityOptions: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['apparmor:unconfined', withContainer({ dockerSecurityOptions: ['apparmor:unconfined'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['apparmor=unconfined', withContainer({ dockerSecurityOptions: ['apparmor=unconfined'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['label=disable', withContainer({ dockerSecurityOptions: ['label=disable'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['label:disable', withContainer({ dockerSecurityOptions: ['label:disable'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['bare disable (Docker reads it as label=disable)', withContainer({ dockerSecurityOptions: ['disable'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['an SELinux type such as spc_t', withContainer({ dockerSecurityOptions: ['label:type:spc_t'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['no-new-privileges=false', withContainer({ dockerSecurityOptions: ['no-new-privileges=false'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['no-new-privileges:0', withContainer({ dockerSecurityOptions: ['no-new-privileges:0'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['systempaths=unconfined', withContainer({ dockerSecurityOptions: ['systempaths=unconfined'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['writable-cgroups=true', withContainer({ dockerSecurityOptions: ['writable-cgroups=true'] }), 'containerDefinitions[0].dockerSecurityOptions[0]', 'stevedore:allowSecurityOptions'],
    ['a kernel parameter of no namespace', withContainer({ systemControls: [{ namespace: 'net.core.somaxconn', value: '1' }, { namespace: 'kernel.core_pattern', value: '|/x' }] }), 'containerDefinitions[0].systemControls[1].namespace', 'stevedore:allowHostSystemControls'],
    ['vm.* (not namespaced)', withContainer({ systemControls: [{ namespace: 'vm.overcommit_memory', value: '1' }] }), 'containerDefinitions[0].systemControls[0].namespace', 'stevedore:allowHostSystemControls'],
    ['kernel.shm* looks namespaced only by prefix', withContainer({ systemControls: [{ namespace: 'kernel.shm_next_id', value: '1' }] }), 'containerDefinitions[0].systemControls[0].namespace', 'stevedore:allowHostSystemControls'],
  ];
  for (const [what, td, field, setting] of refused) {
    it(`refuses ${what} unless ${setting} is enabled, naming ${field}`, () => {
      const v = hostAccessViolations(td, NO_HOST_ACCESS);
      assert.equal(v.length, 1, JSON.stringify(v));
      assert.equal(v[0]!.field, field);
      assert.equal(v[0]!.setting, setting);
      assert.match(v[0]!.message, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: .*${setting}`));
      assert.deepEqual(hostAccessViolations(td, hostAccessOf([{ name: setting, value: 'enabled' }])), []);
    });
  }

  it('net.* under host networking and IPC parameters under host IPC reach the host: host system controls (as well as the mode)', () => {
    const net = hostAccessViolations(withContainer({ systemControls: [{ namespace: 'net.ipv4.ip_forward', value: '1' }] }, { networkMode: 'host' }), hostAccessOf([{ name: 'stevedore:allowHostNetwork', value: 'enabled' }]));
    assert.deepEqual(net.map((v) => [v.field, v.setting]), [['containerDefinitions[0].systemControls[0].namespace', 'stevedore:allowHostSystemControls']]);
    assert.match(net[0]!.message, /network parameter, and the task uses the host's network/);
    for (const namespace of ['kernel.shmmax', 'fs.mqueue.msg_max']) {
      const ipc = hostAccessViolations(withContainer({ systemControls: [{ namespace, value: '1' }] }, { ipcMode: 'host' }), hostAccessOf([{ name: 'stevedore:allowHostIpc', value: 'enabled' }]));
      assert.deepEqual(ipc.map((v) => v.setting), ['stevedore:allowHostSystemControls'], namespace);
    }
  });

  const allowed: [string, HostAccessSubject][] = [
    ['bridge networking and none', withContainer({}, { networkMode: 'none', ipcMode: 'none', pidMode: 'task' })],
    ['dropping capabilities', withContainer({ linuxParameters: { capabilities: { drop: ['ALL'] } } })],
    ["adding capabilities Docker grants by default", withContainer({ linuxParameters: { capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE', 'KILL', 'AUDIT_WRITE', 'CAP_SETUID', 'net_raw'] } } })],
    ['a task-scoped local volume', withVolume(docker({ scope: 'task', driver: 'local', labels: { a: 'b' } }))],
    ['a Docker volume with no configuration', withVolume({ name: 'v', dockerVolumeConfiguration: {} })],
    ['empty driverOpts', withVolume(docker({ scope: 'task', driverOpts: {} }))],
    ['host: {} (a task volume Docker places)', withVolume({ name: 'v', host: {} })],
    ['tmpfs mounts', withContainer({ linuxParameters: { tmpfs: [{ containerPath: '/t', size: 64, mountOptions: ['noexec'] }], sharedMemorySize: 64, initProcessEnabled: true } })],
    ['security options that keep or tighten the defaults', withContainer({ dockerSecurityOptions: ['no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:true', 'apparmor:docker-default', 'apparmor=docker-default'] })],
    ['namespaced kernel parameters', withContainer({ systemControls: [
      ...['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'fs.mqueue.queues_max', 'net.core.somaxconn', 'net.ipv4.tcp_keepalive_time'].map((namespace) => ({ namespace, value: '1' })),
      { value: 'no namespace: ignored' },
    ] })],
    ['links and volumesFrom within the task', { containerDefinitions: [web, { ...web, name: 'b', links: ['web:w'], volumesFrom: [{ sourceContainer: 'web' }] }] }],
  ];
  for (const [what, td] of allowed) {
    it(`needs nothing for ${what}`, () => assert.deepEqual(hostAccessViolations(td, NO_HOST_ACCESS), []));
  }

  it('the container runtime socket, or a directory that holds it, is refused whatever the settings', () => {
    for (const p of ['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/var/run/', '/run', '/', '/var', '/srv/../var/run/docker.sock', '//run//docker.sock', '/home/x/docker.sock', '/run/containerd']) {
      assert.equal(isRuntimeSocketPath(p), true, p);
      const v = hostAccessViolations({ volumes: [{ name: 'd', host: { sourcePath: p } }], containerDefinitions: [web] }, ALL_HOST_ACCESS);
      assert.match(v[0]?.message ?? '', /never mounted/, p);
      assert.equal(v[0]!.setting, undefined, 'no setting allows it');
    }
    for (const p of ['/srv/data', '/var/lib/app', '/run/user/1000', '/var/run/app.sock']) assert.equal(isRuntimeSocketPath(p), false, p);
    // Through the local driver's bind option too.
    const bind = hostAccessViolations(withVolume(docker({ driverOpts: { type: 'none', o: 'bind', device: '/' } })), ALL_HOST_ACCESS);
    assert.deepEqual(bind.map((v) => [v.field, v.setting]), [['volumes[0].dockerVolumeConfiguration.driverOpts', undefined]]);
    assert.deepEqual(hostAccessViolations(withVolume(docker({ driverOpts: { type: 'none', o: 'bind', device: '/srv/data' } })), ALL_HOST_ACCESS), []);
  });

  // What only a forged or corrupted assignment carries (registration refuses it): never allowed, whatever the policy.
  const malformed: [string, HostAccessSubject, string][] = [
    ['a network mode Docker reads as another container', withContainer({}, { networkMode: 'container:agent' }), 'networkMode'],
    ['a PID mode naming a container', withContainer({}, { pidMode: 'container:x' }), 'pidMode'],
    ['an IPC mode naming a container', withContainer({}, { ipcMode: 'container:x' }), 'ipcMode'],
    ['a sysctl name with a path in it', withContainer({ systemControls: [{ namespace: 'net.ipv4/../../kernel/core_pattern', value: '|/x' }] }), 'containerDefinitions[0].systemControls[0].namespace'],
    ['a link outside the task', withContainer({ links: ['stevedore-agent:a'] }), 'containerDefinitions[0].links[0]'],
    ['volumesFrom a container outside the task', withContainer({ volumesFrom: [{ sourceContainer: 'some-other-container' }] }), 'containerDefinitions[0].volumesFrom[0].sourceContainer'],
    ['privileged given as a string', withContainer({ privileged: 'true' as never }), 'containerDefinitions[0].privileged'],
    ['capabilities that are not a list', withContainer({ linuxParameters: { capabilities: { add: 'SYS_ADMIN' as never } } }), 'containerDefinitions[0].linuxParameters.capabilities.add'],
    ['volumes that are not a list', { volumes: {} as never, containerDefinitions: [web] }, 'volumes'],
    ['a host path carrying a second path past the socket check', withVolume({ name: 'v', host: { sourcePath: '/var/run/docker.sock:/sock' } }), 'volumes[0].host.sourcePath'],
    ['a relative host path (Docker reads it as a named volume)', withVolume({ name: 'v', host: { sourcePath: 'other-tenant-volume' } }), 'volumes[0].host.sourcePath'],
    ['a container path carrying bind options', withContainer({ mountPoints: [{ sourceVolume: 'v', containerPath: '/data:rshared' }] }), 'containerDefinitions[0].mountPoints[0].containerPath'],
    ['a host path that is not a string', withVolume({ name: 'v', host: { sourcePath: ['/'] as never } }), 'volumes[0].host.sourcePath'],
  ];
  for (const [what, td, field] of malformed) {
    it(`refuses ${what} even with every setting enabled`, () => {
      const v = hostAccessViolations(td, ALL_HOST_ACCESS);
      assert.ok(v.some((x) => x.field === field && x.setting === undefined), JSON.stringify(v));
    });
  }

  it('a policy value other than true allows nothing (a forged assignment policy)', () => {
    const forged = { ...NO_HOST_ACCESS, privileged: 'yes' } as never;
    assert.equal(hostAccessViolations(withContainer({ privileged: true }), forged).length, 1);
  });
});

describe('host access at registration', () => {
  const td = (extra: Record<string, unknown>) => ({ family: 'f', containerDefinitions: [{ name: 'app', image: 'img', memory: 32 }], ...extra });
  it('registers what a cluster setting can allow: the cluster decides at launch', () => {
    const r = validateRegisterTaskDefinition(td({ networkMode: 'host', volumes: [{ name: 'v', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driverOpts: { o: 'bind' } } }] }));
    assert.equal(r.volumes?.[0]?.dockerVolumeConfiguration?.scope, 'shared');
  });
  it('refuses the runtime socket with a ClientException naming the field', () => {
    assert.throws(
      () => validateRegisterTaskDefinition(td({ volumes: [{ name: 'd', host: { sourcePath: '/run' } }] })),
      (e: Error & { code?: string; field?: string }) => e.code === 'ClientException' && e.field === 'volumes[0].host.sourcePath',
    );
  });
  it('refuses a malformed kernel parameter name with an InvalidParameterException naming the field', () => {
    for (const namespace of ['net.ipv4/../../kernel/core_pattern', 'net..x', 'net', '../x', 'net.x\n']) {
      assert.throws(
        () => validateRegisterTaskDefinition(td({ containerDefinitions: [{ name: 'app', image: 'img', memory: 32, systemControls: [{ namespace, value: '1' }] }] })),
        (e: Error & { code?: string; field?: string }) => e.code === 'InvalidParameterException' && e.field === 'containerDefinitions[0].systemControls[0].namespace',
        namespace,
      );
    }
  });
});
