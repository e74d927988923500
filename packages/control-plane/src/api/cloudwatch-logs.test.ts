import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { startTestControlPlane } from '../testing/harness';

// The AWS SDK's CloudWatch Logs client, unchanged, against the log store:
// shapes, tokens, errors and limits as CloudWatch Logs' model declares them.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let logs: CloudWatchLogsClient;
before(async () => {
  h = await startTestControlPlane({});
  logs = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
});
after(async () => {
  logs.destroy();
  await h.cp.stop();
});

test('groups and streams: create, describe, duplicates and missing ones as CloudWatch answers', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/api' }));
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/api' })), (e) => e instanceof ResourceAlreadyExistsException);
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name' })), (e) => e instanceof InvalidParameterException);
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'tagged', tags: { team: 'a' } })), (e: Error) => e instanceof InvalidParameterException && /tags is not supported/.test(e.message));
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/other' }));
  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 1 }));
  assert.equal(groups.logGroups?.length, 1);
  assert.equal(groups.logGroups?.[0]?.logGroupName, '/ecs/api');
  assert.equal(groups.logGroups?.[0]?.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api:*'.replace('000000000000', groups.logGroups?.[0]?.arn?.split(':')[4] ?? ''));
  const byPattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'OTHER' }));
  assert.deepEqual(byPattern.logGroups?.map((g) => g.logGroupName), ['/ecs/other'], 'a pattern matches anywhere, ignoring case');
  const page2 = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 1, nextToken: groups.nextToken! }));
  assert.equal(page2.logGroups?.[0]?.logGroupName, '/ecs/other');
  await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's' })), (e: Error) => e instanceof ResourceNotFoundException && e.message === 'The specified log group does not exist.');
  await logs.send(new CreateLogStreamCommand({ logGroupName: '/ecs/api', logStreamName: 'web/app/1' }));
  await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/ecs/api', logStreamName: 'web/app/1' })), (e) => e instanceof ResourceAlreadyExistsException);
  await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/ecs/api', logStreamName: 'a:b' })), (e) => e instanceof InvalidParameterException);
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/api' }));
  assert.deepEqual(streams.logStreams?.map((s) => s.logStreamName), ['web/app/1']);
});

test('PutLogEvents then GetLogEvents: order, tokens forward and backward, startFromHead', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'g1' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'g1', logStreamName: 's' }));
  const now = Date.now();
  const events = Array.from({ length: 10 }, (_, i) => ({ timestamp: now - 10_000 + i * 100, message: `line ${i}` }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', logEvents: [...events].reverse() }));
  const tail = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', limit: 3 }));
  assert.deepEqual(tail.events?.map((e) => e.message), ['line 7', 'line 8', 'line 9']);
  const before = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', limit: 3, nextToken: tail.nextBackwardToken! }));
  assert.deepEqual(before.events?.map((e) => e.message), ['line 4', 'line 5', 'line 6']);
  const head = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', limit: 4, startFromHead: true }));
  assert.deepEqual(head.events?.map((e) => e.message), ['line 0', 'line 1', 'line 2', 'line 3']);
  const rest = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', nextToken: head.nextForwardToken! }));
  assert.equal(rest.events?.length, 6);
  const atEnd = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', nextToken: rest.nextForwardToken! }));
  assert.equal(atEnd.events?.length, 0);
  assert.equal(atEnd.nextForwardToken, rest.nextForwardToken, 'at the end the forward token stays put');
  await logs.send(new PutLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', logEvents: [{ timestamp: now, message: 'new' }] }));
  const polled = await logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', nextToken: atEnd.nextForwardToken! }));
  assert.deepEqual(polled.events?.map((e) => e.message), ['new']);
  const tooOld = await logs.send(new PutLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', logEvents: [{ timestamp: now - 15 * 86_400_000, message: 'old' }] }));
  assert.equal(tooOld.rejectedLogEventsInfo?.tooOldLogEventEndIndex, 0);
  await assert.rejects(logs.send(new PutLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', logEvents: [{ timestamp: now, message: 'x'.repeat(262_200) }] })), (e) => e instanceof InvalidParameterException);
  await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: 'g1', logStreamName: 's', nextToken: 'garbage' })), (e) => e instanceof InvalidParameterException);
  const described = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g1' }));
  assert.equal(described.logStreams?.[0]?.firstEventTimestamp, now - 10_000);
  assert.equal(described.logStreams?.[0]?.lastEventTimestamp, now);
  assert.ok((described.logStreams?.[0]?.storedBytes ?? 0) > 0);
});

test('FilterLogEvents: patterns across streams, interleaved by time, paginated', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'g2' }));
  for (const s of ['a', 'b']) await logs.send(new CreateLogStreamCommand({ logGroupName: 'g2', logStreamName: s }));
  const t = Date.now() - 5000;
  await logs.send(new PutLogEventsCommand({ logGroupName: 'g2', logStreamName: 'a', logEvents: [{ timestamp: t, message: 'ERROR disk full' }, { timestamp: t + 2, message: 'INFO ok' }] }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'g2', logStreamName: 'b', logEvents: [{ timestamp: t + 1, message: 'WARN slow' }, { timestamp: t + 3, message: '{"level":"error","code":500}' }] }));
  const f = (filterPattern?: string, more: object = {}) => logs.send(new FilterLogEventsCommand({ logGroupName: 'g2', ...(filterPattern === undefined ? {} : { filterPattern }), ...more }));
  assert.deepEqual((await f()).events?.map((e) => e.logStreamName), ['a', 'b', 'a', 'b']);
  assert.deepEqual((await f('?ERROR ?WARN')).events?.map((e) => e.message), ['ERROR disk full', 'WARN slow']);
  assert.deepEqual((await f('{ $.code = 500 }')).events?.map((e) => e.logStreamName), ['b']);
  assert.deepEqual((await f('', { logStreamNames: ['b'] })).events?.map((e) => e.message), ['WARN slow', '{"level":"error","code":500}']);
  assert.deepEqual((await f(undefined, { startTime: t + 2 })).events?.map((e) => e.message), ['INFO ok', '{"level":"error","code":500}']);
  const pages: string[][] = [];
  for await (const p of paginateFilterLogEvents({ client: logs }, { logGroupName: 'g2', limit: 3 })) pages.push((p.events ?? []).map((e) => e.message ?? ''));
  assert.deepEqual(pages.map((p) => p.length), [3, 1]);
  await assert.rejects(f('[a, b]'), (e) => e instanceof InvalidParameterException);
});

test('retention policy values, and deleting streams and groups', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'g3' }));
  await assert.rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'g3', retentionInDays: 2 })), (e) => e instanceof InvalidParameterException);
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'g3', retentionInDays: 7 }));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'g3' }))).logGroups?.[0]?.retentionInDays, 7);
  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'g3' }));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'g3' }))).logGroups?.[0]?.retentionInDays, undefined);
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'g3', logStreamName: 's' }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'g3', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'x' }] }));
  await logs.send(new DeleteLogStreamCommand({ logGroupName: 'g3', logStreamName: 's' }));
  await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: 'g3', logStreamName: 's' })), (e: Error) => e instanceof ResourceNotFoundException && /log stream does not exist/.test(e.message));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'g3' }))).logGroups?.[0]?.storedBytes, 0);
  await logs.send(new DeleteLogGroupCommand({ logGroupName: 'g3' }));
  await assert.rejects(logs.send(new DeleteLogGroupCommand({ logGroupName: 'g3' })), (e) => e instanceof ResourceNotFoundException);
});

test('authorization: logs:* actions on log-group ARNs; read-only reads but cannot write', async () => {
  const SV = 'Stevedore_20261125.';
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:GetLogEvents', 'logs:PutLogEvents', 'logs:CreateLogStream'], Resource: ['arn:aws:logs:*:*:log-group:/team-a/*'] }],
  };
  const role = await h.call('CreateRole', { roleName: 'team-a-logs', policyDocument: JSON.stringify(policy) }, `${SV}CreateRole`);
  assert.equal(role.status, 200, JSON.stringify(role.body));
  const key = (await h.call('CreateAccessKey', { roleName: 'team-a-logs' }, `${SV}CreateAccessKey`)).body['accessKey'];
  const reader = (await h.call('CreateAccessKey', { roleName: 'read-only' }, `${SV}CreateAccessKey`)).body['accessKey'];
  const as = (k: { accessKeyId: string; secretAccessKey: string }) => new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: k, maxAttempts: 1 });
  for (const g of ['/team-a/api', '/team-b/api']) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: 's' }));
  }
  const teamA = as(key);
  await teamA.send(new PutLogEventsCommand({ logGroupName: '/team-a/api', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'mine' }] }));
  assert.equal((await teamA.send(new GetLogEventsCommand({ logGroupName: '/team-a/api', logStreamName: 's' }))).events?.[0]?.message, 'mine');
  await assert.rejects(teamA.send(new GetLogEventsCommand({ logGroupName: '/team-b/api', logStreamName: 's' })), (e: Error) => e.name === 'AccessDeniedException' && /logs:GetLogEvents on resource: arn:aws:logs:us-east-1:\d+:log-group:\/team-b\/api:log-stream:s/.test(e.message));
  await assert.rejects(teamA.send(new CreateLogGroupCommand({ logGroupName: '/team-a/new' })), (e: Error) => e.name === 'AccessDeniedException');
  const ro = as(reader);
  assert.equal((await ro.send(new FilterLogEventsCommand({ logGroupName: '/team-b/api' }))).events?.length, 0);
  await assert.rejects(ro.send(new PutLogEventsCommand({ logGroupName: '/team-b/api', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'x' }] })), (e: Error) => e.name === 'AccessDeniedException');
  teamA.destroy();
  ro.destroy();
});
