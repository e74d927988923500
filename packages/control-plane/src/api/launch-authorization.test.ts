import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext, validateRegisterTaskDefinition } from '@stevedore/core';
import { startTestControlPlane, FakeAgent } from '../testing/harness';
import type { AccessKey } from '../testing/signed-client';
import { BUILT_IN_ROLES, deployerPolicy, parsePolicyDocument, type PolicyDocument, type PolicyStatement } from './auth/policy';
import { ANY_RESOURCE } from './auth/operation-resources';
import { firstDenied, launchPermissions, roleResource, type LaunchPermission } from './launch-authorization';

const DB_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf';
const lookups = { secretArn: (id: string) => (id === 'db' || id === DB_ARN || id === 'arn:aws:secretsmanager:eu-west-1:1:secret:db' ? DB_ARN : undefined) };

const td = validateRegisterTaskDefinition({
  family: 'app',
  taskRoleArn: 'arn:aws:iam::123456789012:role/app',
  executionRoleArn: 'exec',
  containerDefinitions: [
    {
      name: 'a',
      image: 'i',
      memory: 32,
      secrets: [
        { name: 'A', valueFrom: 'db' },
        { name: 'B', valueFrom: `${DB_ARN}:password:AWSCURRENT:` },
        { name: 'C', valueFrom: 'arn:aws:ssm:eu-west-1:111111111111:parameter/prod/token' },
      ],
      repositoryCredentials: { credentialsParameter: 'registry' },
    },
    { name: 'b', image: 'i', memory: 32, secrets: [{ name: 'A', valueFrom: 'db:user::' }, { name: 'D', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:db' }] },
  ],
});

test('a launch needs PassRole on its roles and the read of every secret it names, each once, with the field that names it', () => {
  assert.deepEqual(launchPermissions(td, {}, defaultArnContext, lookups), [
    { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/exec', field: 'executionRoleArn' },
    { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/app', field: 'taskRoleArn' },
    // Name, full ARN with a json-key suffix, another region's partial ARN: the one stored secret.
    { action: 'secretsmanager:GetSecretValue', resource: DB_ARN, field: 'containerDefinitions[0].secrets[0].valueFrom' },
    { action: 'ssm:GetParameters', resource: 'arn:aws:ssm:us-east-1:000000000000:parameter/prod/token', field: 'containerDefinitions[0].secrets[2].valueFrom' },
    // Not stored: the ARN rebuilt from the name in this region and account.
    { action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:registry', field: 'containerDefinitions[0].repositoryCredentials.credentialsParameter' },
  ]);
  // Overrides replace the definition's roles.
  const overridden = launchPermissions(td, { taskRoleArn: 'arn:aws:iam::000000000000:role/ops/batch', executionRoleArn: 'exec' }, defaultArnContext, lookups);
  assert.deepEqual(overridden.slice(0, 2), [
    { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/exec', field: 'overrides.executionRoleArn' },
    { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/ops/batch', field: 'overrides.taskRoleArn' },
  ]);
  const plain = validateRegisterTaskDefinition({ family: 'p', containerDefinitions: [{ name: 'a', image: 'i', memory: 32 }] });
  assert.deepEqual(launchPermissions(plain, {}, defaultArnContext, lookups), []);
});

test('what cannot be read as a role, secret or parameter is the resource "*", which only a grant on every resource covers', () => {
  for (const bad of ['not a role!', 'arn:aws:iam::1:user/bob', 'arn:aws:iam::1:role/', '']) assert.equal(roleResource(bad, defaultArnContext), ANY_RESOURCE, bad);
  for (const name of ['constructor', '__proto__', 'toString']) assert.equal(roleResource(name, defaultArnContext), `arn:aws:iam::000000000000:role/${name}`);
  const weird = validateRegisterTaskDefinition({
    family: 'w',
    executionRoleArn: 'exec',
    containerDefinitions: [{ name: 'a', image: 'i', memory: 32, secrets: [{ name: 'A', valueFrom: ':x' }, { name: 'B', valueFrom: 'a b' }, { name: 'C', valueFrom: 'arn:aws:ssm:us-east-1:1:nothing' }] }],
  });
  assert.deepEqual(
    launchPermissions(weird, {}, defaultArnContext, lookups).map((p) => [p.action, p.resource]),
    [['iam:PassRole', 'arn:aws:iam::000000000000:role/exec'], ['secretsmanager:GetSecretValue', ANY_RESOURCE]],
  );
});

function policy(...extra: Omit<PolicyStatement, 'Effect'>[]): PolicyDocument {
  const base = deployerPolicy(['prod']);
  return parsePolicyDocument({ ...base, Statement: [...base.Statement, ...extra.map((s) => ({ Effect: 'Allow', ...s }))] });
}

test('decisions: the deployer template grants no secret and no role; grants open them one by one; a Deny wins; admin passes', () => {
  const needed = launchPermissions(td, {}, defaultArnContext, lookups);
  const denied = (p: PolicyDocument) => {
    const d = firstDenied(p, needed);
    return d && `${d.decision} ${d.permission.action} ${d.permission.resource}`;
  };
  assert.equal(denied(deployerPolicy(['prod'])), 'implicit-deny iam:PassRole arn:aws:iam::000000000000:role/exec');
  assert.equal(denied(BUILT_IN_ROLES.get('read-only')!.policyDocument), 'implicit-deny iam:PassRole arn:aws:iam::000000000000:role/exec');
  const roles = { Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/*'] };
  assert.equal(denied(policy(roles)), `implicit-deny secretsmanager:GetSecretValue ${DB_ARN}`);
  // The AWS way to name a secret in a policy: its name and the 6-character suffix wildcard.
  const db = { Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:*:*:secret:db-??????'] };
  assert.equal(denied(policy(roles, db)), 'implicit-deny ssm:GetParameters arn:aws:ssm:us-east-1:000000000000:parameter/prod/token');
  const params = { Action: ['ssm:GetParameters'], Resource: ['arn:aws:ssm:us-east-1:000000000000:parameter/prod/*'] };
  assert.equal(denied(policy(roles, db, params)), 'implicit-deny secretsmanager:GetSecretValue arn:aws:secretsmanager:us-east-1:000000000000:secret:registry');
  const registry = { Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:us-east-1:000000000000:secret:registry*'] };
  assert.equal(denied(policy(roles, db, params, registry)), undefined);
  const everything = parsePolicyDocument({
    Statement: [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:PassRole', Resource: 'arn:aws:iam::*:role/app' },
    ],
  });
  assert.equal(denied(everything), 'explicit-deny iam:PassRole arn:aws:iam::000000000000:role/app');
  assert.equal(denied(BUILT_IN_ROLES.get('admin')!.policyDocument), undefined);
  assert.equal(firstDenied(BUILT_IN_ROLES.get('admin')!.policyDocument, [{ action: 'iam:PassRole', resource: ANY_RESOURCE, field: 'taskRoleArn' } satisfies LaunchPermission]), undefined);
  // Policies can name iam:PassRole (the iam namespace) with role ARN wildcards.
  assert.deepEqual(parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::000000000000:role/deploy-*' }] }).Statement[0]!.Action, ['iam:PassRole']);
});

// Through the API: the caller's identity reaches the actions, and a refused launch writes nothing.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: FakeAgent;
let deployer: AccessKey;
let granted: AccessKey;
let instanceArn: string;
const SV = 'Stevedore_20261125.';
const C = 'authz';
const principalOf = (role: string, k: AccessKey) => `arn:aws:sts::000000000000:assumed-role/${role}/${k.accessKeyId}`;

before(async () => {
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: C });
  agent = await new FakeAgent(h.agentAddress).connect({ cluster: C });
  instanceArn = (await h.call('ListContainerInstances', { cluster: C })).body['containerInstanceArns'][0];
  const created = await h.call('CreateSecret', { Name: 'db', SecretString: '{"password":"pw-0123456789"}' }, 'secretsmanager.CreateSecret');
  assert.equal(created.status, 200);
  const services = { Action: ['ecs:CreateService', 'ecs:UpdateService'], Resource: [`arn:aws:ecs:*:*:service/${C}/*`] };
  const base = deployerPolicy([C]);
  // Passing the execution role is granted to both: the secret is what the tests below are about.
  const execRole = { Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/app-exec'] };
  const deployerDoc = { ...base, Statement: [...base.Statement, { Effect: 'Allow', ...services }, { Effect: 'Allow', ...execRole }] };
  const grantedDoc = {
    ...deployerDoc,
    Statement: [
      ...deployerDoc.Statement,
      { Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/app'] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:us-east-1:000000000000:secret:db-??????'] },
    ],
  };
  for (const [roleName, doc] of [['deployer', deployerDoc], ['granted', grantedDoc]] as const) {
    const r = await h.call('CreateRole', { roleName, policyDocument: JSON.stringify(doc) }, `${SV}CreateRole`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  deployer = (await h.call('CreateAccessKey', { roleName: 'deployer' }, `${SV}CreateAccessKey`)).body['accessKey'];
  granted = (await h.call('CreateAccessKey', { roleName: 'granted' }, `${SV}CreateAccessKey`)).body['accessKey'];
  const container = { name: 'web', image: 'busybox', memory: 16 };
  for (const body of [
    { family: 'plain', containerDefinitions: [container] },
    { family: 'secret', executionRoleArn: 'app-exec', containerDefinitions: [{ ...container, secrets: [{ name: 'PW', valueFrom: 'db:password::' }] }] },
    { family: 'role', taskRoleArn: 'arn:aws:iam::000000000000:role/app', containerDefinitions: [container] },
  ]) {
    const r = await h.callAs(deployer, 'RegisterTaskDefinition', body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body['taskDefinition'].registeredBy, principalOf('deployer', deployer), 'registeredBy names the caller');
  }
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

const secretDenied = (k: AccessKey, role: string) =>
  new RegExp(`^User: ${principalOf(role, k)} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:db-[A-Za-z0-9]{6} because no identity-based policy allows the secretsmanager:GetSecretValue action$`);
const roleDenied = (k: AccessKey, role: string) =>
  new RegExp(`^User: ${principalOf(role, k)} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::000000000000:role/app because no identity-based policy allows the iam:PassRole action$`);

async function taskCount(): Promise<number> {
  return (await h.call('ListTasks', { cluster: C })).body['taskArns'].length + (await h.call('ListTasks', { cluster: C, desiredStatus: 'STOPPED' })).body['taskArns'].length;
}

function refused(r: { status: number; body: Record<string, any> }, message: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body['__type'], 'AccessDeniedException');
  assert.match(r.body['message'], message);
}

test('RunTask and StartTask: refused naming the secret or role, overrides included, and no task is created; granted, they run', async () => {
  const before = await taskCount();
  refused(await h.callAs(deployer, 'RunTask', { cluster: C, taskDefinition: 'secret' }), secretDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'RunTask', { cluster: C, taskDefinition: 'role' }), roleDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'RunTask', { cluster: C, taskDefinition: 'plain', overrides: { taskRoleArn: 'app' } }), roleDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'RunTask', { cluster: C, taskDefinition: 'plain', overrides: { executionRoleArn: 'arn:aws:iam::999999999999:role/app' } }), roleDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'StartTask', { cluster: C, taskDefinition: 'secret', containerInstances: [instanceArn] }), secretDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'StartTask', { cluster: C, taskDefinition: 'role', containerInstances: [instanceArn] }), roleDenied(deployer, 'deployer'));
  assert.equal(await taskCount(), before, 'a refused launch creates no task');

  const plain = await h.callAs(deployer, 'RunTask', { cluster: C, taskDefinition: 'plain' });
  assert.equal(plain.body['tasks']?.length, 1, JSON.stringify(plain.body));
  for (const [op, extra] of [['RunTask', {}], ['StartTask', { containerInstances: [instanceArn] }]] as const) {
    for (const taskDefinition of ['secret', 'role']) {
      const ok = await h.callAs(granted, op, { cluster: C, taskDefinition, ...extra });
      assert.equal(ok.body['tasks']?.length, 1, `${op} ${taskDefinition}: ${JSON.stringify(ok.body)}`);
    }
  }
  const overridden = await h.callAs(granted, 'RunTask', { cluster: C, taskDefinition: 'plain', overrides: { taskRoleArn: 'app' } });
  assert.equal(overridden.body['tasks']?.length, 1, JSON.stringify(overridden.body));
  assert.equal(await taskCount(), before + 6);
});

test('CreateService and UpdateService: refused without the grants; the service records who created and deployed it', async () => {
  const describe = async (name: string) => (await h.call('DescribeServices', { cluster: C, services: [name] })).body;
  refused(await h.callAs(deployer, 'CreateService', { cluster: C, serviceName: 's-secret', taskDefinition: 'secret', desiredCount: 1 }), secretDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'CreateService', { cluster: C, serviceName: 's-role', taskDefinition: 'role', desiredCount: 1 }), roleDenied(deployer, 'deployer'));
  assert.equal((await describe('s-secret')).failures[0]?.reason, 'MISSING');

  const made = await h.callAs(deployer, 'CreateService', { cluster: C, serviceName: 'web', taskDefinition: 'plain', desiredCount: 1 });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.equal(made.body['service'].createdBy, principalOf('deployer', deployer));
  const spec = () => h.cp.store.services.get(C, 'web')!.service;
  const version = spec().version;
  // A new revision that needs a secret or a role: refused, and the service is as it was.
  refused(await h.callAs(deployer, 'UpdateService', { cluster: C, service: 'web', taskDefinition: 'secret' }), secretDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'UpdateService', { cluster: C, service: 'web', taskDefinition: 'role' }), roleDenied(deployer, 'deployer'));
  assert.equal(spec().version, version);
  assert.match(spec().taskDefinitionArn, /plain:1$/);

  const deployed = await h.callAs(granted, 'UpdateService', { cluster: C, service: 'web', taskDefinition: 'secret' });
  assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
  assert.equal(spec().deployments[0]!.createdBy, principalOf('granted', granted), 'the deployment names who started it');
  assert.equal(spec().deployments[1]!.createdBy, principalOf('deployer', deployer));
  assert.equal(spec().updatedBy, principalOf('granted', granted));
  assert.equal(deployed.body['service'].createdBy, principalOf('deployer', deployer), 'createdBy stays the creator');

  // The service now runs a secret: an update that starts tasks needs the caller's own grant; one that starts none does not.
  refused(await h.callAs(deployer, 'UpdateService', { cluster: C, service: 'web', desiredCount: 3 }), secretDenied(deployer, 'deployer'));
  refused(await h.callAs(deployer, 'UpdateService', { cluster: C, service: 'web', forceNewDeployment: true }), secretDenied(deployer, 'deployer'));
  const down = await h.callAs(deployer, 'UpdateService', { cluster: C, service: 'web', desiredCount: 0 });
  assert.equal(down.status, 200, JSON.stringify(down.body));
  assert.equal(spec().deployments[0]!.createdBy, principalOf('granted', granted), 'scaling down starts no deployment');
});

test('awslogs: the starter needs to write into the group (and create it with awslogs-create-group), as ECS asks of the execution role', () => {
  const logged = validateRegisterTaskDefinition({
    family: 'logged',
    containerDefinitions: [
      { name: 'a', image: 'i', memory: 32, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/team-a/app', 'awslogs-region': 'us-east-1', 'awslogs-create-group': 'true' } } },
    ],
  });
  const needed = launchPermissions(logged, {}, defaultArnContext, lookups);
  const group = 'arn:aws:logs:us-east-1:000000000000:log-group:/team-a/app';
  assert.deepEqual(needed, [
    { action: 'logs:CreateLogGroup', resource: group, field: 'containerDefinitions[0].logConfiguration.options.awslogs-group' },
    { action: 'logs:CreateLogStream', resource: group, field: 'containerDefinitions[0].logConfiguration.options.awslogs-group' },
    { action: 'logs:PutLogEvents', resource: `${group}:log-stream:*`, field: 'containerDefinitions[0].logConfiguration.options.awslogs-group' },
  ]);
  // The deployer template writes into existing groups only, like ECS's managed execution role policy.
  assert.equal(firstDenied(deployerPolicy(['prod']), needed)?.permission.action, 'logs:CreateLogGroup');
  assert.equal(firstDenied(deployerPolicy(['prod']), needed.slice(1)), undefined);
  const teamA = parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: 'arn:aws:logs:*:*:log-group:/team-a/*' }] });
  assert.equal(firstDenied(teamA, needed), undefined);
  const teamB = parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: 'arn:aws:logs:*:*:log-group:/team-b/*' }] });
  assert.equal(firstDenied(teamB, needed)?.decision, 'implicit-deny');
});
