/**
 * Authorization at use, end to end on a real control plane, agent and
 * Docker: a deployer key without secretsmanager:GetSecretValue or
 * iam:PassRole cannot read a secret or pass a role by starting a task that
 * names it (RunTask, StartTask, CreateService, UpdateService), and nothing
 * reaches Docker; granted, the same calls run. Every mutating call leaves an
 * audit line naming its access key id. And names that are Object.prototype
 * members go everywhere a name is accepted without a 5xx.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { call, callRaw, ECS_TARGET, STEVEDORE_TARGET, type Credentials, type RawResponse } from '../helpers/api';
import { inspectContainer, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let deployer: Credentials;
let granted: Credentials;
let instanceArn: string;
let dbArn: string;
const DB_PASSWORD = 'db-password-e2e-7f3a91c2';
const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const;

before(async () => {
  // One agent on this suite's own loopback address.
  // The prototype-name sweep makes a few hundred calls in seconds: above the default per-key rate.
  c = await startCluster({ agents: 1, test: hooks, hostIp: () => '127.0.2.2', readyTimeoutMs: 60_000, controlPlaneArgs: ['--api-rate-limit', '1000,1000'] });
  instanceArn = await c.instanceArnOf(0);
  dbArn = (await c.call('CreateSecret', { Name: 'authz/db', SecretString: JSON.stringify({ password: DB_PASSWORD }) }, 'secretsmanager')).ARN;
  const deployerStatements = [
    { Sid: 'Tasks', Effect: 'Allow', Action: ['ecs:RunTask', 'ecs:StartTask', 'ecs:StopTask', 'ecs:Describe*', 'ecs:List*'], Resource: [`arn:aws:ecs:*:*:cluster/${c.name}`] },
    { Sid: 'Services', Effect: 'Allow', Action: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DescribeServices'], Resource: [`arn:aws:ecs:*:*:service/${c.name}/*`] },
    { Sid: 'TaskDefinitions', Effect: 'Allow', Action: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], Resource: ['*'] },
    // Secrets need an execution role (ECS); passing it is not what these tests are about.
    { Sid: 'PassExecRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/exec-*'] },
  ];
  const grants = [
    { Sid: 'PassAppRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::000000000000:role/app-*'] },
    { Sid: 'ReadDb', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:*:*:secret:authz/db-??????'] },
  ];
  for (const [roleName, statements] of [['deployer', deployerStatements], ['granted', [...deployerStatements, ...grants]]] as const) {
    await c.callStevedore('CreateRole', { roleName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) });
  }
  // The task role the granted deployer passes: a real role, since a task's
  // credentials are issued for it when the task starts.
  // The execution role the agent reads the secrets as (checked at each read, like ECS's agent).
  await c.callStevedore('CreateRole', { roleName: 'exec-authz', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['*'] }] }) });
  await c.callStevedore('CreateRole', { roleName: 'app-worker', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:DescribeTasks'], Resource: ['*'] }] }) });
  const key = async (roleName: string) => {
    const k = (await c.callStevedore('CreateAccessKey', { roleName })).accessKey;
    return { accessKeyId: k.accessKeyId as string, secretAccessKey: k.secretAccessKey as string };
  };
  deployer = await key('deployer');
  granted = await key('granted');
  const web = { name: 'web', image: TEST_IMAGE, command: ['sleep', '600'], memory: 16 };
  await c.call('RegisterTaskDefinition', { family: 'authz-plain', containerDefinitions: [web] });
  await c.call('RegisterTaskDefinition', { family: 'authz-secret', executionRoleArn: 'exec-authz', containerDefinitions: [{ ...web, secrets: [{ name: 'DB_PASSWORD', valueFrom: `${dbArn}:password::` }] }] });
  await c.call('RegisterTaskDefinition', { family: 'authz-role', taskRoleArn: 'arn:aws:iam::000000000000:role/app-worker', containerDefinitions: [web] });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const as = (creds: Credentials, op: string, body: Record<string, unknown>) => call(c.endpoint, op, { cluster: c.name, ...body }, ECS_TARGET, creds);
const principal = (role: string, k: Credentials) => `arn:aws:sts::000000000000:assumed-role/${role}/${k.accessKeyId}`;

async function refused(p: Promise<unknown>, action: string, resource: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.type, 'AccessDeniedException', e.message);
    const r = typeof resource === 'string' ? resource.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : resource.source;
    assert.match(e.serverMessage, new RegExp(`^User: ${principal('deployer', deployer)} is not authorized to perform: ${action} on resource: ${r} because no identity-based policy allows the ${action} action$`));
    return true;
  });
}

async function taskArns(): Promise<string[]> {
  const running = (await c.call('ListTasks', {})).taskArns as string[];
  const stopped = (await c.call('ListTasks', { desiredStatus: 'STOPPED' })).taskArns as string[];
  return [...running, ...stopped];
}

function auditLines(): any[] {
  return readFileSync(c.logs.controlPlane, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"audit":true'))
    .map((l) => JSON.parse(l));
}

async function waitRunning(taskArn: string): Promise<any> {
  return waitFor(
    async () => {
      const t = (await c.call('DescribeTasks', { tasks: [taskArn] })).tasks[0];
      if (t?.lastStatus === 'STOPPED') throw new Error(`task stopped: ${t.stoppedReason}`);
      return t?.lastStatus === 'RUNNING' ? t : undefined;
    },
    { description: `task ${taskArn} RUNNING`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

describe('secrets and roles are authorized when a task starts', () => {
  test('a deployer without GetSecretValue / PassRole: RunTask, StartTask, CreateService, UpdateService are refused naming the secret or role, and nothing reaches Docker', async () => {
    await refused(as(deployer, 'RunTask', { taskDefinition: 'authz-secret' }), 'secretsmanager:GetSecretValue', dbArn);
    await refused(as(deployer, 'RunTask', { taskDefinition: 'authz-plain', overrides: { taskRoleArn: 'app-worker' } }), 'iam:PassRole', 'arn:aws:iam::000000000000:role/app-worker');
    await refused(as(deployer, 'RunTask', { taskDefinition: 'authz-plain', overrides: { executionRoleArn: 'arn:aws:iam::000000000000:role/app-exec' } }), 'iam:PassRole', 'arn:aws:iam::000000000000:role/app-exec');
    await refused(as(deployer, 'StartTask', { taskDefinition: 'authz-role', containerInstances: [instanceArn] }), 'iam:PassRole', 'arn:aws:iam::000000000000:role/app-worker');
    await refused(as(deployer, 'StartTask', { taskDefinition: 'authz-secret', containerInstances: [instanceArn] }), 'secretsmanager:GetSecretValue', dbArn);
    await refused(as(deployer, 'CreateService', { serviceName: 'sneaky', taskDefinition: 'authz-secret', desiredCount: 1 }), 'secretsmanager:GetSecretValue', dbArn);
    // A service the deployer may run (no secret, no role), then a new revision that names the secret.
    const made = await as(deployer, 'CreateService', { serviceName: 'web', taskDefinition: 'authz-plain', desiredCount: 0 });
    assert.equal(made.service.createdBy, principal('deployer', deployer));
    await refused(as(deployer, 'UpdateService', { service: 'web', taskDefinition: 'authz-secret', desiredCount: 1 }), 'secretsmanager:GetSecretValue', dbArn);
    await refused(as(deployer, 'UpdateService', { service: 'web', taskDefinition: 'authz-role', desiredCount: 1 }), 'iam:PassRole', 'arn:aws:iam::000000000000:role/app-worker');

    const svc = (await c.call('DescribeServices', { services: ['web', 'sneaky'] })) as any;
    assert.match(svc.services[0].taskDefinition, /authz-plain:1$/, 'the refused update changed nothing');
    assert.equal(svc.services[0].desiredCount, 0);
    assert.equal(svc.failures[0].reason, 'MISSING', 'the refused service was not created');
    assert.deepEqual(await taskArns(), [], 'no task was created');
    assert.deepEqual(await c.containers(), [], 'no container reached Docker');

    // The audit log names the key of every refused launch; the secret value is nowhere in the log.
    const audits = auditLines().filter((l) => l.accessKeyId === deployer.accessKeyId);
    for (const action of ['ecs:RunTask', 'ecs:StartTask', 'ecs:CreateService', 'ecs:UpdateService']) {
      assert.ok(audits.some((l) => l.action === action && l.outcome === 'error' && l.error === 'AccessDeniedException'), `an audit line for the refused ${action}`);
    }
    assert.ok(audits.some((l) => l.action === 'ecs:CreateService' && l.outcome === 'ok' && l.resources[0] === `arn:aws:ecs:us-east-1:000000000000:service/${c.name}/web`));
    assert.ok(!readFileSync(c.logs.controlPlane, 'utf8').includes(DB_PASSWORD), 'the secret value is never logged');
  });

  test('granted GetSecretValue on the secret and PassRole on the role, the same calls run, and the task gets the secret', async () => {
    const run = await as(granted, 'RunTask', { taskDefinition: 'authz-secret' });
    assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
    await waitRunning(run.tasks[0].taskArn);
    const [container] = await listContainers({ 'stevedore.task': run.tasks[0].taskArn });
    const env = ((await inspectContainer(container!.id)).Config.Env as string[]) ?? [];
    assert.ok(env.includes(`DB_PASSWORD=${DB_PASSWORD}`), 'the json-key of the secret is in the environment');

    const started = await as(granted, 'StartTask', { taskDefinition: 'authz-role', containerInstances: [instanceArn] });
    assert.equal(started.tasks.length, 1, JSON.stringify(started.failures));
    await waitRunning(started.tasks[0].taskArn);

    const updated = await as(granted, 'UpdateService', { service: 'web', taskDefinition: 'authz-secret', desiredCount: 1 });
    assert.match(updated.service.taskDefinition, /authz-secret:1$/);
    assert.equal(updated.service.createdBy, principal('deployer', deployer), 'createdBy stays the creator');
    await waitFor(
      async () => {
        const s = (await c.call('DescribeServices', { services: ['web'] })).services[0];
        return s.runningCount === 1 ? s : undefined;
      },
      { description: 'service web running its task', timeoutMs: 60_000, intervalMs: 250 },
    );
    // The service now needs the secret: the deployer cannot start more of it, but may scale it down.
    await refused(as(deployer, 'UpdateService', { service: 'web', desiredCount: 2 }), 'secretsmanager:GetSecretValue', dbArn);
    await as(deployer, 'UpdateService', { service: 'web', desiredCount: 0 });
    assert.ok(auditLines().some((l) => l.accessKeyId === granted.accessKeyId && l.action === 'ecs:RunTask' && l.outcome === 'ok' && l.principal === principal('granted', granted)));
    for (const t of [run.tasks[0], started.tasks[0]]) await c.call('StopTask', { task: t.taskArn });
  });
});

describe('names that are Object.prototype members', () => {
  /** One call with the admin key unless told: never a 5xx, whatever the answer. */
  async function send(target: string, body: unknown, creds: Credentials = c.adminCredentials()): Promise<RawResponse> {
    const r = await callRaw(c.endpoint, { target, body: typeof body === 'string' ? body : JSON.stringify(body), credentials: creds });
    assert.ok(r.status < 500, `${target} ${JSON.stringify(body).slice(0, 300)} -> HTTP ${r.status} ${r.text.slice(0, 300)}`);
    return r;
  }
  const ok = (r: RawResponse, what: string) => {
    assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
    return r.json as any;
  };
  const clientError = (r: RawResponse, type: string, what: string) => {
    assert.equal(r.status, 400, `${what}: ${r.text.slice(0, 300)}`);
    assert.equal((r.json as any).__type, type, `${what}: ${r.text.slice(0, 300)}`);
  };
  const ecs = (op: string) => `${ECS_TARGET}.${op}`;
  const sv = (op: string) => `${STEVEDORE_TARGET}.${op}`;

  test('as cluster, service, family, container, role, secret, attribute, tag, target group names, and as keys: created and found as themselves, or a 4xx', async () => {
    for (const n of PROTO_NAMES) {
      // Clusters.
      assert.equal(ok(await send(ecs('CreateCluster'), { clusterName: n }), `CreateCluster ${n}`).cluster.clusterName, n);
      assert.equal(ok(await send(ecs('DescribeClusters'), { clusters: [n] }), `DescribeClusters ${n}`).clusters[0]?.clusterName, n);
      assert.deepEqual(ok(await send(ecs('ListServices'), { cluster: n }), `ListServices ${n}`).serviceArns, []);
      clientError(await send(ecs('ListTasks'), { cluster: `${n}-missing` }), 'ClusterNotFoundException', `ListTasks ${n}-missing`);
      ok(await send(ecs('DeleteCluster'), { cluster: n }), `DeleteCluster ${n}`);
      // Families and containers.
      const td = ok(await send(ecs('RegisterTaskDefinition'), { family: n, containerDefinitions: [{ name: n, image: TEST_IMAGE, memory: 16, dockerLabels: n === '__proto__' ? {} : { [n]: 'x' } }] }), `Register ${n}`);
      assert.equal(td.taskDefinition.containerDefinitions[0].name, n);
      assert.equal(ok(await send(ecs('DescribeTaskDefinition'), { taskDefinition: n }), `DescribeTaskDefinition ${n}`).taskDefinition.family, n);
      clientError(await send(ecs('DescribeTaskDefinition'), { taskDefinition: `${n}:7` }), 'ClientException', `DescribeTaskDefinition ${n}:7`);
      clientError(await send(ecs('RunTask'), { cluster: c.name, taskDefinition: 'authz-plain', overrides: { containerOverrides: [{ name: n }] } }), 'InvalidParameterException', `override of container ${n}`);
      // Services.
      const s = ok(await send(ecs('CreateService'), { cluster: c.name, serviceName: n, taskDefinition: n, desiredCount: 0, tags: [{ key: n, value: n }] }), `CreateService ${n}`);
      assert.equal(s.service.serviceName, n);
      const described = ok(await send(ecs('DescribeServices'), { cluster: c.name, services: [n], include: ['TAGS'] }), `DescribeServices ${n}`);
      assert.deepEqual(described.services[0].tags, [{ key: n, value: n }]);
      ok(await send(ecs('UpdateService'), { cluster: c.name, service: n, desiredCount: 0 }), `UpdateService ${n}`);
      ok(await send(ecs('DeleteService'), { cluster: c.name, service: n }), `DeleteService ${n}`);
      // Tasks, instances, logs, join tokens by id: not found, never a prototype member.
      assert.equal(ok(await send(ecs('DescribeTasks'), { cluster: c.name, tasks: [n] }), `DescribeTasks ${n}`).failures[0].reason, 'MISSING');
      assert.equal(ok(await send(ecs('StartTask'), { cluster: c.name, taskDefinition: 'authz-plain', containerInstances: [n] }), `StartTask ${n}`).failures[0].reason, 'MISSING');
      await send(ecs('StopTask'), { cluster: c.name, task: n });
      await send(sv('GetTaskLogs'), { cluster: c.name, task: n });
      await send(sv('RevokeJoinToken'), { joinTokenId: n });
      // Roles and access keys: no built-in role by that name, so a key for it is refused until the role exists.
      clientError(await send(sv('CreateAccessKey'), { roleName: n }), 'ResourceNotFoundException', `CreateAccessKey for missing role ${n}`);
      clientError(await send(sv('DeleteRole'), { roleName: n }), 'ResourceNotFoundException', `DeleteRole missing ${n}`);
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:List*'], Resource: ['*'] }] };
      assert.equal(ok(await send(sv('CreateRole'), { roleName: n, policyDocument: JSON.stringify(policy) }), `CreateRole ${n}`).role.roleName, n);
      const k = ok(await send(sv('CreateAccessKey'), { roleName: n }), `CreateAccessKey ${n}`).accessKey;
      const key = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
      ok(await send(ecs('ListClusters'), {}, key), `ListClusters as role ${n}`);
      clientError(await send(ecs('CreateCluster'), { clusterName: 'nope' }, key), 'AccessDeniedException', `CreateCluster as role ${n}`);
      ok(await send(sv('DeleteAccessKey'), { accessKeyId: k.accessKeyId }), `DeleteAccessKey of role ${n}`);
      ok(await send(sv('DeleteRole'), { roleName: n }), `DeleteRole ${n}`);
      clientError(await send(sv('DeleteAccessKey'), { accessKeyId: n }), 'InvalidParameterException', `DeleteAccessKey ${n}`);
      const forged = await send(ecs('ListClusters'), {}, { accessKeyId: n, secretAccessKey: 'x'.repeat(40) });
      assert.equal(forged.status, 400);
      assert.match((forged.json as any).__type, /^(UnrecognizedClientException|InvalidSignatureException)$/, `signed with access key id ${n}`);
      // Secrets.
      const secretTarget = (op: string) => `secretsmanager.${op}`;
      clientError(await send(secretTarget('GetSecretValue'), { SecretId: n }), 'ResourceNotFoundException', `GetSecretValue missing ${n}`);
      ok(await send(secretTarget('CreateSecret'), { Name: n, SecretString: `value-of-${n}` }), `CreateSecret ${n}`);
      assert.equal(ok(await send(secretTarget('GetSecretValue'), { SecretId: n }), `GetSecretValue ${n}`).SecretString, `value-of-${n}`);
      ok(await send(secretTarget('DeleteSecret'), { SecretId: n, ForceDeleteWithoutRecovery: true }), `DeleteSecret ${n}`);
      // Attributes (tags: on the services above).
      ok(await send(ecs('PutAttributes'), { cluster: c.name, attributes: [{ name: n, value: 'v', targetId: instanceArn }] }), `PutAttributes ${n}`);
      const attrs = ok(await send(ecs('ListAttributes'), { cluster: c.name, targetType: 'container-instance', attributeName: n }), `ListAttributes ${n}`).attributes;
      assert.deepEqual(attrs.map((a: any) => [a.name, a.value]), [[n, 'v']]);
      ok(await send(ecs('DeleteAttributes'), { cluster: c.name, attributes: [{ name: n, targetId: instanceArn }] }), `DeleteAttributes ${n}`);
      // Settings, operators, targets, options and target groups: not ours to accept, so a 4xx naming the field.
      await send(ecs('UpdateClusterSettings'), { cluster: c.name, settings: [{ name: n, value: 'enabled' }] });
      clientError(await send(ecs('RunTask'), { cluster: c.name, taskDefinition: 'authz-plain', placementConstraints: [{ type: 'memberOf', expression: `attribute:x ${n} y` }] }), 'InvalidParameterException', `operator ${n}`);
      for (const target of [ecs(n), `${n}.ListClusters`, n]) clientError(await send(target, {}), 'UnknownOperationException', `target ${target}`);
      const opts = await send(ecs('RegisterTaskDefinition'), { family: 'authz-opts', containerDefinitions: [{ name: 'a', image: TEST_IMAGE, memory: 16, logConfiguration: { logDriver: 'json-file', options: { [n]: 'x' } } }] });
      if (n === '__proto__') clientError(opts, 'InvalidParameterException', 'log option __proto__');
      const tg = await send(sv('CreateTargetGroup'), { Name: n, Protocol: 'HTTP', Port: 80, TargetType: 'instance' });
      if (tg.status === 200) {
        const arn = (tg.json as any).TargetGroups[0].TargetGroupArn;
        assert.equal((tg.json as any).TargetGroups[0].TargetGroupName, n);
        ok(await send(sv('DeleteTargetGroup'), { TargetGroupArn: arn }), `DeleteTargetGroup ${n}`);
      }
      await send(sv('DescribeTargetGroups'), { Names: [n] });
      await send(sv('DescribeLoadBalancers'), { Names: [n] });
      // Members named like prototype properties in the body itself.
      await send(ecs('CreateCluster'), `{"clusterName":"authz-body","${n}":{"polluted":true}}`);
      await send(ecs('RegisterTaskDefinition'), { family: 'authz-body', containerDefinitions: [{ name: 'a', image: TEST_IMAGE, memory: 16, [n]: 1 }] });
    }
    assert.ok(!readFileSync(c.logs.controlPlane, 'utf8').includes('unexpected error in API action'), 'no request reached the 5xx path');
  });

  test('a task whose containers, links, environment, labels and secret json-key are prototype names runs on Docker as written', async () => {
    // Written as JSON text: in a JS object literal `__proto__:` would set the prototype, not a key.
    await c.call('CreateSecret', { Name: 'valueOf', SecretString: '{"__proto__":"json-key-ok","toString":"not this one"}' }, 'secretsmanager');
    const base = { image: TEST_IMAGE, command: ['sleep', '600'], memory: 16 };
    const td = await c.call('RegisterTaskDefinition', {
      family: 'authz-proto',
      executionRoleArn: 'exec-authz',
      containerDefinitions: [
        { ...base, name: '__proto__' },
        {
          ...base,
          name: 'constructor',
          links: ['__proto__:db'],
          environment: [{ name: 'toString', value: 'env-ok' }],
          dockerLabels: { constructor: 'label-ok', hasOwnProperty: 'label-ok' },
          secrets: [{ name: 'PROTO_SECRET', valueFrom: 'valueOf:__proto__::' }],
        },
      ],
    });
    const run = await c.call('RunTask', { taskDefinition: `authz-proto:${td.taskDefinition.revision}` });
    assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
    const task = await waitRunning(run.tasks[0].taskArn);
    assert.deepEqual(task.containers.map((x: any) => x.name).sort(), ['__proto__', 'constructor']);
    const byName = async (name: string) => {
      const [found] = await listContainers({ 'stevedore.task': task.taskArn, 'stevedore.container': name });
      assert.ok(found, `a container ${name}`);
      return inspectContainer(found.id);
    };
    const proto = await byName('__proto__');
    const ctor = await byName('constructor');
    assert.deepEqual(ctor.HostConfig.Links, [`/${proto.Name.replace(/^\//, '')}:${ctor.Name}/db`], 'the link names the __proto__ container');
    assert.equal(ctor.Config.Labels.constructor, 'label-ok');
    assert.equal(ctor.Config.Labels.hasOwnProperty, 'label-ok');
    assert.ok(ctor.Config.Env.includes('toString=env-ok'));
    assert.ok(ctor.Config.Env.includes('PROTO_SECRET=json-key-ok'), 'the json-key __proto__ is the secret\'s own key');
    await c.call('StopTask', { task: task.taskArn });
  });
});
