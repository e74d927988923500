import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../validation/fixtures';
import { validateRegisterTaskDefinition } from '../validation/register-task-definition';
import { computeCompatibilities } from '../validation/compatibilities';
import type { TaskDefinition } from '../model/task-definition';
import { hostAccessViolations, NO_HOST_ACCESS } from '../validation/host-access';
import { newTask } from '../lifecycle/new-task';
import { isSecretsStoreEnvironmentFile, parseEnvironmentFile } from '../validation/environment-files';
import {
  checkFargateLaunch,
  checkFargatePoolSetting,
  chooseCapacityProvider,
  fargatePoolConstraints,
  networkInterfaceIds,
  readNetworkConfiguration,
  resolvePlatformVersion,
} from './fargate';

function registered(fields: Record<string, unknown>): TaskDefinition {
  const input = validateRegisterTaskDefinition(build.fargate(fields));
  return { ...input, compatibilities: computeCompatibilities(input), taskDefinitionArn: `arn:aws:ecs:r:1:task-definition/${input.family}:1`, revision: 1, status: 'ACTIVE', registeredAt: 0 } as TaskDefinition;
}

function rejection(fn: () => void): { code: string; message: string; field?: string } {
  try {
    fn();
  } catch (e) {
    const err = e as { code: string; message: string; field?: string };
    return err;
  }
  return assert.fail('accepted');
}

describe('Fargate task size at launch', () => {
  // ECS's table: each cpu with its memory range and step (MiB).
  const table: [number, number, number, number][] = [
    [256, 512, 2048, 0],
    [512, 1024, 4096, 1024],
    [1024, 2048, 8192, 1024],
    [2048, 4096, 16384, 1024],
    [4096, 8192, 30720, 1024],
    [8192, 16384, 61440, 4096],
    [16384, 32768, 122880, 8192],
  ];
  for (const [cpu, min, max, step] of table) {
    it(`cpu ${cpu}: ${min}..${max} MiB${step ? ` in ${step} MiB steps` : ''}, nothing outside`, () => {
      const td = registered({ cpu: '256', memory: '512' });
      const launch = (memory: number) => () => checkFargateLaunch({ td, overrides: { cpu: String(cpu), memory: String(memory) }, placementConstraints: undefined, placementStrategy: undefined });
      assert.doesNotThrow(launch(min));
      assert.doesNotThrow(launch(max));
      if (step > 0) {
        assert.doesNotThrow(launch(min + step));
        assert.equal(rejection(launch(min + step / 2)).code, 'ClientException');
      }
      const below = rejection(launch(min - (step || 256)));
      assert.equal(below.code, 'ClientException');
      assert.match(below.message, /^No Fargate configuration exists for given values\./);
      assert.match(below.message, new RegExp(`with cpu ${cpu}, Fargate memory must be one of`));
      assert.equal(rejection(launch(max + (step || 1024))).code, 'ClientException');
    });
  }
  it('256 takes exactly 512, 1024 and 2048', () => {
    const td = registered({});
    for (const m of [512, 1024, 2048]) assert.doesNotThrow(() => checkFargateLaunch({ td, overrides: { memory: String(m) }, placementConstraints: [], placementStrategy: [] }));
    assert.equal(rejection(() => checkFargateLaunch({ td, overrides: { memory: '1536' }, placementConstraints: [], placementStrategy: [] })).field, 'overrides.memory');
  });
  it('refuses a cpu Fargate does not offer, naming the cpu values', () => {
    const r = rejection(() => checkFargateLaunch({ td: registered({}), overrides: { cpu: '768', memory: '2048' }, placementConstraints: [], placementStrategy: [] }));
    assert.equal(r.field, 'overrides.cpu');
    assert.match(r.message, /256, 512, 1024, 2048, 4096, 8192, 16384/);
  });
});

describe('checkFargateLaunch', () => {
  it('refuses a definition without FARGATE compatibility, saying why', () => {
    const ec2Only = { ...registered({}), compatibilities: ['EC2' as const], networkMode: 'bridge' as const };
    const r = rejection(() => checkFargateLaunch({ td: ec2Only, overrides: {}, placementConstraints: [], placementStrategy: [] }));
    assert.equal(r.code, 'InvalidParameterException');
    assert.match(r.message, /^Task definition does not support launch_type FARGATE\. networkMode: Fargate only supports network mode 'awsvpc'\./);
  });
  it('refuses placement as ECS does, and points at the pool setting', () => {
    const td = registered({});
    const c = rejection(() => checkFargateLaunch({ td, overrides: {}, placementConstraints: [{ type: 'distinctInstance' }], placementStrategy: [] }));
    assert.equal(c.field, 'placementConstraints');
    assert.match(c.message, /^Placement constraints are not supported with FARGATE launch type\. Use the cluster setting stevedore:fargatePool/);
    const s = rejection(() => checkFargateLaunch({ td, overrides: {}, placementConstraints: [], placementStrategy: [{ type: 'random' }] }));
    assert.equal(s.message, 'Placement strategies are not supported with FARGATE launch type.');
  });
});

describe('the FARGATE isolation gate', () => {
  it('NO_HOST_ACCESS refuses each kind of host access a Fargate-shaped definition could carry', () => {
    const td = {
      networkMode: 'host',
      volumes: [{ name: 'h', host: { sourcePath: '/etc' } }],
      containerDefinitions: [build.container({ privileged: true, mountPoints: [{ sourceVolume: 'h', containerPath: '/h' }] })],
    };
    const fields = hostAccessViolations(td as never, NO_HOST_ACCESS).map((v) => v.field);
    assert.ok(fields.includes('networkMode'), JSON.stringify(fields));
    assert.ok(fields.includes('containerDefinitions[0].privileged'), JSON.stringify(fields));
    assert.ok(fields.some((f) => f.startsWith('volumes[0]')), JSON.stringify(fields));
  });
});

describe('platformVersion', () => {
  it('LATEST and 1.4.0 resolve to 1.4.0; nothing given means LATEST', () => {
    assert.equal(resolvePlatformVersion('LATEST', 'FARGATE'), '1.4.0');
    assert.equal(resolvePlatformVersion('1.4.0', 'FARGATE'), '1.4.0');
    assert.equal(resolvePlatformVersion(undefined, 'FARGATE'), '1.4.0');
    assert.equal(resolvePlatformVersion(undefined, 'EC2'), undefined);
  });
  it('refuses other versions, and any version for EC2', () => {
    assert.match(rejection(() => resolvePlatformVersion('1.3.0', 'FARGATE')).message, /use LATEST or 1\.4\.0/);
    assert.match(rejection(() => resolvePlatformVersion('LATEST', 'EC2')).message, /only supported with the FARGATE launch type/);
  });
});

describe('networkConfiguration', () => {
  const cfg = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } };
  it('is recorded for awsvpc, with DISABLED as the default for assignPublicIp', () => {
    assert.deepEqual(readNetworkConfiguration(cfg, 'awsvpc'), cfg.awsvpcConfiguration);
    assert.deepEqual(readNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'] } }, 'awsvpc'), { subnets: ['s'], securityGroups: [], assignPublicIp: 'DISABLED' });
  });
  it('is required for awsvpc and refused otherwise, with ECS messages', () => {
    assert.equal(rejection(() => readNetworkConfiguration(undefined, 'awsvpc')).message, "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    assert.match(rejection(() => readNetworkConfiguration(cfg, 'bridge')).message, /^Network Configuration is not valid for the given networkMode/);
    assert.equal(readNetworkConfiguration(undefined, 'bridge'), undefined);
  });
  it('checks the shape of known members (subnets given, at most 5 security groups) and ignores unknown ones', () => {
    assert.equal(rejection(() => readNetworkConfiguration({ awsvpcConfiguration: { subnets: [] } }, 'awsvpc')).field, 'networkConfiguration.awsvpcConfiguration.subnets');
    assert.equal(rejection(() => readNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'], securityGroups: ['1', '2', '3', '4', '5', '6'] } }, 'awsvpc')).field, 'networkConfiguration.awsvpcConfiguration.securityGroups');
    assert.equal(rejection(() => readNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'], assignPublicIp: 'YES' } }, 'awsvpc')).field, 'networkConfiguration.awsvpcConfiguration.assignPublicIp');
    assert.deepEqual(readNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'], newField: 1 }, other: {} }, 'awsvpc'), readNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'] } }, 'awsvpc'));
  });
});

describe('capacity provider strategies', () => {
  it('fills the base first, then keeps each provider at its weighted share', () => {
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    ];
    const counts = new Map<string, number>();
    const picks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = chooseCapacityProvider(strategy, counts);
      picks.push(p);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    assert.deepEqual(picks.slice(0, 2), ['FARGATE', 'FARGATE']);
    // Beyond the base: 8 tasks at 1:3.
    assert.equal(counts.get('FARGATE'), 4);
    assert.equal(counts.get('FARGATE_SPOT'), 6);
  });
});

describe('the FARGATE pool', () => {
  it('is every instance without the setting, a memberOf constraint with it', () => {
    assert.deepEqual(fargatePoolConstraints([]), []);
    assert.deepEqual(fargatePoolConstraints([{ name: 'stevedore:fargatePool', value: 'all' }]), []);
    assert.deepEqual(fargatePoolConstraints([{ name: 'stevedore:fargatePool', value: 'attribute:stevedore.pool == fargate' }]), [
      { type: 'memberOf', expression: 'attribute:stevedore.pool == fargate' },
    ]);
  });
  it('refuses a setting that is not a cluster query expression', () => {
    assert.equal(rejection(() => checkFargatePoolSetting('attribute:x ==', 'settings[0].value')).code, 'InvalidParameterException');
    assert.doesNotThrow(() => checkFargatePoolSetting('attribute:stevedore.pool in [a, b]', 'settings[0].value'));
  });
});

describe('the ENI attachment of awsvpc tasks', () => {
  it('gets a UUID attachment id and an eni- id, and records the awsvpcConfiguration', () => {
    const { attachmentId, networkInterfaceId } = networkInterfaceIds('0123456789abcdef0123456789abcdef');
    assert.equal(attachmentId, '01234567-89ab-cdef-0123-456789abcdef');
    assert.match(networkInterfaceId, /^eni-[0-9a-f]{17}$/);
    const td = registered({});
    const cfg = { subnets: ['subnet-1'], securityGroups: [], assignPublicIp: 'DISABLED' as const };
    const t = newTask({ clusterName: 'c', td, containerInstanceId: 'i', group: 'g', now: 1, launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT', platformVersion: '1.4.0', awsvpcConfiguration: cfg });
    assert.equal(t.launchType, 'FARGATE');
    assert.equal(t.capacityProviderName, 'FARGATE_SPOT');
    assert.deepEqual(t.networkInterface?.configuration, cfg);
    assert.match(t.networkInterface!.attachmentId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const bridge = newTask({ clusterName: 'c', td: { ...td, networkMode: 'bridge' }, containerInstanceId: 'i', group: 'g', now: 1 });
    assert.equal(bridge.networkInterface, undefined);
    assert.equal(bridge.launchType, 'EC2');
  });
});

describe('environmentFiles from the secrets store', () => {
  it('parses the .env format ECS reads: comments and blanks skipped, the value after the first =, unquoted', () => {
    assert.deepEqual(parseEnvironmentFile('# c\n\nA=1\nB = x=y \r\n  C=\nnovalue\n=bad\n'), [
      { name: 'A', value: '1' },
      { name: 'B', value: ' x=y ' },
      { name: 'C', value: '' },
    ]);
  });
  it('takes secrets-store ARNs only', () => {
    assert.equal(isSecretsStoreEnvironmentFile('arn:aws:secretsmanager:us-east-1:000000000000:secret:app-env-AbCdEf'), true);
    assert.equal(isSecretsStoreEnvironmentFile('arn:aws:s3:::bucket/app.env'), false);
  });
});
