import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** Modules the agent's process loads: its main's imports, in a fresh node (the test runner's own cache would hide them). */
function loadedByAgent(): string[] {
  const script = `require(${JSON.stringify(require.resolve('./footprint'))}).trimFootprint();
require(${JSON.stringify(require.resolve('./agent'))});
require(${JSON.stringify(require.resolve('./config'))});
require(${JSON.stringify(require.resolve('./logger'))});
process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script]).toString()) as string[];
}

test('the agent loads no X.509/ASN.1 library and none of the dockerode parts it never uses', () => {
  const loaded = loadedByAgent();
  assert.ok(loaded.some((f) => f.includes('/dockerode/')), 'sanity: dockerode is loaded');
    // The stubs themselves sit in the cache under the real paths (ssh.js, session.js, tar-fs, @balena/dockerignore): look for what they would pull in.
  for (const heavy of ['/@peculiar/', '/tsyringe/', '/asn1js/', '/ssh2/', '/tar-stream/', '/uuid/', 'dockerode/node_modules/@grpc/']) {
    assert.deepEqual(loaded.filter((f) => f.includes(heavy)), [], heavy);
  }
});

test("the agent loads core's host entry only, not the control plane's logic", () => {
  const loaded = loadedByAgent();
  const core = loaded.filter((f) => /[\\/]core[\\/]dist[\\/]/.test(f));
  assert.ok(core.some((f) => f.endsWith('host-entry.js')), 'sanity: core is loaded through @stevedore/core/host');
  assert.deepEqual(core.filter((f) => f.endsWith('index.js')), [], "core's main entry (and every folder index)");
  for (const folder of ['service', 'deployment', 'autoscaling', 'schedule', 'metrics', 'iam', 'leadership', 'tagging']) {
    assert.deepEqual(core.filter((f) => f.includes(`/dist/${folder}/`)), [], folder);
  }
  assert.deepEqual(loaded.filter((f) => f.includes('/croner/')), [], 'croner (schedules)');
});

test('a stubbed dockerode part fails loudly if ever used, as a function or as a namespace', () => {
  const script = `require(${JSON.stringify(require.resolve('./footprint'))}).trimFootprint();
const from = { paths: [require.resolve('dockerode')] };
const out = [];
const attempt = (fn) => { try { fn(); out.push('no error'); } catch (err) { out.push(err.message); } };
attempt(() => require(require.resolve('dockerode/lib/session.js', from))());
attempt(() => require(require.resolve('tar-fs', from)).pack('/tmp'));
attempt(() => require(require.resolve('docker-modem/lib/ssh.js', from))({}));
process.stdout.write(JSON.stringify(out));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script]).toString()) as string[];
  assert.equal(out.length, 3);
  for (const m of out) assert.match(m, /is not supported by stevedore-agent/);
});
