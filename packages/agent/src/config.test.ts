import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './config';
import { registerRequest } from './host-resources';

const base = ['--control-plane', '127.0.0.1:7443', '--cluster', 'prod', '--host-ip', '127.0.0.2', '--data-dir', '/tmp/x'];

describe('parseConfig', () => {
  it('applies ECS defaults', () => {
    const c = parseConfig(base, {});
    assert.equal(c.availabilityZone, 'local-a');
    assert.equal(c.reservedMemory, 0);
    assert.deepEqual(c.reservedPorts, [22, 2375, 2376, 51678, 51679]);
    assert.equal(c.dockerHost, '/var/run/docker.sock');
    assert.equal(c.cleanupWaitMs, 3 * 3600 * 1000);
    assert.equal(c.stopTimeoutSeconds, 30);
    assert.equal(c.imagePullBehavior, 'default');
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.attributes, {});
    assert.equal(c.restartAttemptPeriodScale, 1, "ECS's restartAttemptPeriod unless told otherwise");
  });

  it('takes the container instance tags as ECS_CONTAINER_INSTANCE_TAGS does (a JSON object), with ECS\'s tag rules', () => {
    assert.deepEqual(parseConfig(base, {}).containerInstanceTags, {});
    assert.deepEqual(parseConfig([...base, '--container-instance-tags', '{"team":"web","rack":"r1"}'], {}).containerInstanceTags, { team: 'web', rack: 'r1' });
    assert.deepEqual(parseConfig(base, { STEVEDORE_CONTAINER_INSTANCE_TAGS: '{"env":"prod"}' }).containerInstanceTags, { env: 'prod' });
    for (const bad of ['team=web', '["a"]', '{"a":1}', '{"aws:x":"y"}', `{"${'k'.repeat(129)}":"v"}`]) {
      assert.throws(() => parseConfig([...base, '--container-instance-tags', bad], {}), /--container-instance-tags/, bad);
    }
  });

  it('reads every option from STEVEDORE_* env vars, flags winning', () => {
    const c = parseConfig(['--cluster', 'flag'], {
      STEVEDORE_CONTROL_PLANE: 'cp.local:7443',
      STEVEDORE_CLUSTER: 'env',
      STEVEDORE_HOST_IP: '10.0.0.5',
      STEVEDORE_DATA_DIR: '/var/lib/stevedore',
      STEVEDORE_AVAILABILITY_ZONE: 'rack-2',
      STEVEDORE_RESERVED_MEMORY: '256',
      STEVEDORE_RESERVED_PORTS: '22,8080',
      STEVEDORE_CLEANUP_WAIT: '60',
      STEVEDORE_STOP_TIMEOUT: '5',
      STEVEDORE_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
      STEVEDORE_LOG_LEVEL: 'debug',
      STEVEDORE_ATTRIBUTES: 'stack=prod,gpu=none',
      DOCKER_HOST: 'unix:///run/docker.sock',
    });
    assert.equal(c.cluster, 'flag');
    assert.equal(c.controlPlane, 'cp.local:7443');
    assert.equal(c.hostIp, '10.0.0.5');
    assert.equal(c.availabilityZone, 'rack-2');
    assert.equal(c.reservedMemory, 256);
    assert.deepEqual(c.reservedPorts, [22, 8080]);
    assert.equal(c.cleanupWaitMs, 60_000);
    assert.equal(c.stopTimeoutSeconds, 5);
    assert.equal(c.imagePullBehavior, 'prefer-cached');
    assert.equal(c.dockerHost, 'unix:///run/docker.sock');
    assert.deepEqual(c.attributes, { stack: 'prod', gpu: 'none' });
  });

  it('takes every control-plane replica, comma-separated, in order', () => {
    assert.deepEqual(parseConfig(base, {}).controlPlanes, ['127.0.0.1:7443']);
    const c = parseConfig(['--control-plane', 'cp1.local:8443, 10.0.0.2:8443,[::1]:8443', ...base.slice(2)], {});
    assert.deepEqual(c.controlPlanes, ['cp1.local:8443', '10.0.0.2:8443', '[::1]:8443']);
    assert.throws(() => parseConfig(['--control-plane', 'a:1,b', ...base.slice(2)], {}), /--control-plane: expected HOST:PORT\[,HOST:PORT\.\.\.\], got "b"/);
    assert.throws(() => parseConfig(['--control-plane', 'a:1,,b:2', ...base.slice(2)], {}), /--control-plane/);
    assert.throws(() => parseConfig(['--control-plane', 'a:1,a:1', ...base.slice(2)], {}), /names a replica twice/);
  });

  it('collects repeated --attribute flags', () => {
    const c = parseConfig([...base, '--attribute', 'a=1', '--attribute', 'b=x:y'], {});
    assert.deepEqual(c.attributes, { a: '1', b: 'x:y' });
  });

  it('rejects what cannot work', () => {
    assert.throws(() => parseConfig(['--cluster', 'c', '--host-ip', '127.0.0.2', '--data-dir', '/x'], {}), /missing --control-plane/);
    assert.throws(() => parseConfig([...base.slice(0, 4), '--host-ip', '0.0.0.0', '--data-dir', '/x'], {}), /wildcard/);
    assert.throws(() => parseConfig([...base.slice(0, 4), '--host-ip', 'localhost', '--data-dir', '/x'], {}), /not an IP/);
    assert.throws(() => parseConfig([...base, '--image-pull-behavior', 'sometimes'], {}), /image-pull-behavior/);
    assert.throws(() => parseConfig([...base, '--attribute', 'novalue'], {}), /key=value/);
    for (const bad of ['0', '2', 'x']) assert.throws(() => parseConfig([...base, '--restart-attempt-period-scale', bad], {}), /--restart-attempt-period-scale/);
    assert.equal(parseConfig([...base, '--restart-attempt-period-scale', '0.05'], {}).restartAttemptPeriodScale, 0.05);
    // Names and values as ECS PutAttributes accepts them: the control plane refuses anything else.
    assert.throws(() => parseConfig([...base, '--attribute', 'b=x=y'], {}), /--attribute "b=x=y": the value must be/);
    assert.throws(() => parseConfig([...base, '--attribute', 'bad name=1'], {}), /--attribute "bad name=1": the name must be/);
    const eleven = Array.from({ length: 11 }, (_, i) => ['--attribute', `k${i}=v`]).flat();
    assert.throws(() => parseConfig([...base, ...eleven], {}), /at most 10 custom attributes/);
  });
});

describe('registerRequest', () => {
  it('computes resources and attributes from Docker facts', () => {
    const cfg = parseConfig([...base, '--reserved-memory', '100', '--attribute', 'stack=prod'], {});
    const r = registerRequest(cfg, { ncpu: 2, memTotalBytes: 4096 * 1048576 + 12345, architecture: 'aarch64', serverVersion: '20.10.24', apiVersion: '1.41', logDrivers: ['json-file', 'none'] }, 'inst-1', { version: '0.3.0', commit: '1a2b3c4d' });
    assert.equal(r.cluster, 'prod');
    assert.equal(r.instance_id, 'inst-1');
    assert.equal(r.host_ip, '127.0.0.2');
    assert.deepEqual(r.resources, { cpu: 2048, memory: 3996, ports: [22, 2375, 2376, 51678, 51679], ports_udp: [] });
    const attrs = Object.fromEntries(r.attributes.map((a) => [a.name, a.value]));
    assert.equal(attrs['ecs.os-type'], 'linux');
    assert.equal(attrs['ecs.cpu-architecture'], 'arm64');
    assert.equal(attrs['ecs.availability-zone'], 'local-a');
    assert.equal(attrs['stack'], 'prod');
    assert.equal(attrs['com.amazonaws.ecs.capability.docker-remote-api.1.41'], '');
    assert.equal(attrs['com.amazonaws.ecs.capability.logging-driver.json-file'], '');
    assert.equal(r.docker_version, '20.10.24');
    assert.equal(r.agent_version, '0.3.0');
    assert.equal(r.agent_hash, '1a2b3c4d');
  });

  it('lets a custom attribute override a built-in one, once', () => {
    const cfg = parseConfig([...base, '--attribute', 'ecs.availability-zone=rack-1'], {});
    const r = registerRequest(cfg, { ncpu: 1, memTotalBytes: 1 << 30, architecture: 'x86_64', serverVersion: '20.10', apiVersion: '1.41', logDrivers: [] }, undefined, { version: '0.3.0', commit: '1a2b3c4d' });
    assert.deepEqual(r.attributes.filter((a) => a.name === 'ecs.availability-zone'), [{ name: 'ecs.availability-zone', value: 'rack-1' }]);
    assert.equal(r.attributes.find((a) => a.name === 'ecs.cpu-architecture')!.value, 'x86_64');
  });
});
