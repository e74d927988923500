import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestControlPlane } from '../testing/harness';
import { rawCall, requestHeaders, type AccessKey } from '../testing/signed-client';
import { ACTIONS } from './router';
import { deployerPolicy } from './auth/policy';

// Thousands of random and malformed requests, validly signed or not, against
// the in-process API: never a 5xx, never a crash, and a request that is
// refused leaves every table exactly as it was. The orchestrator is held back
// (long startup delay) and no agent is connected, so nothing else writes.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const keys: Record<string, AccessKey> = {};
const SV = 'Stevedore_20261125.';
const ECS = 'AmazonEC2ContainerServiceV20141113.';

before(async () => {
  h = await startTestControlPlane({ auth: { apiRateLimit: { steady: 1e6, burst: 1e6 }, apiFailedAuthRateLimit: { steady: 1e6, burst: 1e6 } }, orchestrator: { startupDelayMs: 3_600_000 } });
  keys['admin'] = h.admin!;
  await h.call('CreateCluster', { clusterName: 'fuzz' });
  await h.call('RegisterTaskDefinition', { family: 'fuzzweb', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32 }] });
  await h.call('CreateRole', { roleName: 'deployer', policyDocument: deployerPolicy(['fuzz']) }, `${SV}CreateRole`);
  keys['deployer'] = (await h.call('CreateAccessKey', { roleName: 'deployer' }, `${SV}CreateAccessKey`)).body['accessKey'];
  keys['read-only'] = (await h.call('CreateAccessKey', { roleName: 'read-only' }, `${SV}CreateAccessKey`)).body['accessKey'];
});
after(async () => {
  await h.cp.stop();
});

/**
 * Every row of every table, in a stable order: the whole stored state, but
 * for the SigV4 replay cache, which records every validly signed request
 * whatever its outcome (that is its job).
 */
function dump(): string {
  const db = h.cp.store.db;
  // The leader lease and replica rows renew on their own, whatever the requests.
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'api_replay_%' AND name NOT IN ('leader_lease', 'control_plane_replicas') ORDER BY name").all() as { name: string }[];
  return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}

const TARGETS = [...Object.keys(ACTIONS), `${ECS}NoSuchOperation`, 'Bogus.ListClusters', '', `${ECS.toLowerCase()}listclusters`];
const KEYS = [
  'cluster', 'clusters', 'clusterName', 'taskDefinition', 'family', 'containerDefinitions', 'tasks', 'task', 'count', 'overrides',
  'serviceName', 'service', 'services', 'desiredCount', 'roleName', 'policyDocument', 'accessKeyId', 'maxResults', 'nextToken',
  'include', 'containerInstance', 'containerInstances', 'attributes', 'status', 'startedBy', 'group', 'tags', 'settings', 'reason',
  'ttlSeconds', 'joinTokenId', 'description', 'force', 'launchType', 'placementConstraints', 'placementStrategy', 'filter',
];
const PLAUSIBLE = fc.constantFrom(
  'fuzz', 'default', 'fuzzweb', 'fuzzweb:1', 'fuzzweb:0', 'arn:aws:ecs:us-east-1:000000000000:cluster/fuzz', 'arn:aws:ecs:us-east-1:000000000000:task/fuzz/0123',
  'admin', 'read-only', 'deployer', 'AKIAAAAAAAAAAAAAAAAA', '*', '', 'a'.repeat(300), '../../etc/passwd', '\u0000', 'ACTIVE', 'DRAINING',
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: PLAUSIBLE },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(PLAUSIBLE, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 200 }) },
  { weight: 1, arbitrary: fc.record({ Statement: fc.array(fc.record({ Effect: fc.constantFrom('Allow', 'Deny', 'x'), Action: fc.constantFrom('*', 'ecs:*', 'ec2:*'), Resource: PLAUSIBLE }), { maxLength: 2 }) }) },
);
const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 80 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '{"cluster":"fuzz"', '\u00ff\u00fe', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}') },
);

/** Printable ASCII: what an HTTP client lets through as a header value. */
const HEADER_TEXT = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,120}$/);

/** What the fuzzed requests got back, so a fuzz that never gets past the door fails. */
const outcomes = new Map<string, number>();

async function check(req: { target: string; body: string; credentials?: AccessKey; headers?: Record<string, string> }, mustRefuse: boolean): Promise<void> {
  const before = dump();
  const res = await rawCall(h.endpoint, { ...req, ...(req.credentials ? { credentials: req.credentials } : {}) });
  const outcome = res.status === 200 ? 'OK' : String(res.body['__type']);
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const what = `${req.target} ${req.body.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
  assert.ok(res.status >= 200 && res.status < 500, what);
  if (res.status !== 200) {
    assert.equal(typeof res.body['__type'], 'string', what);
    assert.equal(dump(), before, `a refused request changed stored state: ${what}`);
  } else if (mustRefuse) {
    assert.fail(`accepted: ${what}`);
  }
}

test('validly signed random requests to random operations: no 5xx, and refusals change nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TARGETS), body, fc.constantFrom('admin', 'admin', 'deployer', 'read-only'), async (target, text, who) => {
      await check({ target, body: text, credentials: keys[who]! }, false);
    }),
    { numRuns: 1500 },
  );
  for (const expected of ['OK', 'InvalidParameterException', 'SerializationException', 'AccessDeniedException', 'UnknownOperationException']) {
    assert.ok((outcomes.get(expected) ?? 0) > 0, `no request ended in ${expected}: ${JSON.stringify([...outcomes])}`);
  }
});

test('malformed, forged and tampered requests are refused and change nothing', async () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('unsigned' as const) }),
    fc.record({ kind: fc.constant('wrong-secret' as const) }),
    fc.record({ kind: fc.constant('garbage-auth' as const), value: fc.oneof(HEADER_TEXT, fc.constantFrom('AWS4-HMAC-SHA256 Credential=x/y/z, SignedHeaders=host, Signature=00', 'AWS4-HMAC-SHA256 ,,,,', 'Bearer x')) }),
    fc.record({ kind: fc.constant('bad-date' as const), value: fc.oneof(HEADER_TEXT, fc.constantFrom('20991231T235959Z', '19700101T000000Z', '2026-11-25T12:00:00Z')) }),
    fc.record({ kind: fc.constant('tamper-body' as const), value: fc.string({ minLength: 1, maxLength: 50 }) }),
    fc.record({ kind: fc.constant('tamper-target' as const), value: fc.constantFrom(...TARGETS) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...Object.keys(ACTIONS)), body, mutation, async (target, text, m) => {
      const admin = keys['admin']!;
      if (m.kind === 'unsigned') return check({ target, body: text }, true);
      if (m.kind === 'wrong-secret') return check({ target, body: text, credentials: { ...admin, secretAccessKey: `${admin.secretAccessKey}x` } }, true);
      const headers = await requestHeaders(h.endpoint, { target, body: text, credentials: admin });
      if (m.kind === 'garbage-auth') headers['authorization'] = m.value;
      if (m.kind === 'bad-date') headers['x-amz-date'] = m.value;
      if (m.kind === 'tamper-target') {
        if (m.value === target) return;
        headers['x-amz-target'] = m.value;
      }
      const sent = m.kind === 'tamper-body' ? text + m.value : text;
      const before = dump();
      const res = await fetch(h.endpoint, { method: 'POST', headers, body: sent });
      const out = await res.text();
      assert.equal(res.status, 400, `${m.kind}: ${out}`);
      assert.match(out, /"__type":"(InvalidSignatureException|UnrecognizedClientException)"/, m.kind);
      assert.equal(dump(), before);
    }),
    { numRuns: 500 },
  );
  const ping = await fetch(`${h.endpoint}/ping`);
  assert.equal(ping.status, 200);
});
