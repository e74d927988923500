import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindingUrl,
  clusterName,
  formatAge,
  formatContainerState,
  formatTaskBindings,
  formatTime,
  resourceUsage,
  shortId,
  taskDefinitionName,
} from './format';
import { renderTable } from './table';
import { renderTaskTable, renderTaskDetail } from './tasks';
import { renderInstanceDetail, renderInstanceTable } from './instances';
import { container, instance, T0, task } from '../testing/fixtures';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

test('shortId and names from ARNs', () => {
  assert.equal(shortId('arn:aws:ecs:us-east-1:000000000000:task/default/0123abcd'), '0123abcd');
  assert.equal(shortId('arn:aws:ecs:us-east-1:000000000000:task/legacy-uuid'), 'legacy-uuid');
  assert.equal(shortId('plainid'), 'plainid');
  assert.equal(shortId(undefined), '-');
  assert.equal(taskDefinitionName('arn:aws:ecs:us-east-1:000000000000:task-definition/web:12'), 'web:12');
  assert.equal(clusterName('arn:aws:ecs:us-east-1:000000000000:cluster/prod'), 'prod');
});

test('timestamps are epoch seconds, shown in UTC with an age', () => {
  assert.equal(formatTime(T0 + 1.75), '2026-11-25 11:59:01Z', 'fractions are cut, like date(1)');
  assert.equal(formatTime(undefined), '-');
  assert.equal(formatAge(NOW / 1000 - 42.9, NOW), '42s');
  assert.equal(formatAge(NOW / 1000 - 600, NOW), '10m');
  assert.equal(formatAge(NOW / 1000 - 3 * 3600, NOW), '3h');
  assert.equal(formatAge(NOW / 1000 - 5 * 86400, NOW), '5d');
  assert.equal(formatAge(NOW / 1000 + 10, NOW), '0s', 'clock skew never shows negative ages');
});

test('bindings are URLs people can open', () => {
  assert.equal(bindingUrl({ bindIP: '127.0.0.2', hostPort: 32768, containerPort: 8080, protocol: 'tcp' }), 'http://127.0.0.2:32768');
  assert.equal(bindingUrl({ bindIP: '::', hostPort: 5, protocol: 'tcp' }), 'http://[::]:5');
  assert.equal(bindingUrl({ bindIP: '0.0.0.0', hostPort: 53, protocol: 'udp' }), 'udp://0.0.0.0:53');
  const t = task('t', {
    containers: [container({ networkBindings: [{ bindIP: '127.0.0.1', hostPort: 32768, containerPort: 8080, protocol: 'tcp' }] }), container({ name: 'side' })],
  });
  assert.deepEqual(formatTaskBindings(t), ['http://127.0.0.1:32768 (web:8080)']);
});

test('container state shows exit code and known health', () => {
  assert.equal(formatContainerState(container({ lastStatus: 'STOPPED', exitCode: 0 })), 'web:STOPPED(0)');
  assert.equal(formatContainerState(container({ healthStatus: 'HEALTHY' })), 'web:RUNNING healthy');
});

test('used = registered - remaining', () => {
  const i = instance('i1');
  assert.deepEqual(resourceUsage(i.registeredResources, i.remainingResources, 'CPU'), { registered: 2048, free: 1792, used: 256 });
  assert.deepEqual(resourceUsage(undefined, i.remainingResources, 'MEMORY'), { registered: undefined, free: 3836, used: undefined });
});

test('tables are borderless and aligned, without colour codes', () => {
  const out = renderTable(['A', 'LONGER'], [['x', 'y'], ['wide value', 'z']]);
  assert.equal(out, 'A            LONGER\nx            y\nwide value   z\n');
  assert.doesNotMatch(out, /\x1b\[/);
});

test('task table: one row per task, short ids and host:port, within 100 columns', () => {
  const id = '0123456789abcdef0123456789abcdef';
  const bind = (hostPort: number, containerPort: number) => ({ bindIP: '127.0.0.2', hostPort, containerPort, protocol: 'tcp' as const });
  const running = task(id, { healthStatus: 'HEALTHY', containers: [container({ networkBindings: [bind(32768, 8080), bind(32769, 9090)] })] });
  const stopping = task('fedcba9876543210fedcba9876543210', { taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/a-rather-long-family-name-for-a-task:123', desiredStatus: 'STOPPED', containers: [container({ networkBindings: [bind(32770, 8080)] })] });
  const stopped = task('abc', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containers: [container({ lastStatus: 'STOPPED', exitCode: 3 })] });
  const lines = renderTaskTable([running, stopping, stopped], NOW).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^TASK\s+DEFINITION\s+STATUS\s+HEALTH\s+PORTS\s+AGE$/);
  assert.match(lines[1]!, /^0123456789ab\s+web:1\s+RUNNING\s+HEALTHY\s+127\.0\.0\.2:32768->8080 \+1\s+58s$/);
  assert.match(lines[2]!, /^fedcba987654\s+a-rather-long-family-na…\s+RUNNING>STOPPED\s+-\s+127\.0\.0\.2:32770->8080\s+58s$/);
  assert.match(lines[3]!, /^abc\s+web:1\s+STOPPED\(3\)\s+-\s+-\s+58s$/);
  assert.ok(lines.every((l) => l.length <= 100), lines.map((l) => l.length).join(','));
});

test('task detail shows stop code, reason and per-container exit codes', () => {
  const t = task('abc', {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: T0 + 30,
    containers: [container({ lastStatus: 'STOPPED', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' })],
  });
  const out = renderTaskDetail(t, NOW);
  assert.match(out, /Status:\s+STOPPED \(desired STOPPED\)/);
  assert.match(out, /Stop code:\s+EssentialContainerExited/);
  assert.match(out, /Stopped reason:\s+Essential container in task exited/);
  assert.match(out, /web\s+STOPPED\s+137\s+UNKNOWN\s+-\s+-\s+OutOfMemoryError/);
});

test('instance views show registered, used and free', () => {
  const table = renderInstanceTable([instance('i1', { agentConnected: false })]);
  assert.match(table, /i1\s+host-i1\s+ACTIVE\s+disconnected\s+256\/2048\s+1792\s+64\/3900\s+3836\s+1\s+0/);
  const detail = renderInstanceDetail(instance('i1'), NOW);
  assert.match(detail, /CPU \(units\)\s+2048\s+256\s+1792/);
  assert.match(detail, /MEMORY \(MiB\)\s+3900\s+64\s+3836/);
  assert.match(detail, /TCP ports in use:\s+8080/);
  assert.match(detail, /ecs\.os-type\s+linux/);
  assert.match(detail, /Agent version:\s+0\.1\.0\n/, 'no commit reported (an older agent): the version alone');
  const withHash = renderInstanceDetail(instance('i1', { versionInfo: { agentVersion: '0.2.0', agentHash: '1a2b3c4d', dockerVersion: 'DockerVersion: 20.10.24' } }), NOW);
  assert.match(withHash, /Agent version:\s+0\.2\.0 \(commit 1a2b3c4d\)\n/);
  assert.match(withHash, /Docker version:\s+DockerVersion: 20\.10\.24\n/);
  const withCaps = renderInstanceDetail(
    instance('i1', { attributes: [{ name: 'ecs.os-type', value: 'linux' }, { name: 'ecs.capability.container-health-check' }, { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.41' }] }),
    NOW,
  );
  assert.doesNotMatch(withCaps, /docker-remote-api/);
  assert.match(withCaps, /\(and 2 capability attributes: --output json lists them\)/);
});
