import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, expectRejection } from './fixtures';
import { applyOverrides, mergeEnvironment, validateOverrides } from './overrides';
import { taskReservation } from './task-reservation';

const c = build.container;
const P = 'InvalidParameterException' as const;
const C = 'ClientException' as const;

const twoContainers = () =>
  build.validated({
    containerDefinitions: [
      c({ cpu: 256, memory: 512, memoryReservation: 256, command: ['serve'], environment: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }),
      c({ name: 'side', cpu: 128, memory: 128 }),
    ],
  });

describe('validateOverrides', () => {
  it('treats absent overrides as none', () => {
    assert.deepEqual(validateOverrides(undefined, twoContainers()), {});
    assert.deepEqual(validateOverrides(null, twoContainers()), {});
  });

  it('accepts every ECS override member and normalizes task cpu and memory', () => {
    const overrides = {
      containerOverrides: [
        {
          name: 'web',
          command: ['serve', '--debug'],
          environment: [{ name: 'B', value: 'two' }],
          environmentFiles: [{ value: 'arn:aws:s3:::b/x.env', type: 's3' }],
          cpu: 512,
          memory: 1024,
          memoryReservation: 512,
          resourceRequirements: [{ type: 'GPU', value: '1' }],
        },
      ],
      cpu: '1 vCPU',
      memory: '2 GB',
      taskRoleArn: 'arn:aws:iam::1:role/a',
      executionRoleArn: 'arn:aws:iam::1:role/b',
      ephemeralStorage: { sizeInGiB: 21 },
      inferenceAcceleratorOverrides: [{ deviceName: 'd', deviceType: 'eia2.medium' }],
    };
    assert.deepEqual(validateOverrides(overrides, twoContainers()), { ...overrides, cpu: '1024', memory: '2048' });
  });

  const cases: [name: string, raw: unknown, code: 'ClientException' | 'InvalidParameterException', field: string, fragments: string[]][] = [
    ['overrides not an object', [], P, 'overrides', ['expected TaskOverride object']],
    ['unknown container name', { containerOverrides: [{ name: 'db' }] }, P, 'overrides.containerOverrides[0].name', ['Override for container named db is not a container in the TaskDefinition.']],
    ['container name missing', { containerOverrides: [{ cpu: 1 }] }, P, 'overrides.containerOverrides[0].name', ['is required']],
    ['container overridden twice', { containerOverrides: [{ name: 'web' }, { name: 'web' }] }, P, 'overrides.containerOverrides[1].name', ['more than once']],
    ['cpu as a string', { containerOverrides: [{ name: 'web', cpu: '512' }] }, P, 'overrides.containerOverrides[0].cpu', ['expected an integer']],
    ['command as a string', { containerOverrides: [{ name: 'web', command: 'serve' }] }, P, 'overrides.containerOverrides[0].command', ['expected an array']],
    ['environment value not a string', { containerOverrides: [{ name: 'web', environment: [{ name: 'A', value: 1 }] }] }, P, 'overrides.containerOverrides[0].environment[0].value', ['expected a string']],
    ['task cpu not a quantity', { cpu: 'fast' }, P, 'overrides.cpu', ['"fast" is not valid']],
    ['memory under the reservation it keeps', { containerOverrides: [{ name: 'web', memory: 128 }] }, C, 'overrides.containerOverrides[0].memory', ["'memory' must be greater than or equal to 'memoryReservation'"]],
    ['memory under the Docker minimum', { containerOverrides: [{ name: 'side', memory: 4 }] }, C, 'overrides.containerOverrides[0].memory', ["Invalid 'memory' setting for container 'side'."]],
    ['container cpu above the task cpu', { cpu: '256', containerOverrides: [{ name: 'web', cpu: 256 }] }, C, 'overrides.cpu', ["The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."]],
    [
      'container memory above the task memory',
      { memory: '512', containerOverrides: [{ name: 'side', memory: 512 }] },
      C,
      'overrides.memory',
      ["cannot be greater than the value of the task 'memory'", '768'],
    ],
  ];
  it('ignores members TaskOverride and ContainerOverride do not have, as ECS does', () => {
    assert.deepEqual(validateOverrides({ cpus: '1', containerOverrides: [{ name: 'web', image: 'x', command: ['a'] }] }, twoContainers()), validateOverrides({ containerOverrides: [{ name: 'web', command: ['a'] }] }, twoContainers()));
  });
  for (const [name, raw, code, field, message] of cases) {
    it(`rejects ${name}`, () => expectRejection(() => validateOverrides(raw, twoContainers()), { code, field, message }));
  }

  it('rejects overrides longer than 8192 characters of JSON with the ECS wording', () => {
    const raw = { containerOverrides: [{ name: 'web', environment: [{ name: 'BIG', value: 'x'.repeat(8200) }] }] };
    expectRejection(() => validateOverrides(raw, twoContainers()), { code: P, field: 'overrides', message: ['Container Overrides length must be at most 8192'] });
  });
});

describe('applyOverrides', () => {
  it('returns copies of the containers when nothing is overridden', () => {
    const td = twoContainers();
    const resolved = applyOverrides(td);
    assert.deepEqual(resolved, td.containerDefinitions);
    resolved[0]!.environment!.push({ name: 'X', value: 'y' });
    assert.equal(td.containerDefinitions[0]!.environment!.length, 2, 'the registered revision is never modified');
  });

  it('replaces command and resources, merges environment by name', () => {
    const td = twoContainers();
    const resolved = applyOverrides(td, {
      containerOverrides: [{ name: 'web', command: ['serve', '-v'], environment: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], cpu: 512, memory: 1024 }],
    });
    assert.deepEqual(resolved[0]!.command, ['serve', '-v']);
    assert.deepEqual(resolved[0]!.environment, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    assert.equal(resolved[0]!.cpu, 512);
    assert.equal(resolved[0]!.memory, 1024);
    assert.equal(resolved[0]!.memoryReservation, 256);
    assert.deepEqual(resolved[1], td.containerDefinitions[1]);
  });

  it('adds an environment to a container that had none', () => {
    assert.deepEqual(mergeEnvironment(undefined, [{ name: 'A', value: '1' }]), [{ name: 'A', value: '1' }]);
  });
});

describe('taskReservation', () => {
  it('sums container cpu and memoryReservation-else-memory when the task sets neither', () => {
    assert.deepEqual(taskReservation(twoContainers()), { cpu: 384, memory: 384, hostPorts: [] });
  });

  it('uses the task-level values when set, each on its own', () => {
    const td = build.validated({ cpu: '1 vCPU', containerDefinitions: [c({ cpu: 128, memory: 300 })] });
    assert.deepEqual(taskReservation(td), { cpu: 1024, memory: 300, hostPorts: [] });
    assert.deepEqual(taskReservation(build.validated({ memory: '2 GB' })), { cpu: 0, memory: 2048, hostPorts: [] });
  });

  it('counts overridden values', () => {
    const td = twoContainers();
    assert.deepEqual(taskReservation(td, { containerOverrides: [{ name: 'side', cpu: 512, memoryReservation: 64 }] }), { cpu: 768, memory: 320, hostPorts: [] });
    assert.deepEqual(taskReservation(td, { cpu: '2048', memory: '4096' }), { cpu: 2048, memory: 4096, hostPorts: [] });
  });

  it('reserves static bridge host ports only', () => {
    const td = build.validated({
      containerDefinitions: [c({ portMappings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }, { containerPort: 82, hostPort: 0 }, { containerPort: 53, hostPort: 53, protocol: 'udp' }] })],
    });
    assert.deepEqual(taskReservation(td).hostPorts, [{ port: 8080, protocol: 'tcp' }, { port: 53, protocol: 'udp' }]);
  });

  it('reserves the container ports in host mode and nothing in awsvpc mode', () => {
    const mappings = { containerDefinitions: [c({ portMappings: [{ containerPort: 9000 }, { containerPort: 9001, protocol: 'udp' }] })] };
    assert.deepEqual(taskReservation(build.validated({ ...mappings, networkMode: 'host' })).hostPorts, [{ port: 9000, protocol: 'tcp' }, { port: 9001, protocol: 'udp' }]);
    assert.deepEqual(taskReservation(build.validated({ ...mappings, networkMode: 'awsvpc' })).hostPorts, []);
  });
});
