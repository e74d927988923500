import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBounded, type PolicyDocument } from './policy-evaluation';

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });

test('a permissions boundary only narrows: both must allow, a Deny in either wins, no boundary leaves the policy alone', () => {
  const policy = doc({ Effect: 'Allow', Action: ['elasticloadbalancing:*'], Resource: ['*'] });
  const boundary = doc({ Effect: 'Allow', Action: ['elasticloadbalancing:RegisterTargets'], Resource: ['arn:tg/a'] }, { Effect: 'Deny', Action: ['*'], Resource: ['arn:tg/b'] });
  const cases: [string, string, PolicyDocument | undefined, string][] = [
    ['elasticloadbalancing:RegisterTargets', 'arn:tg/a', boundary, 'allow'],
    ['elasticloadbalancing:RegisterTargets', 'arn:tg/c', boundary, 'implicit-deny'],
    ['elasticloadbalancing:RegisterTargets', 'arn:tg/b', boundary, 'explicit-deny'],
    ['elasticloadbalancing:DeregisterTargets', 'arn:tg/a', boundary, 'implicit-deny'],
    ['elasticloadbalancing:DeregisterTargets', 'arn:tg/a', undefined, 'allow'],
    ['ecs:RunTask', 'arn:tg/a', doc({ Effect: 'Allow', Action: ['*'], Resource: ['*'] }), 'implicit-deny'],
  ];
  for (const [action, resource, b, want] of cases) assert.equal(evaluateBounded(policy, b, action, resource), want, `${action} ${resource}`);
});
