import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

const SV = 'Stevedore_20261125.';
const ARN = 'arn:aws:ecs:us-east-1:000000000000';
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: SimAgent;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'tags', tags: [{ key: 'env', value: 'test' }] });
  await h.call('RegisterTaskDefinition', { family: 'tagged', containerDefinitions: [{ name: 'w', image: 'img', memory: 64 }], tags: [{ key: 'owner', value: 'td' }] });
  agent = new SimAgent(h.agentAddress, { cluster: 'tags', ec2InstanceId: 'tags-host' });
  await agent.start();
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

const list = async (resourceArn: string) => {
  const r = await h.call('ListTagsForResource', { resourceArn });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['tags'] as { key: string; value?: string }[];
};

test('TagResource, UntagResource and ListTagsForResource on every taggable kind of resource', async () => {
  const instances = await eventually(async () => ((await h.call('ListContainerInstances', { cluster: 'tags' })).body['containerInstanceArns'] as string[])[0], 'an instance');
  const run = await eventually(async () => {
    const r = await h.call('RunTask', { cluster: 'tags', taskDefinition: 'tagged', tags: [{ key: 'job', value: 'a' }] });
    return r.body['tasks']?.length === 1 && r;
  }, 'a task placed (the agent connected)');
  const taskArn = run.body['tasks'][0].taskArn as string;
  await h.call('CreateService', { cluster: 'tags', serviceName: 'svc', taskDefinition: 'tagged', desiredCount: 0, tags: [{ key: 's', value: '1' }] });
  const resources = [`${ARN}:cluster/tags`, `${ARN}:service/tags/svc`, taskArn, `${ARN}:task-definition/tagged:1`, instances];
  for (const resourceArn of resources) {
    const before = await list(resourceArn);
    const t = await h.call('TagResource', { resourceArn, tags: [{ key: 'team', value: 'blue' }, { key: 'empty', value: '' }] });
    assert.equal(t.status, 200, `${resourceArn}: ${JSON.stringify(t.body)}`);
    assert.deepEqual(await list(resourceArn), [...before, { key: 'team', value: 'blue' }, { key: 'empty', value: '' }], resourceArn);
    await h.call('TagResource', { resourceArn, tags: [{ key: 'team', value: 'red' }] });
    const u = await h.call('UntagResource', { resourceArn, tagKeys: ['empty', 'never-there'] });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.deepEqual(await list(resourceArn), [...before, { key: 'team', value: 'red' }], resourceArn);
  }
  // What the Describe calls show with include TAGS.
  const d = await h.call('DescribeContainerInstances', { cluster: 'tags', containerInstances: [instances], include: ['TAGS'] });
  assert.deepEqual(d.body['containerInstances'][0].tags, [{ key: 'team', value: 'red' }]);
  const dt = await h.call('DescribeTasks', { cluster: 'tags', tasks: [taskArn], include: ['TAGS'] });
  assert.deepEqual(dt.body['tasks'][0].tags, [{ key: 'job', value: 'a' }, { key: 'team', value: 'red' }]);
});

test("an agent's --container-instance-tags are its new instance's tags; after that TagResource owns them, through re-registrations", async () => {
  const tagged = new SimAgent(h.agentAddress, { cluster: 'tags', ec2InstanceId: 'rack-host', tags: { rack: 'r1', room: 'b' } });
  await tagged.start();
  try {
    const arn = `${ARN}:container-instance/tags/${tagged.instanceId}`;
    assert.deepEqual(await list(arn), [{ key: 'rack', value: 'r1' }, { key: 'room', value: 'b' }]);
    await h.call('UntagResource', { resourceArn: arn, tagKeys: ['room'] });
    await h.call('TagResource', { resourceArn: arn, tags: [{ key: 'rack', value: 'r2' }] });
    await tagged.revive();
    assert.deepEqual(await list(arn), [{ key: 'rack', value: 'r2' }], "the operator's change stands after the agent registers again");
  } finally {
    tagged.close();
  }
});

test('tag limits and errors as ECS: 50 tags, key and value lengths, aws: prefix, unknown resources', async () => {
  const resourceArn = `${ARN}:cluster/tags`;
  const cases: [unknown, string, RegExp][] = [
    [{ resourceArn, tags: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }, 'InvalidParameterException', /50 tags/],
    [{ resourceArn, tags: [{ key: 'x'.repeat(129), value: 'v' }] }, 'InvalidParameterException', /tags\[0\]\.key/],
    [{ resourceArn, tags: [{ key: 'k', value: 'v'.repeat(257) }] }, 'InvalidParameterException', /tags\[0\]\.value/],
    // As RegisterTaskDefinition refuses it (core readTags).
    [{ resourceArn, tags: [{ key: 'AWS:thing', value: 'v' }] }, 'ClientException', /aws:/],
    [{ resourceArn, tags: [{ key: 'bad#char', value: 'v' }] }, 'InvalidParameterException', /tags\[0\]\.key/],
    [{ resourceArn }, 'InvalidParameterException', /tags/],
    [{ resourceArn: 'not-an-arn', tags: [{ key: 'k' }] }, 'InvalidParameterException', /ARN provided is invalid/],
    [{ resourceArn: `${ARN}:cluster/nope`, tags: [{ key: 'k' }] }, 'ClusterNotFoundException', /Cluster not found/],
    [{ resourceArn: `${ARN}:service/tags/nope`, tags: [{ key: 'k' }] }, 'ResourceNotFoundException', /not found/],
    [{ resourceArn: `${ARN}:task-definition/tagged:99`, tags: [{ key: 'k' }] }, 'ResourceNotFoundException', /not found/],
  ];
  for (const [body, type, message] of cases) {
    const r = await h.call('TagResource', body);
    assert.equal(r.body['__type'], type, JSON.stringify(body).slice(0, 200));
    assert.match(r.body['message'], message);
  }
  const u = await h.call('UntagResource', { resourceArn, tagKeys: ['aws:ecs:clusterName'] });
  assert.equal(u.body['__type'], 'InvalidParameterException');
  assert.equal((await h.call('ListTagsForResource', { resourceArn: `${ARN}:service/tags/nope` })).body['__type'], 'InvalidParameterException');
  // Nothing of the refused calls stuck.
  assert.deepEqual(await list(resourceArn), [{ key: 'env', value: 'test' }, { key: 'team', value: 'red' }]);
});

test('propagateTags and enableECSManagedTags on RunTask and on a service', async () => {
  const run = await h.call('RunTask', { cluster: 'tags', taskDefinition: 'tagged', propagateTags: 'TASK_DEFINITION', enableECSManagedTags: true, tags: [{ key: 'owner', value: 'me' }] });
  // The revision's tags (its own, and team=red from the first test); the request's win.
  assert.deepEqual(await list(run.body['tasks'][0].taskArn), [{ key: 'owner', value: 'me' }, { key: 'team', value: 'red' }, { key: 'aws:ecs:clusterName', value: 'tags' }]);
  const run2 = await h.call('RunTask', { cluster: 'tags', taskDefinition: 'tagged', propagateTags: 'TASK_DEFINITION' });
  assert.deepEqual(await list(run2.body['tasks'][0].taskArn), [{ key: 'owner', value: 'td' }, { key: 'team', value: 'red' }]);
  const run3 = await h.call('RunTask', { cluster: 'tags', taskDefinition: 'tagged' });
  assert.deepEqual(await list(run3.body['tasks'][0].taskArn), []);
  await h.call('CreateService', {
    cluster: 'tags', serviceName: 'prop', taskDefinition: 'tagged', desiredCount: 1, propagateTags: 'SERVICE', enableECSManagedTags: true, tags: [{ key: 'tier', value: 'web' }],
  });
  const arn = await eventually(async () => ((await h.call('ListTasks', { cluster: 'tags', serviceName: 'prop' })).body['taskArns'] as string[])[0], 'a service task', 15_000);
  assert.deepEqual(await list(arn), [{ key: 'tier', value: 'web' }, { key: 'aws:ecs:clusterName', value: 'tags' }, { key: 'aws:ecs:serviceName', value: 'prop' }]);
});

test('tag operations are authorized per resource ARN', async () => {
  const policy = { Statement: [{ Effect: 'Allow', Action: ['ecs:TagResource', 'ecs:ListTagsForResource'], Resource: [`${ARN}:cluster/tags`] }] };
  await h.call('CreateRole', { roleName: 'cluster-tagger', policyDocument: JSON.stringify(policy) }, `${SV}CreateRole`);
  const key = (await h.call('CreateAccessKey', { roleName: 'cluster-tagger' }, `${SV}CreateAccessKey`)).body['accessKey'];
  const ok = await h.callAs(key, 'TagResource', { resourceArn: `${ARN}:cluster/tags`, tags: [{ key: 'by', value: 'tagger' }] });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const denied = await h.callAs(key, 'TagResource', { resourceArn: `${ARN}:service/tags/svc`, tags: [{ key: 'by', value: 'tagger' }] });
  assert.equal(denied.body['__type'], 'AccessDeniedException');
  const untag = await h.callAs(key, 'UntagResource', { resourceArn: `${ARN}:cluster/tags`, tagKeys: ['by'] });
  assert.equal(untag.body['__type'], 'AccessDeniedException');
});
