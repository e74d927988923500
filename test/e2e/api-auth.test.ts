/**
 * API authentication end to end, against a real control plane process: the
 * admin key it writes on first start, the CLI signing with it, refusals of
 * unsigned and forged calls, roles made with the CLI, and no secret in the
 * log or the database files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { callRaw, ECS_TARGET, readCredentialsFile } from '../helpers/api';
import { REPO_ROOT, startCluster } from '../helpers/cluster';

test('first start writes a 0600 admin key; the CLI signs with it; unsigned and forged calls are refused; restarts keep it', async (t) => {
  const c = await startCluster({ agents: 0, test: t });
  assert.equal(statSync(c.adminCredentialsFile).mode & 0o777, 0o600);
  const admin = readCredentialsFile(c.adminCredentialsFile);
  const before = readFileSync(c.adminCredentialsFile, 'utf8');

  const list = await c.cli(['cluster', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(c.name));

  const unsigned = await callRaw(c.endpoint, { target: `${ECS_TARGET}ListClusters`, body: '{}' });
  assert.equal(unsigned.status, 400);
  assert.equal((unsigned.json as { __type: string }).__type, 'UnrecognizedClientException');
  const forged = await callRaw(c.endpoint, { target: `${ECS_TARGET}ListClusters`, body: '{}', credentials: { ...admin, secretAccessKey: admin.secretAccessKey.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) } });
  assert.equal((forged.json as { __type: string }).__type, 'InvalidSignatureException');
  const noKey = await c.cli(['cluster', 'list'], { env: { AWS_SHARED_CREDENTIALS_FILE: path.join(c.dataDir, 'missing') } });
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /no credentials/);

  await c.restartControlPlane();
  assert.equal(readFileSync(c.adminCredentialsFile, 'utf8'), before, 'a restart leaves the admin credentials file as it is');
  assert.equal((await c.cli(['cluster', 'list'])).code, 0);

  const log = readFileSync(c.logs.controlPlane, 'utf8');
  assert.ok(log.includes(admin.accessKeyId) && log.includes(c.adminCredentialsFile), 'the log names the key id and the file');
  assert.ok(!log.includes(admin.secretAccessKey), 'the secret is never logged');
  assert.match(log, /api request refused/);
  const dbDir = path.join(c.dataDir, 'control-plane');
  for (const f of readdirSync(dbDir).filter((n) => n.startsWith('stevedore.db'))) {
    assert.ok(!readFileSync(path.join(dbDir, f)).includes(Buffer.from(admin.secretAccessKey)), `the secret is in ${f} in plain text`);
  }
  assert.equal(statSync(path.join(dbDir, 'keys', 'master.key')).mode & 0o777, 0o600);
});

test('a deployer role made with the CLI runs in its cluster only; a deleted key stops working', async (t) => {
  const c = await startCluster({ agents: 0, test: t });
  const other = `${c.name}-other`;
  await c.call('CreateCluster', { clusterName: other });
  const policyFile = path.join(c.dataDir, 'deployer-policy.json');
  const policy = JSON.parse(readFileSync(path.join(REPO_ROOT, 'examples/deployer-policy.json'), 'utf8')) as { Statement: { Resource: string[] }[] };
  for (const s of policy.Statement) s.Resource = s.Resource.map((r) => r.replace('/prod', `/${c.name}`));
  writeFileSync(policyFile, JSON.stringify(policy));

  const role = await c.cli(['iam', 'create-role', 'deployer', '--policy', policyFile]);
  assert.equal(role.code, 0, role.stderr);
  const key = await c.cli(['iam', 'create-access-key', '--role', 'deployer']);
  assert.equal(key.code, 0, key.stderr);
  const keyFile = path.join(c.dataDir, 'deployer.credentials');
  writeFileSync(keyFile, key.stdout, { mode: 0o600 });
  const asDeployer = { env: { AWS_SHARED_CREDENTIALS_FILE: keyFile } };

  const own = await c.cli(['task', 'list'], asDeployer);
  assert.equal(own.code, 0, own.stderr);
  const denied = await c.cli(['--cluster', other, 'task', 'list'], asDeployer);
  assert.equal(denied.code, 254);
  assert.match(denied.stderr, new RegExp(`AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/deployer/AKIA\\w+ is not authorized to perform: ecs:ListTasks on resource: arn:aws:ecs:us-east-1:000000000000:cluster/${other}`));
  const mint = await c.cli(['iam', 'create-access-key', '--role', 'admin'], asDeployer);
  assert.match(mint.stderr, /AccessDeniedException.*stevedore:CreateAccessKey/);

  const keys = await c.cli(['--output', 'json', 'iam', 'list-access-keys', '--role', 'deployer']);
  const id = (JSON.parse(keys.stdout) as { accessKeys: { accessKeyId: string }[] }).accessKeys[0]!.accessKeyId;
  assert.equal((await c.cli(['iam', 'delete-access-key', id])).code, 0);
  const gone = await c.cli(['task', 'list'], asDeployer);
  assert.match(gone.stderr, /UnrecognizedClientException/);
});
