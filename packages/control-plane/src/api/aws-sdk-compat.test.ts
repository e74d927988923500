import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ECSClient,
  CreateClusterCommand,
  DescribeClustersCommand,
  RegisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  DescribeTasksCommand,
  ClusterNotFoundException,
  ClientException,
  paginateListClusters,
} from '@aws-sdk/client-ecs';
import { startTestControlPlane } from '../testing/harness';

// The AWS SDK for JavaScript, unchanged, pointed at Stevedore: the proof that
// the API speaks ECS's own protocol (shapes, timestamps, error types).
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let ecs: ECSClient;
before(async () => {
  h = await startTestControlPlane();
  // The admin key the control plane wrote on first start, as a user would use it.
  ecs = new ECSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
});
after(async () => {
  ecs.destroy();
  await h.cp.stop();
});

test('the AWS SDK ECS client creates, describes and pages clusters', async () => {
  const created = await ecs.send(new CreateClusterCommand({ clusterName: 'sdk' }));
  assert.equal(created.cluster?.clusterName, 'sdk');
  const described = await ecs.send(new DescribeClustersCommand({ clusters: ['sdk', 'missing'] }));
  assert.equal(described.clusters?.[0]?.status, 'ACTIVE');
  assert.equal(described.failures?.[0]?.reason, 'MISSING');
  for (const n of ['sdk2', 'sdk3']) await ecs.send(new CreateClusterCommand({ clusterName: n }));
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client: ecs, pageSize: 1 }, {})) arns.push(...(page.clusterArns ?? []));
  assert.ok(['sdk', 'sdk2', 'sdk3'].every((n) => arns.some((a) => a.endsWith(`/${n}`))));
});

test('the AWS SDK gets task definitions with dates and typed errors', async () => {
  const reg = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'sdkweb',
      containerDefinitions: [{ name: 'web', image: 'img', memory: 64, portMappings: [{ containerPort: 80 }] }],
    }),
  );
  assert.equal(reg.taskDefinition?.revision, 1);
  assert.ok(reg.taskDefinition?.registeredAt instanceof Date);
  const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'sdkweb:1' }));
  assert.equal(d.taskDefinition?.containerDefinitions?.[0]?.portMappings?.[0]?.protocol, 'tcp');
  const list = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'sdkweb' }));
  assert.equal(list.taskDefinitionArns?.length, 1);
  await assert.rejects(ecs.send(new DescribeTasksCommand({ cluster: 'nope', tasks: ['x'] })), (e) => e instanceof ClusterNotFoundException);
  await assert.rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nothere' })), (e) => e instanceof ClientException);
});

test('the AWS SDK is refused with a wrong secret (InvalidSignatureException) or an unknown key (UnrecognizedClientException)', async () => {
  const wrongSecret = new ECSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { ...h.admin!, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, maxAttempts: 1 });
  const unknownKey = new ECSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  try {
    await assert.rejects(wrongSecret.send(new DescribeClustersCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'InvalidSignatureException');
      assert.match(e.message, /signature we calculated does not match/);
      assert.equal(e.$metadata?.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(unknownKey.send(new DescribeClustersCommand({})), (e: Error) => e.name === 'UnrecognizedClientException');
  } finally {
    wrongSecret.destroy();
    unknownKey.destroy();
  }
});
