import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, evaluateQuery, parseQuery, type QueryTarget } from './query-language';
import { instance } from '../service/test-builders';
import { validateRegisterTaskDefinition } from '../validation/register-task-definition';

const target: QueryTarget = {
  instance: instance('a', {
    ec2InstanceId: 'i-abcd1234',
    registeredAt: Date.parse('2018-06-18T22:28:28Z'),
    versionInfo: { agentVersion: '1.14.5', dockerVersion: '20.10' },
    attributes: [
      { name: 'ecs.availability-zone', value: 'us-east-1a' },
      { name: 'ecs.instance-type', value: 't2.micro' },
      { name: 'stack', value: 'prod' },
      { name: 'gpu.count', value: '4' },
      { name: 'ecs.capability.task-eni' },
    ],
  }),
  runningTasksCount: 1,
  taskGroups: ['service:production', 'family:web'],
};

const matches = (e: string) => evaluateQuery(parseQuery(e), target);

test('query language: every subject and operator, with their word forms', () => {
  const table: [string, boolean][] = [
    ['attribute:ecs.instance-type =~ t2.*', true],
    ['attribute:ecs.instance-type matches t3.*', false],
    ['attribute:ecs.instance-type !~ t3.*', true],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', true],
    ["attribute:ecs.availability-zone not_in ['us-east-1a']", false],
    ['attribute:ecs.availability-zone !in [us-east-1c]', true],
    ['task:group == service:production', true],
    ['not(task:group == database)', true],
    ['!(task:group == service:production)', false],
    ['task:group != service:production', false],
    ['runningTasksCount == 1', true],
    ['runningTasksCount > 0 and runningTasksCount <= 1', true],
    ['runningTasksCount greater_than 1', false],
    ['agentVersion < 1.14.10', true],
    ['agentVersion >= 1.14.5', true],
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", true],
    ['ec2InstanceId == i-other', false],
    ['registeredAt < 2018-06-19', true],
    ['registeredAt > 2018-06-18T22:28:27+00:00', true],
    ['registeredAt >= 2018-06-18T22:28:29', false],
    ['agentConnected == true', true],
    ['agentConnected equals false', false],
    ['attribute:stack exists', true],
    ['attribute:ecs.capability.task-eni exists', true],
    ['attribute:missing exists', false],
    ['attribute:missing !exists', true],
    ['attribute:missing not_exists', true],
    ['attribute:missing != anything', true],
    ['attribute:missing == anything', false],
    ['attribute:gpu.count > 3', true],
    ['attribute:gpu.count > 10', false],
    ['attribute:stack == prod && attribute:ecs.availability-zone == us-east-1b || runningTasksCount == 1', true],
    ['attribute:stack == prod and (attribute:ecs.availability-zone == us-east-1b or runningTasksCount == 2)', false],
    ['attribute:ecs.instance-type =~ (t2|t3)\\..*', true],
  ];
  for (const [expr, want] of table) assert.equal(matches(expr), want, expr);
});

test('query language: errors point at the character position', () => {
  const cases: [string, RegExp][] = [
    ['attribute:stack == prod and attribute:zone', /^Invalid expression at position 43: expected an operator/],
    ['attribute:stack === prod', /^Invalid expression at position 19: expected a value but found '='/],
    ['colour == red', /^Invalid expression at position 1: expected a subject/],
    ['attribute:a in a, b', /position 16: expected a list/],
    ['(attribute:a == b', /position 18: expected '\)'/],
    ['attribute:a == b or', /position 20: expected a subject/],
    ['runningTasksCount > many', /position 21: expected a whole number/],
    ['registeredAt < yesterday', /position 16: expected a date/],
    ['attribute:a =~ [unclosed', /position 16: expected a valid regular expression/],
    ['attribute:a == b c', /position 18: expected 'and', 'or' or the end/],
    ['', /position 1: expected an expression/],
  ];
  for (const [expr, re] of cases) {
    assert.throws(() => parseQuery(expr), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'InvalidParameterException');
      assert.match(e.message, re, expr);
      return true;
    });
  }
});

test('versions compare segment by segment', () => {
  assert.equal(compareVersions('1.14.5', '1.14.10'), -1);
  assert.equal(compareVersions('1.2', '1.2.0'), 0);
  assert.equal(compareVersions('2.0.0', '1.99.99'), 1);
});

test('RegisterTaskDefinition refuses a memberOf expression that does not parse, with its position', () => {
  assert.throws(
    () =>
      validateRegisterTaskDefinition({
        family: 'f',
        containerDefinitions: [{ name: 'a', image: 'i', memory: 8 }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ==' }],
      }),
    /placementConstraints\[0\]\.expression: Invalid expression at position 15: expected a value/,
  );
});
