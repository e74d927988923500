import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext } from '@stevedore/core';
import { BUILT_IN_ROLES, deployerPolicy, evaluate, parsePolicyDocument, wildcardMatch, type Decision, type PolicyDocument } from './policy';
import { actionOf, resourcesOf, ANY_RESOURCE, NO_LOOKUPS, OPERATION_RESOURCES, type ResourceLookups } from './operation-resources';
import { ACTIONS } from '../router';

const admin = BUILT_IN_ROLES.get('admin')!.policyDocument;
const readOnly = BUILT_IN_ROLES.get('read-only')!.policyDocument;
const deployer = deployerPolicy(['prod']);
const webOnly = deployerPolicy(['prod'], ['web']);
const ECS = 'AmazonEC2ContainerServiceV20141113.';
const SV = 'Stevedore_20261125.';

/** The decision for one request, as the API makes it: every resource must be allowed. */
function decide(policy: PolicyDocument, target: string, body: Record<string, unknown>, lookups: ResourceLookups = NO_LOOKUPS): Decision {
  const action = actionOf(target)!;
  const decisions = resourcesOf(action, body, defaultArnContext, lookups).map((r) => evaluate(policy, action, r));
  return decisions.find((d) => d !== 'allow') ?? 'allow';
}

test('policy evaluation: built-in roles and the deployer template, request by request', () => {
  const table: [string, PolicyDocument, string, Record<string, unknown>, Decision][] = [
    ['admin runs anything', admin, `${ECS}RunTask`, { cluster: 'prod' }, 'allow'],
    ['admin manages keys', admin, `${SV}CreateAccessKey`, { roleName: 'admin' }, 'allow'],
    ['read-only describes', readOnly, `${ECS}DescribeTasks`, { cluster: 'prod', tasks: ['x'] }, 'allow'],
    ['read-only lists', readOnly, `${ECS}ListClusters`, {}, 'allow'],
    ['read-only reads logs', readOnly, `${SV}GetTaskLogs`, { cluster: 'prod' }, 'allow'],
    ['read-only cannot RunTask', readOnly, `${ECS}RunTask`, { cluster: 'prod' }, 'implicit-deny'],
    ['read-only cannot create keys', readOnly, `${SV}CreateAccessKey`, { roleName: 'admin' }, 'implicit-deny'],
    ['read-only cannot delete a cluster', readOnly, `${ECS}DeleteCluster`, { cluster: 'prod' }, 'implicit-deny'],
    ['deployer runs tasks in its cluster', deployer, `${ECS}RunTask`, { cluster: 'prod', taskDefinition: 'web' }, 'allow'],
    ['deployer by cluster ARN', deployer, `${ECS}StopTask`, { cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/prod', task: 'x' }, 'allow'],
    ['deployer not in another cluster', deployer, `${ECS}RunTask`, { cluster: 'staging' }, 'implicit-deny'],
    ['deployer not in default (no cluster member)', deployer, `${ECS}RunTask`, {}, 'implicit-deny'],
    ['deployer with a malformed cluster member', deployer, `${ECS}RunTask`, { cluster: 5 }, 'implicit-deny'],
    ['deployer with a prefix trick', deployer, `${ECS}RunTask`, { cluster: 'prod2' }, 'implicit-deny'],
    ['deployer registers task definitions', deployer, `${ECS}RegisterTaskDefinition`, { family: 'web' }, 'allow'],
    ['deployer cannot deregister them', deployer, `${ECS}DeregisterTaskDefinition`, { taskDefinition: 'web:1' }, 'implicit-deny'],
    ['deployer updates a service', deployer, `${ECS}UpdateService`, { cluster: 'prod', service: 'web' }, 'allow'],
    ['deployer updates by service ARN', deployer, `${ECS}UpdateService`, { cluster: 'prod', service: 'arn:aws:ecs:us-east-1:000000000000:service/prod/web' }, 'allow'],
    ['deployer cannot delete a service', deployer, `${ECS}DeleteService`, { cluster: 'prod', service: 'web' }, 'implicit-deny'],
    ['deployer cannot create a cluster', deployer, `${ECS}CreateCluster`, { clusterName: 'prod' }, 'implicit-deny'],
    ['deployer describes only its clusters', deployer, `${ECS}DescribeClusters`, { clusters: ['prod', 'staging'] }, 'implicit-deny'],
    ['deployer cannot mint keys', deployer, `${SV}CreateAccessKey`, { roleName: 'admin' }, 'implicit-deny'],
    ['service-scoped deployer: its service', webOnly, `${ECS}UpdateService`, { cluster: 'prod', service: 'web' }, 'allow'],
    ['service-scoped deployer: another service', webOnly, `${ECS}UpdateService`, { cluster: 'prod', service: 'api' }, 'implicit-deny'],
    ['service-scoped deployer: services list with one foreign', webOnly, `${ECS}DescribeServices`, { cluster: 'prod', services: ['web', 'api'] }, 'implicit-deny'],
  ];
  for (const [name, policy, target, body, expected] of table) assert.equal(decide(policy, target, body), expected, name);
});

test('an explicit Deny wins over any Allow', () => {
  const p = parsePolicyDocument({
    Statement: [
      { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
      { Effect: 'Deny', Action: ['ecs:Delete*', 'ecs:Deregister*'], Resource: 'arn:aws:ecs:*:*:cluster/prod' },
    ],
  });
  assert.equal(decide(p, `${ECS}DeleteCluster`, { cluster: 'prod' }), 'explicit-deny');
  assert.equal(decide(p, `${ECS}DeleteCluster`, { cluster: 'dev' }), 'allow');
  assert.equal(decide(p, `${ECS}RunTask`, { cluster: 'prod' }), 'allow');
  assert.equal(decide(p, `${SV}ListRoles`, {}), 'implicit-deny');
});

test('Secrets Manager: read-only sees metadata, never values; resources are the stored ARNs, rebuilt in this region otherwise', () => {
  const SM = 'secretsmanager.';
  const stored = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf';
  const lookups: ResourceLookups = { secretArn: (id) => (id === 'prod/db' || id === stored ? stored : undefined) };
  assert.equal(decide(readOnly, `${SM}DescribeSecret`, { SecretId: 'prod/db' }, lookups), 'allow');
  assert.equal(decide(readOnly, `${SM}ListSecrets`, {}), 'allow');
  assert.equal(decide(readOnly, `${SM}GetSecretValue`, { SecretId: 'prod/db' }, lookups), 'implicit-deny');
  assert.equal(decide(deployer, `${SM}GetSecretValue`, { SecretId: 'prod/db' }, lookups), 'implicit-deny');
  // A Deny written the AWS way (name plus six-character suffix) holds for the name and for any ARN spelling.
  const p = parsePolicyDocument({
    Statement: [
      { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' },
      { Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-??????' },
    ],
  });
  assert.equal(decide(p, `${SM}GetSecretValue`, { SecretId: 'prod/db' }, lookups), 'explicit-deny');
  assert.equal(decide(p, `${SM}GetSecretValue`, { SecretId: stored }, lookups), 'explicit-deny');
  assert.equal(decide(p, `${SM}GetSecretValue`, { SecretId: 'dev/db' }, lookups), 'allow');
  const byName = parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }, { Effect: 'Deny', Action: '*', Resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/*' }] });
  assert.equal(decide(byName, `${SM}GetSecretValue`, { SecretId: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/other' }), 'explicit-deny', 'a foreign ARN is rebuilt in this region');
  assert.equal(decide(byName, `${SM}CreateSecret`, { Name: 'prod/new' }), 'explicit-deny');
});

test('wildcards: * and ? in resources (case-sensitive) and actions (case-insensitive), in linear time', () => {
  assert.equal(wildcardMatch('arn:aws:ecs:*:*:cluster/prod-?', 'arn:aws:ecs:us-east-1:1:cluster/prod-a', false), true);
  assert.equal(wildcardMatch('arn:aws:ecs:*:*:cluster/prod-?', 'arn:aws:ecs:us-east-1:1:cluster/prod-ab', false), false);
  assert.equal(wildcardMatch('arn:aws:ecs:*:*:cluster/Prod', 'arn:aws:ecs:us-east-1:1:cluster/prod', false), false);
  assert.equal(wildcardMatch('ecs:describe*', 'ecs:DescribeTasks', true), true);
  assert.equal(wildcardMatch('*', '', false), true);
  assert.equal(wildcardMatch('a*b*c', 'aXXbYYc', false), true);
  assert.equal(wildcardMatch('a*b*c', 'aXXbYY', false), false);
  const t0 = performance.now();
  assert.equal(wildcardMatch('*a'.repeat(30) + '*b', 'a'.repeat(2000), false), false);
  assert.ok(performance.now() - t0 < 500, 'a hostile pattern must not backtrack exponentially');
});

test('policy documents: JSON text or object, normalised; unsupported keys and bad shapes are refused by name', () => {
  const p = parsePolicyDocument('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}}');
  assert.deepEqual(p, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:List*'], Resource: ['*'] }] });
  const bad: [unknown, RegExp][] = [
    ['{not json', /not valid JSON/],
    [[], /must be a JSON object/],
    [{ Statement: [] }, /1-100 statements/],
    [{ Statement: [{ Effect: 'Allow', Action: 'ecs:RunTask', Resource: '*', Condition: {} }] }, /Statement\[0\]\.Condition is not supported/],
    [{ Statement: [{ Effect: 'Allow', NotAction: 'ecs:RunTask', Resource: '*' }] }, /NotAction is not supported/],
    [{ Statement: [{ Effect: 'Maybe', Action: 'ecs:RunTask', Resource: '*' }] }, /Effect must be Allow or Deny/],
    [{ Statement: [{ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }] }, /Action\[0\] is not a valid action/],
    [{ Statement: [{ Effect: 'Allow', Action: 'ecs:RunTask' }] }, /Resource is required/],
    [{ Statement: [{ Effect: 'Allow', Action: 'ecs:RunTask', Resource: 'cluster/prod' }] }, /Resource\[0\] is not a valid resource/],
    [{ Version: '2099-01-01', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, /Version/],
    [{ Principal: '*', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, /policyDocument\.Principal is not supported/],
    ['x'.repeat(20_000), /at most 10240/],
  ];
  for (const [doc, message] of bad) assert.throws(() => parsePolicyDocument(doc), message, JSON.stringify(doc).slice(0, 60));
});

test('every operation of the router has an entry in the authorization table', () => {
  const missing = Object.keys(ACTIONS).filter((target) => {
    const a = actionOf(target);
    return a === undefined || !OPERATION_RESOURCES.has(a);
  });
  assert.deepEqual(missing, [], 'add these operations to OPERATION_RESOURCES in api/auth/operation-resources.ts (the resources each one touches)');
  // An operation nobody mapped yet is unscoped: only "*" policies reach it.
  assert.deepEqual(resourcesOf('ecs:SomeFutureOperation', { cluster: 'prod' }, defaultArnContext), [ANY_RESOURCE]);
  assert.equal(actionOf('NotAnApi.RunTask'), undefined);
  // The API checks such a target as itself: only an Action "*" grant reaches it.
  assert.equal(evaluate(admin, 'NotAnApi.RunTask', ANY_RESOURCE), 'allow');
  assert.equal(evaluate(readOnly, 'NotAnApi.RunTask', ANY_RESOURCE), 'implicit-deny');
  assert.equal(evaluate(deployer, 'NotAnApi.RunTask', ANY_RESOURCE), 'implicit-deny');
});
