/**
 * The API over a network: a control plane listening on 0.0.0.0 serves HTTPS
 * with a certificate from the cluster CA, and writes the CA bundle clients
 * verify it with to <data-dir>/api-ca.pem. Traffic stays on 127.0.0.1 (the
 * certificate names it, as it names every address of the host).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as https from 'node:https';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import * as path from 'node:path';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';
import { httpGet } from '../helpers/api';
import { waitFor } from '../helpers/wait-for';

const AWS_CLI = '/usr/bin/aws';

/** Runs a command with the cluster's admin key and nothing of the caller's AWS setup. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('--api-listen 0.0.0.0: HTTPS with the cluster CA; our CLI, the AWS SDK and the AWS CLI verify it with api-ca.pem', async (t) => {
  const c: TestCluster = await startCluster({ agents: 0, test: t, apiListenHost: '0.0.0.0' });
  // The harness reached it over https://127.0.0.1 with the bundle: that was the first proof.
  assert.match(c.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(existsSync(c.apiCaFile));
  assert.equal(statSync(c.apiCaFile).mode & 0o777, 0o644, 'the CA bundle is public');
  const ca = readFileSync(c.apiCaFile, 'utf8');
  const port = new URL(c.endpoint).port;

  // Plain HTTP on that port gets no API.
  assert.equal(await httpGet(`http://127.0.0.1:${port}/ping`), undefined);

  // Our CLI: --ca-bundle, or AWS_CA_BUNDLE (the harness's default), by address or by name.
  const byFlag = await c.cli(['--ca-bundle', c.apiCaFile, '--output', 'json', 'cluster', 'list'], { env: { AWS_CA_BUNDLE: undefined } });
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.ok(JSON.parse(byFlag.stdout).clusters.some((x: { clusterName: string }) => x.clusterName === c.name));
  const byName = await c.cli(['--endpoint', `https://localhost:${port}`, 'cluster', 'list']);
  assert.equal(byName.code, 0, byName.stderr);
  const untrusted = await c.cli(['cluster', 'list'], { env: { AWS_CA_BUNDLE: undefined } });
  assert.equal(untrusted.code, 255);
  assert.match(untrusted.stderr, /cannot verify the Stevedore API's certificate at https:\/\/127\.0\.0\.1:\d+: .*--ca-bundle FILE or AWS_CA_BUNDLE/);

  // The AWS SDK for JavaScript v3: an https agent with the bundle (v3 does not read AWS_CA_BUNDLE)...
  const ecs = new ECSClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.adminCredentials(), maxAttempts: 1, requestHandler: { httpsAgent: new https.Agent({ ca }) } });
  t.after(() => ecs.destroy());
  const listed = await ecs.send(new ListClustersCommand({}));
  assert.ok(listed.clusterArns?.some((a) => a.endsWith(`/${c.name}`)));
  // ...or Node's NODE_EXTRA_CA_CERTS, with no code change.
  const creds = c.adminCredentials();
  const script = `const { ECSClient, ListClustersCommand } = require('@aws-sdk/client-ecs');
    new ECSClient({ endpoint: process.argv[1], region: 'us-east-1', maxAttempts: 1 }).send(new ListClustersCommand({}))
      .then((r) => console.log(JSON.stringify(r.clusterArns)), (e) => { console.error(e.message); process.exit(1); });`;
  const sdk = await run(process.execPath, ['-e', script, c.endpoint], { NODE_EXTRA_CA_CERTS: c.apiCaFile, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey });
  assert.equal(sdk.code, 0, sdk.stderr);
  assert.match(sdk.stdout, new RegExp(`cluster/${c.name}`));

  // Debian's AWS CLI v2 (scripts/ensure-env.sh installs it): --ca-bundle, and AWS_CA_BUNDLE.
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: run scripts/ensure-env.sh (apt-get install awscli)`);
  const awsEnv = { AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1' };
  const awsFlag = await run(AWS_CLI, ['--endpoint-url', c.endpoint, '--ca-bundle', c.apiCaFile, '--output', 'json', 'ecs', 'list-clusters'], awsEnv);
  assert.equal(awsFlag.code, 0, awsFlag.stderr);
  assert.match(awsFlag.stdout, new RegExp(`cluster/${c.name}`));
  const awsVar = await run(AWS_CLI, ['--endpoint-url', `https://localhost:${port}`, '--output', 'json', 'ecs', 'describe-clusters', '--clusters', c.name], { ...awsEnv, AWS_CA_BUNDLE: c.apiCaFile });
  assert.equal(awsVar.code, 0, awsVar.stderr);
  assert.equal(JSON.parse(awsVar.stdout).clusters[0].status, 'ACTIVE');
  const awsUntrusted = await run(AWS_CLI, ['--endpoint-url', c.endpoint, 'ecs', 'list-clusters'], awsEnv);
  assert.notEqual(awsUntrusted.code, 0);
  assert.match(awsUntrusted.stderr, /SSL|certificate/i);

  // A restart re-issues the certificate from the same CA: the bundle clients hold keeps working.
  await c.restartControlPlane();
  assert.equal(readFileSync(c.apiCaFile, 'utf8'), ca);
  const after = await c.cli(['cluster', 'list']);
  assert.equal(after.code, 0, after.stderr);
});

test('--insecure-http serves plain HTTP off loopback, with a warning in the log', async (t) => {
  const c = await startCluster({ agents: 0, test: t, apiListenHost: '0.0.0.0', controlPlaneArgs: ['--insecure-http'] });
  assert.match(c.endpoint, /^http:\/\//);
  assert.equal((await c.cli(['cluster', 'list'])).code, 0);
  await waitFor(() => readFileSync(c.logs.controlPlane, 'utf8').includes('PLAIN HTTP on a non-loopback address') || undefined, { description: 'the plain-HTTP warning in the log', timeoutMs: 5000 });
});
