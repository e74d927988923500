import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefinition } from '@stevedore/core';
import type { CreateContainerRequest } from '../exec/container-controller';
import { cpuShares, logConfig, toDockerCreateOptions, toDockerHealthcheck } from './create-options';

function req(def: Partial<ContainerDefinition>, over: Partial<CreateContainerRequest> = {}): CreateContainerRequest {
  return {
    dockerName: 'ecs-web-3-app-abcdef',
    image: 'stevedore-test/busybox:latest',
    labels: { 'stevedore.task': 'arn' },
    definition: { name: 'app', image: 'stevedore-test/busybox:latest', ...def },
    networkMode: 'bridge',
    hostIp: '127.0.0.2',
    peers: new Map([['db', 'ecs-web-3-db-123'], ['data', 'ecs-web-3-data-456']]),
    mounts: [],
    stopTimeoutSeconds: 30,
    ...over,
  };
}

describe('toDockerCreateOptions', () => {
  it('maps the basic process fields', () => {
    const o = toDockerCreateOptions(req({
      command: ['sh', '-c', 'echo hi'],
      entryPoint: ['/bin/env'],
      workingDirectory: '/tmp',
      user: '1000:1000',
      environment: [{ name: 'A', value: '1' }, { name: 'B' }],
    }));
    assert.equal(o.name, 'ecs-web-3-app-abcdef');
    assert.deepEqual(o.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(o.Entrypoint, ['/bin/env']);
    assert.equal(o.WorkingDir, '/tmp');
    assert.equal(o.User, '1000:1000');
    assert.deepEqual(o.Env, ['A=1', 'B=']);
    assert.equal(o.HostConfig?.Init, true);
    assert.deepEqual(o.HostConfig?.RestartPolicy, { Name: 'no' });
    assert.deepEqual(o.HostConfig?.LogConfig, { Type: 'json-file', Config: {} });
    assert.equal(o.HostConfig?.NetworkMode, 'bridge');
    assert.equal(o.StopTimeout, 30);
  });

  it('binds dynamic and static ports on the host ip only', () => {
    const o = toDockerCreateOptions(req({
      portMappings: [{ containerPort: 80 }, { containerPort: 8080, hostPort: 0 }, { containerPort: 53, hostPort: 5353, protocol: 'udp' }],
    }));
    assert.deepEqual(o.ExposedPorts, { '80/tcp': {}, '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(o.HostConfig?.PortBindings, {
      '80/tcp': [{ HostIp: '127.0.0.2', HostPort: '' }],
      '8080/tcp': [{ HostIp: '127.0.0.2', HostPort: '' }],
      '53/udp': [{ HostIp: '127.0.0.2', HostPort: '5353' }],
    });
  });

  it('publishes nothing in host and none modes', () => {
    const host = toDockerCreateOptions(req({ portMappings: [{ containerPort: 80, hostPort: 80 }] }, { networkMode: 'host' }));
    assert.equal(host.HostConfig?.PortBindings, undefined);
    assert.equal(host.HostConfig?.NetworkMode, 'host');
    const none = toDockerCreateOptions(req({ portMappings: [{ containerPort: 80 }] }, { networkMode: 'none' }));
    assert.equal(none.ExposedPorts, undefined);
    assert.equal(none.HostConfig?.NetworkMode, 'none');
  });

  it('maps resources the ECS way', () => {
    const o = toDockerCreateOptions(req({ cpu: 256, memory: 128, memoryReservation: 64 }));
    assert.equal(o.HostConfig?.CpuShares, 256);
    assert.equal(o.HostConfig?.Memory, 128 * 1024 * 1024);
    assert.equal(o.HostConfig?.MemoryReservation, 64 * 1024 * 1024);
    assert.equal(cpuShares(undefined), 2);
    assert.equal(cpuShares(0), 2);
    assert.equal(cpuShares(1), 2);
    assert.equal(cpuShares(2), 2);
    assert.equal(toDockerCreateOptions(req({})).HostConfig?.Memory, undefined);
  });

  it('maps linux parameters and host settings', () => {
    const o = toDockerCreateOptions(req({
      ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
      readonlyRootFilesystem: true,
      extraHosts: [{ hostname: 'db.local', ipAddress: '10.0.0.5' }],
      dnsServers: ['1.1.1.1'],
      dnsSearchDomains: ['corp'],
      privileged: true,
      systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
      dockerLabels: { team: 'a' },
      linuxParameters: {
        capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
        tmpfs: [{ containerPath: '/run', size: 64, mountOptions: ['noexec'] }],
        sharedMemorySize: 128,
        initProcessEnabled: true,
      },
    }));
    const h = o.HostConfig!;
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 4096 }]);
    assert.equal(h.ReadonlyRootfs, true);
    assert.deepEqual(h.ExtraHosts, ['db.local:10.0.0.5']);
    assert.deepEqual(h.Dns, ['1.1.1.1']);
    assert.deepEqual(h.DnsSearch, ['corp']);
    assert.equal(h.Privileged, true);
    assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(h.CapDrop, ['MKNOD']);
    assert.deepEqual(h.Tmpfs, { '/run': 'size=64m,noexec' });
    assert.equal(h.ShmSize, 128 * 1024 * 1024);
    assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
    assert.equal(h.Init, true);
  });

  it('resolves links, volumesFrom and mounts to Docker names', () => {
    const o = toDockerCreateOptions(req(
      { links: ['db:database', 'db'], volumesFrom: [{ sourceContainer: 'data', readOnly: true }] },
      { mounts: [{ type: 'bind', source: '/srv/x', containerPath: '/x', readOnly: true }, { type: 'volume', source: 'vol-1', containerPath: '/v', readOnly: false }] },
    ));
    assert.deepEqual(o.HostConfig?.Links, ['ecs-web-3-db-123:database', 'ecs-web-3-db-123:db']);
    assert.deepEqual(o.HostConfig?.VolumesFrom, ['ecs-web-3-data-456:ro']);
    assert.deepEqual(o.HostConfig?.Binds, ['/srv/x:/x:ro', 'vol-1:/v']);
  });

  it('honours host pid/ipc modes only', () => {
    const o = toDockerCreateOptions(req({}, { pidMode: 'host', ipcMode: 'none' }));
    assert.equal(o.HostConfig?.PidMode, 'host');
    assert.equal(o.HostConfig?.IpcMode, 'none');
    const t = toDockerCreateOptions(req({}, { pidMode: 'task', ipcMode: 'task' }));
    assert.equal(t.HostConfig?.PidMode, undefined);
    assert.equal(t.HostConfig?.IpcMode, undefined);
  });

  it('uses the given log driver', () => {
    const o = toDockerCreateOptions(req({ logConfiguration: { logDriver: 'none' } }));
    assert.deepEqual(o.HostConfig?.LogConfig, { Type: 'none', Config: {} });
  });

  it('gives the endpoint MAC and the agent variables, which win over environment and secrets of the same name', () => {
    const o = toDockerCreateOptions(
      req(
        { environment: [{ name: 'A', value: 'plain' }, { name: 'ECS_CONTAINER_METADATA_URI_V4', value: 'spoofed' }] },
        { secretEnvironment: [{ name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: 'spoofed' }], agentEnvironment: [{ name: 'ECS_CONTAINER_METADATA_URI_V4', value: 'http://169.254.170.2/v4/x' }, { name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: '/v2/credentials/y' }], macAddress: '02:01:02:03:04:05' },
      ),
    );
    assert.deepEqual(o.Env, ['A=plain', 'ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/y']);
    assert.equal((o as { MacAddress?: string }).MacAddress, '02:01:02:03:04:05');
  });

  it('leaves no undefined keys for dockerode to send as null', () => {
    const o = toDockerCreateOptions(req({}));
    for (const [k, v] of Object.entries(o)) assert.notEqual(v, undefined, k);
    for (const [k, v] of Object.entries(o.HostConfig!)) assert.notEqual(v, undefined, k);
  });
});

describe('toDockerHealthcheck', () => {
  it('applies ECS defaults in nanoseconds', () => {
    assert.deepEqual(toDockerHealthcheck({ command: ['CMD-SHELL', 'wget -q localhost || exit 1'] }), {
      Test: ['CMD-SHELL', 'wget -q localhost || exit 1'],
      Interval: 30e9,
      Timeout: 5e9,
      Retries: 3,
    });
  });
  it('assumes CMD without a prefix and keeps explicit values', () => {
    assert.deepEqual(toDockerHealthcheck({ command: ['true'], interval: 5, timeout: 2, retries: 1, startPeriod: 10 }), {
      Test: ['CMD', 'true'],
      Interval: 5e9,
      Timeout: 2e9,
      Retries: 1,
      StartPeriod: 10e9,
    });
    assert.deepEqual(toDockerHealthcheck({ command: ['CMD', 'true'] }).Test, ['CMD', 'true']);
  });
  it('passes 1 s intervals and timeouts (our departure from ECS) as 1e9 ns', () => {
    const hc = toDockerHealthcheck({ command: ['CMD', 'true'], interval: 1, timeout: 1, retries: 1 });
    assert.equal(hc.Interval, 1e9);
    assert.equal(hc.Timeout, 1e9);
  });
});

describe('toDockerCreateOptions: task namespaces and the task cgroup', () => {
  it('a container of an awsvpc task joins the pause container: no ports, no hostname, its pid/ipc when task-shared', () => {
    const o = toDockerCreateOptions(
      req({ hostname: 'web', portMappings: [{ containerPort: 80, hostPort: 80 }] }, { networkMode: 'awsvpc', namespaces: { network: 'pause1', pid: 'pause1', ipc: 'pause1' }, cgroupParent: '/stevedore/t1' }),
    );
    assert.equal(o.HostConfig?.NetworkMode, 'container:pause1');
    assert.equal(o.HostConfig?.PidMode, 'container:pause1');
    assert.equal(o.HostConfig?.IpcMode, 'container:pause1');
    assert.equal(o.HostConfig?.CgroupParent, '/stevedore/t1');
    assert.equal(o.HostConfig?.PortBindings, undefined);
    assert.equal(o.ExposedPorts, undefined);
    assert.equal(o.Hostname, undefined);
    assert.equal(o.HostConfig?.StorageOpt, undefined, 'no size unless the host enforces one');
    assert.deepEqual(toDockerCreateOptions(req({}, { storageSizeGiB: 21 })).HostConfig?.StorageOpt, { size: '21G' });
  });
  it('the pause container of an awsvpc task publishes the ports on the host IP with dynamic host ports; shareable IPC for ipcMode task', () => {
    const o = toDockerCreateOptions(req({ portMappings: [{ containerPort: 80 }, { containerPort: 53, protocol: 'udp' }] }, { shareableIpc: true }));
    assert.deepEqual(o.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.2', HostPort: '' }], '53/udp': [{ HostIp: '127.0.0.2', HostPort: '' }] });
    assert.equal(o.HostConfig?.IpcMode, 'shareable');
  });
});

describe('logConfig', () => {
  it('runs awslogs on a rotated json-file (the agent ships it) and passes other drivers through with their options', () => {
    assert.deepEqual(logConfig({ name: 'a', image: 'i', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1' } } }), {
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });
    assert.deepEqual(logConfig({ name: 'a', image: 'i', logConfiguration: { logDriver: 'gelf', options: { 'gelf-address': 'udp://127.0.0.1:12201' } } }), {
      Type: 'gelf',
      Config: { 'gelf-address': 'udp://127.0.0.1:12201' },
    });
    assert.deepEqual(logConfig({ name: 'a', image: 'i' }), { Type: 'json-file', Config: {} });
  });
});

describe('toDockerCreateOptions: environmentFiles', () => {
  it('file variables are lowest: environment and secrets win, a later file line wins over an earlier one', () => {
    const o = toDockerCreateOptions(
      req({ environment: [{ name: 'B', value: 'env' }] }, {
        fileEnvironment: [{ name: 'A', value: 'f1' }, { name: 'A', value: 'f2' }, { name: 'B', value: 'file' }, { name: 'C', value: 'file' }, { name: 'D', value: 'file' }],
        secretEnvironment: [{ name: 'C', value: 'secret' }],
      }),
    );
    assert.deepEqual(o.Env, ['A=f2', 'D=file', 'B=env', 'C=secret']);
  });
});
