import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { PutLogEventsResponse, WireLogEventsBatch } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent } from '../testing/harness';

/** PutLogEvents over the agent channel: an instance writes only where its own tasks' definitions say. */
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let a: FakeAgent;
let b: FakeAgent;
let taskArn = '';
let taskId = '';
before(async () => {
  // The default heartbeat period: these agents never heartbeat, and a short period (it was 300 ms) ended
  // their sessions after three missed beats, which a loaded machine reached mid-file.
  h = await startTestControlPlane();
  await h.call('CreateCluster', { clusterName: 'lg' });
  const awslogs = (group: string, extra: Record<string, string> = {}) => ({ logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p', ...extra } });
  const reg = await h.call('RegisterTaskDefinition', {
    family: 'lg',
    containerDefinitions: [
      { name: 'web', image: 'img', memory: 32, logConfiguration: awslogs('/lg/web', { 'awslogs-create-group': 'true' }) },
      { name: 'side', image: 'img', memory: 32, essential: false, logConfiguration: awslogs('/lg/missing') },
      { name: 'plain', image: 'img', memory: 32, essential: false },
    ],
  });
  assert.equal(reg.status, 200, JSON.stringify(reg.body));
  a = await new FakeAgent(h.agentAddress).connect({ cluster: 'lg' });
  const run = await h.call('RunTask', { cluster: 'lg', taskDefinition: 'lg' });
  taskArn = run.body['tasks'][0].taskArn;
  taskId = taskArn.split('/').pop()!;
  b = await new FakeAgent(h.agentAddress).connect({ cluster: 'lg' });
});
after(async () => {
  a.close();
  b.close();
  await h.cp.stop();
});

function put(agent: FakeAgent, batches: Partial<WireLogEventsBatch>[]): Promise<PutLogEventsResponse> {
  return new Promise((resolve, reject) =>
    (agent.client as unknown as Record<string, Function>)['PutLogEvents']!({ session_id: agent.sessionId, batches }, agent.metadata(), (e: unknown, r: PutLogEventsResponse) => (e ? reject(e) : resolve(r))),
  );
}

const web = (over: Partial<WireLogEventsBatch> = {}): Partial<WireLogEventsBatch> => ({ task_arn: taskArn, container_name: 'web', log_group: '/lg/web', log_stream: `p/web/${taskId}`, create_group: true, events: [], ...over });
const denied = (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED;

test('the task instance stores batches in the group and stream its definition names, creating the group when allowed', async () => {
  const now = Date.now();
  const res = await put(a, [web({ events: [{ timestamp: now, message: 'hello' }, { timestamp: now + 1, message: 'world' }] })]);
  assert.deepEqual(res.results, [{ error_code: '', error_message: '' }]);
  const got = await h.call('GetLogEvents', { logGroupName: '/lg/web', logStreamName: `p/web/${taskId}`, startFromHead: true }, 'Logs_20140328.GetLogEvents');
  assert.deepEqual(got.body['events'].map((e: { message: string }) => e.message), ['hello', 'world']);
});

test('a missing group without awslogs-create-group is ResourceNotFoundException, as CloudWatch answers the Docker driver', async () => {
  const res = await put(a, [{ task_arn: taskArn, container_name: 'side', log_group: '/lg/missing', log_stream: `p/side/${taskId}`, create_group: false, events: [] }]);
  assert.equal(res.results[0]?.error_code, 'ResourceNotFoundException');
  assert.equal(res.results[0]?.error_message, 'The specified log group does not exist.');
});

test('another instance, another group or stream, or a container without awslogs are refused as a whole', async () => {
  await assert.rejects(put(b, [web()]), denied, 'another instance');
  await assert.rejects(put(a, [web({ log_group: '/other' })]), denied, 'another group');
  await assert.rejects(put(a, [web({ log_stream: 'p/web/other-task' })]), denied, 'another stream');
  await assert.rejects(put(a, [web({ create_group: false })]), denied, 'create-group differs');
  await assert.rejects(put(a, [web({ container_name: 'plain' })]), denied, 'no awslogs');
  await assert.rejects(put(a, [web(), web({ log_group: '/other' })]), denied, 'one bad batch refuses the call');
  await assert.rejects(put(a, [web({ events: [{ timestamp: Date.now(), message: 'x'.repeat(300_000) }] })]), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  const got = await h.call('DescribeLogGroups', { logGroupNamePrefix: '/other' }, 'Logs_20140328.DescribeLogGroups');
  assert.deepEqual(got.body['logGroups'], []);
});
