import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from '../store/store';
import { LogBroker } from '../logs/log-broker';
import { actionFor, dispatch } from './router';
import { ADMIN_POLICY } from './auth/policy';
import type { Principal } from './auth/api-auth';

// The one place a request reaches its action: the caller goes into the
// request's context, and each mutating call leaves one audit line naming the
// access key, never the body.
function setup() {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  const ctx = { store, clock: systemClock, arn: defaultArnContext, log, logs: new LogBroker(), random: Math.random };
  const caller: Principal = { accessKeyId: 'AKIATESTTESTTESTTEST', roleName: 'ops', arn: 'arn:aws:sts::000000000000:assumed-role/ops/AKIATESTTESTTESTTEST', policy: ADMIN_POLICY };
  return { lines, store, ctx, caller };
}

const ECS = 'AmazonEC2ContainerServiceV20141113.';

test('mutating calls and secret reads leave one audit line naming the key; reads do not; bodies are never logged', async () => {
  const { lines, store, ctx, caller } = setup();
  const secret = 'audit-secret-value-5c1e';
  await dispatch(ctx, caller, `${ECS}CreateCluster`, { clusterName: 'audited' });
  await dispatch(ctx, caller, `${ECS}ListClusters`, {});
  await dispatch(ctx, caller, 'secretsmanager.CreateSecret', { Name: 'app/token', SecretString: secret });
  await dispatch(ctx, caller, 'secretsmanager.GetSecretValue', { SecretId: 'app/token' });
  await assert.rejects(dispatch(ctx, caller, `${ECS}DeleteCluster`, { cluster: 'nope' }), /Cluster not found/);
  await new Promise((r) => setImmediate(r));
  const audit = lines.filter((l) => l.audit === true);
  assert.deepEqual(
    audit.map((l) => [l.action, l.outcome, l.error, l.accessKeyId, l.principal, l.role]),
    [
      ['ecs:CreateCluster', 'ok', undefined, caller.accessKeyId, caller.arn, 'ops'],
      ['secretsmanager:CreateSecret', 'ok', undefined, caller.accessKeyId, caller.arn, 'ops'],
      ['secretsmanager:GetSecretValue', 'ok', undefined, caller.accessKeyId, caller.arn, 'ops'],
      ['ecs:DeleteCluster', 'error', 'ClusterNotFoundException', caller.accessKeyId, caller.arn, 'ops'],
    ],
  );
  assert.deepEqual(audit[0].resources, ['arn:aws:ecs:us-east-1:000000000000:cluster/audited']);
  // Every line an action logs carries the caller's key id (the action's own "cluster created" line included).
  assert.ok(lines.filter((l) => !l.audit).every((l) => l.accessKeyId === caller.accessKeyId), JSON.stringify(lines));
  assert.ok(!JSON.stringify(lines).includes(secret), 'a secret value is never logged');
  store.close();
});

test('targets are looked up as own entries only: prototype member names are unknown operations', () => {
  for (const target of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', `${ECS}constructor`, `${ECS}__proto__`]) {
    assert.throws(() => actionFor(target), { code: 'UnknownOperationException' }, target);
  }
  assert.equal(typeof actionFor(`${ECS}RunTask`), 'function');
});
