import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStevedoreError } from '../errors';
import { ecsManagedTags, isAwsReservedKey, mergeTags, newTaskTags, tagResource, untagResource } from './tag-set';

const tags = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: String(i) }));

test('aws: is reserved in every case', () => {
  for (const [key, reserved] of [['aws:x', true], ['AWS:x', true], ['Aws:ecs:clusterName', true], ['awsx', false], ['team', false]] as const) {
    assert.equal(isAwsReservedKey(key), reserved, key);
  }
});

test('TagResource adds, a known key gets the new value, order is kept', () => {
  const next = tagResource([{ key: 'a', value: '1' }, { key: 'b', value: '2' }], [{ key: 'b', value: 'two' }, { key: 'c' }]);
  assert.deepEqual(next, [{ key: 'a', value: '1' }, { key: 'b', value: 'two' }, { key: 'c' }]);
});

test('TagResource refuses a 51st tag, and aws: managed tags do not count', () => {
  assert.equal(tagResource(tags(49), [{ key: 'x', value: '' }]).length, 50);
  assert.throws(() => tagResource(tags(50), [{ key: 'x' }]), (e) => isStevedoreError(e) && e.code === 'InvalidParameterException' && /50 tags/.test(e.message));
  const withManaged = [...tags(50), ...ecsManagedTags('c', 's')];
  assert.equal(tagResource(withManaged, [{ key: 'k3', value: 'new' }]).length, 52);
});

test('UntagResource removes the keys given, ignores unknown ones, refuses aws: keys', () => {
  assert.deepEqual(untagResource([{ key: 'a', value: '1' }, { key: 'b' }], ['b', 'nope']), [{ key: 'a', value: '1' }]);
  assert.throws(() => untagResource(ecsManagedTags('c'), ['aws:ecs:clusterName']), (e) => isStevedoreError(e) && e.field === 'tagKeys[0]');
});

test('new task tags: propagation source, request tags win, managed tags last', () => {
  const td = [{ key: 'from', value: 'td' }, { key: 'team', value: 'td' }];
  const svc = [{ key: 'from', value: 'service' }];
  const cases = [
    { propagateTags: 'NONE', managed: false, want: [{ key: 'team', value: 'req' }] },
    { propagateTags: 'TASK_DEFINITION', managed: false, want: [{ key: 'from', value: 'td' }, { key: 'team', value: 'req' }] },
    { propagateTags: 'SERVICE', managed: false, want: [{ key: 'from', value: 'service' }, { key: 'team', value: 'req' }] },
    {
      propagateTags: 'SERVICE',
      managed: true,
      want: [{ key: 'from', value: 'service' }, { key: 'team', value: 'req' }, { key: 'aws:ecs:clusterName', value: 'prod' }, { key: 'aws:ecs:serviceName', value: 'web' }],
    },
  ] as const;
  for (const c of cases) {
    const got = newTaskTags({
      clusterName: 'prod',
      serviceName: 'web',
      propagateTags: c.propagateTags,
      enableECSManagedTags: c.managed,
      taskDefinitionTags: td,
      serviceTags: svc,
      requestTags: [{ key: 'team', value: 'req' }],
    });
    assert.deepEqual(got, c.want, `${c.propagateTags} managed=${c.managed}`);
  }
  // A RunTask task: only the cluster's name.
  assert.deepEqual(newTaskTags({ clusterName: 'prod', propagateTags: 'NONE', enableECSManagedTags: true, taskDefinitionTags: [] }), [{ key: 'aws:ecs:clusterName', value: 'prod' }]);
});

test('mergeTags drops nothing but duplicates', () => {
  assert.deepEqual(mergeTags([{ key: 'a' }], [], [{ key: 'a', value: 'v' }]), [{ key: 'a', value: 'v' }]);
});
