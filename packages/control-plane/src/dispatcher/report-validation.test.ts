import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireContainerStatus, WireTaskStatus } from '@stevedore/proto';
import { REPORT_LIMITS, validateTaskReport } from './report-validation';

function container(over: Partial<WireContainerStatus> = {}): WireContainerStatus {
  return { name: 'web', status: 'RUNNING', runtime_id: 'a'.repeat(64), exit_code: undefined, reason: '', network_bindings: [{ bind_ip: '127.0.0.2', container_port: 8080, host_port: 32768, protocol: 'tcp' }], health_status: 'HEALTHY', ...over };
}

function report(over: Partial<WireTaskStatus> = {}, c: Partial<WireContainerStatus> = {}): WireTaskStatus {
  return {
    task_arn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc',
    last_status: 'RUNNING',
    containers: [container(c)],
    stop_code: '',
    stopped_reason: '',
    pull_started_at: 0,
    pull_stopped_at: 0,
    started_at: 1_800_000_000_000,
    execution_stopped_at: 0,
    stopped_at: 0,
    ...over,
  };
}

test("real agent reports pass; long reasons (Docker's errors) are cut, not refused", () => {
  assert.ok(validateTaskReport(report(), 'updates[0]').ok);
  assert.ok(validateTaskReport(report({ last_status: 'STOPPED', stop_code: 'EssentialContainerExited' }, { status: 'STOPPED', exit_code: 137, network_bindings: [], health_status: '' }), 'updates[0]').ok);
  assert.ok(validateTaskReport(report({}, { network_bindings: [{ bind_ip: '0.0.0.0', container_port: 53, host_port: 53, protocol: 'udp' }] }), 'u').ok);
  const long = validateTaskReport(report({ stopped_reason: 'CannotPullContainerError: '.padEnd(5000, 'x') }, { reason: 'y'.repeat(5000) }), 'u');
  assert.ok(long.ok);
  assert.equal(long.value.stopped_reason.length, REPORT_LIMITS.maxReason);
  assert.equal(long.value.containers[0]!.reason.length, REPORT_LIMITS.maxReason);
});

test('invalid task reports are refused naming the field', () => {
  const b = (over: Partial<WireContainerStatus['network_bindings'][number]>) => ({ network_bindings: [{ bind_ip: '127.0.0.2', container_port: 8080, host_port: 32768, protocol: 'tcp', ...over }] });
  const cases: [string, Partial<WireTaskStatus>, Partial<WireContainerStatus>, string][] = [
    ['status', { last_status: 'HACKED' }, {}, 'updates[3].last_status'],
    ['stop code', { stop_code: 'Whatever' }, {}, 'updates[3].stop_code'],
    ['negative time', { started_at: -1 }, {}, 'updates[3].started_at'],
    ['huge arn', { task_arn: 'a'.repeat(3000) }, {}, 'updates[3].task_arn'],
    ['container status', {}, { status: 'EXPLODED' }, 'updates[3].containers[0].status'],
    ['container name', {}, { name: 'n\nx' }, 'updates[3].containers[0].name'],
    ['health', {}, { health_status: 'GREAT' }, 'updates[3].containers[0].health_status'],
    ['exit code', {}, { exit_code: 2 ** 40 }, 'updates[3].containers[0].exit_code'],
    ['host port out of range', {}, b({ host_port: 99_999 }), 'updates[3].containers[0].network_bindings[0].host_port'],
    ['host port zero', {}, b({ host_port: 0 }), 'updates[3].containers[0].network_bindings[0].host_port'],
    ['container port', {}, b({ container_port: -1 }), 'updates[3].containers[0].network_bindings[0].container_port'],
    ['bind ip', {}, b({ bind_ip: 'evil.example.com' }), 'updates[3].containers[0].network_bindings[0].bind_ip'],
    ['protocol', {}, b({ protocol: 'sctp' }), 'updates[3].containers[0].network_bindings[0].protocol'],
  ];
  for (const [what, over, c, field] of cases) {
    const r = validateTaskReport(report(over, c), 'updates[3]');
    assert.ok(!r.ok, what);
    assert.equal(r.problem.field, field, what);
    assert.ok(r.problem.message.startsWith(`${field}: `), r.problem.message);
  }
});
