import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ECSClient,
  CreateClusterCommand,
  RegisterTaskDefinitionCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  UpdateServiceCommand,
  DeleteServiceCommand,
  PutAttributesCommand,
  ListAttributesCommand,
  UpdateContainerInstancesStateCommand,
  ListContainerInstancesCommand,
  InvalidParameterException,
  ServiceNotFoundException,
  paginateListServices,
} from '@aws-sdk/client-ecs';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

// The AWS SDK, unchanged, on the service and attribute operations: shapes,
// timestamps and error types as ECS's own model declares them.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let ecs: ECSClient;
let agent: SimAgent;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 500 });
  ecs = new ECSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
  await ecs.send(new CreateClusterCommand({ clusterName: 'sdksvc' }));
  await ecs.send(new RegisterTaskDefinitionCommand({ family: 'sdkweb', containerDefinitions: [{ name: 'web', image: 'img', memory: 64 }] }));
  agent = new SimAgent(h.agentAddress, { cluster: 'sdksvc', ec2InstanceId: 'sdk-host' });
  await agent.start();
});
after(async () => {
  agent.close();
  ecs.destroy();
  await h.cp.stop();
});

test('the AWS SDK creates, describes, pages, updates and deletes services', async () => {
  const created = await ecs.send(new CreateServiceCommand({ cluster: 'sdksvc', serviceName: 'web', taskDefinition: 'sdkweb', desiredCount: 2, placementStrategy: [{ type: 'binpack', field: 'memory' }] }));
  assert.equal(created.service?.status, 'ACTIVE');
  assert.ok(created.service?.createdAt instanceof Date);
  assert.match(created.service?.deployments?.[0]?.id ?? '', /^ecs-svc\/\d{19}$/);
  const steady = await eventually(async () => {
    const d = await ecs.send(new DescribeServicesCommand({ cluster: 'sdksvc', services: ['web', 'missing'] }));
    return d.services?.[0]?.runningCount === 2 && d;
  }, 'two running');
  assert.equal(steady.failures?.[0]?.reason, 'MISSING');
  assert.equal(steady.services?.[0]?.deploymentConfiguration?.maximumPercent, 200);
  assert.ok(steady.services?.[0]?.events?.[0]?.createdAt instanceof Date);
  for (const n of ['b', 'c']) await ecs.send(new CreateServiceCommand({ cluster: 'sdksvc', serviceName: n, taskDefinition: 'sdkweb', desiredCount: 0 }));
  const arns: string[] = [];
  for await (const page of paginateListServices({ client: ecs, pageSize: 1 }, { cluster: 'sdksvc' })) arns.push(...(page.serviceArns ?? []));
  assert.deepEqual(arns.map((a) => a.split('/').pop()).sort(), ['b', 'c', 'web']);
  const updated = await ecs.send(new UpdateServiceCommand({ cluster: 'sdksvc', service: 'web', desiredCount: 1 }));
  assert.equal(updated.service?.desiredCount, 1);
  await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: 'sdksvc', service: 'nope', desiredCount: 1 })), (e) => e instanceof ServiceNotFoundException);
  await assert.rejects(ecs.send(new DeleteServiceCommand({ cluster: 'sdksvc', service: 'web' })), (e) => e instanceof InvalidParameterException);
  const del = await ecs.send(new DeleteServiceCommand({ cluster: 'sdksvc', service: 'web', force: true }));
  assert.equal(del.service?.status, 'DRAINING');
});

test('the AWS SDK puts and lists attributes, filters instances and drains them', async () => {
  await ecs.send(new PutAttributesCommand({ cluster: 'sdksvc', attributes: [{ name: 'stack', value: 'prod', targetType: 'container-instance', targetId: agent.instanceId }] }));
  const listed = await ecs.send(new ListAttributesCommand({ cluster: 'sdksvc', targetType: 'container-instance', attributeName: 'stack' }));
  assert.equal(listed.attributes?.[0]?.value, 'prod');
  const filtered = await ecs.send(new ListContainerInstancesCommand({ cluster: 'sdksvc', filter: 'attribute:stack == prod and agentConnected == true' }));
  assert.equal(filtered.containerInstanceArns?.length, 1);
  await assert.rejects(ecs.send(new ListContainerInstancesCommand({ cluster: 'sdksvc', filter: 'attribute:stack ===' })), (e: Error) => e instanceof InvalidParameterException && /position 19: expected a value/.test(e.message));
  const drained = await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'sdksvc', containerInstances: [agent.instanceId], status: 'DRAINING' }));
  assert.equal(drained.containerInstances?.[0]?.status, 'DRAINING');
});
