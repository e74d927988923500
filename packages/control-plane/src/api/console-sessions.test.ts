import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { startTestControlPlane } from '../testing/harness';
import { rawCall, type AccessKey } from '../testing/signed-client';
import { createConsoleRoute, CONSOLE_CSP, NONCE_PLACEHOLDER } from './console-route';

// The web console's server side: one-time sign-in tokens (GetConsoleSigninToken,
// RedeemConsoleSigninToken), console session credentials, the permission
// check (GetCallerPermissions) and the static route, over HTTP.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const SV = 'Stevedore_20261125.';
let reader: AccessKey;

before(async () => {
  h = await startTestControlPlane();
  assert.equal((await h.call('CreateCluster', { clusterName: 'prod' })).status, 200);
  reader = (await h.call('CreateAccessKey', { roleName: 'read-only' }, `${SV}CreateAccessKey`)).body['accessKey'];
});
after(async () => {
  await h.cp.stop();
});

const redeem = (signinToken: string) => rawCall(h.endpoint, { target: `${SV}RedeemConsoleSigninToken`, body: JSON.stringify({ signinToken }) });

test('a sign-in token is redeemed once for temporary credentials of the caller role', async () => {
  const issued = await h.callAs(reader, 'GetConsoleSigninToken', {}, `${SV}GetConsoleSigninToken`);
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.match(issued.body['signinToken'], /^svs1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
  assert.equal(issued.body['sessionDurationSeconds'], 3600);
  const first = await redeem(issued.body['signinToken']);
  assert.equal(first.status, 200, first.text);
  const creds = first.body['credentials'];
  assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(first.body['roleName'], 'read-only');
  assert.equal(first.body['sourceAccessKeyId'], reader.accessKeyId);
  assert.equal(first.body['region'], 'us-east-1');
  const second = await redeem(issued.body['signinToken']);
  assert.equal(second.status, 403);
  assert.equal(second.body['__type'], 'AccessDeniedException');
  assert.match(second.body['message'], /already used/);

  // The session acts with the read-only role: reads pass, changes are refused, and it cannot mint another sign-in.
  const session: AccessKey = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken };
  assert.equal((await h.callAs(session, 'ListClusters')).status, 200);
  const change = await h.callAs(session, 'CreateCluster', { clusterName: 'x' });
  assert.equal(change.body['__type'], 'AccessDeniedException');
  assert.match(change.body['message'], new RegExp(`assumed-role/read-only/${reader.accessKeyId}`));
  const again = await h.callAs(session, 'GetConsoleSigninToken', {}, `${SV}GetConsoleSigninToken`);
  assert.equal(again.body['__type'], 'AccessDeniedException');
  // Without its session token the temporary key is refused.
  const noToken = await h.callAs({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }, 'ListClusters');
  assert.equal(noToken.body['__type'], 'UnrecognizedClientException');
});

test('malformed and unknown tokens are refused without detail; deleting the key ends its sessions', async () => {
  for (const bad of ['x', `svs1.0123456789abcdef.${'A'.repeat(43)}`]) {
    const r = await redeem(bad);
    assert.equal(r.status, 403);
    assert.match(r.body['message'], /is not valid/);
  }
  const key = (await h.call('CreateAccessKey', { roleName: 'admin' }, `${SV}CreateAccessKey`)).body['accessKey'] as AccessKey;
  const token = (await h.callAs(key, 'GetConsoleSigninToken', { sessionDurationSeconds: 900 }, `${SV}GetConsoleSigninToken`)).body['signinToken'];
  const creds = (await redeem(token)).body['credentials'];
  const session: AccessKey = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken };
  assert.equal((await h.callAs(session, 'ListClusters')).status, 200);
  assert.equal((await h.call('DeleteAccessKey', { accessKeyId: key.accessKeyId }, `${SV}DeleteAccessKey`)).status, 200);
  const after = await h.callAs(session, 'ListClusters');
  assert.equal(after.body['__type'], 'UnrecognizedClientException');
  assert.match(after.body['message'], /was deleted/);
  const range = await h.call('GetConsoleSigninToken', { sessionDurationSeconds: 60 }, `${SV}GetConsoleSigninToken`);
  assert.equal(range.body['__type'], 'InvalidParameterException');
});

test('GetCallerPermissions evaluates the caller policy per action and resource', async () => {
  const body = { actionNames: ['ecs:UpdateService', 'ecs:DescribeServices'], resourceArns: ['*'] };
  const admin = await h.call('GetCallerPermissions', body, `${SV}GetCallerPermissions`);
  assert.deepEqual(
    admin.body['evaluationResults'].map((r: { evalDecision: string }) => r.evalDecision),
    ['allowed', 'allowed'],
  );
  const ro = await h.callAs(reader, 'GetCallerPermissions', body, `${SV}GetCallerPermissions`);
  assert.deepEqual(
    ro.body['evaluationResults'].map((r: { evalActionName: string; evalDecision: string }) => `${r.evalActionName}=${r.evalDecision}`),
    ['ecs:UpdateService=implicitDeny', 'ecs:DescribeServices=allowed'],
  );
  const bad = await h.call('GetCallerPermissions', { actionNames: ['UpdateService'] }, `${SV}GetCallerPermissions`);
  assert.equal(bad.body['__type'], 'InvalidParameterException');
});

test('the console route serves the build with CSP and caching, deep links get the app, missing files 404', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><meta name="csp-nonce" content="${NONCE_PLACEHOLDER}"><title>x</title>`);
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  const server = http.createServer(createConsoleRoute(dir));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const page = await fetch(`${base}/console/clusters/prod/services/web`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    // The page is never cached: each one has its own style nonce, in its header and its meta tag.
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.headers.get('etag'), null);
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe/);
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/]{24})';/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.equal(await page.text(), `<!doctype html><meta name="csp-nonce" content="${nonce}"><title>x</title>`);
    const again = await fetch(`${base}/console/`);
    const nonce2 = /'nonce-([^']+)'/.exec(again.headers.get('content-security-policy')!)?.[1];
    assert.ok(nonce2 && nonce2 !== nonce, 'a new nonce for each page');
    assert.match(await again.text(), new RegExp(`content="${nonce2!.replace(/[+/]/g, '\\$&')}"`));
    assert.doesNotMatch(CONSOLE_CSP, /unsafe|nonce/);
    const js = await fetch(`${base}/console/assets/index-abc.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(js.headers.get('cache-control')!, /immutable/);
    const etag = js.headers.get('etag')!;
    assert.equal((await fetch(`${base}/console/assets/index-abc.js`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${base}/console/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/console/..%2F..%2Fetc%2Fpasswd.txt`)).status, 404);
    const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/console/');
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
