import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_HOST_ACCESS, type ContainerDefinition, type HostAccess, type TaskAssignment } from '@stevedore/core';
import { FakeContainerController } from '../testing/fake-container-controller';
import { assignment, containerDef } from '../testing/builders';
import { startWorkerRig, stopWorkerRigs } from '../testing/worker-rig';

// The agent's own host-access check (defence in depth): assignments forged
// or sent by a buggy control plane, beyond the policy they carry, end
// STOPPED with the reason and reach Docker not at all: no pull, no volume,
// no container.
const IMAGE = 'registry.invalid/app:1';

afterEach(stopWorkerRigs);

async function rig() {
  const fake = new FakeContainerController();
  fake.registry.add(IMAGE);
  return startWorkerRig({ fake, instanceId: 'i-host' });
}

const app = (over: Partial<ContainerDefinition> = {}): ContainerDefinition => containerDef({ name: 'app', image: IMAGE, ...over });
const sidecar = containerDef({ name: 'sidecar', image: IMAGE, essential: false });
const mounting = (volume: string) => app({ mountPoints: [{ sourceVolume: volume, containerPath: '/v' }] });

describe('host access on the agent, with forged assignments', () => {
  // [what, assignment without the policy that would allow it, field in the reason]
  const forged: [string, TaskAssignment, RegExp][] = [
    ['a bind of the host root through driverOpts', assignment({ volumes: [{ name: 'root', dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/' } } }], containers: [sidecar, mounting('root')] }), /volumes\[0\]\.dockerVolumeConfiguration\.driverOpts.*stevedore:allowHostDockerVolumes/],
    ['a shared volume', assignment({ volumes: [{ name: 'other-tenant', dockerVolumeConfiguration: { scope: 'shared', autoprovision: false } }], containers: [mounting('other-tenant')] }), /dockerVolumeConfiguration\.scope.*stevedore:allowHostDockerVolumes/],
    ['a volume plugin', assignment({ volumes: [{ name: 'p', dockerVolumeConfiguration: { driver: 'sshfs' } }], containers: [mounting('p')] }), /dockerVolumeConfiguration\.driver.*stevedore:allowHostDockerVolumes/],
    ['host IPC', assignment({ ipcMode: 'host', containers: [app()] }), /ipcMode.*stevedore:allowHostIpc/],
    ['host PID', assignment({ pidMode: 'host', containers: [app()] }), /pidMode.*stevedore:allowHostPid/],
    ['host network', assignment({ networkMode: 'host', containers: [app()] }), /networkMode.*stevedore:allowHostNetwork/],
    ['privileged, in the second container only', assignment({ containers: [sidecar, app({ privileged: true })] }), /containerDefinitions\[1\]\.privileged.*stevedore:allowPrivilegedContainers/],
    ['SYS_ADMIN', assignment({ containers: [app({ linuxParameters: { capabilities: { add: ['SYS_ADMIN'] } } })] }), /capabilities\.add.*SYS_ADMIN.*stevedore:allowAddedCapabilities/],
    ['a device', assignment({ containers: [app({ linuxParameters: { devices: [{ hostPath: '/dev/sda' }] } })] }), /linuxParameters\.devices.*stevedore:allowHostDevices/],
    ['seccomp=unconfined', assignment({ containers: [app({ dockerSecurityOptions: ['seccomp=unconfined'] })] }), /dockerSecurityOptions\[0\].*stevedore:allowSecurityOptions/],
    ['kernel.core_pattern', assignment({ containers: [app({ systemControls: [{ namespace: 'kernel.core_pattern', value: '|/tmp/x' }] })] }), /systemControls\[0\]\.namespace.*stevedore:allowHostSystemControls/],
    ['a sysctl name with a path in it, under a policy allowing everything', assignment({ hostAccess: { ...allowAll() }, containers: [app({ systemControls: [{ namespace: 'net.x/../../kernel/core_pattern', value: '|/x' }] })] }), /systemControls\[0\]\.namespace.*not a kernel parameter name/],
    ['volumesFrom a container outside the task', assignment({ containers: [app({ volumesFrom: [{ sourceContainer: 'stevedore-agent' }] })] }), /volumesFrom\[0\]\.sourceContainer.*not name a container of this task/],
    ['a network mode joining another container', assignment({ networkMode: 'container:stevedore-agent' as never, containers: [app()] }), /networkMode.*not a network mode/],
    ['a policy from an older control plane that lacks the key', assignment({ hostAccess: { privileged: true } as HostAccess, ipcMode: 'host', containers: [app()] }), /ipcMode.*stevedore:allowHostIpc/],
  ];

  it('stops each task before any pull, volume or container, with a stoppedReason naming the field and the setting', async () => {
    const { fake, worker, until } = await rig();
    worker.assign(forged.map(([, a]) => a));
    for (const [what, a, reason] of forged) {
      const r = await until(a, 'STOPPED');
      assert.equal(r.stopCode, 'TaskFailedToStart', what);
      assert.match(r.stoppedReason!, /^CannotCreateContainerError: /, what);
      assert.match(r.stoppedReason!, reason, what);
      assert.ok(r.containers.every((c) => c.status === 'STOPPED' && c.runtimeId === undefined), what);
    }
    await worker.idle();
    assert.equal(fake.containers.size, 0, 'no container');
    assert.equal(fake.volumes.size, 0, 'no volume');
    assert.equal(fake.pullAuth.size, 0, 'not even a pull');
  });

  it('runs what the carried policy allows, and honours ECS autoprovision for shared volumes', async () => {
    const { fake, worker, until } = await rig();
    const policy = { ...NO_HOST_ACCESS, hostDockerVolumes: true };
    const provisioned = assignment({ hostAccess: policy, volumes: [{ name: 'cache', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true } }], containers: [mounting('cache')] });
    const missing = assignment({ hostAccess: policy, volumes: [{ name: 'absent', dockerVolumeConfiguration: { scope: 'shared', autoprovision: false } }], containers: [mounting('absent')] });
    worker.assign([provisioned, missing]);
    await until(provisioned, 'RUNNING');
    assert.deepEqual([...fake.volumes.keys()], ['cache']);
    const r = await until(missing, 'STOPPED');
    assert.match(r.stoppedReason!, /volume absent does not exist and autoprovision is false/);
    assert.equal(fake.volumes.has('absent'), false, 'never created without autoprovision');
    // Now it exists (an operator made it): the same definition attaches to it.
    const again = assignment({ hostAccess: policy, volumes: [{ name: 'cache', dockerVolumeConfiguration: { scope: 'shared', autoprovision: false } }], containers: [mounting('cache')] });
    worker.assign([provisioned, missing, again]);
    await until(again, 'RUNNING');
  });
});

function allowAll(): HostAccess {
  return Object.fromEntries(Object.keys(NO_HOST_ACCESS).map((k) => [k, true])) as unknown as HostAccess;
}
