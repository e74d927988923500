import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import { grpc, dispatcherClientCtor, dispatcherService, DISPATCHER_PROTO, PROTO_ROOT, toWireAssignment } from './index';
import type { TaskAssignment } from '@stevedore/core';

/** What the service was built with before (and what proto-loader-gen-types' types describe): the reference. */
function byProtoLoader(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(DISPATCHER_PROTO, { includeDirs: [PROTO_ROOT], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const root = grpc.loadPackageDefinition(def) as unknown as { stevedore: { agent: { v1: { Dispatcher: grpc.ServiceClientConstructor } } } };
  return root.stevedore.agent.v1.Dispatcher.service;
}

const assignment: TaskAssignment = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef',
  taskId: '0123456789abcdef',
  cluster: 'c',
  family: 'web',
  revision: 3,
  desiredStatus: 'RUNNING',
  version: 7,
  networkMode: 'bridge',
  volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }],
  containers: [
    {
      name: 'web',
      image: 'busybox',
      containerArn: 'arn:web',
      essential: true,
      command: ['httpd', '-f'],
      environment: [{ name: 'A', value: 'b' }],
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
      dockerLabels: { team: 'x' },
      healthCheck: { command: ['CMD', 'true'], interval: 1, timeout: 1, retries: 3, startPeriod: 0 },
    } as TaskAssignment['containers'][number],
  ],
};

/** One message of each shape the channel carries: nested and repeated messages, maps, int64 as numbers, enums as strings, bytes, optional fields. */
const SAMPLES: Record<string, { request?: object; response?: object }> = {
  Session: {
    request: { instance_id: 'i-1', session_id: '' },
    response: { type: 'COMPLETE', session_id: 's', applies_to: 0, results_in: 5, assignments: [toWireAssignment(assignment)], removed: ['arn:x'], heartbeat_period_ms: 3000, log_requests: [], load_balancers: null, exec_requests: [] },
  },
  UpdateTaskStatus: {
    request: { session_id: 's', updates: [{ task_arn: 'arn:t', last_status: 'RUNNING', containers: [], stop_code: '', stopped_reason: '', pull_started_at: 1_764_000_000_123, started_at: 1_764_000_001_456 }] },
    response: { applied: ['arn:t'] },
  },
  ExecSession: {
    request: { session_id: 'e', data: Buffer.from([0, 1, 2, 255]), stream: 'stdout', eof: true, exit_code: 0 },
  },
};

test('the Dispatcher service is what proto-loader made of the same .proto: paths, streaming, client method names', () => {
  const ours = dispatcherService();
  const ref = byProtoLoader();
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(ref).sort());
  for (const [name, m] of Object.entries(ref)) {
    const o = ours[name]!;
    assert.deepEqual(
      { path: o.path, requestStream: o.requestStream, responseStream: o.responseStream, originalName: o.originalName },
      { path: m.path, requestStream: m.requestStream, responseStream: m.responseStream, originalName: m.originalName },
      name,
    );
  }
  const client = dispatcherClientCtor().prototype as Record<string, unknown>;
  assert.equal(typeof client['Session'], 'function');
  assert.equal(typeof client['updateTaskStatus'], 'function');
  assert.equal(dispatcherClientCtor(), dispatcherClientCtor(), 'one constructor');
});

test('messages encode to the same bytes and decode to the same objects as with proto-loader', () => {
  const ours = dispatcherService();
  const ref = byProtoLoader();
  for (const [name, sample] of Object.entries(SAMPLES)) {
    for (const side of ['request', 'response'] as const) {
      const value = sample[side];
      if (!value) continue;
      const ser = side === 'request' ? 'requestSerialize' : 'responseSerialize';
      const de = side === 'request' ? 'requestDeserialize' : 'responseDeserialize';
      const bytes = ours[name]![ser](value);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(ref[name]![ser](value)), `${name} ${side} bytes`);
      assert.ok(bytes.length > 0, `${name} ${side}: something was encoded`);
      assert.deepEqual(ours[name]![de](bytes), ref[name]![de](bytes), `${name} ${side} decoded`);
    }
  }
  assert.throws(() => ours['Heartbeat']!.requestSerialize([] as never), /expected object with HeartbeatRequest structure, got array instead/);
});
