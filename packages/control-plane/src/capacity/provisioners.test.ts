import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { HostGroup, HostGroupHost } from '@stevedore/core';
import { ExecProvisioner, runCommand } from './exec-provisioner';
import { expandHostIps } from './local-provisioner';
import { ProvisionError } from './provisioner';

const group: HostGroup = {
  name: 'g',
  cluster: 'c',
  uuid: 'u',
  status: 'ACTIVE',
  desiredCapacity: 1,
  createdAt: 0,
  spec: { minSize: 0, maxSize: 1, attributes: [{ name: 'role', value: 'web' }], joinTimeoutSeconds: 60, provisioner: { type: 'exec', createCommand: '', destroyCommand: '', timeoutSeconds: 1, retries: 0 } },
};
const host: HostGroupHost = { id: 'h-1', groupName: 'g', cluster: 'c', lifecycleState: 'Pending', attempts: 0, launchedAt: 0 };
const join = { controlPlane: '10.0.0.1:8443', cluster: 'c', token: 'SVDR-abcdefgh.x', caCertHash: 'sha256:00' };
const signal = new AbortController().signal;

/** A killed process the init of a container has not reaped yet is a zombie: dead for our purpose. */
function aliveNotZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('expandHostIps: ranges and lists in order; malformed, reversed or mixed-prefix ranges refused', () => {
  assert.deepEqual(expandHostIps('127.0.11.100-127.0.11.102'), ['127.0.11.100', '127.0.11.101', '127.0.11.102']);
  assert.deepEqual(expandHostIps('10.0.0.5-6, 10.0.0.9'), ['10.0.0.5', '10.0.0.6', '10.0.0.9']);
  for (const bad of ['127.0.11.9-127.0.11.2', '127.0.11.1-127.0.12.3', '300.0.0.1', 'host-a', '', '1.2.3']) assert.equal(expandHostIps(bad), undefined, bad);
});

test('runCommand: a command past its timeout is killed with its whole process group', async () => {
  const started = Date.now();
  const r = await runCommand('sleep 30 & echo child $!; wait', [], {}, 300, signal);
  assert.equal(r.timedOut, true);
  assert.ok(Date.now() - started < 10_000);
  const child = Number(/child (\d+)/.exec(r.output)?.[1]);
  assert.ok(child > 0);
  // The background sleep went with the shell: no orphan outlives a timed-out create.
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(aliveNotZombie(child), false);
});

test('exec create: the environment carries the join instructions; the last line is the id; failures keep their output', async () => {
  const ok = new ExecProvisioner({ type: 'exec', createCommand: 'echo "$STEVEDORE_CLUSTER $STEVEDORE_CONTROL_PLANE $STEVEDORE_ATTRIBUTES $STEVEDORE_HOST_ID"; echo vm-7', destroyCommand: 'echo gone', timeoutSeconds: 5, retries: 0 });
  const r = await ok.create(group, host, join, signal);
  assert.equal(r.providerId, 'vm-7');
  assert.match(r.output, /^c 10\.0\.0\.1:8443 role=web,stevedore\.host-group=g h-1$/m);
  const d = await ok.destroy(group, { ...host, providerId: 'vm-7' }, signal);
  assert.equal(d.output.trim(), 'gone vm-7');

  const silent = new ExecProvisioner({ type: 'exec', createCommand: 'true', destroyCommand: 'true', timeoutSeconds: 5, retries: 0 });
  await assert.rejects(silent.create(group, host, join, signal), /printed no host id/);
  const failing = new ExecProvisioner({ type: 'exec', createCommand: 'echo quota exceeded >&2; exit 4', destroyCommand: 'true', timeoutSeconds: 5, retries: 0 });
  await assert.rejects(failing.create(group, host, join, signal), (e: unknown) => e instanceof ProvisionError && /exited with 4/.test(e.message) && /quota exceeded/.test(e.output));
  const slow = new ExecProvisioner({ type: 'exec', createCommand: 'sleep 5', destroyCommand: 'true', timeoutSeconds: 1, retries: 0 });
  await assert.rejects(slow.create(group, host, join, signal), /create command timed out after 1 s/);
});

test('the token never reaches the output unless the command prints it', async () => {
  const p = new ExecProvisioner({ type: 'exec', createCommand: 'echo vm-1', destroyCommand: 'true', timeoutSeconds: 5, retries: 0 });
  const r = await p.create(group, host, join, signal);
  assert.ok(!r.output.includes(join.token));
  assert.equal(execFileSync('sh', ['-c', 'echo ok']).toString().trim(), 'ok');
});
